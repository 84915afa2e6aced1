/**
 * The spine end to end against the mock WeCom, on SQLite and PostgreSQL: callback → pull → decide →
 * outbox → kf/send_msg, and each delivery guarantee.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ENGINES, eventually, sleep, startStack, type Stack } from './stack.js';

const KF = 'wkMockKf0001';

describe.each(ENGINES)('pipeline on %s', (engine) => {
  let s: Stack;
  let refundRule: number;

  beforeAll(async () => {
    s = await startStack(engine);
    const r = await s.api('POST', '/api/rules', { name: '退货', priority: 10, match: { any: ['退货', '退款'] }, reply: [{ type: 'text', text: '退货请点击订单页的“申请售后”。' }] });
    expect(r.status).toBe(201);
    refundRule = r.body.id;
    await s.api('POST', '/api/rules', { name: '物流', match: { any: ['物流'] }, reply: [{ type: 'text', text: '物流一' }, { type: 'text', text: '物流二' }] });
    await s.api('POST', '/api/rules', { name: '欢迎语', kind: 'welcome', reply: [{ type: 'text', text: '欢迎光临' }] });
  });
  afterAll(async () => s?.close());
  beforeEach(() => {
    s.mock.clearFaults();
  });

  const sentTo = (user: string) => s.mock.sent.filter((r) => r.touser === user);
  const okSentTo = (user: string) => sentTo(user).filter((r) => r.errcode === 0);
  const outboxOf = (user: string) => s.api('GET', `/api/outbox?external_userid=${user}`).then((r) => r.body as any[]);

  it('answers a customer message through kf/sync_msg and kf/send_msg with a short stable msgid', async () => {
    await s.mock.customerSays({ external_userid: 'wm_basic', text: '我要退货' });
    const [sent] = await s.mock.waitForSent(1, 10_000, (r) => r.touser === 'wm_basic');
    expect(sent!.body).toMatchObject({ touser: 'wm_basic', open_kfid: KF, msgtype: 'text', text: { content: '退货请点击订单页的“申请售后”。' } });
    const msgid = String(sent!.body.msgid);
    expect(Buffer.byteLength(msgid)).toBeLessThanOrEqual(32);
    expect(msgid).toMatch(/^[0-9a-zA-Z_-]+$/);
    // The pull used the callback's token.
    const syncs = s.mock.requests.filter((r) => r.path === '/cgi-bin/kf/sync_msg');
    expect(syncs.some((r) => (r.body as any).token)).toBe(true);
    const rule = await s.api('GET', `/api/rules/${refundRule}`);
    expect(rule.body.hit_count).toBeGreaterThanOrEqual(1);
  });

  it('stores and answers a message once despite callback retries, replays, repeated pulls and a lost cursor', async () => {
    const { callback } = await s.mock.customerSays({ external_userid: 'wm_dupe', text: '退款怎么弄', waitCallback: true });
    await s.mock.waitForSent(1, 10_000, (r) => r.touser === 'wm_dupe');
    // Replay the very same signed callback twice (WeCom retries / an attacker replays).
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${callback!.url}?${new URLSearchParams(callback!.query as any)}`, { method: 'POST', body: callback!.body, headers: { 'content-type': 'text/xml' } });
      expect(res.status).toBe(200);
    }
    // Lose the cursor: the next pull starts from the beginning of the last 3 days.
    await s.wr.store.db.deleteFrom('kf_cursors').execute();
    await s.mock.customerSays({ external_userid: 'wm_other', text: 'hello', waitCallback: true });
    await eventually(async () => (await s.wr.store.db.selectFrom('messages').select('id').where('external_userid', '=', 'wm_other').execute()).length === 1);
    await sleep(300);
    expect(okSentTo('wm_dupe')).toHaveLength(1);
    const stored = await s.wr.store.db.selectFrom('messages').select('msgid').where('external_userid', '=', 'wm_dupe').execute();
    expect(stored).toHaveLength(1);
  });

  it('sends replies in the order of the customer messages, several replies of one rule in order', async () => {
    const texts = ['退货1', '物流?', '退款2'];
    for (const text of texts) await s.mock.customerSays({ external_userid: 'wm_order', text });
    // 4 replies: within WeCom's 5 messages after the customer's last message.
    const sent = await s.mock.waitForSent(4, 15_000, (r) => r.touser === 'wm_order' && r.errcode === 0);
    const contents = sent.map((r) => (r.body.text as { content: string }).content);
    expect(contents).toEqual(['退货请点击订单页的“申请售后”。', '物流一', '物流二', '退货请点击订单页的“申请售后”。']);
  });

  it('sends the welcome message with send_msg_on_event and the welcome_code, first', async () => {
    const { welcome_code } = await s.mock.enterSession({ external_userid: 'wm_welcome' });
    const [sent] = await s.mock.waitForSent(1, 10_000, (r) => r.api === 'send_msg_on_event' && (r.body as any).code === welcome_code);
    expect(sent!.errcode).toBe(0);
    expect(sent!.body).toMatchObject({ code: welcome_code, msgtype: 'text', text: { content: '欢迎光临' } });
  });

  it('retries -1 and 45009 with backoff and sends once', async () => {
    s.mock.injectFault({ path: '/cgi-bin/kf/send_msg', errcode: -1, times: 1 });
    s.mock.injectFault({ path: '/cgi-bin/kf/send_msg', errcode: 45009, times: 1 });
    await s.mock.customerSays({ external_userid: 'wm_busy', text: '退货' });
    await s.mock.waitForSent(1, 15_000, (r) => r.touser === 'wm_busy' && r.errcode === 0);
    await sleep(300);
    const calls = sentTo('wm_busy');
    expect(calls.map((c) => c.errcode)).toEqual([-1, 45009, 0]);
    expect(new Set(calls.map((c) => c.msgid)).size).toBe(1);
    const [row] = await outboxOf('wm_busy');
    expect(row.status).toBe('sent');
    expect(row.attempts).toBe(3);
  });

  it('refreshes the access token at once on 42001 and retries the call', async () => {
    const tokensBefore = s.mock.requests.filter((r) => r.path === '/cgi-bin/gettoken').length;
    s.mock.invalidateAccessTokens();
    await s.mock.customerSays({ external_userid: 'wm_token', text: '退货' });
    await s.mock.waitForSent(1, 10_000, (r) => r.touser === 'wm_token' && r.errcode === 0);
    expect(s.mock.requests.filter((r) => r.path === '/cgi-bin/gettoken').length).toBe(tokensBefore + 1);
    const cached = await s.wr.store.db.selectFrom('access_tokens').selectAll().execute();
    expect(cached).toHaveLength(1);
  });

  it('repeats a call whose answer was lost (connection dropped after WeCom processed it) with the same msgid, once', async () => {
    s.mock.injectFault({ path: '/cgi-bin/kf/send_msg', drop: 'after', times: 1 });
    await s.mock.customerSays({ external_userid: 'wm_drop', text: '退货' });
    await eventually(async () => (await outboxOf('wm_drop'))[0]?.status === 'sent', 15_000, 'sent');
    const calls = sentTo('wm_drop');
    expect(calls).toHaveLength(2);
    expect(calls[0]!.msgid).toBe(calls[1]!.msgid);
  });

  it('does not hammer a session that is not in state 0/1 (95018): the reply ends failed with the reason', async () => {
    await s.mock.customerSays({ external_userid: 'wm_taken', text: 'hi', waitCallback: true });
    s.mock.setSessionState(KF, 'wm_taken', 3, s.mock.credentials.servicers[KF]![0]);
    await s.mock.customerSays({ external_userid: 'wm_taken', text: '退货' });
    const row = await eventually(async () => (await outboxOf('wm_taken')).find((r) => r.status === 'failed'), 10_000, 'failed row');
    expect(row.last_errcode).toBe(95018);
    expect(row.reason).toMatch(/95018/);
    await sleep(500);
    expect(sentTo('wm_taken').filter((r) => r.errcode === 95018)).toHaveLength(1);
    const failed = await s.api('GET', '/api/outbox?status=failed');
    expect(failed.body.some((r: any) => r.external_userid === 'wm_taken')).toBe(true);
  });

  it('keeps to 5 messages within 48 h of the customer’s last message without asking WeCom for a refusal', async () => {
    await s.api('POST', '/api/rules', { name: 'five', priority: 5, stop: false, match: { any: ['五连发'] }, reply: [1, 2, 3, 4, 5].map((n) => ({ type: 'text', text: `第${n}条` })) });
    await s.api('POST', '/api/rules', { name: 'sixth', priority: 4, match: { any: ['五连发'] }, reply: [{ type: 'text', text: '第6条' }] });
    await s.mock.customerSays({ external_userid: 'wm_quota', text: '五连发' });
    // The sixth waits, visibly, instead of failing.
    const row = await eventually(async () => (await outboxOf('wm_quota')).find((r) => r.status === 'waiting_allowance'), 15_000, 'quota row');
    expect(row.reason).toMatch(/5 messages already sent since the customer last wrote/);
    expect(okSentTo('wm_quota')).toHaveLength(5);
    expect(sentTo('wm_quota')).toHaveLength(5);
    // The customer writes again: the allowance starts over, the sixth goes first, then the new reply.
    await s.mock.customerSays({ external_userid: 'wm_quota', text: '退货' });
    const all = await s.mock.waitForSent(7, 10_000, (r) => r.touser === 'wm_quota' && r.errcode === 0);
    expect(all.slice(5).map((r) => (r.body.text as { content: string }).content)).toEqual(['第6条', '退货请点击订单页的“申请售后”。']);
  });

  it('marks a reply failed when WeCom later reports it undelivered (msg_send_fail)', async () => {
    await s.mock.customerSays({ external_userid: 'wm_undelivered', text: '退货' });
    const [sent] = await s.mock.waitForSent(1, 10_000, (r) => r.touser === 'wm_undelivered' && r.errcode === 0);
    await eventually(async () => (await outboxOf('wm_undelivered'))[0]?.status === 'sent');
    await s.mock.pushEvent({ event_type: 'msg_send_fail', external_userid: 'wm_undelivered', fail_msgid: sent!.msgid!, fail_type: 10 });
    const row = await eventually(async () => (await outboxOf('wm_undelivered')).find((r) => r.status === 'failed'), 10_000, 'failed row');
    expect(row.msgid).toBe(sent!.msgid);
    expect(row.reason).toMatch(/msg_send_fail, fail_type 10/);
  });

  it('serves /healthz and Prometheus metrics', async () => {
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    const text = await (await fetch(`${s.url}/metrics`)).text();
    expect(text).toMatch(/wereply_messages_received_total\{channel="wecom-kf",origin="3"\} \d+/);
    expect(text).toMatch(/wereply_replies_sent_total\{api="send_msg"\} \d+/);
    expect(text).toMatch(/wereply_wecom_api_errors_total\{api="kf\/send_msg",errcode="45009"\} 1/);
    expect(text).toMatch(/wereply_outbox_depth\{status="failed"\} [1-9]/);
    expect(text).toMatch(/wereply_reply_latency_seconds_count [1-9]/);
  });
});

describe('a message WeReply cannot handle', () => {
  it('is quarantined (stored, unanswered) and does not hold back the messages after it', async () => {
    const s = await startStack('sqlite');
    try {
      await s.api('POST', '/api/rules', { name: '退货', match: { any: ['退货'] }, reply: [{ type: 'text', text: '退货说明' }] });
      const rules = await s.wr.rules.get();
      const decide = rules.decide.bind(rules);
      rules.decide = (input) => {
        if (input.text === 'boom') throw new Error('decision failed');
        return decide(input);
      };
      for (const text of ['退货1', 'boom', '退货2']) await s.mock.customerSays({ external_userid: 'wm_poison', text, callback: false });
      await s.mock.customerSays({ external_userid: 'wm_poison', text: '退货3' });
      await s.mock.waitForSent(3, 10_000, (r) => r.touser === 'wm_poison' && r.errcode === 0);
      const stored = (await s.api('GET', '/api/messages?external_userid=wm_poison')).body as { text: string | null; decision: { quarantined?: boolean } | null }[];
      expect(stored).toHaveLength(4);
      expect(stored.filter((m) => m.decision?.quarantined)).toHaveLength(1);
    } finally {
      await s.close();
    }
  });

  it('keeps a NUL character out of the database (PostgreSQL text cannot hold one) and answers', async () => {
    const s = await startStack('postgres');
    try {
      await s.api('POST', '/api/rules', { name: '退货', match: { any: ['退货'] }, reply: [{ type: 'text', text: '退货说明' }] });
      await s.mock.customerSays({ external_userid: 'wm_nul', text: '我要\u0000退货' });
      await s.mock.waitForSent(1, 10_000, (r) => r.touser === 'wm_nul' && r.errcode === 0);
      expect((await s.api('GET', '/api/messages?external_userid=wm_nul')).body[0].text).toBe('我要退货');
    } finally {
      await s.close();
    }
  });
});
