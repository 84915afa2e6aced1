/**
 * 转人工 through the pipeline: a rule's handoff action, the customer's own words, and N unmatched
 * messages in a row move the session with kf/service_state/trans after the bot's replies, and the
 * customer is told with the msg_code WeCom returns.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, eventually, startStack, type Stack } from './stack.js';

const KF = 'wkMockKf0001';

describe.each(ENGINES)('handoff on %s', (engine) => {
  let s: Stack;
  let servicer: string;
  beforeAll(async () => {
    s = await startStack(engine);
    servicer = s.mock.credentials.servicers[KF]![0]!;
    // The account's 接待人员, as a servicer sync records them.
    for (const userid of s.mock.credentials.servicers[KF]!) {
      await s.wr.store.db.insertInto('servicers').values({ userid, name: userid, open_kfids: JSON.stringify([KF]), groups: '[]', reception_cap: 10, supervisor: 0, status: 'active', receiving: 1, timezone: 'Asia/Shanghai', shift: null, created_at: Date.now(), updated_at: Date.now() }).execute();
    }
    expect((await s.api('POST', '/api/rules', { name: '大客户', match: { any: ['大客户'] }, reply: [{ type: 'text', text: '马上为您安排专属客服' }, { type: 'handoff', route: { servicer } }] })).status).toBe(201);
    expect((await s.api('POST', '/api/rules', { name: '坏人', match: { any: ['找经理'] }, reply: [{ type: 'handoff', route: { servicer: 'nobody_here' } }] })).status).toBe(201);
    expect((await s.api('POST', '/api/rules', { name: '退货', match: { any: ['退货'] }, reply: [{ type: 'text', text: '退货说明' }] })).status).toBe(201);
  });
  afterAll(async () => s?.close());

  const state = (user: string) => s.mock.sessionInfo(KF, user);
  const callsFor = (user: string) => s.mock.requests.filter((r) => (r.body as { external_userid?: string; touser?: string } | undefined)?.external_userid === user || (r.body as { touser?: string } | undefined)?.touser === user);

  it('hands off when the customer asks for a person: replies first, then the pool, then the waiting message', async () => {
    await s.mock.customerSays({ external_userid: 'wm_ask', text: '退货怎么弄？转人工' });
    await eventually(() => state('wm_ask').service_state === 2, 10_000, 'session in the pool');
    const onEvent = await s.mock.waitForSent(1, 10_000, (r) => r.api === 'send_msg_on_event' && r.errcode === 0 && (r.body.text as { content?: string } | undefined)?.content?.includes('转接') === true);
    const order = callsFor('wm_ask').map((r) => r.path.replace('/cgi-bin/kf/', ''));
    expect(order.indexOf('send_msg')).toBeLessThan(order.indexOf('service_state/trans'));
    expect(onEvent[0]!.body.code).toBeTruthy();
    const outbox = async () => ((await s.api('GET', '/api/outbox?external_userid=wm_ask')).body as { api: string; status: string }[]).map((r) => [r.api, r.status]).reverse();
    await eventually(async () => (await outbox()).every(([, status]) => status === 'sent'));
    expect(await outbox()).toEqual([
      ['send_msg', 'sent'],
      ['handoff', 'sent'],
      ['send_msg_on_event', 'sent'],
    ]);
  });

  it('hands off to the servicer a rule names (state 3)', async () => {
    await s.mock.customerSays({ external_userid: 'wm_vip', text: '我是大客户' });
    await eventually(() => state('wm_vip').service_state === 3, 10_000, 'session with the servicer');
    expect(state('wm_vip').servicer_userid).toBe(servicer);
  });

  it('sends the session to the pool when the named servicer cannot take it', async () => {
    await s.mock.customerSays({ external_userid: 'wm_manager', text: '找经理' });
    await eventually(() => state('wm_manager').service_state === 2, 10_000, 'session in the pool');
  });

  it('hands off after 3 messages in a row that no rule matched', async () => {
    for (const text of ['这个怎么用', '还是不懂']) await s.mock.customerSays({ external_userid: 'wm_lost', text, waitCallback: true });
    await eventually(async () => (await s.api('GET', '/api/messages?external_userid=wm_lost')).body.length === 2);
    expect(state('wm_lost').service_state).toBe(0);
    const trace = await s.api('POST', '/api/simulate', { text: '到底怎么办', external_userid: 'wm_lost' });
    expect(trace.body.handoff).toMatchObject({ reason: 'unmatched' });
    await s.mock.customerSays({ external_userid: 'wm_lost', text: '到底怎么办' });
    await eventually(() => state('wm_lost').service_state === 2, 10_000, 'session in the pool');
  });

  it('takes its phrases and message from the settings API, validated', async () => {
    const bad = await s.api('PUT', '/api/settings/handoff', { phrases: ['x'], after_unmatched: -1, waiting_message: 'hi' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/after_unmatched/);
    const put = await s.api('PUT', '/api/settings/handoff', { phrases: ['找客服'], after_unmatched: 0, waiting_message: '客服马上就来' });
    expect(put.status).toBe(200);
    expect((await s.api('GET', '/api/settings/handoff')).body).toEqual({ phrases: ['找客服'], after_unmatched: 0, waiting_message: '客服马上就来' });
    expect((await s.api('POST', '/api/simulate', { text: '转人工' })).body.handoff).toBeNull();
    expect((await s.api('POST', '/api/simulate', { text: '我要找客服' })).body.handoff).toMatchObject({ reason: 'phrase' });
    await s.mock.customerSays({ external_userid: 'wm_custom', text: '找客服' });
    const sent = await s.mock.waitForSent(1, 10_000, (r) => r.api === 'send_msg_on_event' && (r.body.text as { content?: string } | undefined)?.content === '客服马上就来');
    expect(sent[0]!.errcode).toBe(0);
  });
});
