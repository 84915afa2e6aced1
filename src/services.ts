/**
 * What the HTTP routes and the CLI work with: one object per running WeReply instance.
 */
import type { Logger } from 'pino';
import type { WeComClient } from './channels/wecom-kf/api-client.js';
import type { Config } from './config.js';
import type { InboundMediaCache } from './materials/inbound-media.js';
import type { MaterialStore } from './materials/material-store.js';
import type { Metrics } from './metrics.js';
import type { Wakeup } from './jobs/wakeup.js';
import type { UntrustedFileReader } from './imports/untrusted-file.js';
import type { ComplianceGuard } from './pipeline/compliance-guard.js';
import type { RuleCache } from './pipeline/rule-cache.js';
import type { Store } from './store/database.js';
import type { ChannelSender } from './pipeline/types.js';
import type { LiveStreams } from './api/live-streams.js';

export interface Services {
  config: Config;
  store: Store;
  rules: RuleCache;
  /** The organisation's risk words and compliance settings, compiled. */
  compliance: ComplianceGuard;
  materials: MaterialStore;
  /** Media customers sent, kept past WeCom's 3 days. */
  inboundMedia: InboundMediaCache;
  metrics: Metrics;
  /** null until WeCom is configured. */
  wecom: WeComClient | null;
  /** One sender per configured channel (by channel name): the desk actions' session moves go through it. */
  senders: Record<string, ChannelSender>;
  /** Tells the workers there is new work (outbox rows from the API). */
  wakeup: Wakeup;
  log: Logger;
  /** Open live streams (SSE) per operator: capped, ended when an operator is disabled or changes role. */
  streams: LiveStreams;
  /** Parses uploaded files in worker threads with time and memory limits (every import goes through it). */
  imports: UntrustedFileReader;
  /** True once the server can take callbacks (for /healthz). */
  ready(): boolean;
}
