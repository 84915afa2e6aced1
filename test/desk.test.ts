/**
 * Where people answer (issue 11): the two desks end to end against the mock WeCom.
 * - WeReply desk: 转人工 assigns a present agent inside WeReply, the session stays with the API
 *   (state 1), the agent's message goes out through the outbox, keyword replies stay silent, closing
 *   ends the session and frees the slot; nobody present → WeReply's queue, assigned on 在线.
 * - WeCom desk: state 3; the agent's message is refused up front (the reproduction), take-over
 *   ends the session (3→1 is impossible) and the customer's next message brings it back to the API.
 * - Refusal up front for each reason, presence (away, heartbeat timeout), hand_to_wecom, concurrent take-over.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveRouting } from '../src/store/routing-repo.js';
import { DEFAULT_COMPLAINT_PHRASES } from '../src/routing/model.js';
import { ENGINES, eventually, startStack, type Stack } from './stack.js';

const KF_A = 'wkMockKfDeskA'; // WeReply desk
const KF_B = 'wkMockKfDeskB'; // WeCom desk (the default)

describe.each(ENGINES)('desks on %s', (engine) => {
  let s: Stack;
  const tok: Record<string, string> = {};
  const ids: Record<string, number> = {};
  beforeAll(async () => {
    // A presence timeout other than the default: the setting is what routing uses.
    s = await startStack(engine, { mock: { openKfIds: [KF_A, KF_B] }, env: { WEREPLY_PRESENCE_TIMEOUT_SECONDS: '60' } });
    // The servicer sync run at start must be done first: it would mark servicers of accounts it did not know yet as departed.
    await eventually(async () => !!(await s.wr.store.db.selectFrom('routing_state').select('key').where('key', '=', 'servicer-departments').executeTakeFirst()), 10_000, 'the start-up servicer sync');
    const now = Date.now();
    for (const [kf, users] of Object.entries(s.mock.credentials.servicers)) {
      for (const userid of users) {
        await s.wr.store.db.insertInto('servicers').values({ userid, name: userid, open_kfids: JSON.stringify([kf]), groups: '[]', reception_cap: 10, supervisor: 0, status: 'active', receiving: 1, timezone: 'Asia/Shanghai', shift: null, created_at: now, updated_at: now }).execute();
      }
    }
    const [a1, a2] = s.mock.credentials.servicers[KF_A]!;
    const [b1, b2] = s.mock.credentials.servicers[KF_B]!;
    await saveRouting(s.wr.store.db, {
      groups: [
        { id: 'desk-a', name: 'A', members: [a1!, a2!], strategy: 'round_robin' },
        { id: 'wecom-b', name: 'B', members: [b1!, b2!], strategy: 'round_robin' },
      ],
      tree: { timezone: 'Asia/Shanghai', nodes: [{ id: 'a', name: 'A', when: { kfAccounts: [KF_A] }, then: { group: 'desk-a' } }, { id: 'b', name: 'B', when: {}, then: { group: 'wecom-b' } }] },
      complaintPhrases: DEFAULT_COMPLAINT_PHRASES,
    }, 'test', null);
    for (const [name, servicer_userid, role] of [['agent1', a1, 'agent'], ['agent2', a2, 'agent'], ['boss', undefined, 'supervisor']] as const) {
      const r = await s.api('POST', '/api/operators', { name, role, ...(servicer_userid ? { servicer_userid } : {}) });
      expect(r.status).toBe(201);
      tok[name] = r.body.token;
      ids[name] = r.body.id;
    }
    expect((await s.api('PUT', '/api/desks', { default: 'wecom', accounts: { [KF_A]: 'wereply' }, groups: {} })).status).toBe(200);
    expect((await s.api('POST', '/api/rules', { name: '退货', match: { any: ['退货'] }, reply: [{ type: 'text', text: '退货请在订单页申请' }] })).status).toBe(201);
  });
  afterAll(async () => s?.close());

  const db = () => s.wr.store.db;
  const conv = async (user: string) => db().selectFrom('conversations').selectAll().where('external_userid', '=', user).executeTakeFirst();
  const convId = async (user: string) => eventually(async () => Number((await conv(user))?.id ?? 0), 10_000, `conversation of ${user}`);
  const options = async (id: number, who = 'agent1') => (await s.api('GET', `/api/conversations/${id}/reply-options`, undefined, tok[who])).body;
  const online = async (who: string, status: 'online' | 'away' = 'online') => s.api('PUT', '/api/me/presence', { status }, tok[who]);
  const sentTo = (user: string) => s.mock.sent.filter((r) => r.touser === user && r.api === 'send_msg' && r.errcode === 0).map((r) => (r.body.text as { content: string }).content);
  /** Assigned (the WeCom call done and recorded), not only reserved. */
  const assignedTo = async (user: string, servicer: string) => {
    const c = await conv(user);
    if (!c || c.servicer_userid !== servicer) return false;
    return !!(await db().selectFrom('assignments').select('id').where('conversation_id', '=', Number(c.id)).where('kind', '=', 'assigned').where('servicer_userid', '=', servicer).executeTakeFirst());
  };
  const outboxRows = async (id: number) => db().selectFrom('outbox').select(['id', 'api', 'status']).where('conversation_id', '=', id).execute();

  it('WeReply desk: 转人工 assigns a present agent in WeReply, the session stays with the API, the agent answers through the outbox, the bot stays silent, close frees the slot', async () => {
    const [a1] = s.mock.credentials.servicers[KF_A]!;
    expect((await online('agent1')).body).toMatchObject({ status: 'online', present: true, servicer_userid: a1 });
    await s.mock.customerSays({ open_kfid: KF_A, external_userid: 'wm_desk1', text: '耳机坏了 转人工' });
    const id = await convId('wm_desk1');
    await eventually(() => assignedTo('wm_desk1', a1!), 10_000, 'assigned to agent1');
    expect(s.mock.sessionInfo(KF_A, 'wm_desk1').service_state).toBe(1);
    const c = (await conv('wm_desk1'))!;
    expect(c.desk).toBe('wereply');
    const assignment = await db().selectFrom('assignments').selectAll().where('conversation_id', '=', id).where('kind', '=', 'assigned').executeTakeFirstOrThrow();
    expect(assignment.desk).toBe('wereply');
    await eventually(() => sentTo('wm_desk1').length === 1, 10_000, 'the waiting message');
    // …and its outcome recorded (the allowance counts what WeReply recorded as accepted).
    await eventually(async () => (await outboxRows(id)).every((r) => r.status === 'sent'), 10_000, 'outbox drained');

    const o = await options(id);
    expect(o).toMatchObject({ desk: 'wereply', holder: { servicer_userid: a1, name: 'agent1', operator_id: ids.agent1 }, service_state: 1, can_reply: true, reason_code: null, allowance: { messages_left: 4, messages_max: 5, customer_must_write: false } });
    expect(o.actions).toEqual(expect.arrayContaining(['reply', 'hand_to_wecom', 'close']));
    expect(o.allowance.window_ends_at).toBe(Number(c.last_customer_msg_at) + 48 * 3600_000);

    const sent = await s.api('POST', `/api/conversations/${id}/messages`, { text: '您好，我是小王，请问耳机哪里坏了？' }, tok.agent1);
    expect(sent.status).toBe(202);
    await eventually(() => sentTo('wm_desk1').includes('您好，我是小王，请问耳机哪里坏了？'), 10_000, 'the agent message sent by the mock');

    // Another agent is refused up front: agent1 holds it.
    const other = await s.api('POST', `/api/conversations/${id}/messages`, { text: '我来回答' }, tok.agent2);
    expect(other.status).toBe(409);
    expect(other.body.reason_code).toBe('held_by_other_agent');
    expect(other.body.error).toContain('agent1');

    // The customer writes a keyword: no bot reply while the agent holds it (decision recorded).
    await s.mock.customerSays({ open_kfid: KF_A, external_userid: 'wm_desk1', text: '我想退货' });
    const stored = await eventually(async () => db().selectFrom('messages').select(['decision']).where('conversation_id', '=', id).where('text', '=', '我想退货').executeTakeFirst(), 10_000, 'the message stored');
    expect(JSON.parse(stored.decision!).person).toContain(a1);
    expect((await outboxRows(id)).filter((r) => r.api === 'send_msg').length).toBe(2);
    const sim = await s.api('POST', '/api/simulate', { text: '我想退货', external_userid: 'wm_desk1', open_kfid: KF_A }, tok.agent1);
    expect(sim.body.held_by).toContain('WeReply agent');
    expect(sim.body.desk.desk).toBe('wereply');
    expect(sim.body.conversation.reply_options).toMatchObject({ desk: 'wereply', can_reply: true });

    const closed = await s.api('POST', `/api/conversations/${id}/close`, {}, tok.agent1);
    expect(closed.status).toBe(200);
    expect(s.mock.sessionInfo(KF_A, 'wm_desk1').service_state).toBe(4);
    expect((await conv('wm_desk1'))!.servicer_userid).toBeNull();
    expect(closed.body.reply_options).toMatchObject({ can_reply: false, reason_code: 'session_ended' });
    const audit = (await s.api('GET', `/api/compliance/audit?action=closed&subject_id=${id}`)).body as { actor: string }[];
    expect(audit[0]!.actor).toBe('agent1');
  });

  it('WeReply desk: an away agent is not chosen; a lapsed heartbeat counts as away; waiting conversations are assigned when an agent comes online', async () => {
    const [a1, a2] = s.mock.credentials.servicers[KF_A]!;
    await online('agent1', 'away');
    expect((await online('agent2')).body.present).toBe(true);
    await s.mock.customerSays({ open_kfid: KF_A, external_userid: 'wm_desk2', text: '转人工' });
    await eventually(() => assignedTo('wm_desk2', a2!), 10_000, 'assigned to agent2 (agent1 is away)');
    const trace = JSON.parse((await db().selectFrom('assignments').select('trace').where('conversation_id', '=', await convId('wm_desk2')).where('kind', '=', 'assigned').executeTakeFirstOrThrow()).trace!);
    expect(trace.candidates).toEqual(expect.arrayContaining([expect.objectContaining({ userid: a1, reason: 'away' })]));

    // agent2's console closed without a word: within WEREPLY_PRESENCE_TIMEOUT_SECONDS (60) still present, after it away.
    await db().updateTable('operators').set({ presence_seen_at: Date.now() - 50_000 }).where('id', '=', ids.agent2!).execute();
    expect((await s.api('GET', '/api/me/presence', undefined, tok.agent2)).body).toMatchObject({ status: 'online', present: true, timeout_seconds: 60 });
    await db().updateTable('operators').set({ presence_seen_at: Date.now() - 61_000 }).where('id', '=', ids.agent2!).execute();
    expect((await s.api('GET', '/api/me/presence', undefined, tok.agent2)).body).toMatchObject({ status: 'online', present: false, timeout_seconds: 60 });
    await s.mock.customerSays({ open_kfid: KF_A, external_userid: 'wm_desk3', text: '转人工' });
    const id3 = await convId('wm_desk3');
    await eventually(async () => (await conv('wm_desk3'))?.waiting_since != null, 10_000, 'waiting in the WeReply queue');
    expect((await conv('wm_desk3'))!.servicer_userid).toBeNull();
    expect(s.mock.sessionInfo(KF_A, 'wm_desk3').service_state).toBe(1);
    expect(await options(id3)).toMatchObject({ desk: 'wereply', waiting: true, holder: null });

    // agent1 comes online: the waiting conversation is offered and assigned.
    const back = await online('agent1');
    expect(back.body.offered).toBe(1);
    await eventually(() => assignedTo('wm_desk3', a1!), 10_000, 'assigned to agent1 on 在线');
    expect((await conv('wm_desk3'))!.waiting_since).toBeNull();

    // WeCom ended wm_desk2's session by itself (48 h): the customer's next message opens a new one, which
    // WeReply keeps with the API for agent2, who still holds the conversation.
    s.mock.setSessionState(KF_A, 'wm_desk2', 4);
    await db().updateTable('conversations').set({ last_customer_msg_at: Date.now() - 49 * 3600_000 }).where('external_userid', '=', 'wm_desk2').execute();
    await s.mock.customerSays({ open_kfid: KF_A, external_userid: 'wm_desk2', text: '又是我' });
    await eventually(() => s.mock.sessionInfo(KF_A, 'wm_desk2').service_state === 1, 10_000, 'the new session kept with the API');
    expect((await conv('wm_desk2'))!.servicer_userid).toBe(a2);
  });

  it('operators without a servicer link get a clear 409 for 在线; the admin token has no presence', async () => {
    const r = await online('boss');
    expect(r.status).toBe(409);
    expect(r.body.reason_code).toBe('no_servicer_link');
    expect(r.body.error).toMatch(/not linked to a 接待人员/);
    expect((await s.api('PUT', '/api/me/presence', { status: 'online' })).status).toBe(409);
    expect((await s.api('PUT', '/api/me/presence', { status: 'busy' }, tok.agent1)).status).toBe(400);
  });

  it("WeCom desk (the issue's reproduction): state 3 → the agent's message is refused up front naming the servicer, no outbox row; take-over ends the session and the customer's next message returns it to the API", async () => {
    const [b1] = s.mock.credentials.servicers[KF_B]!;
    await s.mock.customerSays({ open_kfid: KF_B, external_userid: 'wm_wecom1', text: '耳机坏了 转人工' });
    const id = await convId('wm_wecom1');
    await eventually(() => s.mock.sessionInfo(KF_B, 'wm_wecom1').service_state === 3, 10_000, 'with a servicer in WeCom');
    await eventually(async () => (await outboxRows(id)).every((r) => r.status === 'sent'), 10_000, 'outbox drained');
    expect((await conv('wm_wecom1'))!.desk).toBe('wecom');
    const before = await outboxRows(id);
    const refused = await s.api('POST', `/api/conversations/${id}/messages`, { text: '您好' }, tok.agent1);
    expect(refused.status).toBe(409);
    expect(refused.body.reason_code).toBe('session_with_servicer');
    expect(refused.body.error).toContain(b1);
    expect(await outboxRows(id)).toEqual(before);
    expect(await db().selectFrom('agent_messages').select('id').where('conversation_id', '=', id).execute()).toEqual([]);
    const o = await options(id);
    expect(o).toMatchObject({ desk: 'wecom', holder: { servicer_userid: b1 }, service_state: 3, can_reply: false });
    expect(o.actions).toContain('take_over');
    expect(o.actions).not.toContain('reply');

    const taken = await s.api('POST', `/api/conversations/${id}/desk`, { action: 'take_over' }, tok.agent1);
    expect(taken.status).toBe(200);
    expect(taken.body.detail).toMatch(/ended/);
    expect(s.mock.sessionInfo(KF_B, 'wm_wecom1').service_state).toBe(4);
    expect(taken.body.reply_options).toMatchObject({ desk: 'wereply', holder: { name: 'agent1' }, can_reply: false, reason_code: 'session_ended', allowance: { customer_must_write: true } });
    const audit = (await s.api('GET', `/api/compliance/audit?action=taken_over&subject_id=${id}`)).body as { actor: string; reason: string }[];
    expect(audit[0]).toMatchObject({ actor: 'agent1' });

    await s.mock.customerSays({ open_kfid: KF_B, external_userid: 'wm_wecom1', text: '还在吗' });
    await eventually(() => s.mock.sessionInfo(KF_B, 'wm_wecom1').service_state === 1, 10_000, 'session back with the API');
    await eventually(async () => (await conv('wm_wecom1'))?.service_state === 1, 10_000, 'WeReply knows state 1');
    expect((await options(id)).can_reply).toBe(true);
    expect((await s.api('POST', `/api/conversations/${id}/messages`, { text: '在的，我来处理' }, tok.agent1)).status).toBe(202);
    await eventually(() => sentTo('wm_wecom1').includes('在的，我来处理'), 10_000, 'sent by the mock');
  });

  it('taken over, then the servicer writes from the WeCom client before the customer does: WeCom gave the session to the servicer, so the conversation is on the WeCom desk again and the agent is refused up front', async () => {
    const [b1] = s.mock.credentials.servicers[KF_B]!;
    await s.mock.customerSays({ open_kfid: KF_B, external_userid: 'wm_back', text: '转人工' });
    const id = await convId('wm_back');
    await eventually(() => s.mock.sessionInfo(KF_B, 'wm_back').service_state === 3, 10_000, 'with a servicer in WeCom');
    await eventually(async () => (await outboxRows(id)).every((r) => r.status === 'sent'), 10_000, 'outbox drained');
    expect((await s.api('POST', `/api/conversations/${id}/desk`, { action: 'take_over' }, tok.agent1)).status).toBe(200);
    expect((await conv('wm_back'))!.desk).toBe('wereply');
    // In the ended session the servicer writes from the WeCom client: WeCom re-opens it as state 3 with them.
    await s.mock.servicerSays({ open_kfid: KF_B, external_userid: 'wm_back', servicer_userid: b1!, text: '您好，我继续为您处理' });
    expect(s.mock.sessionInfo(KF_B, 'wm_back').service_state).toBe(3);
    await eventually(async () => (await conv('wm_back'))?.service_state === 3, 10_000, 'WeReply saw the servicer write');
    expect(await conv('wm_back')).toMatchObject({ desk: 'wecom', servicer_userid: b1 });
    expect(await options(id)).toMatchObject({ desk: 'wecom', holder: { servicer_userid: b1 }, can_reply: false });
    const refused = await s.api('POST', `/api/conversations/${id}/messages`, { text: '我来处理' }, tok.agent1);
    expect(refused.status).toBe(409);
    expect(refused.body.reason_code).toBe('session_with_servicer');
  });

  it('two agents taking over at once: exactly one wins, WeCom is asked once', async () => {
    await s.mock.customerSays({ open_kfid: KF_B, external_userid: 'wm_race', text: '转人工' });
    const id = await convId('wm_race');
    await eventually(() => s.mock.sessionInfo(KF_B, 'wm_race').service_state === 3, 10_000, 'with a servicer');
    await eventually(async () => (await conv('wm_race'))?.service_state === 3, 10_000, 'recorded');
    const results = await Promise.all(['agent1', 'agent2'].map((w) => s.api('POST', `/api/conversations/${id}/desk`, { action: 'take_over' }, tok[w])));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const winner = results.findIndex((r) => r.status === 200);
    expect(results[1 - winner]!.body.reason_code).toBe('changed');
    const ends = s.mock.requests.filter((r) => r.path.endsWith('service_state/trans') && (r.body as { external_userid?: string; service_state?: number }).external_userid === 'wm_race' && (r.body as { service_state?: number }).service_state === 4);
    expect(ends.length).toBe(1);
    expect((await conv('wm_race'))!.servicer_userid).toBe(s.mock.credentials.servicers[KF_A]![winner]);
    // An agent cannot take it from the agent holding it (a supervisor could); the admin token has no servicer to hold it with.
    const again = await s.api('POST', `/api/conversations/${id}/desk`, { action: 'take_over' }, tok[winner === 0 ? 'agent2' : 'agent1']);
    expect([again.status, again.body.reason_code]).toEqual([403, 'not_allowed']);
    const admin = await s.api('POST', `/api/conversations/${id}/desk`, { action: 'take_over' });
    expect([admin.status, admin.body.reason_code]).toEqual([409, 'no_servicer_link']);
    expect((await s.api('POST', `/api/conversations/${id}/desk`, { action: 'take_over', servicer_userid: 'x' }, tok.agent1)).status).toBe(400);
  });

  it('hand_to_wecom: to a named servicer (trans → 3), to the one routing picks, and a servicer WeCom refuses answered clearly', async () => {
    const [a1] = s.mock.credentials.servicers[KF_A]!;
    const [, b2] = s.mock.credentials.servicers[KF_B]!;
    await online('agent1');
    await s.mock.customerSays({ open_kfid: KF_A, external_userid: 'wm_hand', text: '转人工' });
    const id = await convId('wm_hand');
    await eventually(() => assignedTo('wm_hand', a1!), 10_000, 'with agent1');
    // A servicer of the other account: WeCom answers 95014.
    const bad = await s.api('POST', `/api/conversations/${id}/desk`, { action: 'hand_to_wecom', servicer_userid: b2 }, tok.agent1);
    expect(bad.status).toBe(409);
    expect(bad.body.error).toMatch(/95014/);
    expect((await conv('wm_hand'))!.servicer_userid).toBe(a1); // unchanged
    const [, a2] = s.mock.credentials.servicers[KF_A]!;
    const ok = await s.api('POST', `/api/conversations/${id}/desk`, { action: 'hand_to_wecom', servicer_userid: a2 }, tok.agent1);
    expect(ok.status).toBe(200);
    expect(s.mock.sessionInfo(KF_A, 'wm_hand')).toMatchObject({ service_state: 3, servicer_userid: a2 });
    expect(ok.body.reply_options).toMatchObject({ desk: 'wecom', can_reply: false, reason_code: 'session_with_servicer' });
    expect((await s.api('GET', `/api/compliance/audit?action=handed_to_wecom&subject_id=${id}`)).body.length).toBe(1);
    expect((await s.api('POST', `/api/conversations/${id}/desk`, { action: 'hand_to_wecom' }, tok.agent1)).body.reason_code).toBe('already_in_wecom');

    // Routing picks: a conversation in the bot state, handed without naming anyone.
    await s.mock.customerSays({ open_kfid: KF_B, external_userid: 'wm_hand2', text: '你好' });
    const id2 = await convId('wm_hand2');
    await eventually(async () => (await outboxRows(id2)).length > 0 || (await db().selectFrom('messages').select('id').where('conversation_id', '=', id2).execute()).length > 0, 10_000, 'stored');
    const routed = await s.api('POST', `/api/conversations/${id2}/desk`, { action: 'hand_to_wecom' }, tok.agent1);
    expect(routed.status).toBe(200);
    await eventually(() => s.mock.sessionInfo(KF_B, 'wm_hand2').service_state === 3, 10_000, 'routed to a WeCom servicer');
    expect(s.mock.credentials.servicers[KF_B]).toContain(s.mock.sessionInfo(KF_B, 'wm_hand2').servicer_userid);
  });

  it('refuses up front for each reason WeCom would refuse: pool, ended, window closed, allowance used up — also at 二次确认', async () => {
    await s.mock.customerSays({ open_kfid: KF_B, external_userid: 'wm_refuse', text: '你好' });
    const id = await convId('wm_refuse');
    await eventually(async () => (await db().selectFrom('messages').select('id').where('conversation_id', '=', id).execute()).length === 1, 10_000, 'stored');
    const post = (text: string) => s.api('POST', `/api/conversations/${id}/messages`, { text }, tok.agent1);
    const setState = (state: number) => db().updateTable('conversations').set({ service_state: state }).where('id', '=', id).execute();
    await setState(2);
    expect((await post('a')).body.reason_code).toBe('session_in_pool');
    await setState(4);
    expect((await post('a')).body.reason_code).toBe('session_ended');
    await setState(1);
    const last = Number((await conv('wm_refuse'))!.last_customer_msg_at);
    await db().updateTable('conversations').set({ last_customer_msg_at: last - 49 * 3600_000 }).where('id', '=', id).execute();
    const late = await post('a');
    expect(late.status).toBe(409);
    expect(late.body.reason_code).toBe('window_closed');
    await db().updateTable('conversations').set({ last_customer_msg_at: last }).where('id', '=', id).execute();

    // Five accepted: the sixth is refused before anything is queued.
    for (let i = 1; i <= 5; i++) expect((await post(`第${i}条`)).status).toBe(202);
    await eventually(() => sentTo('wm_refuse').filter((t) => t.startsWith('第')).length === 5, 10_000, 'five sent');
    await eventually(async () => (await outboxRows(id)).every((r) => r.status === 'sent'), 10_000, 'their outcomes recorded');
    const sixth = await post('第6条');
    expect(sixth.status).toBe(409);
    expect(sixth.body.reason_code).toBe('allowance_used_up');
    expect((await options(id)).allowance).toMatchObject({ messages_left: 0, customer_must_write: true });

    // 二次确认: the state changed between the findings and the confirmation.
    await s.mock.customerSays({ open_kfid: KF_B, external_userid: 'wm_refuse', text: '再问一下' });
    await eventually(async () => (await options(id)).can_reply, 10_000, 'a new allowance');
    expect((await s.api('PUT', '/api/compliance/settings', { ...(await s.api('GET', '/api/compliance/settings')).body, send_clean_agent_messages_immediately: false })).status).toBe(200);
    const pending = await post('请确认');
    expect(pending.body.status).toBe('needs_confirmation');
    await setState(3);
    const confirm = await s.api('POST', `/api/conversations/${id}/messages/confirm`, { confirmation_token: pending.body.confirmation_token }, tok.agent1);
    expect(confirm.status).toBe(409);
    expect(confirm.body.reason_code).toBe('session_with_servicer');
    expect((await s.api('PUT', '/api/compliance/settings', { ...(await s.api('GET', '/api/compliance/settings')).body, send_clean_agent_messages_immediately: true })).status).toBe(200);
  });

  it('WeReply desk: a conversation waiting because everyone present is at their 接待上限 gets the slot a close frees', async () => {
    const [a1, a2] = s.mock.credentials.servicers[KF_A]!;
    await online('agent1');
    await online('agent2', 'away');
    const held = await db().selectFrom('conversations').select('id').where('servicer_userid', '=', a1!).where('desk', '=', 'wereply').execute();
    expect(held.length).toBeGreaterThan(0);
    await db().updateTable('servicers').set({ reception_cap: held.length }).where('userid', '=', a1!).execute();
    await s.mock.customerSays({ open_kfid: KF_A, external_userid: 'wm_full', text: '转人工' });
    await eventually(async () => (await conv('wm_full'))?.waiting_since != null, 10_000, 'waiting: agent1 is full');
    const trace = JSON.parse((await db().selectFrom('assignments').select('trace').where('conversation_id', '=', await convId('wm_full')).where('kind', '=', 'pool').executeTakeFirstOrThrow()).trace!);
    expect(trace.candidates).toEqual(expect.arrayContaining([expect.objectContaining({ userid: a1, reason: 'at_cap' }), expect.objectContaining({ userid: a2, reason: 'away' })]));
    expect((await s.api('POST', `/api/conversations/${Number(held[0]!.id)}/close`, {}, tok.agent1)).status).toBe(200);
    await eventually(() => assignedTo('wm_full', a1!), 10_000, 'assigned to agent1 once a slot freed');
    await db().updateTable('servicers').set({ reception_cap: 10 }).where('userid', '=', a1!).execute();
  });

  it('desk configuration: validated, per group override, recorded desks keep their history', async () => {
    const bad = await s.api('PUT', '/api/desks', { default: 'wecom', accounts: {}, groups: { nope: 'wereply' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/unknown routing group nope/);
    expect((await s.api('PUT', '/api/desks', { default: 'x', accounts: {}, groups: {} })).status).toBe(400);
    expect((await s.api('PUT', '/api/desks', { default: 'wecom', accounts: {}, groups: {} }, tok.agent1)).status).toBe(403);
    const before = await s.api('GET', '/api/desks');
    // The group override wins over the account: wecom-b answers in WeReply.
    expect((await s.api('PUT', '/api/desks', { ...before.body, groups: { 'wecom-b': 'wereply' } })).status).toBe(200);
    const sim = await s.api('POST', '/api/simulate', { text: '转人工', open_kfid: KF_B });
    expect(sim.body.desk).toMatchObject({ desk: 'wereply', reason: expect.stringContaining('wecom-b') });
    expect((await s.api('PUT', '/api/desks', before.body)).status).toBe(200);
    expect((await s.api('POST', '/api/simulate', { text: '转人工', open_kfid: KF_B })).body.desk.desk).toBe('wecom');
    // wm_desk1 was answered at the WeReply desk: its record says so whatever the configuration now.
    expect((await conv('wm_desk1'))!.desk).toBe('wereply');
  });
  it('WeReply desk: an agent whose servicer leaves (离职) loses the conversation to an agent still here, recorded; the session stays with the API', async () => {
    const [a1, a2] = s.mock.credentials.servicers[KF_A]!;
    await online('agent1', 'away');
    await online('agent2');
    await s.mock.customerSays({ open_kfid: KF_A, external_userid: 'wm_leaver', text: '转人工' });
    const id = await convId('wm_leaver');
    await eventually(() => assignedTo('wm_leaver', a2!), 10_000, 'assigned to agent2');
    await online('agent1');
    const left = await s.api('PATCH', `/api/servicers/${a2}`, { status: 'departed' });
    expect(left.status).toBe(200);
    await eventually(() => assignedTo('wm_leaver', a1!), 10_000, 'routed again to agent1');
    expect(s.mock.sessionInfo(KF_A, 'wm_leaver').service_state).toBe(1);
    const reassigned = await db().selectFrom('assignments').select(['servicer_userid', 'reason']).where('conversation_id', '=', id).where('kind', '=', 'reassigned').execute();
    expect(reassigned).toEqual([{ servicer_userid: a2, reason: expect.stringContaining('离职') }]);
    expect((await options(id, 'agent1'))).toMatchObject({ desk: 'wereply', holder: { servicer_userid: a1 }, can_reply: true });
  });
});
