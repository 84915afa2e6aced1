/**
 * Fairness at the WeReply desk, as a property (the same property test/routing-fairness.test.ts checks
 * for the WeCom desk): any interleaving of concurrent handoffs to one group gives the agents who can
 * take conversations counts that differ by at most 1, nobody passes their 接待上限, and agents who
 * are away, whose heartbeat lapsed, who have no operator linked, who are off shift or at cap get
 * nothing — presence feeds the same routing, it does not fork it. fast-check's scheduler decides
 * the order in which every transaction and WeCom answer completes.
 */
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
import { writeDesks } from '../src/store/desk-repo.js';
import { saveRouting } from '../src/store/routing-repo.js';

const KF = 'wkFairDeskKf';
const CAP = 3;
const NOW = Date.UTC(2026, 10, 25, 2, 0); // a Wednesday, 10:00 in Shanghai
type Standing = 'ok' | 'at_cap' | 'off_shift' | 'away' | 'stale' | 'unlinked';
interface Scenario {
  strategy: Strategy;
  members: Standing[];
  handoffs: number;
}
const payload: HandoffPayload = { handoff: { reason: 'phrase', detail: '转人工' }, text: '转人工', waiting_message: '正在为您转接人工客服' };

async function reset(store: Store, sc: Scenario): Promise<number[]> {
  const { db } = store;
  for (const t of ['assignments', 'conversations', 'routing_state', 'routing_versions', 'servicers', 'operators', 'outbox'] as const) await db.deleteFrom(t).execute();
  const userids = sc.members.map((_, i) => `s${i}`);
  for (const [i, st] of sc.members.entries()) {
    await db
      .insertInto('servicers')
      .values({ userid: userids[i]!, name: userids[i]!, open_kfids: JSON.stringify([KF]), groups: '["g"]', reception_cap: CAP, supervisor: 0, status: 'active', receiving: 1, timezone: 'Asia/Shanghai', shift: st === 'off_shift' ? JSON.stringify({ timezone: 'Asia/Shanghai', weekly: {} }) : null, created_at: NOW, updated_at: NOW })
      .execute();
    if (st === 'unlinked') continue;
    // Present: online with a fresh heartbeat; stale: online, but the console has not been seen for 91 s.
    const presence = st === 'away' ? 'away' : 'online';
    const seen = st === 'stale' ? NOW - 91_000 : NOW - 5_000;
    await db.insertInto('operators').values({ name: `op${i}`, name_key: `op${i}`, role: 'agent', token_sha256: `t${i}`, servicer_userid: userids[i]!, disabled: 0, presence, presence_seen_at: seen, created_at: NOW }).execute();
  }
  const config: RoutingConfig = { groups: [{ id: 'g', name: '客服组', members: userids, strategy: sc.strategy }], tree: { timezone: 'Asia/Shanghai', nodes: [{ id: 'all', name: '全部', when: {}, then: { group: 'g' } }] }, complaintPhrases: [] };
  await saveRouting(db, config, 'test', null, NOW);
  await writeDesks(db, { default: 'wecom', accounts: { [KF]: 'wereply' }, groups: {} });
  const conversation = (user: string, servicer: string | null) => ({ channel: 'wecom-kf', open_kfid: KF, external_userid: user, last_customer_msg_at: NOW, sent_since_customer_msg: 0, last_any_reply_at: null, unmatched_streak: 0, servicer_userid: servicer, service_state: 1, desk: servicer ? 'wereply' : null, last_servicer_userid: null, waiting_since: null, created_at: NOW, updated_at: NOW });
  for (const [i, st] of sc.members.entries()) {
    if (st !== 'at_cap') continue;
    for (let k = 0; k < CAP; k++) await db.insertInto('conversations').values(conversation(`wm_held_${i}_${k}`, userids[i]!)).execute();
  }
  const ids: number[] = [];
  for (let k = 0; k < sc.handoffs; k++) ids.push(Number((await db.insertInto('conversations').values(conversation(`wm_new_${k}`, null)).returning('id').executeTakeFirstOrThrow()).id));
  return ids;
}

async function checkFair(store: Store, sc: Scenario, s: fc.Scheduler): Promise<void> {
  const ids = await reset(store, sc);
  const scheduled: Store = { ...store, write: async (work) => (await s.schedule(Promise.resolve(), 'write'), store.write(work)) } as Store;
  const transfer = async (req: TransferRequest): Promise<TransferResult> => {
    expect(req.servicer).toBeUndefined(); // the WeReply desk never hands the session to a servicer in WeCom
    expect(req.to).toBe('api');
    return s.schedule(Promise.resolve<TransferResult>({ kind: 'sent' }), 'trans 1');
  };
  await s.waitFor(Promise.all(ids.map((id, k) => assignConversation({ store: scheduled, timezone: 'Asia/Shanghai', transfer, now: () => NOW }, { id, outboxId: id, channel: 'wecom-kf', accountId: KF, customerId: `wm_new_${k}` }, payload))));
  const rows = await store.db.selectFrom('conversations').select(['servicer_userid', 'waiting_since', 'desk']).where('id', 'in', ids).execute();
  const counts = sc.members.map((_, i) => rows.filter((r) => r.servicer_userid === `s${i}`).length);
  expect(sc.members.map((st, i) => (st === 'ok' ? 0 : counts[i]))).toEqual(sc.members.map(() => 0));
  const able = counts.filter((_, i) => sc.members[i] === 'ok');
  if (able.length) expect(Math.max(...able) - Math.min(...able), `counts ${JSON.stringify(counts)} for ${JSON.stringify(sc)}`).toBeLessThanOrEqual(1);
  expect(counts.reduce((a, b) => a + b, 0)).toBe(Math.min(sc.handoffs, able.length * CAP));
  // The rest wait in WeReply's queue (state 1), every one recorded at the WeReply desk.
  expect(rows.filter((r) => r.servicer_userid === null).every((r) => r.waiting_since !== null)).toBe(true);
  expect(rows.every((r) => r.desk === 'wereply')).toBe(true);
}

describe('fair assignment at the WeReply desk under concurrent handoffs (sqlite)', () => {
  let store: Store;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wereply-deskfair-'));
  beforeAll(async () => {
    store = await openStore({ dataDir, sqliteSync: 'NORMAL' });
  });
  afterAll(async () => {
    await store?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const scenario = fc.record({
    strategy: fc.constantFrom<Strategy>('round_robin', 'least_busy'),
    members: fc.array(fc.constantFrom<Standing>('ok', 'ok', 'at_cap', 'off_shift', 'away', 'stale', 'unlinked'), { minLength: 2, maxLength: 5 }),
    handoffs: fc.integer({ min: 1, max: 12 }),
  });
  it('present agents stay within 1 of each other in any interleaving; away, lapsed, unlinked, off-shift and full agents get nothing; the rest wait in the queue', () =>
    fc.assert(fc.asyncProperty(scenario, fc.scheduler(), (sc, s) => checkFair(store, sc, s)), { numRuns: 30 }), 120_000);
});
