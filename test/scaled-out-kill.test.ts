/**
 * Scaled-out mode under load: two WeReply instances on one PostgreSQL database with Redis wake-ups,
 * WeCom's callbacks delivered to either (a load balancer in front), injected API faults, and one
 * instance killed with kill -9 at a random moment while it holds claimed work (a pull or sends).
 * Nothing is lost, nothing is sent twice except the calls in flight at the kill (same msgid, attempt
 * outcome 'unknown'), each customer's replies keep their order, and the survivor takes over the dead
 * instance's claimed pulls and sends within a bound derived from the lease — not after 30 s.
 *
 * The instance that is killed runs as a child process from the build (`npm run build` first, as
 * `npm test` does).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_LEASE } from '../src/jobs/lease.js';
import { eventually, sleep, startStack, TEST_DATABASE_URL, weReplyEnv, type Stack } from './stack.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CUSTOMERS = 50;
const STEPS = 4;
/** The survivor's pull-job poll (the default) and outbox poll (the test stack's). */
const JOBS_POLL_MS = 500;
const OUTBOX_POLL_MS = 50;
/** Time for the survivor's claim statement itself on a busy 2-core machine (not a wait for anything). */
const CLAIM_ALLOWANCE_MS = 1000;
/**
 * A dead instance renewed its leases at most one heartbeat before the kill... and at most a lease
 * before it ran out; a poll later the survivor claims it.
 */
const TAKEOVER_BOUND_MS = DEFAULT_LEASE.leaseMs + DEFAULT_LEASE.heartbeatMs + Math.max(JOBS_POLL_MS, OUTBOX_POLL_MS) + CLAIM_ALLOWANCE_MS;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A load balancer: each callback to a random instance, to the other one when that one is down. */
function loadBalancer(targets: () => string[]): Promise<{ url: string; close(): Promise<void>; served: Record<string, number> }> {
  const served: Record<string, number> = {};
  const forward = (target: string, req: http.IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const out = http.request(target + req.url, { method: req.method, headers: req.headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      out.on('error', reject);
      out.end(body);
    });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const list = targets();
      const first = Math.floor(Math.random() * list.length);
      for (let i = 0; i < list.length; i++) {
        const target = list[(first + i) % list.length]!;
        try {
          const r = await forward(target, req, body);
          served[target] = (served[target] ?? 0) + 1;
          res.writeHead(r.status, r.headers).end(r.body);
          return;
        } catch {
          /* that instance is down: the next one */
        }
      }
      res.writeHead(502).end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}`, served, close: () => new Promise((r) => server.close(() => r())) });
    }),
  );
}

describe('two instances on PostgreSQL + Redis, one killed with kill -9 under load', () => {
  let s: Stack | undefined;
  let child: ChildProcess | undefined;
  let lb: Awaited<ReturnType<typeof loadBalancer>> | undefined;
  afterAll(async () => {
    child?.kill('SIGKILL');
    await lb?.close();
    await s?.close();
  });

  it('loses nothing, sends nothing twice, keeps order, and takes over the dead instance’s work within a lease', async () => {
    const startedAt = Date.now();
    if (!fs.existsSync(new URL('../dist/src/jobs/lease.js', import.meta.url))) throw new Error('the killed instance runs from dist/: run `npm run build` first (npm test does)');
    // The survivor, in this process; it creates the schema the child joins.
    s = await startStack('postgres', { env: { REDIS_URL }, mock: { callbackRetryDelayMs: 300, callbackTimeoutMs: 3000 } });
    const survivor = s;
    const db = survivor.wr.store.db;
    for (let k = 1; k <= STEPS; k++) {
      expect((await survivor.api('POST', '/api/rules', { name: `step ${k}`, match: { any: [`第${k}步`] }, reply: [{ type: 'text', text: `答${k}` }] })).status).toBe(201);
    }

    const port = await freePort();
    const logFile = path.join(survivor.dataDir, 'child.log');
    const out = fs.openSync(logFile, 'a');
    child = spawn(process.execPath, ['test/fixtures/wereply-instance.mjs'], {
      env: { ...process.env, ...weReplyEnv(survivor.mock, { PORT: String(port), WEREPLY_DATA_DIR: path.join(survivor.dataDir, 'child'), DATABASE_URL: TEST_DATABASE_URL, REDIS_URL, WEREPLY_TEST_PG_SCHEMA: survivor.pgSchema!, LOG_LEVEL: 'warn' }) },
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    const childUrl = `http://127.0.0.1:${port}`;
    await eventually(async () => (await fetch(`${childUrl}/healthz`)).ok, 20_000, 'the child instance to start');
    const deadPrefix = `${os.hostname()}:${child.pid}:`;

    let alive = [childUrl, survivor.url];
    lb = await loadBalancer(() => alive);
    survivor.mock.setCallbackUrl(`${lb.url}/wecom/kf/callback`);
    // Calls take a while, so that the kill lands while sends are in flight.
    survivor.mock.injectFault({ path: '/cgi-bin/kf/send_msg', delayMs: 250, times: 1_000_000 });

    const faults = [
      { path: '/cgi-bin/kf/sync_msg', errcode: -1, times: 1 },
      { path: '/cgi-bin/kf/sync_msg', errcode: 45009, times: 1 },
      { path: '/cgi-bin/kf/sync_msg', drop: 'before' as const, times: 1 },
      { path: '/cgi-bin/kf/send_msg', errcode: -1, times: 4 },
      { path: '/cgi-bin/kf/send_msg', errcode: 45009, times: 2 },
    ];
    const traffic = (async () => {
      for (let k = 1; k <= STEPS; k++) {
        survivor.mock.injectFault(faults[(k - 1) % faults.length]!);
        if (k === 2) {
          // A failed gettoken on the way: the token is revoked and the next gettoken fails once.
          survivor.mock.invalidateAccessTokens();
          survivor.mock.injectFault({ path: '/cgi-bin/gettoken', errcode: -1, times: 1 });
        }
        await Promise.all(Array.from({ length: CUSTOMERS }, (_, c) => survivor.mock.customerSays({ external_userid: `wm_scale_${c}`, text: `第${k}步` })));
        await sleep(150);
      }
    })();

    // Kill the child at a random moment once it holds claimed work (a pull or sends in flight).
    await sleep(Math.random() * 1500);
    const heldByDead = async () => {
      const rows = await db.selectFrom('outbox').select(['id', 'attempts']).where('status', '=', 'sending').where('locked_by', 'like', `${deadPrefix}%`).execute();
      const jobs = await db.selectFrom('jobs').select(['id', 'locked_by']).where('locked_by', 'like', `${deadPrefix}%`).execute();
      return { rows, jobs };
    };
    // Preferably while it has sends in flight; else while it holds a pull.
    await eventually(async () => (await heldByDead()).rows.length > 0, 5000, 'the child to have sends in flight').catch(() =>
      eventually(async () => {
        const h = await heldByDead();
        return h.rows.length + h.jobs.length > 0;
      }, 20_000, 'the child to hold claimed work'),
    );
    child.kill('SIGKILL');
    const killedAt = Date.now();
    await new Promise((r) => child!.once('exit', r));
    alive = [survivor.url];
    const held = await heldByDead();
    expect(held.rows.length + held.jobs.length).toBeGreaterThan(0);

    // Takeover: each row and job the dead instance held is claimed by the survivor (or finished).
    const takenOver = await eventually(async () => {
      const rows = held.rows.length
        ? await db.selectFrom('outbox').select(['id', 'locked_by', 'status', 'attempts']).where('id', 'in', held.rows.map((r) => Number(r.id))).execute()
        : [];
      const jobs = held.jobs.length ? await db.selectFrom('jobs').select(['id', 'locked_by']).where('id', 'in', held.jobs.map((j) => Number(j.id))).execute() : [];
      const rowsDone = rows.every((r) => !String(r.locked_by ?? '').startsWith(deadPrefix) || r.status !== 'sending');
      const jobsDone = held.jobs.every((j) => {
        const now = jobs.find((x) => Number(x.id) === Number(j.id));
        return !now || now.locked_by !== j.locked_by;
      });
      return rowsDone && jobsDone ? Date.now() : 0;
    }, 30_000, 'the survivor to take over the dead instance’s work');
    const gap = takenOver - killedAt;
    console.log(`scaled-out kill: held ${held.rows.length} sends and ${held.jobs.length} pulls; taken over after ${gap} ms (bound ${TAKEOVER_BOUND_MS} ms)`);
    expect(gap).toBeLessThan(TAKEOVER_BOUND_MS);

    await traffic;
    const drainFrom = Date.now();
    const delivered = () => new Set(survivor.mock.sent.filter((r) => r.errcode === 0).map((r) => r.msgid)).size;
    await eventually(() => delivered() === CUSTOMERS * STEPS, 40_000, `all ${CUSTOMERS * STEPS} replies`).catch(async (err) => {
      const state = {
        delivered: delivered(),
        outbox: await db.selectFrom('outbox').select(['status', 'reason']).select((eb) => eb.fn.countAll<number>().as('n')).groupBy(['status', 'reason']).execute(),
        jobs: await db.selectFrom('jobs').selectAll().execute(),
        child: fs.readFileSync(logFile, 'utf8').split('\n').slice(-5),
      };
      throw new Error(`${(err as Error).message}; state: ${JSON.stringify(state)}`);
    });

    console.log(`scaled-out kill: started ${Math.round((killedAt - startedAt) / 1000)} s before the kill; drained ${Date.now() - drainFrom} ms after the traffic`);
    // Nothing lost: every customer message stored once; every reply sent.
    const stored = await db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('origin', '=', 3).executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(CUSTOMERS * STEPS);
    await eventually(async () => {
      const st = await db.selectFrom('outbox').select('status').where('status', '<>', 'sent').execute();
      return st.length === 0;
    }, 10_000, 'every outbox row recorded as sent');

    // Order, and each content once per conversation (by first delivery of each msgid).
    for (let c = 0; c < CUSTOMERS; c++) {
      const seen = new Set<string>();
      const contents: string[] = [];
      for (const r of survivor.mock.sent.filter((x) => x.touser === `wm_scale_${c}` && x.errcode === 0)) {
        if (seen.has(r.msgid!)) continue;
        seen.add(r.msgid!);
        contents.push((r.body.text as { content: string }).content);
      }
      expect(contents, `customer ${c}`).toEqual(Array.from({ length: STEPS }, (_, k) => `答${k + 1}`));
    }

    // Sent twice only where the dead instance's call was in flight: the same msgid, outcome 'unknown'.
    const calls = new Map<string, number>();
    for (const r of survivor.mock.sent.filter((x) => x.errcode === 0)) calls.set(r.msgid!, (calls.get(r.msgid!) ?? 0) + 1);
    const unknown = await db
      .selectFrom('outbox_attempts as a')
      .innerJoin('outbox as o', 'o.id', 'a.outbox_id')
      .select(['o.msgid', 'a.worker'])
      .where('a.outcome', '=', 'unknown')
      .execute();
    for (const [msgid, n] of calls) {
      if (n === 1) continue;
      const explained = unknown.filter((u) => u.msgid === msgid && (u.worker ?? '').startsWith(deadPrefix)).length;
      expect(explained, `msgid ${msgid} delivered ${n} times`).toBeGreaterThanOrEqual(n - 1);
    }
    // No attempt of the survivor was ever taken from it (it never lost a lease while alive).
    expect(unknown.filter((u) => !(u.worker ?? '').startsWith(deadPrefix))).toEqual([]);
    // Callbacks went to both instances.
    expect(Object.keys(lb.served).length).toBe(2);
  }, 90_000);
});
