/**
 * The waiting pool and departed servicers: conversations waiting in the pool are assigned in
 * arrival order as slots free up; the open sessions of a servicer who leaves (离职) go to someone else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoutingConfig } from '../src/routing/model.js';
import { saveRouting } from '../src/store/routing-repo.js';
import { ENGINES, eventually, startStack, type Stack } from './stack.js';

const KF = 'wkMockKf0001';

describe.each(ENGINES)('pool and reassignment on %s', (engine) => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack(engine, { mock: { servicers: { [KF]: ['agent_a', 'agent_b'] } } });
    for (const userid of ['agent_a', 'agent_b']) {
      await s.wr.store.db
        .insertInto('servicers')
        .values({ userid, name: userid, open_kfids: JSON.stringify([KF]), groups: '["g"]', reception_cap: 1, supervisor: 0, status: 'active', receiving: 1, timezone: 'Asia/Shanghai', shift: null, created_at: Date.now(), updated_at: Date.now() })
        .execute();
    }
    const config: RoutingConfig = {
      groups: [{ id: 'g', name: '客服', members: ['agent_a', 'agent_b'], strategy: 'round_robin' }],
      tree: { timezone: 'Asia/Shanghai', nodes: [{ id: 'all', name: '全部', when: {}, then: { group: 'g' } }] },
      complaintPhrases: [],
    };
    await saveRouting(s.wr.store.db, config, 'test', null);
  });
  afterAll(async () => s?.close());

  const session = (user: string) => s.mock.sessionInfo(KF, user);
  const handOff = async (user: string, state: number) => {
    await s.mock.customerSays({ external_userid: user, text: '转人工' });
    await eventually(() => session(user).service_state === state, 10_000, `${user} in state ${state}`);
  };
  const endSession = (user: string, servicer: string) => s.mock.pushEvent({ event_type: 'session_status_change', external_userid: user, change_type: 3, old_servicer_userid: servicer });

  it('assigns waiting conversations in arrival order as slots free up', async () => {
    await handOff('wm_p1', 3);
    await handOff('wm_p2', 3);
    await handOff('wm_p3', 2);
    await handOff('wm_p4', 2);
    const p1 = session('wm_p1').servicer_userid;
    await endSession('wm_p1', p1);
    // The longest-waiting conversation gets the freed slot; the next keeps waiting.
    await eventually(() => session('wm_p3').service_state === 3, 10_000, 'wm_p3 assigned').catch(async (err) => {
      const state = await s.wr.store.db.selectFrom('outbox as o').innerJoin('conversations as c', 'c.id', 'o.conversation_id').select(['c.external_userid', 'o.api', 'o.status', 'o.reason']).execute();
      throw new Error(`${(err as Error).message}; outbox: ${JSON.stringify(state)}`);
    });
    expect(session('wm_p3').servicer_userid).toBe(p1);
    expect(session('wm_p4').service_state).toBe(2);
  });

  it('routes the open sessions of a servicer who leaves (离职) to someone else, recorded', async () => {
    const leaving = session('wm_p3').servicer_userid;
    const staying = leaving === 'agent_a' ? 'agent_b' : 'agent_a';
    expect((await s.api('PATCH', `/api/servicers/${staying}`, { receptionCap: 3 })).status).toBe(200);
    expect((await s.api('PATCH', `/api/servicers/${leaving}`, { status: 'departed' })).status).toBe(200);
    await eventually(() => session('wm_p3').servicer_userid === staying, 10_000, 'wm_p3 moved');
    const history = () => s.wr.store.db.selectFrom('assignments as a').innerJoin('conversations as c', 'c.id', 'a.conversation_id').select(['a.kind', 'a.servicer_userid', 'a.reason']).where('c.external_userid', '=', 'wm_p3').orderBy('a.id').execute();
    // WeCom has moved the session; the assignment is recorded right after.
    const log = (await eventually(async () => {
      const rows = await history();
      return rows.length === 4 ? rows : null;
    }, 10_000, "the reassignment recorded"))!;
    expect(log.map((r) => r.kind)).toEqual(['pool', 'assigned', 'reassigned', 'assigned']);
    expect(log[2]).toMatchObject({ servicer_userid: leaving, reason: expect.stringMatching(/离职/) });
    expect(log[3]).toMatchObject({ servicer_userid: staying });
  });
});
