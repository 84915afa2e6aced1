/**
 * Routing on the pipeline: handoffs assigned by the routing configuration — fair round-robin in
 * reception order, 接待上限 respected, complaints to supervisors, the pool when nobody can take
 * it — each assignment recorded with its reason; and the cap held by two instances at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoutingConfig } from '../src/routing/model.js';
import { saveRouting } from '../src/store/routing-repo.js';
import { ENGINES, eventually, startStack, type Stack } from './stack.js';

const KF = 'wkMockKf0001';
const SERVICERS = ['agent_a', 'agent_b', 'boss'];

describe.each(ENGINES)('assignment on %s', (engine) => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack(engine, { mock: { servicers: { [KF]: SERVICERS } } });
    for (const userid of SERVICERS) {
      await s.wr.store.db
        .insertInto('servicers')
        .values({ userid, name: userid, open_kfids: JSON.stringify([KF]), groups: JSON.stringify(['sales']), reception_cap: 2, supervisor: userid === 'boss' ? 1 : 0, status: 'active', receiving: 1, timezone: 'Asia/Shanghai', shift: null, created_at: Date.now(), updated_at: Date.now() })
        .execute();
    }
    const config: RoutingConfig = {
      groups: [{ id: 'sales', name: '售前', members: ['agent_a', 'agent_b'], strategy: 'round_robin' }],
      tree: { timezone: 'Asia/Shanghai', nodes: [{ id: 'all', name: '全部', when: {}, then: { group: 'sales' } }] },
      complaintPhrases: ['投诉'],
    };
    await saveRouting(s.wr.store.db, config, 'test', null);
  });
  afterAll(async () => s?.close());

  const handOff = async (user: string, text = '转人工') => {
    await s.mock.customerSays({ external_userid: user, text });
    return eventually(async () => {
      const rows = await s.wr.store.db.selectFrom('assignments as a').innerJoin('conversations as c', 'c.id', 'a.conversation_id').select(['a.kind', 'a.servicer_userid', 'a.reason', 'a.trace', 'a.follow_up']).where('c.external_userid', '=', user).execute();
      return rows.find((r) => r.kind === 'assigned' || r.kind === 'pool');
    }, 10_000, `assignment of ${user}`);
  };

  it('assigns in reception order, round-robin, and WeCom has the session with that servicer', async () => {
    const first = (await handOff('wm_r1'))!;
    const second = (await handOff('wm_r2'))!;
    expect([first.servicer_userid, second.servicer_userid]).toEqual(['agent_a', 'agent_b']);
    expect(s.mock.sessionInfo(KF, 'wm_r1')).toMatchObject({ service_state: 3, servicer_userid: 'agent_a' });
    expect(JSON.parse(first.trace!).branch.path[0].name).toBe('全部');
    expect(first.reason).toMatch(/round_robin/);
  });

  it('keeps to 接待上限 and sends the overflow to the pool with the reason', async () => {
    await handOff('wm_r3');
    await handOff('wm_r4');
    const overflow = (await handOff('wm_r5'))!;
    expect(overflow.kind).toBe('pool');
    expect(overflow.reason).toMatch(/接待上限/);
    expect(s.mock.sessionInfo(KF, 'wm_r5').service_state).toBe(2);
    const open = await s.wr.store.db.selectFrom('conversations').select(['servicer_userid']).where('service_state', '=', 3).execute();
    const counts = open.reduce<Record<string, number>>((m, r) => ({ ...m, [r.servicer_userid!]: (m[r.servicer_userid!] ?? 0) + 1 }), {});
    expect(counts).toEqual({ agent_a: 2, agent_b: 2 });
  });

  it('gives complaints to a supervisor', async () => {
    const a = (await handOff('wm_angry', '我要投诉，转人工'))!;
    expect(a.servicer_userid).toBe('boss');
    expect(JSON.parse(a.trace!).chosenBy).toEqual({ stage: 'complaint', how: 'supervisor' });
  });

  it('follows WeCom: ended sessions free their slot and the bot answers again; a paused servicer (停止接待) is skipped', async () => {
    const holding = async (userid: string) =>
      (await s.wr.store.db.selectFrom('conversations').select('external_userid').where('service_state', '=', 3).where('servicer_userid', '=', userid).execute()).map((r) => r.external_userid);
    const endSession = (user: string, servicer: string) => s.mock.pushEvent({ event_type: 'session_status_change', external_userid: user, change_type: 3, old_servicer_userid: servicer });
    for (const user of await holding('agent_a')) await endSession(user, 'agent_a');
    const [bUser] = await holding('agent_b');
    await endSession(bUser!, 'agent_b');
    // wm_r5, waiting in the pool since the overflow, takes the first slot that frees up: agent_a's,
    // next in reception order after agent_b.
    await eventually(() => s.mock.sessionInfo(KF, 'wm_r5').service_state === 3, 10_000, 'the pool served');
    expect(s.mock.sessionInfo(KF, 'wm_r5').servicer_userid).toBe('agent_a');
    await eventually(async () => (await holding('agent_b')).length === 1, 10_000, 'sessions ended');
    await s.mock.pushEvent({ event_type: 'servicer_status_change', servicer_userid: 'agent_a', status: 2 });
    await eventually(async () => (await s.wr.store.db.selectFrom('servicers').select('receiving').where('userid', '=', 'agent_a').executeTakeFirstOrThrow()).receiving === 0);
    const next = (await handOff('wm_r6'))!;
    expect(next.servicer_userid).toBe('agent_b');
    expect(JSON.parse(next.trace!).candidates).toContainEqual(expect.objectContaining({ userid: 'agent_a', eligible: false, reason: 'not_receiving' }));
    // The customer whose session ended writes again: the bot is back (here: the handoff rule decides again).
    await s.mock.customerSays({ external_userid: bUser!, text: '你好' });
    await eventually(async () => {
      const rows = await s.api('GET', `/api/messages?external_userid=${bUser}`);
      return rows.body[0]?.text === '你好' && rows.body[0].decision && !rows.body[0].decision.person;
    }, 10_000, 'the bot to decide again');
  });

  it('shows the routing decision in the sandbox for any time, without assigning anything', async () => {
    const before = await s.wr.store.db.selectFrom('assignments').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const t = await s.api('POST', '/api/simulate', { text: '转人工', at: '2026-11-25T23:30:00+08:00' });
    expect(t.status).toBe(200);
    expect(t.body.handoff).toMatchObject({ reason: 'phrase' });
    expect(t.body.routing.branch.path).toEqual([{ id: 'all', name: '全部' }]);
    expect(t.body.routing.candidates.map((c: { userid: string }) => c.userid)).toEqual(['agent_a', 'agent_b']);
    expect(typeof t.body.routing.reason).toBe('string');
    const forced = await s.api('POST', '/api/simulate', { text: '你好', route: true });
    expect(forced.body.handoff).toBeNull();
    expect(forced.body.routing).not.toBeNull();
    const after = await s.wr.store.db.selectFrom('assignments').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('routes by customer tags and the customer’s own timezone', async () => {
    const config: RoutingConfig = {
      groups: [{ id: 'sales', name: '售前', members: ['agent_a', 'agent_b'], strategy: 'round_robin' }],
      tree: {
        timezone: 'Asia/Shanghai',
        nodes: [
          { id: 'vip', name: 'VIP', when: { customerTags: { any: ['VIP'] } }, then: { servicer: 'boss' } },
          { id: 'us', name: '海外', when: { customerTimezones: ['America/Los_Angeles'] }, then: { servicer: 'agent_b' } },
          { id: 'all', name: '全部', when: {}, then: { group: 'sales' } },
        ],
      },
      complaintPhrases: ['投诉'],
    };
    await saveRouting(s.wr.store.db, config, 'test', 'by customer');
    expect((await s.api('PUT', '/api/customers/wm_vip', { tags: ['VIP', '华南'] })).body).toMatchObject({ tags: ['VIP', '华南'] });
    expect((await s.api('PUT', '/api/customers/wm_la', { timezone: 'America/Los_Angeles' })).status).toBe(200);
    expect((await s.api('PUT', '/api/customers/wm_la', { timezone: 'Mars/Base' })).status).toBe(400);
    const vip = await s.api('POST', '/api/simulate', { text: '转人工', external_userid: 'wm_vip' });
    expect(vip.body.routing.branch.path.map((p: { name: string }) => p.name)).toEqual(['VIP']);
    const la = await s.api('POST', '/api/simulate', { text: '转人工', external_userid: 'wm_la' });
    expect(la.body.routing.branch.path.map((p: { name: string }) => p.name)).toEqual(['海外']);
  });
});
