/**
 * Assembles one WeReply instance: store, WeCom client, pipeline workers and the HTTP server.
 * `npm start` (cli/start.ts) and the tests both build it here.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import pino, { type Logger } from 'pino';
import { installAuthorization, operatorTokenResolver } from './api/auth.js';
import { installPiiMasking } from './api/pii-view.js';
import { LiveStreams } from './api/live-streams.js';
import { sessionRoutes, sessionTokenResolver } from './api/session-routes.js';
import { signInRoutes } from './api/sign-in-routes.js';
import { pruneSessions } from './store/session-repo.js';
import { docsCsp, docsProtection, everyRoutePublic } from './api/docs-protection.js';
import { complianceRoutes } from './api/compliance-routes.js';
import { conversationRoutes } from './api/conversation-routes.js';
import { operatorRoutes } from './api/operator-routes.js';
import { installErrorHandler } from './api/http-errors.js';
import { consoleApiRoutes, consoleRoutes } from './api/console-routes.js';
import { inboxRoutes } from './api/inbox-routes.js';
import { materialsRoutes } from './api/materials-routes.js';
import { routingRoutes } from './api/routing-routes.js';
import { rulesRoutes } from './api/rules-routes.js';
import { sandboxRoutes } from './api/sandbox-routes.js';
import { settingsRoutes } from './api/settings-routes.js';
import { healthRoutes, statusRoutes } from './api/status-routes.js';
import { WeComClient } from './channels/wecom-kf/api-client.js';
import { kfCallbackRoutes } from './channels/wecom-kf/callback-route.js';
import { createCallbackCrypto } from './channels/wecom-kf/crypto.js';
import { CHANNEL as KF_CHANNEL } from './channels/wecom-kf/messages.js';
import { KfSender } from './channels/wecom-kf/sender.js';
import { deskRoutes } from './api/desk-routes.js';
import { KF_SYNC_JOB, kfSyncKey, makeKfSyncHandler } from './channels/wecom-kf/sync.js';
import { ConfigError, type Config } from './config.js';
import { demoSeededAt } from './store/demo-data.js';
import { removeInstanceFile, writeInstanceFile } from './store/instance-file.js';
import { JobQueue } from './jobs/job-queue.js';
import { JobRunner } from './jobs/job-runner.js';
import { OutboxWorker } from './jobs/outbox-worker.js';
import { makeAlertNotifyHandler } from './jobs/alert-notify.js';
import { ALERT_NOTIFY_JOB } from './store/alerts-repo.js';
import { alertRoutes } from './api/alert-routes.js';
import type { RedisWakeup } from './jobs/redis-wakeup.js';
import { LocalWakeup, type Wakeup } from './jobs/wakeup.js';
import { leaseTiming, type LeaseTiming } from './jobs/lease.js';
import { InboundMediaCache } from './materials/inbound-media.js';
import { MaterialStore } from './materials/material-store.js';
import { MediaKeeper } from './jobs/media-keeper.js';
import { createMetrics } from './metrics.js';
import { UntrustedFileReader } from './imports/untrusted-file.js';
import { reassignDeparted } from './pipeline/assign-conversation.js';
import { ComplianceGuard } from './pipeline/compliance-guard.js';
import { RuleCache } from './pipeline/rule-cache.js';
import { syncServicers } from './jobs/servicer-sync.js';
import { handoffSettings } from './store/rules-repo.js';
import type { ChannelSender } from './pipeline/types.js';
import type { Services } from './services.js';
import { openStore, type Store } from './store/database.js';
import { databaseTokenCache } from './store/token-cache.js';

export interface CreateOptions {
  logger?: Logger;
  /** PostgreSQL schema (tests); see openStore. */
  pgSchema?: string;
  /** Start the job runner and outbox worker (default true). */
  workers?: boolean;
  wakeup?: Wakeup;
  /** Tune the pull-job runner for tests (its poll finds work when no wake-up signal came). */
  jobs?: { pollMs?: number };
  /** How often customers' media of the last 3 days is downloaded before WeCom deletes it (ms; default 60 s). */
  mediaKeepEveryMs?: number;
  /** Tune the outbox for tests. */
  outbox?: { pollMs?: number; concurrency?: number; maxAttempts?: number; now?: () => number };
  /** Leases of pull jobs and outbox rows (default DEFAULT_LEASE in jobs/lease.ts: 5 s, renewed every second). */
  leases?: Partial<LeaseTiming>;
  /** WeCom call timeout (ms). */
  wecomTimeoutMs?: number;
}

export interface WeReply extends Services {
  app: FastifyInstance;
  jobs: JobQueue;
  outbox: OutboxWorker;
  /** Listen on config.port/host; resolves with the base URL. */
  listen(): Promise<string>;
  /**
   * Stops gracefully: callbacks are answered 503 (WeCom retries them later or at another instance),
   * no new work is claimed, the sends and pulls in flight finish, then the HTTP server and the
   * database close. With `timeoutMs`, gives up waiting after that long (what is still in flight
   * stays recorded as in flight and is repeated once, with its msgid, by the next start) and
   * resolves with `{ forced: true }`. Calling it again returns the same promise.
   */
  close(opts?: { timeoutMs?: number }): Promise<{ forced: boolean; inFlight: number }>;
  /** True from the moment close() was called. */
  readonly stopping: boolean;
}

export async function createWeReply(config: Config, opts: CreateOptions = {}): Promise<WeReply> {
  const log =
    opts.logger ??
    pino({
      level: config.logLevel,
      redact: { paths: ['req.headers.authorization', 'req.query.access_token', 'req.query.corpsecret'], censor: '[redacted]' },
      // Readable lines in a terminal; JSON lines (for log collectors) otherwise.
      ...(process.stdout.isTTY && !process.env.LOG_JSON ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } } } : {}),
    });
  const store: Store = await openStore({
    dataDir: config.dataDir,
    sqliteFile: config.sqliteFile,
    ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
    ...(opts.pgSchema ? { pgSchema: opts.pgSchema } : {}),
    sqliteSync: config.sqliteSync,
  });
  // Demo data answering real customers: a database demo mode seeded is refused in WeCom mode.
  if (!config.demo && (await demoSeededAt(store.db)) !== undefined) {
    await store.close();
    throw new ConfigError(demoDatabaseRefusal(store.file));
  }
  const workerId = `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
  const metrics = createMetrics(store.db);
  // Several instances (PostgreSQL + REDIS_URL): a notify anywhere wakes idle workers everywhere.
  let redisWakeup: RedisWakeup | undefined;
  if (!opts.wakeup && config.redisUrl) {
    if (!config.databaseUrl) log.warn('REDIS_URL is set without DATABASE_URL: instances share work only through one PostgreSQL database; Redis only wakes them');
    // Instances sharing a database share a channel; other deployments on the same Redis are not woken.
    const namespace = crypto.createHash('sha256').update(`${config.databaseUrl ?? config.dataDir}|${opts.pgSchema ?? ''}`).digest('hex').slice(0, 12);
    // Loaded only when used: importing ioredis alone makes unrelated hot code (the keyword matcher) measurably slower.
    const { RedisWakeup: RedisWakeupImpl } = await import('./jobs/redis-wakeup.js');
    redisWakeup = new RedisWakeupImpl(config.redisUrl, namespace, log.child({ component: 'wakeup' }));
    try {
      await redisWakeup.start();
    } catch (err) {
      await redisWakeup.close();
      await store.close();
      throw new Error(`cannot reach Redis at REDIS_URL (${redactUrl(config.redisUrl)}): ${String((err as Error).message)}`);
    }
  }
  const wakeup = opts.wakeup ?? redisWakeup ?? new LocalWakeup();
  const rules = new RuleCache(store.db, config.timezone, 1000, { regexBudgetMs: config.regexBudgetMs });
  const compliance = new ComplianceGuard(store.db);
  const materials = new MaterialStore(store.db, config.dataDir);
  const inboundMedia = new InboundMediaCache(config.dataDir);
  const jobs = new JobQueue(store, workerId);
  let ready = false;
  let stopping = false;

  const wecom = config.wecom
    ? new WeComClient({
        apiBase: config.wecom.apiBase,
        corpId: config.wecom.corpId,
        secret: config.wecom.kfSecret,
        tokenCache: databaseTokenCache(store.db),
        timeoutMs: opts.wecomTimeoutMs ?? 10_000,
        onApiError: (api, errcode) => metrics.apiErrors.inc({ api, errcode: String(errcode) }),
      })
    : null;

  // One sender per channel adapter; a new channel adds its line here.
  const senders: Record<string, ChannelSender> = {};
  if (wecom) {
    senders[KF_CHANNEL] = new KfSender(wecom, (id, o) => materials.mediaIdFor(id, (kind, name, bytes, mime) => wecom.uploadMedia(kind, name, bytes, mime), o));
  }
  const lease = leaseTiming({ ...(config.leaseSeconds ? { leaseMs: config.leaseSeconds * 1000 } : {}), ...opts.leases });
  const outbox = new OutboxWorker({
    store,
    lease,
    timezone: config.timezone,
    workerId,
    senders,
    wakeup,
    log: log.child({ component: 'outbox' }),
    maxAllowanceWaitMs: Math.round(config.allowanceMaxWaitSeconds * 1000),
    presenceTimeoutMs: Math.round(config.presenceTimeoutSeconds * 1000),
    ...opts.outbox,
    hooks: {
      onSent: (row, latencyMs) => {
        metrics.replied.inc({ api: row.api });
        metrics.latency.observe(latencyMs / 1000);
      },
      onFailed: (row) => metrics.failed.inc({ api: row.api }),
      onHeld: (row) => metrics.held.inc({ api: row.api }),
      onWaiting: (row) => metrics.waitingAllowance.inc({ api: row.api }),
    },
    compliance,
  });
  const runner = new JobRunner({ queue: jobs, wakeup, log: log.child({ component: 'jobs' }), lease, ...(opts.jobs?.pollMs ? { pollMs: opts.jobs.pollMs } : {}) });
  if (wecom) {
    runner.register(
      KF_SYNC_JOB,
      makeKfSyncHandler({
        store,
        client: wecom,
        rules,
        wakeup,
        log: log.child({ component: 'kf_sync' }),
        staleAfterMs: config.staleAfterSeconds * 1000,
        extendLease: (job) => jobs.extend(job, lease.leaseMs),
        outbox: outbox.fastLane,
        compliance,
        onIngested: (results, origins) => {
          results.forEach((r, i) => (r.stored ? metrics.received.inc({ channel: KF_CHANNEL, origin: String(origins[i]) }) : metrics.duplicates.inc()));
          for (const r of results) {
            if (!r.stored || !r.sent) continue;
            metrics.servicerMessages.inc({ servicer: r.sent.person || 'unknown' });
            if (r.sent.alert) metrics.alerts.inc({ kind: 'servicer_message', severity: r.sent.alert.severity });
          }
          for (const r of results)
            for (const x of r.decision?.skipped ?? []) if (x.reason === 'regex_timeout' || x.reason === 'regex_budget') metrics.regexSkipped.inc({ reason: x.reason === 'regex_timeout' ? 'timeout' : 'budget' });
        },
      }),
    );
  }

  // Alerts' WeCom app messages to the supervisors (a job committed with each alert).
  runner.register(ALERT_NOTIFY_JOB, makeAlertNotifyHandler({ db: store.db, wecom, agentId: config.wecom?.agentId, log: log.child({ component: 'alerts' }) }));

  const app: FastifyInstance = Fastify({
    loggerInstance: log.child({ component: 'http' }) as FastifyBaseLogger,
    // Per-request logs would double the log volume at callback rates; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, allErrors: true, coerceTypes: 'array', useDefaults: true } },
  });
  installErrorHandler(app);
  // Stopping: WeCom's callbacks are refused with 503 so that WeCom retries them (later, or at another
  // instance behind the proxy) rather than handing them to a process that will not pull them.
  app.addHook('onRequest', async (req, reply) => {
    if (!stopping) return;
    if (req.url.startsWith('/wecom/') || req.url.startsWith('/healthz')) {
      await reply.code(503).header('retry-after', '5').header('connection', 'close').type('application/json').send({ status: 'stopping', error: 'WeReply is shutting down; WeCom will retry this callback' });
    }
  });
  // Before any route: every route's own config decides who may call it (src/api/auth.ts).
  installAuthorization(app, config.adminToken, sessionTokenResolver(store.db, operatorTokenResolver(store.db)));
  // …and every JSON answer is masked for callers without pii:view (src/api/pii-view.ts).
  installPiiMasking(app);
  await app.register(swagger, {
    openapi: {
      info: { title: 'WeReply API', version: '0.1.0', description: 'Auto-reply, sandbox and materials for WeCom 微信客服. Send Authorization: Bearer <WEREPLY_ADMIN_TOKEN> to /api/*.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  // /docs: public, framed by no one, no content sniffing (the same protections as the console).
  await app.register(async (docs) => {
    everyRoutePublic(docs);
    docsProtection(docs);
    await docs.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, transformStaticCSP: docsCsp });
  });

  const streams = new LiveStreams(store.db, config.sessions.streamsPerOperator, log.child({ component: 'streams' }));
  const imports = new UntrustedFileReader(config.imports, {
    onStart: (parser) => metrics.importsRunning.inc({ parser }),
    onEnd: (parser, outcome) => {
      metrics.importsRunning.dec({ parser });
      if (outcome !== 'ok') metrics.importsRefused.inc({ parser, reason: outcome });
    },
  });
  const services: Services = { config, store, rules, compliance, materials, inboundMedia, metrics, wecom, senders, wakeup, log, streams, imports, ready: () => ready };
  await app.register(async (pub) => {
    await healthRoutes(pub, services);
    if (config.wecom) {
      await pub.register(kfCallbackRoutes, {
        crypto: createCallbackCrypto({ token: config.wecom.token, encodingAESKey: config.wecom.encodingAESKey, receiveId: config.wecom.corpId }),
        store,
        jobs,
        wakeup,
        onCallback: (result) => metrics.callbacks.inc({ result }),
      });
    }
  });
  await app.register(async (api) => {
    await api.register(multipart);
    await rulesRoutes(api, services);
    await materialsRoutes(api, services);
    await sandboxRoutes(api, services);
    await statusRoutes(api, services);
    await settingsRoutes(api, services);
    await routingRoutes(api, services);
    await inboxRoutes(api, services);
    await consoleApiRoutes(api, services);
    await complianceRoutes(api, services);
    await conversationRoutes(api, services);
    await deskRoutes(api, services);
    await operatorRoutes(api, services);
    await sessionRoutes(api, services);
    await alertRoutes(api, services);
    await signInRoutes(api, services);
  });
  // The web console (web/dist) at / and its client routes; the API docs stay at /docs.
  await app.register(async (web) => {
    everyRoutePublic(web); // the console's files (its API calls carry the token)
    await web.register(consoleRoutes);
  });

  const startWorkers = opts.workers ?? true;
  let started = false;
  let closing: Promise<{ forced: boolean; inFlight: number }> | undefined;
  let housekeeping: NodeJS.Timeout | undefined;
  let servicerSync: NodeJS.Timeout | undefined;
  let mediaKeeping: NodeJS.Timeout | undefined;
  /** Callback records only guard against retries and replays (minutes); a week is plenty. */
  const pruneCallbacks = async () => {
    try {
      await store.db.deleteFrom('kf_callbacks').where('received_at', '<', Date.now() - 7 * 86400_000).execute();
    } catch (err) {
      log.warn({ err }, 'pruning old callback records failed');
    }
    await pruneSessions(store.db, Date.now()).catch((err: unknown) => log.warn({ err }, 'pruning expired sessions failed'));
  };
  const startPipeline = async () => {
    if (!startWorkers || started) return;
    started = true;
    // Embedded SQLite: no other process can own a 'sending' row, so rows left by a crash are retried now.
    if (store.engine === 'sqlite') {
      await jobs.releaseOrphans();
      const n = await outbox.releaseOrphans();
      if (n) log.warn({ rows: n }, 'outbox rows were in flight when WeReply stopped; their calls will be repeated once with the same msgid');
    }
    runner.start();
    outbox.start();
    housekeeping = setInterval(() => void pruneCallbacks(), 3600_000).unref();
    // 接待人员 from WeCom at start and every 10 minutes; those gone (离职) have their sessions re-routed.
    if (wecom) {
      const sync = async () => {
        try {
          const result = await syncServicers(wecom, store.db, { timezone: config.timezone });
          for (const d of result.departments) {
            if (!d.expanded) log.warn({ department_id: d.department_id, open_kfids: d.open_kfids, reason: d.reason }, 'a department listed as 接待人员 could not be expanded to its members');
          }
          await reassignDeparted(store, result.departed, (await handoffSettings(store.db)).waiting_message);
        } catch (err) {
          log.warn({ err }, 'servicer sync failed; will try again');
        }
      };
      void sync();
      servicerSync = setInterval(() => void sync(), 600_000).unref();
    }
    // Customers' photos and files, kept before WeCom deletes them (3 days).
    if (wecom) {
      const keeper = new MediaKeeper(store, wecom, inboundMedia, log.child({ component: 'media' }));
      const keep = () => void keeper.sweep().catch((err: unknown) => log.warn({ err }, 'keeping customer media failed; will try again'));
      keep();
      mediaKeeping = setInterval(keep, opts.mediaKeepEveryMs ?? 60_000).unref();
    }
    // Catch up: messages that arrived while WeReply was down (their callbacks failed) are pulled now.
    if (wecom) {
      const now = Date.now();
      for (const { open_kfid } of await store.db.selectFrom('kf_cursors').select('open_kfid').execute()) {
        await jobs.enqueue(store.db, KF_SYNC_JOB, kfSyncKey(open_kfid), { open_kfid }, now);
      }
      wakeup.notify('jobs');
    }
  };

  return {
    ...services,
    app,
    jobs,
    outbox,
    async listen() {
      await app.ready();
      await startPipeline();
      const url = await app.listen({ port: config.port, host: config.host });
      if (store.file) writeInstanceFile(store.file);
      ready = true;
      return url;
    },
    get stopping() {
      return stopping;
    },
    close(closeOpts = {}) {
      closing ??= (async () => {
        stopping = true;
        ready = false;
        clearInterval(housekeeping);
        clearInterval(servicerSync);
        clearInterval(mediaKeeping);
        imports.close();
        const deadline = closeOpts.timeoutMs === undefined ? Infinity : Date.now() + closeOpts.timeoutMs;
        // Both loops stop claiming at once (synchronously); then the work in flight is awaited.
        const workers = Promise.all([runner.stop(), outbox.stop()]);
        const drained = await untilDeadline(workers, deadline);
        let inFlight = 0;
        if (!drained) {
          inFlight = outbox.inFlight();
          log.warn({ outbox_in_flight: inFlight }, 'shutdown timeout reached with work in flight: exiting anyway; sends in flight are repeated once with the same msgid at the next start');
          // Pull jobs are idempotent (the cursor is committed with the messages): let another instance take them now.
          await runner.releaseRunning();
        }
        await untilDeadline(app.close(), deadline);
        await redisWakeup?.close().catch(() => undefined);
        if (store.file) removeInstanceFile(store.file);
        if (drained) await store.close();
        else void store.close().catch(() => undefined);
        return { forced: !drained, inFlight };
      })();
      return closing;
    },
  };
}

/** Waits for `work` until `deadline` (ms since epoch); true when it finished in time. */
async function untilDeadline(work: Promise<unknown>, deadline: number): Promise<boolean> {
  if (deadline === Infinity) {
    await work;
    return true;
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([work.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What to do when WeCom mode finds demo data in its database. */
export function demoDatabaseRefusal(file: string | undefined): string {
  return [
    `the database ${file ?? '(DATABASE_URL)'} was seeded by demo mode: its demo rules (e.g. "运费险会自动理赔"), demo servicers and routing would answer your real customers.`,
    '  Remove the demo data and keep the rules you created or edited:  npx wereply demo-reset',
    file ? `  Or start with an empty database:  mv ${file} ${file}.demo-backup   (demo mode now uses ${file.replace(/wereply\.sqlite$/, 'demo.sqlite')})` : '  Or start with an empty database (a new PostgreSQL database or schema).',
  ].join('\n');
}

/** A connection URL without its password, for error messages and logs. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'an unparsable URL';
  }
}
