/**
 * Outbox leases on PostgreSQL with two workers (two instances): short leases renewed by a heartbeat
 * while a row is worked on, and every write fenced by the claim (owner + lease version).
 * - a send in flight for many leases is never taken over by the other instance;
 * - a worker that stalled past its lease (its row taken over) does not call WeCom when it resumes;
 * - a call that outlives its lease (the ambiguous case) is repeated once with the same msgid, and the
 *   late answer of the first worker does not overwrite what the second one recorded.
 * Clocks are the workers' own (`now`), so the stalls are deterministic.
 */
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JobQueue } from '../src/jobs/job-queue.js';
import { OutboxWorker } from '../src/jobs/outbox-worker.js';
import { LocalWakeup } from '../src/jobs/wakeup.js';
import { enqueue } from '../src/pipeline/ingest-message.js';
import type { ChannelSender, OutboundMessage, SendResult } from '../src/pipeline/types.js';
import type { ComplianceGuard } from '../src/pipeline/compliance-guard.js';
import { eventually, startStack, type Stack } from './stack.js';

const silent = pino({ level: 'silent' });
const LEASE = { leaseMs: 300, heartbeatMs: 60 };
/** For the real-clock test: a heartbeat delayed by a busy machine must not look like a stall. */
const REAL_LEASE = { leaseMs: 1000, heartbeatMs: 100 };

interface Gate {
  wait(): Promise<void>;
  open(): void;
  entered: Promise<void>;
}
function gate(): Gate {
  let open!: () => void;
  let entered!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const enteredP = new Promise<void>((r) => (entered = r));
  return {
    wait: () => {
      entered();
      return opened;
    },
    open,
    entered: enteredP,
  };
}

/** A channel that records every call; `during` runs inside the call (to hold it in flight). */
function sender(during?: () => Promise<void>): ChannelSender & { calls: OutboundMessage[] } {
  const calls: OutboundMessage[] = [];
  return {
    calls,
    async send(m): Promise<SendResult> {
      calls.push(m);
      await during?.();
      return { kind: 'sent' };
    },
  };
}

describe('outbox leases with two workers on PostgreSQL', () => {
  let s: Stack;
  const workers: OutboxWorker[] = [];
  beforeAll(async () => {
    s = await startStack('postgres', { wereply: { workers: false } });
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.stop({ releaseAfterMs: 0 });
  });
  afterAll(async () => s?.close());

  let n = 0;
  async function replyRow(): Promise<{ id: number; msgid: string }> {
    const now = Date.now();
    const msgid = `lease_${++n}_${now}`;
    return s.wr.store.write(async (trx) => {
      const conv = await trx
        .insertInto('conversations')
        .values({ channel: 'wecom_kf', open_kfid: 'wkL', external_userid: `wm_lease_${n}_${now}`, last_customer_msg_at: now, sent_since_customer_msg: 0, last_any_reply_at: null, unmatched_streak: 0, servicer_userid: null, service_state: 1, last_servicer_userid: null, waiting_since: null, created_at: now, updated_at: now })
        .returning('id')
        .executeTakeFirstOrThrow();
      const id = await enqueue(trx, { conversationId: Number(conv.id), api: 'send_msg', msgid, payload: { reply: { type: 'text', text: `答${n}` } }, priority: 0, sourceMsgid: null, ruleId: null, now });
      return { id, msgid };
    });
  }
  function worker(name: string, channel: ChannelSender, extra: { now?: () => number; compliance?: ComplianceGuard; lease?: typeof LEASE } = {}): OutboxWorker {
    const w = new OutboxWorker({ store: s.wr.store, timezone: 'Asia/Shanghai', workerId: name, senders: { wecom_kf: channel }, wakeup: new LocalWakeup(), log: silent, pollMs: 20, lease: LEASE, ...extra });
    workers.push(w);
    return w;
  }
  const attempts = async (id: number) =>
    (await s.wr.store.db.selectFrom('outbox_attempts').select(['worker', 'outcome']).where('outbox_id', '=', id).orderBy('id').execute()).map((a) => `${a.worker}:${a.outcome}`);
  const rowOf = (id: number) => s.wr.store.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const idle = (w: OutboxWorker) => eventually(() => (w as unknown as { loop: { inProgress: unknown[] } }).loop.inProgress.length === 0, 5000, 'the worker idle');

  it('a send in flight for several leases keeps its row: the other instance never sends it', async () => {
    const inFlight = gate();
    const a = sender(() => inFlight.wait());
    const b = sender();
    const row = await replyRow();
    const wa = worker('A1', a, { lease: REAL_LEASE });
    wa.start();
    await inFlight.entered;
    const wb = worker('B1', b, { lease: REAL_LEASE });
    wb.start();
    // B polls every 20 ms while A's call stays in flight for 4 leases; A's heartbeat keeps the row.
    await new Promise((r) => setTimeout(r, REAL_LEASE.leaseMs * 4));
    inFlight.open();
    await eventually(async () => (await rowOf(row.id)).status === 'sent', 5000, 'the row sent');
    expect(a.calls.map((c) => c.msgid)).toEqual([row.msgid]);
    expect(b.calls).toEqual([]);
    expect(await attempts(row.id)).toEqual(['A1:ok']);
  });

  it('a worker that stalled past its lease, its row taken over, does not call WeCom when it resumes', async () => {
    const stalled = gate();
    const compliance = { outbound: async () => (await stalled.wait(), { hold: false, reason: null, findings: [], pii: [], needsApproval: [] }) } as unknown as ComplianceGuard;
    const a = sender();
    const b = sender();
    const row = await replyRow();
    let clockA = Date.now(); // after the row was written: it is due on A's clock
    const wa = worker('A2', a, { now: () => clockA, compliance });
    wa.start();
    await stalled.entered; // A claimed the row and is between the claim and the call
    // A stalls for 10 leases (its clock jumps, no renewal reaches the database); B's clock sees the lease over.
    const wb = worker('B2', b, { now: () => Date.now() + LEASE.leaseMs * 10 });
    wb.start();
    await eventually(() => b.calls.length === 1, 5000, 'B took the row over and sent it');
    clockA += LEASE.leaseMs * 10;
    stalled.open();
    await idle(wa);
    expect(a.calls).toEqual([]);
    expect(b.calls.map((c) => c.msgid)).toEqual([row.msgid]);
    await eventually(async () => (await rowOf(row.id)).status === 'sent', 5000, 'the row sent');
    expect(await attempts(row.id)).toEqual(['A2:unknown', 'B2:ok']);
  });

  it('a call that outlives its lease is repeated once with the same msgid; the late answer records nothing', async () => {
    let clockA = 0;
    const inFlight = gate();
    const a = sender(async () => {
      await inFlight.wait();
      clockA += LEASE.leaseMs * 10; // A's event loop stalled during the call
    });
    const b = sender();
    const row = await replyRow();
    clockA = Date.now();
    const wa = worker('A3', a, { now: () => clockA });
    wa.start();
    await inFlight.entered;
    const wb = worker('B3', b, { now: () => Date.now() + LEASE.leaseMs * 10 });
    wb.start();
    await eventually(async () => (await rowOf(row.id)).status === 'sent', 5000, 'B recorded the row');
    inFlight.open();
    await idle(wa);
    // The ambiguous case the stable msgid covers: both called, with one msgid; one outcome recorded.
    expect([...a.calls, ...b.calls].map((c) => c.msgid)).toEqual([row.msgid, row.msgid]);
    const final = await rowOf(row.id);
    expect(final.status).toBe('sent');
    expect(Number(final.attempts)).toBe(2);
    expect(await attempts(row.id)).toEqual(['A3:unknown', 'B3:ok']);
  });

  it('a pull job taken over after its lease is fenced: the first worker cannot renew, complete or reschedule it', async () => {
    const a = new JobQueue(s.wr.store, 'JA');
    const b = new JobQueue(s.wr.store, 'JB');
    const t0 = Date.now();
    await a.enqueue(s.wr.store.db, 'test_pull', 'test_pull:fence', { n: 1 }, t0);
    const ja = (await a.claim(['test_pull'], LEASE.leaseMs, t0))!;
    expect(ja).toBeDefined();
    // While A's lease runs, B cannot take it; once it has run out (B's clock), B can.
    expect(await b.claim(['test_pull'], LEASE.leaseMs, t0 + 1)).toBeUndefined();
    const jb = (await b.claim(['test_pull'], LEASE.leaseMs, t0 + LEASE.leaseMs * 10))!;
    expect(jb.id).toBe(ja.id);
    await a.renew([ja], LEASE.leaseMs);
    expect(ja.lease?.lost).toBe(true);
    await a.complete(ja);
    await a.fail(ja, 'late failure', t0 + 60_000);
    await a.release([ja]);
    const row = await s.wr.store.db.selectFrom('jobs').selectAll().where('id', '=', ja.id).executeTakeFirstOrThrow();
    expect(row.locked_by).toBe(jb.token);
    expect(row.last_error).toBeNull();
    await b.complete(jb);
    expect(await s.wr.store.db.selectFrom('jobs').selectAll().where('id', '=', ja.id).executeTakeFirst()).toBeUndefined();
  });
});
