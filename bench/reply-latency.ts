/**
 * Callback-to-send_msg latency at a steady message rate (default 500 msg/s), through the whole
 * pipeline: mock WeCom appends a customer message and fires the encrypted callback → WeReply stores
 * it with its pull job → kf_sync pulls with sync_msg, decides and writes the outbox in one
 * transaction → the outbox worker calls send_msg. Latency = the moment the mock receives send_msg
 * minus the moment the message was injected (the mock fires the callback at once).
 *
 * Every customer message gets its own signed, encrypted callback carrying its own sync_msg Token (the
 * mock issues one per callback, as WeCom does). The first 2 s after the receiver starts are reported
 * separately as cold start; the measured window follows them at the same rate.
 *
 * Baseline, measured the same way in the same run: the mock's own round trip — a trivial receiver
 * (node:http, same crypto and XML parsing as WeReply, no database) that answers each callback and
 * pulls with sync_msg (one pull at a time, like WeReply's coalesced job), then calls send_msg for
 * every message containing a keyword. The ratio shows what WeReply's durability and pipeline add.
 *
 * The receiver (WeReply or baseline) runs in a worker thread; the mock WeCom and the open-loop
 * injector run in the main thread. Messages go to 2,000 customers in turn (each writes every 4 s,
 * so WeCom's 5-messages-in-48-hours limit never applies); texts come from bench/corpus.ts, most with
 * a rule keyword inserted.
 *
 * Under load (issue 12, point 2): `runReplyLatencyUnderLoad` runs the same WeReply cases while two
 * child processes spin in busy loops (one per core on the reference machine), against the quiet
 * figures of the same run: p99 within 5× quiet, no reply waiting more than 1 s.
 *
 *   npm run build && node dist/bench/reply-latency.js [--rate 500] [--duration 10] [--sync FULL,NORMAL] [--load]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { isMainThread, workerData } from 'node:worker_threads';
import { sql } from 'kysely';
import pino from 'pino';
import { createWeReply, type WeReply } from '../src/app.js';
import { createCallbackCrypto } from '../src/channels/wecom-kf/crypto.js';
import { parseFlatXml } from '../src/channels/wecom-kf/xml.js';
import { loadConfig } from '../src/config.js';
import { replyMsgid } from '../src/pipeline/outbox-ids.js';
import { startMockWeCom, type MockWeComCredentials } from '../tools/mock-wecom/server.js';
import { makeMessages, mulberry32 } from './corpus.js';
import { BenchThread, fmt, isMain, machineLine, numberArg, preciseNow, printTable, serveParent, sleep, summarize, type LatencySummary } from './lib.js';

export type SqliteSync = 'FULL' | 'NORMAL';

export interface ReplyLatencyOptions {
  /** Injected customer messages per second (default 500). */
  rate?: number;
  /** Measured seconds (default 10). */
  durationSec?: number;
  /** Seconds at the same rate first, reported separately as cold start (default 2). */
  warmupSec?: number;
  /** Distinct customers, written to in turn (default 2000). */
  customers?: number;
  /** SQLite synchronous settings to measure WeReply with (default both). */
  syncModes?: SqliteSync[];
  log?: (line: string) => void;
}

export interface ReplyLatencyCase {
  /** 'baseline' or 'wereply-FULL' / 'wereply-NORMAL'. */
  impl: string;
  sync: SqliteSync | null;
  /** Messages injected in the measured window. */
  injected: number;
  /** Achieved injection rate (msg/s). */
  achievedRate: number;
  /** How late the injector ran against its schedule (ms): p99 and max. */
  injectLagP99Ms: number;
  injectLagMaxMs: number;
  /** Measured messages that contain a rule keyword (a reply is expected). */
  expectedReplies: number;
  /** Measured messages answered with a successful send_msg. */
  replies: number;
  /** Expected replies that never came (within the drain time). */
  missing: number;
  /** send_msg calls WeCom refused (errcode ≠ 0). */
  sendErrors: number;
  /** Over every answered or expected message; a missing reply counts as the time it had waited when the run stopped. */
  latencyMs: LatencySummary;
  /** The same over the first seconds after start (the warm-up window), reported apart from the measured window. */
  coldStartMs: LatencySummary;
  /** Expected replies of the cold-start window that never came. */
  coldStartMissing: number;
  /** True when the case ran beside two busy-loop processes (issue 12, point 2). */
  underLoad: boolean;
  /** True when some expected replies never came: the percentiles are then lower bounds. */
  latencyIsLowerBound: boolean;
  /** sync_msg calls during the measured window, and messages per pull. */
  syncCalls: number;
  messagesPerPull: number;
  /** p50/p99 divided by the baseline's (null for the baseline itself). */
  ratioP50: number | null;
  ratioP99: number | null;
  /** p99 target (ms) and whether it is met (null for the baseline). */
  targetP99Ms: number;
  meetsTarget: boolean | null;
  /** Goal: p99 ≤ this × the no-DB receiver's p99 (issue 12, point 1), and whether it is met (null for the baseline). */
  targetRatioP99: number;
  meetsRatioTarget: boolean | null;
  /**
   * WeReply only, where the time goes (ms, Date.now resolution): `pull` = injection → message stored
   * (callback, job claim, sync_msg, start of the ingest transaction); `outboxWait` = stored → reply
   * claimed by the outbox worker; `send` = claimed → send_msg received by the mock.
   */
  stagesMs?: { pull: LatencySummary; outboxWait: LatencySummary; send: LatencySummary };
  /** Receiver-side counters (outbox statuses, pull errors …). */
  receiver: Record<string, number>;
}

export interface ReplyLatencyReport {
  name: 'reply-latency';
  description: string;
  rate: number;
  durationSec: number;
  customers: number;
  machine: string;
  results: ReplyLatencyCase[];
  notes: string[];
}

const TARGET_P99_MS = 25;
/** Issue 12, point 1: WeReply's p99 at most 2× the no-database receiver's, same run. */
const TARGET_RATIO_P99 = 2;
/** Issue 12, point 2: under two busy processes, p99 within 5× the quiet p99 and no reply waits over 1 s. */
const TARGET_LOAD_RATIO_P99 = 5;
const TARGET_LOAD_MAX_MS = 1000;
const CALLBACK_PATH = '/wecom/kf/callback';
const ADMIN_TOKEN = 'bench-admin-token';
const KEYWORDS = ['退货', '退款', '物流'];
const REPLY_TEXT = '您好，退货/退款请在订单页点击「申请售后」；物流问题请发送订单号，我们马上为您查询。';

interface ReceiverStart {
  mode: 'wereply' | 'baseline';
  sync: SqliteSync;
  mockUrl: string;
  credentials: MockWeComCredentials;
}

// -------------------------------------------------------------------------------- worker side

/** Per answered message, when WeReply stored it (ingest transaction) and claimed its reply (outbox), ms. */
type TraceRow = [msgid: string, storedAt: number, claimedAt: number];

interface Receiver {
  url: string;
  stats(): Promise<Record<string, number>>;
  trace(): Promise<TraceRow[]>;
  close(): Promise<void>;
}

async function startWeReplyReceiver(s: ReceiverStart, dataDir: string): Promise<Receiver> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    WEREPLY_DATA_DIR: dataDir,
    WECOM_CORP_ID: s.credentials.corpId,
    WECOM_KF_SECRET: s.credentials.kfSecret,
    WECOM_TOKEN: s.credentials.token,
    WECOM_ENCODING_AES_KEY: s.credentials.encodingAESKey,
    WECOM_API_BASE: s.mockUrl,
    WEREPLY_ADMIN_TOKEN: ADMIN_TOKEN,
    WEREPLY_SQLITE_SYNC: s.sync,
  });
  // Production defaults for the job runner and the outbox (poll intervals, concurrency).
  const wr: WeReply = await createWeReply(config, { logger: pino({ level: 'silent' }) });
  const url = await wr.listen();
  return {
    url,
    async stats() {
      const out: Record<string, number> = {};
      const byStatus = await sql<{ status: string; n: number }>`SELECT status, count(*) AS n FROM outbox GROUP BY status`.execute(wr.store.db);
      for (const r of byStatus.rows) out[`outbox_${r.status}`] = Number(r.n);
      const msgs = await sql<{ n: number }>`SELECT count(*) AS n FROM messages`.execute(wr.store.db);
      out.messages = Number(msgs.rows[0]?.n ?? 0);
      const failedJobs = await sql<{ n: number }>`SELECT count(*) AS n FROM jobs WHERE last_error IS NOT NULL`.execute(wr.store.db);
      out.jobs_with_error = Number(failedJobs.rows[0]?.n ?? 0);
      return out;
    },
    async trace() {
      const rows = await sql<{ msgid: string; received_at: number; started_at: number }>`
        SELECT m.msgid, m.received_at, min(a.started_at) AS started_at
        FROM messages m JOIN outbox o ON o.source_msgid = m.msgid JOIN outbox_attempts a ON a.outbox_id = o.id
        GROUP BY m.id`.execute(wr.store.db);
      return rows.rows.map((r): TraceRow => [r.msgid, Number(r.received_at), Number(r.started_at)]);
    },
    close: async () => void (await wr.close()),
  };
}

/** The baseline: the least a correct receiver does — no database, no queue, no rules engine. */
async function startBaselineReceiver(s: ReceiverStart): Promise<Receiver> {
  const { corpId, kfSecret, token, encodingAESKey } = s.credentials;
  const crypto = createCallbackCrypto({ token, encodingAESKey, receiveId: corpId });
  const tokenRes = (await (await fetch(`${s.mockUrl}/cgi-bin/gettoken?corpid=${encodeURIComponent(corpId)}&corpsecret=${encodeURIComponent(kfSecret)}`)).json()) as {
    access_token: string;
  };
  const accessToken = tokenRes.access_token;
  const counters = { callbacks: 0, pulls: 0, sends: 0, send_errors: 0, pull_errors: 0, rejected: 0 };

  async function post(api: string, body: unknown): Promise<Record<string, any>> {
    const res = await fetch(`${s.mockUrl}/cgi-bin/${api}?access_token=${accessToken}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, any>;
    if (json.errcode !== 0) throw new Error(`${api}: errcode ${json.errcode} ${json.errmsg}`);
    return json;
  }

  // One pull at a time per account; callbacks arriving meanwhile leave their token for the next one.
  let cursor: string | undefined;
  let pulling = false;
  let nextToken: string | undefined;
  async function pull(first: string, openKfid: string): Promise<void> {
    if (pulling) {
      nextToken = first;
      return;
    }
    pulling = true;
    try {
      for (let t: string | undefined = first; t; t = nextToken) {
        nextToken = undefined;
        for (;;) {
          counters.pulls++;
          const r = await post('kf/sync_msg', { ...(cursor ? { cursor } : {}), token: t, limit: 1000, open_kfid: openKfid });
          if (r.next_cursor) cursor = r.next_cursor;
          for (const m of r.msg_list as Record<string, any>[]) {
            const text = m.msgtype === 'text' ? String(m.text?.content ?? '') : '';
            if (m.origin !== 3 || !KEYWORDS.some((k) => text.includes(k))) continue;
            counters.sends++;
            post('kf/send_msg', { touser: m.external_userid, open_kfid: m.open_kfid, msgid: replyMsgid(m.msgid, 0), msgtype: 'text', text: { content: REPLY_TEXT } }).catch(
              () => counters.send_errors++,
            );
          }
          if (!r.has_more) break;
        }
      }
    } catch {
      counters.pull_errors++;
    } finally {
      pulling = false;
    }
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const q = new URL(req.url ?? '/', 'http://receiver').searchParams;
      let event: Record<string, string> | undefined;
      try {
        const encrypted = parseFlatXml(Buffer.concat(chunks).toString('utf8')).Encrypt ?? '';
        if (crypto.verifySignature(q.get('msg_signature') ?? '', q.get('timestamp') ?? '', q.get('nonce') ?? '', encrypted)) {
          event = parseFlatXml(crypto.decrypt(encrypted));
        }
      } catch {
        event = undefined;
      }
      if (!event?.Token || !event.OpenKfId) {
        counters.rejected++;
        res.writeHead(400).end('bad callback');
        return;
      }
      counters.callbacks++;
      res.writeHead(200, { 'content-type': 'text/plain' }).end('success');
      void pull(event.Token, event.OpenKfId);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    stats: async () => ({ ...counters }),
    trace: async () => [],
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function serveReceiverWorker(): void {
  let receiver: Receiver | undefined;
  let dataDir: string | undefined;
  serveParent({
    async start(s: ReceiverStart): Promise<{ url: string }> {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `wereply-bench-latency-${s.mode}-`));
      receiver = s.mode === 'wereply' ? await startWeReplyReceiver(s, dataDir) : await startBaselineReceiver(s);
      return { url: receiver.url };
    },
    stats: () => receiver?.stats() ?? {},
    trace: () => receiver?.trace() ?? [],
    async stop(): Promise<void> {
      await receiver?.close();
      receiver = undefined;
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
      dataDir = undefined;
    },
  });
}

// -------------------------------------------------------------------------------- main side

interface Script {
  texts: string[];
  /** The text contains a rule keyword (inserted by us, or already there). */
  expect: boolean[];
}

/** Realistic texts; about 80% get one of the rule's keywords inserted so most messages are answered. */
function buildScript(n: number, seed = 500): Script {
  const base = makeMessages(n, seed);
  const rng = mulberry32(seed ^ 0x5eed);
  const texts: string[] = [];
  const expect: boolean[] = [];
  for (let i = 0; i < n; i++) {
    let t = base[i] ?? '你好';
    if (rng() < 0.8) {
      const chars = Array.from(t);
      const at = Math.floor(rng() * (chars.length + 1));
      chars.splice(at, 0, KEYWORDS[Math.floor(rng() * KEYWORDS.length)] as string);
      t = chars.join('');
    }
    texts.push(t);
    expect.push(KEYWORDS.some((k) => t.includes(k)));
  }
  return { texts, expect };
}

interface Injection {
  at: number;
  lagMs: number;
  expect: boolean;
  msgid?: string;
}

/**
 * Open-loop injector: message k is due at start + k/rate; a 1 ms timer injects every due message,
 * so a slow receiver never slows the schedule down. Returns the injections made.
 */
async function inject(
  say: (i: number) => Promise<{ msgid: string }>,
  script: Script,
  from: number,
  count: number,
  rate: number,
): Promise<Injection[]> {
  const out: Injection[] = [];
  const pending: Promise<unknown>[] = [];
  const start = preciseNow();
  const interval = 1000 / rate;
  let k = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = preciseNow();
      const due = Math.min(count, Math.floor((now - start) / interval) + 1);
      while (k < due) {
        const i = from + k;
        const at = preciseNow();
        const rec: Injection = { at, lagMs: at - (start + k * interval), expect: script.expect[i % script.texts.length] ?? false };
        out.push(rec);
        pending.push(say(i).then((r) => (rec.msgid = r.msgid)));
        k++;
      }
      if (k >= count) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, 1);
    tick();
  });
  await Promise.all(pending);
  return out;
}

async function runCase(
  mode: 'wereply' | 'baseline',
  sync: SqliteSync,
  script: Script,
  o: Required<Omit<ReplyLatencyOptions, 'log' | 'syncModes'>>,
  log: (line: string) => void,
  underLoad = false,
): Promise<Omit<ReplyLatencyCase, 'ratioP50' | 'ratioP99' | 'meetsTarget' | 'meetsRatioTarget'>> {
  // Under load: the busy processes start before the receiver, so its cold start is under load too.
  const busy = underLoad ? startBusyProcesses(2) : [];
  const mock = await startMockWeCom({ now: preciseNow, callbackTimeoutMs: 5000 });
  const thread = BenchThread.start(import.meta.url, { bench: 'reply-latency' });
  const impl = (mode === 'baseline' ? 'baseline' : `wereply-${sync}`) + (underLoad ? '+load' : '');
  try {
    const { url } = await thread.call<{ url: string }>('start', { mode, sync, mockUrl: mock.url, credentials: mock.credentials } satisfies ReceiverStart);
    mock.setCallbackUrl(url + CALLBACK_PATH);
    if (mode === 'wereply') {
      const res = await fetch(`${url}/api/rules`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: '退货', match: { any: KEYWORDS }, reply: [{ type: 'text', text: REPLY_TEXT }] }),
      });
      if (res.status !== 201) throw new Error(`creating the rule failed: HTTP ${res.status} ${await res.text()}`);
    }
    const say = (i: number) =>
      mock.customerSays({ external_userid: `wmBench${String(i % o.customers).padStart(5, '0')}`, text: script.texts[i % script.texts.length] as string });

    const warmCount = Math.round(o.rate * o.warmupSec);
    const count = Math.round(o.rate * o.durationSec);
    const cold = await inject(say, script, 0, warmCount, o.rate);
    const syncBefore = mock.requests.filter((r) => r.path === '/cgi-bin/kf/sync_msg').length;
    const measured = await inject(say, script, warmCount, count, o.rate);
    const syncAfter = mock.requests.filter((r) => r.path === '/cgi-bin/kf/sync_msg').length;

    // Correlate: a reply's msgid is derived from the customer message's msgid (outbox-ids.ts).
    const byReplyId = new Map<string, Injection>();
    for (const m of [...cold, ...measured]) if (m.msgid) byReplyId.set(replyMsgid(m.msgid, 0), m);
    const expected = measured.filter((m) => m.expect).length;
    const expectedAll = expected + cold.filter((m) => m.expect).length;
    /** Measured message → when the mock received its (first successful) send_msg. */
    const answered = new Map<Injection, number>();
    let sendErrors = 0;
    const collect = () => {
      for (const s of mock.sent) {
        const m = s.msgid === undefined ? undefined : byReplyId.get(s.msgid);
        if (!m || answered.has(m)) continue;
        if (s.errcode === 0) answered.set(m, s.at);
      }
    };
    // Drain: wait (at most 10 s) until every expected reply has arrived.
    const drainUntil = Date.now() + 10_000;
    for (;;) {
      collect();
      const got = [...answered.keys()].filter((m) => m.expect).length;
      if (got >= expectedAll || Date.now() > drainUntil) break;
      await sleep(50);
    }
    await sleep(100);
    collect();
    const stoppedAt = preciseNow();
    const unanswered = measured.filter((m) => m.expect && !answered.has(m));
    const coldUnanswered = cold.filter((m) => m.expect && !answered.has(m));
    const waited = (list: readonly Injection[], missing: readonly Injection[]): LatencySummary =>
      summarize(
        list
          .filter((m) => answered.has(m))
          .map((m) => (answered.get(m) as number) - m.at)
          .concat(missing.map((m) => stoppedAt - m.at)),
      );
    for (const s of mock.sent) if (s.errcode !== 0 && s.msgid !== undefined && byReplyId.has(s.msgid)) sendErrors++;

    const first = measured[0]?.at ?? 0;
    const last = measured[measured.length - 1]?.at ?? first;
    const lags = summarize(measured.map((m) => m.lagMs));
    const receiver = await thread.call<Record<string, number>>('stats');
    // Where the time goes (WeReply only): injection → stored by the pull, → reply claimed by the outbox, → send_msg at the mock.
    const trace = new Map((await thread.call<TraceRow[]>('trace')).map((r) => [r[0], r] as const));
    const pull: number[] = [];
    const outboxWait: number[] = [];
    const send: number[] = [];
    const measuredSet = new Set(measured);
    for (const [m, sentAt] of answered) {
      if (!measuredSet.has(m)) continue;
      const t = m.msgid === undefined ? undefined : trace.get(m.msgid);
      if (!t) continue;
      pull.push(t[1] - m.at);
      outboxWait.push(t[2] - t[1]);
      send.push(sentAt - t[2]);
    }
    await thread.call('stop');
    const syncCalls = syncAfter - syncBefore;
    const c = {
      impl,
      sync: mode === 'baseline' ? null : sync,
      injected: measured.length,
      achievedRate: measured.length > 1 ? ((measured.length - 1) * 1000) / (last - first) : Number.NaN,
      injectLagP99Ms: lags.p99,
      injectLagMaxMs: lags.max,
      expectedReplies: expected,
      replies: measured.filter((m) => answered.has(m)).length,
      missing: unanswered.length,
      sendErrors,
      // A missing reply counts with the time it had waited when we stopped: the percentiles are then lower bounds.
      latencyMs: waited(measured, unanswered),
      latencyIsLowerBound: unanswered.length > 0,
      coldStartMs: waited(cold, coldUnanswered),
      coldStartMissing: coldUnanswered.length,
      underLoad,
      ...(pull.length ? { stagesMs: { pull: summarize(pull), outboxWait: summarize(outboxWait), send: summarize(send) } } : {}),
      syncCalls,
      messagesPerPull: syncCalls ? measured.length / syncCalls : Number.NaN,
      targetP99Ms: TARGET_P99_MS,
      targetRatioP99: TARGET_RATIO_P99,
      receiver,
    };
    log(
      `   ${impl.padEnd(14)} ${fmt(c.achievedRate)} msg/s  replies ${fmt(c.replies)}/${fmt(c.expectedReplies)} expected  ` +
        `${c.latencyIsLowerBound ? '(lower bounds) ' : ''}p50 ${fmt(c.latencyMs.p50, 1)}  p90 ${fmt(c.latencyMs.p90, 1)}  p99 ${fmt(c.latencyMs.p99, 1)}  max ${fmt(c.latencyMs.max, 1)} ms  ` +
        `(${fmt(c.messagesPerPull, 1)} msg/pull, injector lag p99 ${fmt(c.injectLagP99Ms, 1)} ms)`,
    );
    log(`   ${''.padEnd(14)} cold start (first ${o.warmupSec} s): p50 ${fmt(c.coldStartMs.p50, 1)}  p99 ${fmt(c.coldStartMs.p99, 1)}  max ${fmt(c.coldStartMs.max, 1)} ms${c.coldStartMissing ? `, ${c.coldStartMissing} missing` : ''}`);
    if (c.stagesMs) {
      const st = (x: LatencySummary) => `p50 ${fmt(x.p50, 1)} / p99 ${fmt(x.p99, 1)}`;
      log(`   ${''.padEnd(14)} stages ms: injected→stored ${st(c.stagesMs.pull)}; stored→outbox claim ${st(c.stagesMs.outboxWait)}; claim→send_msg ${st(c.stagesMs.send)}`);
    }
    return c;
  } finally {
    await thread.terminate();
    await mock.close();
    await stopBusyProcesses(busy);
  }
}

/** `n` child processes, each spinning in a busy loop (CPU-bound neighbours). */
function startBusyProcesses(n: number): ChildProcess[] {
  return Array.from({ length: n }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}

async function stopBusyProcesses(children: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
        }),
    ),
  );
}

function resolveOptions(opts: ReplyLatencyOptions): Required<Omit<ReplyLatencyOptions, 'log' | 'syncModes'>> {
  return {
    rate: opts.rate ?? 500,
    durationSec: opts.durationSec ?? 10,
    warmupSec: opts.warmupSec ?? 2,
    customers: opts.customers ?? 2000,
  };
}

const ms = (c: ReplyLatencyCase, v: number) => (c.latencyIsLowerBound ? '≥' : '') + fmt(v, 1);

export async function runReplyLatencyBench(opts: ReplyLatencyOptions = {}): Promise<ReplyLatencyReport> {
  const o = resolveOptions(opts);
  const syncModes = opts.syncModes ?? ['FULL', 'NORMAL'];
  const log = opts.log ?? console.log;
  log(`\n== reply latency: callback → send_msg at ${o.rate} msg/s (open loop, one signed callback per message), ${o.customers} customers, ${o.warmupSec}s cold start + ${o.durationSec}s measured`);
  log('   receiver (WeReply or baseline) in a worker thread; mock WeCom + injector in the main thread.');
  const machine = await machineLine();
  log(`   machine: ${machine}`);

  const script = buildScript(Math.round(o.rate * (o.warmupSec + o.durationSec)));
  const cases: ReplyLatencyCase[] = [];
  const base = await runCase('baseline', 'NORMAL', script, o, log);
  cases.push({ ...base, ratioP50: null, ratioP99: null, meetsTarget: null, meetsRatioTarget: null });
  for (const sync of syncModes) {
    const c = await runCase('wereply', sync, script, o, log);
    const ratioP99 = c.latencyMs.p99 / base.latencyMs.p99;
    cases.push({
      ...c,
      ratioP50: c.latencyMs.p50 / base.latencyMs.p50,
      ratioP99,
      meetsTarget: c.latencyMs.p99 <= TARGET_P99_MS && c.missing === 0,
      meetsRatioTarget: ratioP99 <= TARGET_RATIO_P99 && c.missing === 0,
    });
  }

  log('');
  printTable(
    ['impl', 'msg/s', 'replies', 'missing', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'cold p99', 'p50 ×base', 'p99 ×base', `p99 ≤ ${TARGET_RATIO_P99}× base`, `p99 ≤ ${TARGET_P99_MS} ms`],
    cases.map((c) => [
      c.impl,
      fmt(c.achievedRate),
      fmt(c.replies),
      fmt(c.missing),
      ...[c.latencyMs.p50, c.latencyMs.p90, c.latencyMs.p99, c.latencyMs.max].map((v) => ms(c, v)),
      fmt(c.coldStartMs.p99, 1),
      c.ratioP50 === null ? '—' : `${c.ratioP50.toFixed(2)}x`,
      c.ratioP99 === null ? '—' : `${c.ratioP99.toFixed(2)}x`,
      c.meetsRatioTarget === null ? '—' : c.meetsRatioTarget ? 'yes' : 'NO',
      c.meetsTarget === null ? '—' : c.meetsTarget ? 'yes' : 'NO',
    ]),
    log,
  );
  printStages(cases, log);
  const notes = [
    'latency = mock send_msg receive time − injection time (the mock fires the callback on injection); same clock, main thread',
    'baseline = a no-database receiver with the same crypto/XML code: verify, decrypt, answer, one sync_msg at a time, send_msg per keyword message',
    `cold start = the first ${o.warmupSec} s after the receiver started, at the same rate; not part of the measured percentiles`,
  ];
  return {
    name: 'reply-latency',
    description: `callback → send_msg latency at ${o.rate} msg/s through the full pipeline vs a no-database receiver`,
    rate: o.rate,
    durationSec: o.durationSec,
    customers: o.customers,
    machine,
    results: cases,
    notes,
  };
}

/** Where the time goes, per stage p50 / p99 (WeReply cases). */
function printStages(cases: readonly ReplyLatencyCase[], log: (line: string) => void): void {
  const withStages = cases.filter((c) => c.stagesMs);
  if (!withStages.length) return;
  log('   where the time goes (ms, p50 / p99): injected → stored (callback, pull job, sync_msg, ingest commit); stored → reply claimed by the outbox; claimed → send_msg at the mock');
  printTable(
    ['impl', 'injected→stored', 'stored→claimed', 'claimed→sent', 'total'],
    withStages.map((c) => {
      const st = (x: LatencySummary) => `${fmt(x.p50, 1)} / ${fmt(x.p99, 1)}`;
      return [c.impl, st(c.stagesMs!.pull), st(c.stagesMs!.outboxWait), st(c.stagesMs!.send), `${ms(c, c.latencyMs.p50)} / ${ms(c, c.latencyMs.p99)}`];
    }),
    (line) => log(`   ${line}`),
  );
}

export interface ReplyLatencyLoadCase extends ReplyLatencyCase {
  /** The same sync mode measured quietly in this run. */
  quietP99Ms: number;
  /** p99 under load ÷ quiet p99; goal ≤ 5. */
  ratioToQuietP99: number;
  targetRatioToQuiet: number;
  /** Longest reply wait under load; goal ≤ 1,000 ms. */
  targetMaxMs: number;
  meetsLoadTarget: boolean;
}

export interface ReplyLatencyLoadReport {
  name: 'reply-latency-under-load';
  description: string;
  busyProcesses: number;
  rate: number;
  durationSec: number;
  machine: string;
  /** The quiet cases these are compared with (from the reply-latency run given, or measured here). */
  quiet: Array<{ sync: SqliteSync; p99: number; max: number }>;
  /**
   * The no-DB receiver under the same load, for reference (no goal): the mock WeCom and the injector
   * share the starved CPU too, so this shows how much of the slowdown the machine itself causes.
   */
  baselineUnderLoad: ReplyLatencyCase;
  results: ReplyLatencyLoadCase[];
}

/**
 * Issue 12, point 2: WeReply beside two CPU-bound processes, per sync mode, against its quiet p99 from
 * the same run (`quiet`, e.g. the report of `runReplyLatencyBench` just before; measured here if absent).
 */
export async function runReplyLatencyUnderLoad(opts: ReplyLatencyOptions = {}, quiet?: ReplyLatencyReport): Promise<ReplyLatencyLoadReport> {
  const o = resolveOptions(opts);
  const syncModes = opts.syncModes ?? ['FULL', 'NORMAL'];
  const log = opts.log ?? console.log;
  log(`\n== reply latency under load: the same at ${o.rate} msg/s beside 2 busy-loop processes, against the quiet figures of this run`);
  const machine = await machineLine();
  log(`   machine (before the busy processes start): ${machine}`);
  const script = buildScript(Math.round(o.rate * (o.warmupSec + o.durationSec)));
  const results: ReplyLatencyLoadCase[] = [];
  const b = await runCase('baseline', 'NORMAL', script, o, log, true);
  const baselineUnderLoad: ReplyLatencyCase = { ...b, ratioP50: null, ratioP99: null, meetsTarget: null, meetsRatioTarget: null };
  const quietRows: ReplyLatencyLoadReport['quiet'] = [];
  for (const sync of syncModes) {
    let q = quiet?.results.find((c) => c.sync === sync && !c.underLoad);
    if (!q) {
      log(`   (no quiet ${sync} figure given: measuring it first)`);
      const c = await runCase('wereply', sync, script, o, log);
      q = { ...c, ratioP50: null, ratioP99: null, meetsTarget: null, meetsRatioTarget: null };
    }
    quietRows.push({ sync, p99: q.latencyMs.p99, max: q.latencyMs.max });
    const c = await runCase('wereply', sync, script, o, log, true);
    const ratioToQuietP99 = c.latencyMs.p99 / q.latencyMs.p99;
    results.push({
      ...c,
      ratioP50: null,
      ratioP99: null,
      meetsTarget: null,
      meetsRatioTarget: null,
      quietP99Ms: q.latencyMs.p99,
      ratioToQuietP99,
      targetRatioToQuiet: TARGET_LOAD_RATIO_P99,
      targetMaxMs: TARGET_LOAD_MAX_MS,
      meetsLoadTarget: ratioToQuietP99 <= TARGET_LOAD_RATIO_P99 && c.latencyMs.max <= TARGET_LOAD_MAX_MS && c.missing === 0,
    });
  }
  log('');
  printTable(
    ['impl', 'replies', 'missing', 'p50 ms', 'p99 ms', 'max ms', 'quiet p99', 'p99 ×quiet', `≤${TARGET_LOAD_RATIO_P99}× quiet, max ≤${TARGET_LOAD_MAX_MS} ms`],
    [baselineUnderLoad as ReplyLatencyCase & Partial<ReplyLatencyLoadCase>, ...results].map((c) => [
      c.impl,
      fmt(c.replies),
      fmt(c.missing),
      ms(c, c.latencyMs.p50),
      ms(c, c.latencyMs.p99),
      ms(c, c.latencyMs.max),
      c.quietP99Ms === undefined ? '—' : fmt(c.quietP99Ms, 1),
      c.ratioToQuietP99 === undefined ? '—' : `${c.ratioToQuietP99.toFixed(2)}x`,
      c.meetsLoadTarget === undefined ? '(reference)' : c.meetsLoadTarget ? 'yes' : 'NO',
    ]),
    log,
  );
  printStages(results, log);
  return {
    name: 'reply-latency-under-load',
    description: `callback → send_msg latency at ${o.rate} msg/s beside 2 busy-loop processes vs the quiet figures of the same run`,
    busyProcesses: 2,
    baselineUnderLoad,
    rate: o.rate,
    durationSec: o.durationSec,
    machine,
    quiet: quietRows,
    results,
  };
}

// -------------------------------------------------------------------------------- entry points

if (!isMainThread && (workerData as { bench?: string } | null)?.bench === 'reply-latency') {
  serveReceiverWorker();
} else if (isMain(import.meta.url)) {
  const rate = numberArg('rate');
  const durationSec = numberArg('duration');
  const syncArg = process.argv.indexOf('--sync');
  const syncModes = syncArg > 0 ? (String(process.argv[syncArg + 1]).toUpperCase().split(',') as SqliteSync[]) : undefined;
  const o = { ...(rate ? { rate } : {}), ...(durationSec ? { durationSec } : {}), ...(syncModes ? { syncModes } : {}) };
  runReplyLatencyBench(o)
    .then((quiet) => (process.argv.includes('--load') ? runReplyLatencyUnderLoad(o, quiet) : undefined))
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
