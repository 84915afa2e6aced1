/**
 * Prometheus metrics served at /metrics. One registry per WeReply instance (tests run several).
 */
import client from 'prom-client';
import type { Kysely } from 'kysely';
import type { Database } from './store/schema.js';

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics(db: Kysely<Database>) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'wereply_process_' });
  const callbacks = new client.Counter({ name: 'wereply_callbacks_total', help: 'WeCom callbacks by result (accepted, duplicate, rejected)', labelNames: ['result'], registers: [registry] });
  const received = new client.Counter({ name: 'wereply_messages_received_total', help: 'Messages stored, by channel and origin (3 customer, 4 event, 5 servicer)', labelNames: ['channel', 'origin'], registers: [registry] });
  const duplicates = new client.Counter({ name: 'wereply_messages_duplicate_total', help: 'Pulled messages already stored (ignored)', registers: [registry] });
  const replied = new client.Counter({ name: 'wereply_replies_sent_total', help: 'Replies WeCom accepted, by api', labelNames: ['api'], registers: [registry] });
  const failed = new client.Counter({ name: 'wereply_replies_failed_total', help: 'Replies that ended in the failed state', labelNames: ['api'], registers: [registry] });
  const held = new client.Counter({ name: 'wereply_replies_held_total', help: 'Outbound messages held by the compliance check', labelNames: ['api'], registers: [registry] });
  const waitingAllowance = new client.Counter({ name: 'wereply_replies_waiting_allowance_total', help: "Replies put to wait for the customer's next message (the channel's allowance used up or its window closed)", labelNames: ['api'], registers: [registry] });
  const apiErrors = new client.Counter({ name: 'wereply_wecom_api_errors_total', help: 'WeCom API errors by api and errcode (network = no answer)', labelNames: ['api', 'errcode'], registers: [registry] });
  const latency = new client.Histogram({
    name: 'wereply_reply_latency_seconds',
    help: 'From storing the customer message to WeCom accepting the reply',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  new client.Gauge({
    name: 'wereply_outbox_depth',
    help: 'Outbox rows by status (pending, retry, sending, failed, held, waiting_allowance)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await db.selectFrom('outbox').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).where('status', '!=', 'sent').groupBy('status').execute();
      for (const s of ['pending', 'retry', 'sending', 'failed', 'held', 'waiting_allowance']) this.set({ status: s }, 0);
      for (const r of rows) this.set({ status: r.status }, Number(r.n));
    },
  });
  const importsRunning = new client.Gauge({ name: 'wereply_imports_running', help: 'Uploaded files being parsed in import workers now', labelNames: ['parser'], registers: [registry] });
  const importsRefused = new client.Counter({ name: 'wereply_imports_refused_total', help: 'Uploaded files the import worker refused, by parser and reason (too_large, malformed, timed_out)', labelNames: ['parser', 'reason'], registers: [registry] });
  const regexSkipped = new client.Counter({ name: 'wereply_regex_rules_skipped_total', help: 'Regex rule evaluations cut off: timeout (the rule hit its own limit) or budget (the message had no regex time left)', labelNames: ['reason'], registers: [registry] });
  const servicerMessages = new client.Counter({ name: 'wereply_servicer_messages_total', help: 'Messages servicers sent from the WeCom client (origin 5), by servicer userid', labelNames: ['servicer'], registers: [registry] });
  const alerts = new client.Counter({ name: 'wereply_alerts_total', help: 'Alerts raised by the after-the-fact scan of messages sent past WeReply, by kind and severity (block words, held PII)', labelNames: ['kind', 'severity'], registers: [registry] });
  return { servicerMessages, alerts, importsRunning, importsRefused, regexSkipped, registry, callbacks, received, duplicates, replied, failed, held, waitingAllowance, apiErrors, latency };
}
