/**
 * Callback ingest throughput: how many kf_msg_or_event callbacks per second WeReply verifies,
 * decrypts and stores durably (kf_callbacks row + coalesced kf_sync job, one transaction) before it
 * answers "success" — against a baseline measured in the same run: a bare Fastify route that only
 * inserts one small row into SQLite (WAL, same `synchronous`) and answers "success".
 *
 * Both servers run in a worker thread (one core), autocannon in the main thread (the other core).
 * WeReply runs with its workers off, so the pull jobs are only stored: this isolates ingest.
 * Every request carries a different, freshly signed and encrypted callback (distinct Token), so
 * WeReply takes the new-event path, never the duplicate path.
 *
 *   npm run build && node dist/bench/callback-ingest.js [--duration 8] [--connections 10]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMainThread, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import Fastify from 'fastify';
import { sql } from 'kysely';
import pino from 'pino';
import { createWeReply, type WeReply } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { buildKfEventCallback } from '../tools/mock-wecom/callback.js';
import { startMockWeCom, type MockWeComCredentials } from '../tools/mock-wecom/server.js';
import { autocannon, BenchThread, fmt, isMain, machineLine, numberArg, pct, printTable, serveParent, type AutocannonResult } from './lib.js';

export type SqliteSync = 'FULL' | 'NORMAL';

export interface IngestOptions {
  /** Measured seconds per case (default 8). */
  durationSec?: number;
  /** Concurrent connections of the load generator (default 10). */
  connections?: number;
  /** Unmeasured seconds before each case (default 1). */
  warmupSec?: number;
  /** SQLite synchronous settings to measure (default both). */
  syncModes?: SqliteSync[];
  log?: (line: string) => void;
}

export interface IngestMeasurement {
  /** Successful (2xx) requests per second. */
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  responses2xx: number;
  /** Requests written to the server, answered in time or not. */
  sent: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Rows the server committed during the measured run (honesty check: ≈ responses2xx). */
  rowsAdded: number;
  durationSec: number;
}

export interface IngestResult {
  sync: SqliteSync;
  wereply: IngestMeasurement;
  baseline: IngestMeasurement;
  /** wereply.rps / baseline.rps */
  ratio: number;
  target: number;
  /**
   * Every acknowledged callback was stored (rowsAdded ≥ responses2xx) and no row came from nowhere
   * (rowsAdded ≤ sent: requests still in flight when autocannon stopped counting also commit).
   */
  honest: boolean;
}

export interface IngestReport {
  name: 'callback-ingest';
  description: string;
  connections: number;
  durationSec: number;
  requestBodyBytes: number;
  machine: string;
  results: IngestResult[];
  notes: string[];
}

const TARGET_RATIO = 0.6;
const CALLBACK_PATH = '/wecom/kf/callback';

interface ServerStart {
  target: 'wereply' | 'baseline';
  sync: SqliteSync;
  mockUrl: string;
  credentials: MockWeComCredentials;
}

// -------------------------------------------------------------------------------- worker side

/** Runs in the worker thread: one server (WeReply or the baseline) at a time. */
function serveIngestWorker(): void {
  let dataDir: string | undefined;
  let wr: WeReply | undefined;
  let baseline: { close(): Promise<void>; count(): number } | undefined;

  serveParent({
    async start(s: ServerStart): Promise<{ url: string }> {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `wereply-bench-ingest-${s.target}-`));
      if (s.target === 'wereply') {
        const config = loadConfig({
          PORT: '0',
          HOST: '127.0.0.1',
          WEREPLY_DATA_DIR: dataDir,
          WECOM_CORP_ID: s.credentials.corpId,
          WECOM_KF_SECRET: s.credentials.kfSecret,
          WECOM_TOKEN: s.credentials.token,
          WECOM_ENCODING_AES_KEY: s.credentials.encodingAESKey,
          WECOM_API_BASE: s.mockUrl,
          WEREPLY_ADMIN_TOKEN: 'bench-admin-token',
          WEREPLY_SQLITE_SYNC: s.sync,
        });
        wr = await createWeReply(config, { workers: false, logger: pino({ level: 'silent' }) });
        return { url: await wr.listen() };
      }
      // Baseline: the least a durable acknowledgement can cost — one autocommit INSERT, then "success".
      const db = new SQLite(path.join(dataDir, 'baseline.sqlite'));
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${s.sync}`);
      db.exec('CREATE TABLE callbacks (id INTEGER PRIMARY KEY, nonce TEXT NOT NULL, received_at INTEGER NOT NULL)');
      const insert = db.prepare('INSERT INTO callbacks (nonce, received_at) VALUES (?, ?)');
      const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
      app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
      app.post<{ Querystring: { nonce?: string } }>(CALLBACK_PATH, async (req, reply) => {
        insert.run(String(req.query.nonce ?? ''), Date.now());
        return reply.type('text/plain').send('success');
      });
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      baseline = {
        count: () => (db.prepare('SELECT count(*) AS n FROM callbacks').get() as { n: number }).n,
        close: async () => {
          await app.close();
          db.close();
        },
      };
      return { url };
    },

    async count(): Promise<number> {
      if (wr) {
        const { rows } = await sql<{ n: number }>`SELECT count(*) AS n FROM kf_callbacks`.execute(wr.store.db);
        return Number(rows[0]?.n ?? 0);
      }
      if (baseline) return baseline.count();
      throw new Error('no server started');
    },

    async stop(): Promise<void> {
      await wr?.close();
      await baseline?.close();
      wr = undefined;
      baseline = undefined;
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
      dataDir = undefined;
    },
  });
}

// -------------------------------------------------------------------------------- main side

interface PrebuiltCallback {
  path: string;
  body: string;
}

/** Signed, encrypted kf_msg_or_event callbacks, each with its own Token; grown on demand. */
class CallbackPool {
  readonly items: PrebuiltCallback[] = [];
  private seq = 0;
  constructor(private readonly credentials: MockWeComCredentials) {}

  ensure(n: number): void {
    const { corpId, token, encodingAESKey, openKfIds, agentId } = this.credentials;
    const openKfId = openKfIds[0] ?? 'wkMockKf0001';
    // One timestamp for the batch: fresh now, accepted by WeReply for 10 minutes.
    const timestamp = String(Math.floor(Date.now() / 1000));
    while (this.items.length < n) {
      const i = this.seq++;
      const msgToken = `ENCbench${process.pid.toString(36)}x${i.toString(36).padStart(36, '0')}`;
      const built = buildKfEventCallback({ corpId, token, encodingAESKey, openKfId, msgToken, timestamp, agentId });
      const q = built.query;
      this.items.push({
        path: `${CALLBACK_PATH}?msg_signature=${q.msg_signature}&timestamp=${q.timestamp}&nonce=${q.nonce}`,
        body: built.body,
      });
    }
  }
}

/**
 * One autocannon run. `cursor.next` indexes the pool and carries over from the warm-up to the
 * measured run of the same server, so no callback is sent twice to one database.
 */
async function load(url: string, pool: CallbackPool, cursor: { next: number }, durationSec: number, connections: number): Promise<AutocannonResult> {
  const result = await autocannon({
    url,
    connections,
    duration: durationSec,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8', 'user-agent': 'Mozilla/5.0 (bench)' },
        setupRequest: (req) => {
          // A rotating index: each request carries a different callback (a wrap-around is reported).
          const c = pool.items[cursor.next++ % pool.items.length] as PrebuiltCallback;
          req.path = c.path;
          req.body = c.body;
          return req;
        },
      },
    ],
  });
  return result;
}

function measurement(r: AutocannonResult, rowsAdded: number): IngestMeasurement {
  return {
    rps: r['2xx'] / r.duration,
    p50Ms: r.latency.p50,
    p90Ms: r.latency.p90,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    responses2xx: r['2xx'],
    sent: r.requests.sent,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    rowsAdded,
    durationSec: r.duration,
  };
}

export async function runCallbackIngestBench(opts: IngestOptions = {}): Promise<IngestReport> {
  const durationSec = opts.durationSec ?? 8;
  const connections = opts.connections ?? 10;
  const warmupSec = opts.warmupSec ?? 1;
  const syncModes = opts.syncModes ?? ['FULL', 'NORMAL'];
  const log = opts.log ?? console.log;
  const notes: string[] = [];

  log(`\n== callback ingest: POST ${CALLBACK_PATH}, ${connections} connections, ${warmupSec}s warm-up + ${durationSec}s per case`);
  log('   WeReply runs with workers OFF (pull jobs are stored, not run): this isolates ingest.');
  log('   Server in a worker thread, autocannon in the main thread: the load generator shares the CPU, so the ratio is the claim, not the absolute.');
  const machine = await machineLine();
  log(`   machine: ${machine}`);

  // The mock WeCom only provides the credentials here (no API calls with workers off).
  const mock = await startMockWeCom();
  const pool = new CallbackPool(mock.credentials);
  let t = performance.now();
  pool.ensure(40_000);
  log(`   pre-built ${fmt(pool.items.length)} distinct signed callbacks in ${fmt(performance.now() - t)} ms (more are built between cases when needed)`);
  const bodyBytes = Buffer.byteLength(pool.items[0]?.body ?? '');

  const results: IngestResult[] = [];
  try {
    for (const sync of syncModes) {
      const m: Partial<Record<'wereply' | 'baseline', IngestMeasurement>> = {};
      for (const target of ['wereply', 'baseline'] as const) {
        const thread = BenchThread.start(import.meta.url, { bench: 'callback-ingest' });
        try {
          const { url } = await thread.call<{ url: string }>('start', { target, sync, mockUrl: mock.url, credentials: mock.credentials } satisfies ServerStart);
          const callbackUrl = url + CALLBACK_PATH;
          const cursor = { next: 0 };
          const warm = await load(callbackUrl, pool, cursor, warmupSec, connections);
          // Enough distinct callbacks for the measured run (from the warm-up rate, with margin).
          const need = cursor.next + Math.ceil((warm["2xx"] / warm.duration) * durationSec * 3) + 10_000;
          if (target === 'wereply' && pool.items.length < need) {
            t = performance.now();
            pool.ensure(need);
            log(`   (built callbacks up to ${fmt(pool.items.length)} in ${fmt(performance.now() - t)} ms)`);
          }
          const before = await thread.call<number>('count');
          const run = await load(callbackUrl, pool, cursor, durationSec, connections);
          await new Promise((r) => setTimeout(r, 200));
          const after = await thread.call<number>('count');
          if (target === 'wereply' && cursor.next > pool.items.length) {
            notes.push(`${sync}: the callback pool wrapped (${cursor.next} requests > ${pool.items.length} callbacks): some requests took the duplicate path`);
          }
          m[target] = measurement(run, after - before);
          const x = m[target]!;
          log(
            `   ${target.padEnd(8)} sync=${sync.padEnd(6)} ${fmt(x.rps).padStart(7)} req/s  p50 ${x.p50Ms} ms  p99 ${x.p99Ms} ms  ` +
              `2xx ${fmt(x.responses2xx)}  non-2xx ${x.non2xx}  errors ${x.errors}  rows added ${fmt(x.rowsAdded)}`,
          );
          await thread.call('stop');
        } finally {
          await thread.terminate();
        }
      }
      const w = m.wereply!;
      const b = m.baseline!;
      const honest = [w, b].every((x) => x.rowsAdded >= x.responses2xx && x.rowsAdded <= x.sent && x.non2xx === 0);
      results.push({ sync, wereply: w, baseline: b, ratio: w.rps / b.rps, target: TARGET_RATIO, honest });
    }
  } finally {
    await mock.close();
  }

  log('');
  printTable(
    ['sync', 'WeReply req/s', 'baseline req/s', 'ratio', 'target', 'WeReply p50/p99', 'baseline p50/p99', 'kf_callbacks rows / 2xx'],
    results.map((r) => [
      r.sync,
      fmt(r.wereply.rps),
      fmt(r.baseline.rps),
      pct(r.ratio),
      `≥${pct(r.target)}`,
      `${r.wereply.p50Ms}/${r.wereply.p99Ms} ms`,
      `${r.baseline.p50Ms}/${r.baseline.p99Ms} ms`,
      `${fmt(r.wereply.rowsAdded)} / ${fmt(r.wereply.responses2xx)}${r.honest ? '' : '  (MISMATCH)'}`,
    ]),
    log,
  );
  log(`   request body ${bodyBytes} bytes (encrypted XML, as WeCom sends it) to both; rows may exceed 2xx by the requests still in flight when autocannon stopped counting (never more than were sent).`);
  for (const n of notes) log(`   note: ${n}`);

  return {
    name: 'callback-ingest',
    description: 'kf callbacks/s WeReply stores durably (workers off) vs a bare Fastify route doing one SQLite insert; same thread layout, same body',
    connections,
    durationSec,
    requestBodyBytes: bodyBytes,
    machine,
    results,
    notes,
  };
}

// -------------------------------------------------------------------------------- entry points

if (!isMainThread && (workerData as { bench?: string } | null)?.bench === 'callback-ingest') {
  serveIngestWorker();
} else if (isMain(import.meta.url)) {
  const durationSec = numberArg('duration');
  const connections = numberArg('connections');
  runCallbackIngestBench({ ...(durationSec ? { durationSec } : {}), ...(connections ? { connections } : {}) }).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
