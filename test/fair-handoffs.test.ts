/**
 * The reported case, end to end: 30 customers each write "转人工"; WeCom delivers them as 3
 * kf/sync_msg pages of 10; the round-robin group has 3 servicers with 接待上限 20. Every handoff
 * runs in the outbox at once (up to 32 sends), and WeCom answers trans slowly. What WeCom saw
 * (service_state/trans to state 3) is 10 / 10 / 10, give or take 1 — on one instance, and on two
 * instances sharing PostgreSQL (before the fix: 17 / 13 / 0).
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createWeReply, type WeReply } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { RoutingConfig } from '../src/routing/model.js';
import { saveRouting } from '../src/store/routing-repo.js';
import { ENGINES, eventually, startStack, TEST_DATABASE_URL, weReplyEnv, type Engine, type Stack } from './stack.js';

const KF = 'wkMockKf0001';
const SERVICERS = ['agent_1', 'agent_2', 'agent_3'];
const CUSTOMERS = 30;

async function prepare(s: Stack): Promise<void> {
  for (const userid of SERVICERS) {
    await s.wr.store.db
      .insertInto('servicers')
      .values({ userid, name: userid, open_kfids: JSON.stringify([KF]), groups: '["front"]', reception_cap: 20, supervisor: 0, status: 'active', receiving: 1, timezone: 'Asia/Shanghai', shift: null, created_at: Date.now(), updated_at: Date.now() })
      .execute();
  }
  const config: RoutingConfig = {
    groups: [{ id: 'front', name: '售前', members: SERVICERS, strategy: 'round_robin' }],
    tree: { timezone: 'Asia/Shanghai', nodes: [{ id: 'all', name: '全部', when: {}, then: { group: 'front' } }] },
    complaintPhrases: [],
  };
  await saveRouting(s.wr.store.db, config, 'test', null);
}

/**
 * 30 messages in WeCom's log, then one callback: WeReply pulls 3 pages of 10. Answers the servicers
 * of the successful trans calls to state 3, in the order WeCom received them.
 */
async function thirtyHandoffs(s: Stack): Promise<string[]> {
  for (let i = 0; i < CUSTOMERS; i++) await s.mock.customerSays({ external_userid: `wm_fair_${i}`, text: '转人工', callback: i === CUSTOMERS - 1 });
  await eventually(async () => {
    const n = await s.wr.store.db.selectFrom('assignments').select((eb) => eb.fn.countAll<number>().as('n')).where('kind', 'in', ['assigned', 'pool']).executeTakeFirstOrThrow();
    return Number(n.n) === CUSTOMERS;
  }, 30_000, 'every handoff decided');
  const pages = s.mock.requests.filter((r) => r.path === '/cgi-bin/kf/sync_msg' && r.errcode === 0);
  expect(pages.length).toBeGreaterThanOrEqual(3);
  const order: string[] = [];
  for (const r of s.mock.requests) {
    const body = r.body as { service_state?: number; servicer_userid?: string };
    if (r.path === '/cgi-bin/kf/service_state/trans' && r.errcode === 0 && body.service_state === 3) order.push(body.servicer_userid!);
  }
  return order;
}

/**
 * 10/10/10 ±1 in total. And along the way: three pages of ten to three servicers could end 10/10/10
 * by luck (each page to one servicer), so the counts are also checked after every trans WeCom
 * received — within 2, allowing two requests in flight to arrive in the other order.
 */
function expectFair(order: string[]): void {
  const spread = (n: number) => {
    const counts = SERVICERS.map((u) => order.slice(0, n).filter((x) => x === u).length);
    return Math.max(...counts) - Math.min(...counts);
  };
  expect(order.length).toBe(CUSTOMERS);
  expect(spread(order.length), `trans per servicer in order: ${order.join(' ')}`).toBeLessThanOrEqual(1);
  for (let n = 1; n <= order.length; n++) expect(spread(n), `after ${n} trans: ${order.slice(0, n).join(' ')}`).toBeLessThanOrEqual(2);
}

describe('round-robin under a page of concurrent handoffs', () => {
  let s: Stack | undefined;
  let second: WeReply | undefined;
  afterEach(async () => {
    await second?.close();
    await s?.close();
    second = undefined;
    s = undefined;
  });

  it.each(ENGINES)('3 pages of 10 "转人工" to 3 servicers with caps 20 give 10/10/10 on %s', async (engine: Engine) => {
    s = await startStack(engine, { mock: { servicers: { [KF]: SERVICERS }, syncPageLimit: 10 } });
    s.mock.injectFault({ path: '/cgi-bin/kf/service_state/trans', delayMs: 100, times: 1_000_000 });
    await prepare(s);
    expectFair(await thirtyHandoffs(s));
  });

  // Six sends at a time per instance, so both instances have handoffs in flight at once.
  it('the same with two instances on one PostgreSQL database, both assigning', async () => {
    s = await startStack('postgres', { mock: { servicers: { [KF]: SERVICERS }, syncPageLimit: 10 }, wereply: { outbox: { pollMs: 20, concurrency: 6 } } });
    s.mock.injectFault({ path: '/cgi-bin/kf/service_state/trans', delayMs: 100, times: 1_000_000 });
    second = await createWeReply(loadConfig(weReplyEnv(s.mock, { PORT: '0', WEREPLY_DATA_DIR: s.dataDir, DATABASE_URL: TEST_DATABASE_URL })), {
      logger: pino({ level: 'silent' }),
      pgSchema: s.pgSchema!,
      outbox: { pollMs: 20, concurrency: 6 },
    });
    await second.listen();
    await prepare(s);
    expectFair(await thirtyHandoffs(s));
    const workers = await s.wr.store.db.selectFrom('outbox_attempts as a').innerJoin('outbox as o', 'o.id', 'a.outbox_id').select('a.worker').distinct().where('o.api', '=', 'handoff').execute();
    expect(workers.length).toBe(2);
  });
});
