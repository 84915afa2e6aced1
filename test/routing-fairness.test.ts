/**
 * Fairness of assignment under concurrency, as a property: any interleaving of N concurrent
 * handoffs to one group gives the servicers who can take conversations counts that differ by at
 * most 1 — for round-robin and least-busy, with servicers at their 接待上限, off shift, in 停止接待
 * or refused by WeCom (95014) placed anywhere in the reception order (those get nothing), and with
 * others pausing (停止接待) and resuming amid the handoffs.
 *
 * fast-check's scheduler decides the order in which every transaction and every
 * kf/service_state/trans answer completes, so interleavings one-at-a-time tests never reach
 * (all handoffs reading the rotation before any saves it) are explored. On PostgreSQL the handoffs
 * are split over two stores with their own connection pools: two WeReply instances.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignConversation } from '../src/pipeline/assign-conversation.js';
import type { HandoffPayload } from '../src/pipeline/ingest-message.js';
import type { TransferRequest, TransferResult } from '../src/pipeline/types.js';
import type { RoutingConfig, Strategy } from '../src/routing/model.js';
import { openStore, type Store } from '../src/store/database.js';
import { saveRouting } from '../src/store/routing-repo.js';
import { dropSchema, TEST_DATABASE_URL } from './stack.js';

const KF = 'wkFairKf';
const CAP = 4;
/** A Wednesday, 10:00 in Shanghai. */
const NOW = Date.UTC(2026, 10, 25, 2, 0);

/**
 * How a member of the group stands when the handoffs arrive. 'flips': receiving at first, then
 * 停止接待 and back (servicer_status_change) at moments the scheduler picks, amid the handoffs.
 */
type Standing = 'ok' | 'at_cap' | 'off_shift' | 'paused' | 'refused' | 'flips';

interface Scenario {
  strategy: Strategy;
  members: Standing[];
  handoffs: number;
  /** Where the rotation pointer stands before the run (member index, or -1 for fresh). */
  pointer: number;
}

const payload: HandoffPayload = { handoff: { reason: 'phrase', detail: '转人工' }, text: '转人工', waiting_message: '正在为您转接人工客服' };

async function reset(store: Store, sc: Scenario): Promise<number[]> {
  const { db } = store;
  for (const t of ['assignments', 'conversations', 'routing_state', 'routing_versions', 'servicers'] as const) await db.deleteFrom(t).execute();
  const userids = sc.members.map((_, i) => `s${i}`);
  for (const [i, standing] of sc.members.entries()) {
    await db
      .insertInto('servicers')
      .values({
        userid: userids[i]!,
        name: userids[i]!,
        open_kfids: JSON.stringify([KF]),
        groups: '["g"]',
        reception_cap: CAP,
        supervisor: 0,
        status: 'active',
        receiving: standing === 'paused' ? 0 : 1,
        timezone: 'Asia/Shanghai',
        // Off all week.
        shift: standing === 'off_shift' ? JSON.stringify({ timezone: 'Asia/Shanghai', weekly: {} }) : null,
        created_at: NOW,
        updated_at: NOW,
      })
      .execute();
  }
  const config: RoutingConfig = {
    groups: [{ id: 'g', name: '客服组', members: userids, strategy: sc.strategy }],
    tree: { timezone: 'Asia/Shanghai', nodes: [{ id: 'all', name: '全部', when: {}, then: { group: 'g' } }] },
    complaintPhrases: [],
  };
  await saveRouting(db, config, 'test', null, NOW);
  if (sc.pointer >= 0) {
    await db.insertInto('routing_state').values({ key: 'rr:g', value: JSON.stringify({ last: userids[sc.pointer], lastIndex: sc.pointer }), updated_at: NOW }).execute();
  }
  const conversation = (user: string, servicer: string | null) => ({
    channel: 'wecom-kf',
    open_kfid: KF,
    external_userid: user,
    last_customer_msg_at: NOW,
    sent_since_customer_msg: 0,
    last_any_reply_at: null,
    unmatched_streak: 0,
    servicer_userid: servicer,
    service_state: servicer ? 3 : 1,
    last_servicer_userid: null,
    waiting_since: null,
    created_at: NOW,
    updated_at: NOW,
  });
  // A servicer at cap already holds CAP open sessions.
  for (const [i, standing] of sc.members.entries()) {
    if (standing !== 'at_cap') continue;
    for (let k = 0; k < CAP; k++) await db.insertInto('conversations').values(conversation(`wm_held_${i}_${k}`, userids[i]!)).execute();
  }
  const ids: number[] = [];
  for (let k = 0; k < sc.handoffs; k++) {
    const row = await db.insertInto('conversations').values(conversation(`wm_new_${k}`, null)).returning('id').executeTakeFirstOrThrow();
    ids.push(Number(row.id));
  }
  return ids;
}

/** Runs every handoff at once, in the order the scheduler picks; answers who WeCom accepted per handoff. */
async function runConcurrently(stores: Store[], sc: Scenario, ids: number[], s: fc.Scheduler): Promise<Map<string, number>> {
  const accepted = new Map<string, number>();
  const scheduled = (store: Store): Store => ({
    ...store,
    // Every transaction waits for the scheduler: it picks which one commits next.
    write: async (work) => {
      await s.schedule(Promise.resolve(), 'write');
      return store.write(work);
    },
  });
  // 停止接待 and back, each at a moment the scheduler picks among the handoffs' steps.
  const flips = sc.members.flatMap((st, i) =>
    st !== 'flips'
      ? []
      : [0, 1].map((receiving) =>
          s.schedule(Promise.resolve(), `s${i} ${receiving ? '接待中' : '停止接待'}`).then(() =>
            stores[0]!.write((trx) => trx.updateTable('servicers').set({ receiving }).where('userid', '=', `s${i}`).execute()),
          ),
        ),
  );
  const transfer = async (req: TransferRequest): Promise<TransferResult> => {
    const standing = req.servicer === undefined ? 'ok' : sc.members[Number(req.servicer.slice(1))];
    const answer: TransferResult =
      standing === 'refused' ? { kind: 'failed', errcode: 95014, reason: 'servicer_userid is not an on-duty servicer of this account' } : { kind: 'sent' };
    const result = await s.schedule(Promise.resolve(answer), `trans ${req.servicer ?? 'pool'}`);
    if (result.kind === 'sent' && req.servicer) accepted.set(req.servicer, (accepted.get(req.servicer) ?? 0) + 1);
    return result;
  };
  await s.waitFor(
    Promise.all([
      ...flips,
      ...ids.map((id, k) =>
        assignConversation(
          { store: scheduled(stores[k % stores.length]!), timezone: 'Asia/Shanghai', transfer, now: () => NOW },
          { id, outboxId: id, channel: 'wecom-kf', accountId: KF, customerId: `wm_new_${k}` },
          payload,
        ),
      ),
    ]),
  );
  return accepted;
}

async function checkFair(stores: Store[], sc: Scenario, s: fc.Scheduler): Promise<void> {
  const ids = await reset(stores[0]!, sc);
  const accepted = await runConcurrently(stores, sc, ids, s);
  const counts = sc.members.map((_, i) => accepted.get(`s${i}`) ?? 0);
  const able = sc.members.map((st, i) => ({ st, n: counts[i]! })).filter((m) => m.st === 'ok');
  // Those who cannot take a conversation get none (one who flips may get some, or none).
  expect(sc.members.map((st, i) => (st === 'ok' || st === 'flips' ? 0 : counts[i]))).toEqual(sc.members.map(() => 0));
  if (able.length > 0) {
    const ns = able.map((m) => m.n);
    expect(Math.max(...ns) - Math.min(...ns), `counts ${JSON.stringify(counts)} for ${JSON.stringify(sc)}`).toBeLessThanOrEqual(1);
  }
  // Every handoff got a servicer while anyone had room; no one is over their 接待上限.
  if (!sc.members.includes('flips')) expect(counts.reduce((a, b) => a + b, 0)).toBe(Math.min(sc.handoffs, able.length * CAP));
  const held = await stores[0]!.db.selectFrom('conversations').select(['servicer_userid']).where('service_state', '=', 3).execute();
  const perServicer = new Map<string, number>();
  for (const r of held) perServicer.set(r.servicer_userid!, (perServicer.get(r.servicer_userid!) ?? 0) + 1);
  for (const n of perServicer.values()) expect(n).toBeLessThanOrEqual(CAP);
}

const standing = fc.constantFrom<Standing>('ok', 'at_cap', 'off_shift', 'paused', 'refused', 'flips');
const scenario = (strategy: fc.Arbitrary<Strategy>, members: fc.Arbitrary<Standing[]>) =>
  fc.record({ strategy, members, handoffs: fc.integer({ min: 1, max: 18 }) }).chain((r) =>
    fc.record({ strategy: fc.constant(r.strategy), members: fc.constant(r.members), handoffs: fc.constant(r.handoffs), pointer: fc.integer({ min: -1, max: r.members.length - 1 }) }),
  );
const equalCaps = (strategy: Strategy) => scenario(fc.constant(strategy), fc.integer({ min: 2, max: 5 }).map((n) => Array.from({ length: n }, (): Standing => 'ok')));
const mixed = scenario(fc.constantFrom<Strategy>('round_robin', 'least_busy'), fc.array(standing, { minLength: 2, maxLength: 6 }));

describe.each([
  { engine: 'sqlite' as const, instances: 1, runs: 40 },
  { engine: 'postgres' as const, instances: 2, runs: 12 },
])('fair assignment under concurrent handoffs on $engine ($instances instance(s))', ({ engine, instances, runs }) => {
  const stores: Store[] = [];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wereply-fair-'));
  const pgSchema = engine === 'postgres' ? `t_fair_${crypto.randomBytes(5).toString('hex')}` : undefined;
  beforeAll(async () => {
    for (let i = 0; i < instances; i++) {
      stores.push(await openStore({ dataDir, sqliteSync: 'NORMAL', ...(pgSchema ? { databaseUrl: TEST_DATABASE_URL, pgSchema } : {}) }));
    }
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (pgSchema) await dropSchema(pgSchema);
  });

  const property = (arb: fc.Arbitrary<Scenario>) =>
    fc.assert(
      fc.asyncProperty(arb, fc.scheduler(), (sc, s) => checkFair(stores, sc, s)),
      { numRuns: runs },
    );

  it('round-robin, equal caps: counts differ by at most 1 in any interleaving', () => property(equalCaps('round_robin')), 120_000);
  it('least-busy, equal caps: counts differ by at most 1 in any interleaving', () => property(equalCaps('least_busy')), 120_000);
  it('servicers at cap, off shift, in 停止接待 or refused by WeCom get nothing; the rest stay within 1 (also while others pause and resume)', () => property(mixed), 120_000);
});
