/**
 * Servicers answering in the WeCom client (origin 5): their messages appear in the history as
 * theirs, never fire rules, and are scanned after the fact — block words and personal data the
 * organisation holds back raise an alert (row, audit entry, metric, WeCom app message to the
 * supervisor), warn-level findings are only recorded. Against the mock WeCom, on both engines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, eventually, startStack, type Stack } from './stack.js';

const KF = 'wkMockKf0001';
const SUPERVISOR_USERID = 'sup_li';

describe.each(ENGINES)('servicer messages from the WeCom client on %s', (engine) => {
  let s: Stack;
  let servicer: string;
  let supervisorToken: string;
  let agentToken: string;
  beforeAll(async () => {
    s = await startStack(engine, { mock: { members: [SUPERVISOR_USERID] }, env: { WECOM_AGENT_ID: '1000002' } });
    servicer = s.mock.credentials.servicers[KF]![0]!;
    const now = Date.now();
    await s.wr.store.db.insertInto('servicers').values({ userid: servicer, name: '王小明', open_kfids: JSON.stringify([KF]), groups: '[]', reception_cap: 10, supervisor: 0, status: 'active', receiving: 1, timezone: 'Asia/Shanghai', shift: null, created_at: now, updated_at: now }).execute();
    const sup = await s.api('POST', '/api/operators', { name: '李主管', role: 'supervisor', servicer_userid: SUPERVISOR_USERID });
    expect(sup.status).toBe(201);
    supervisorToken = sup.body.token;
    const agent = await s.api('POST', '/api/operators', { name: '客服小张', role: 'agent' });
    agentToken = agent.body.token;
    // Mobile numbers are held back (the PII rule); a keyword rule that must not fire on servicers.
    expect((await s.api('PUT', '/api/compliance/settings', { send_clean_agent_messages_immediately: true, hold_outbound_pii: ['mobile'], confirmation_ttl_seconds: 600 })).status).toBe(200);
    expect((await s.api('POST', '/api/rules', { name: '报名', match: { any: ['报名', '转人工'] }, reply: [{ type: 'text', text: '报名请点链接' }] })).status).toBe(201);
  });
  afterAll(async () => s?.close());

  const alerts = async (status = 'all', token?: string) => (await s.api('GET', `/api/alerts?status=${status}`, undefined, token)).body;
  const history = async (user: string) => {
    const list = (await s.api('GET', `/api/conversations?limit=200`)).body as { items?: { id: number; external_userid: string }[] } | { id: number; external_userid: string }[];
    const rows = Array.isArray(list) ? list : (list.items ?? []);
    const c = rows.find((r) => r.external_userid === user);
    if (!c) return null;
    return { id: c.id, items: (await s.api('GET', `/api/conversations/${c.id}/messages`)).body.items as any[] };
  };
  const servicerItems = async (user: string, n: number) =>
    eventually(async () => {
      const h = await history(user);
      const mine = h?.items.filter((i) => i.origin === 5) ?? [];
      return mine.length >= n ? { ...h!, mine } : null;
    }, 10_000, `${n} servicer messages of ${user} in the history`);

  it('a risky message (block word) raises an alert with who sent it, an audit entry and an app message to the supervisor; the history shows it as the servicer’s', async () => {
    await s.mock.customerSays({ external_userid: 'wm_risky', text: '你好' });
    s.mock.setSessionState(KF, 'wm_risky', 3, servicer);
    await s.mock.servicerSays({ external_userid: 'wm_risky', servicer_userid: servicer, text: '放心，我们保证提分，报名吧' });
    const h = await servicerItems('wm_risky', 1);
    const item = h.mine[0]!;
    expect(item).toMatchObject({ by: 'servicer', sent_by: { servicer_userid: servicer, servicer_name: '王小明' }, matched_rules: [] });
    expect(item.findings.alert).toBe('block');
    expect(item.findings.risk).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'promise:保证提分', severity: 'block', matched: '保证提分', field: 'text.content' })]));

    const open = await eventually(async () => (await alerts('open')).items.find((a: any) => a.conversation_id === h.id), 10_000, 'the alert');
    expect(open).toMatchObject({ kind: 'servicer_message', severity: 'block', servicer_userid: servicer, servicer_name: '王小明', message_id: item.id, acknowledged_at: null });
    expect((await s.api('GET', '/api/alerts/summary')).body.open).toBeGreaterThanOrEqual(1);

    const audit = (await s.api('GET', `/api/compliance/audit?action=alerted&subject_id=${item.id}`)).body;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ subject_type: 'servicer_message', actor: `servicer ${servicer}` });
    expect(audit[0].reason).toContain('保证提分');

    await s.mock.waitFor(() => s.mock.appMessages.some((m) => m.content.includes(`#${open.id}`)), 10_000);
    const app = s.mock.appMessages.filter((m) => m.content.includes(`#${open.id}`));
    expect(app).toHaveLength(1);
    expect(app[0]).toMatchObject({ touser: [SUPERVISOR_USERID], agentid: 1000002, msgtype: 'text', duplicate: false });
    expect(app[0]!.content).toContain('王小明');
    expect(app[0]!.content).toContain('保证提分');
    await eventually(async () => (await alerts('open')).items.find((a: any) => a.id === open.id)?.notify_status === 'sent', 10_000, 'notify_status sent');

    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`wereply_servicer_messages_total\\{servicer="${servicer}"\\} [1-9]`));
    expect(metrics).toMatch(/wereply_alerts_total\{kind="servicer_message",severity="block"\} [1-9]/);
    expect(metrics).toMatch(/wereply_messages_received_total\{channel="wecom-kf",origin="5"\} [1-9]/);
  });

  it('a customer’s phone number, plain or with zero-width characters between the digits, raises a PII alert with the number masked', async () => {
    await s.mock.customerSays({ external_userid: 'wm_pii', text: '我的电话是13812345678' });
    s.mock.setSessionState(KF, 'wm_pii', 3, servicer);
    await s.mock.servicerSays({ external_userid: 'wm_pii', servicer_userid: servicer, text: '已记下您的电话 13812345678' });
    await s.mock.servicerSays({ external_userid: 'wm_pii', servicer_userid: servicer, text: '客户号码 139\u200b8765\u200b4321 请回电' });
    const h = await servicerItems('wm_pii', 2);
    const found = await eventually(async () => {
      const mine = (await alerts('open')).items.filter((a: any) => a.conversation_id === h.id);
      return mine.length === 2 ? mine : null;
    }, 10_000, 'two PII alerts');
    for (const a of found) {
      expect(a.severity).toBe('pii');
      expect(a.findings.pii[0]).toMatchObject({ kind: 'mobile', held: true });
      expect(a.findings.pii[0].masked).toMatch(/\*\*\*\*/);
      // The stored alert never repeats the number in full.
      expect(JSON.stringify(a)).not.toContain('13812345678');
      expect(JSON.stringify(a).replace(/\\u200b|\u200b/g, '')).not.toContain('13987654321');
    }
    expect(h.mine.every((i: any) => i.findings?.alert === 'pii')).toBe(true);
    for (const a of found) {
      const audit = (await s.api('GET', `/api/compliance/audit?action=alerted&subject_id=${a.message_id}`)).body;
      expect(audit).toHaveLength(1);
      expect(audit[0].text).not.toContain('13812345678');
      expect(audit[0].reason).toContain('手机号');
    }
    await s.mock.waitFor(() => found.every((a: any) => s.mock.appMessages.some((m) => m.content.includes(`#${a.id}`))), 10_000);
    for (const m of s.mock.appMessages) expect(m.content).not.toContain('13812345678');
  });

  it('a clean message raises nothing; a warn-level finding is recorded on the message without an alert', async () => {
    await s.mock.customerSays({ external_userid: 'wm_clean', text: '在吗' });
    s.mock.setSessionState(KF, 'wm_clean', 3, servicer);
    const before = (await alerts('all')).total;
    await s.mock.servicerSays({ external_userid: 'wm_clean', servicer_userid: servicer, text: '您好，马上为您处理' });
    await s.mock.servicerSays({ external_userid: 'wm_clean', servicer_userid: servicer, text: '这是最好的课程' });
    const h = await servicerItems('wm_clean', 2);
    expect(h.mine[0]!.findings).toBeNull();
    expect(h.mine[1]!.findings).toMatchObject({ alert: null, risk: [expect.objectContaining({ severity: 'warn' })] });
    expect((await alerts('all')).total).toBe(before);
  });

  it('every message type is stored as the servicer’s and every string field is scanned (a link’s description)', async () => {
    await s.mock.customerSays({ external_userid: 'wm_link', text: '有资料吗' });
    s.mock.setSessionState(KF, 'wm_link', 3, servicer);
    await s.mock.servicerSays({ external_userid: 'wm_link', servicer_userid: servicer, msgtype: 'link', content: { title: '课程介绍', desc: '保证提分，全网最低价', url: 'https://example.com/c', thumb_media_id: 'MEDIA' } });
    await s.mock.servicerSays({ external_userid: 'wm_link', servicer_userid: servicer, msgtype: 'location', content: { latitude: 23.1, longitude: 113.3, name: '门店', address: '广州市天河区' } });
    const h = await servicerItems('wm_link', 2);
    expect(h.mine.map((i: any) => [i.msgtype, i.by, i.sent_by.servicer_name])).toEqual([
      ['link', 'servicer', '王小明'],
      ['location', 'servicer', '王小明'],
    ]);
    expect(h.mine[0]!.findings.risk.map((f: any) => f.field)).toContain('link.desc');
    await eventually(async () => (await alerts('open')).items.find((a: any) => a.message_id === h.mine[0]!.id), 10_000, 'the link alert');
  });

  it('origin 5 fires no rule, no reply and no handoff, and WeReply now sees the session as the servicer’s', async () => {
    await s.mock.customerSays({ external_userid: 'wm_norule', text: '你好', waitCallback: true });
    await eventually(async () => (await history('wm_norule'))?.items.length, 10_000, 'the customer message');
    const sentBefore = s.mock.sent.length;
    s.mock.setSessionState(KF, 'wm_norule', 3, servicer);
    await s.mock.servicerSays({ external_userid: 'wm_norule', servicer_userid: servicer, text: '报名请联系我，转人工也可以' });
    const h = await servicerItems('wm_norule', 1);
    expect(h.mine[0]!.matched_rules).toEqual([]);
    // Positive signal that the pull finished: the servicer message is stored. The outbox has nothing for it.
    const outbox = (await s.api('GET', '/api/outbox?external_userid=wm_norule')).body as unknown[];
    expect(outbox).toEqual([]);
    expect(s.mock.sent.length).toBe(sentBefore);
    const conv = await s.wr.store.db.selectFrom('conversations').select(['service_state', 'servicer_userid']).where('external_userid', '=', 'wm_norule').executeTakeFirstOrThrow();
    expect([Number(conv.service_state), conv.servicer_userid]).toEqual([3, servicer]);
    // The customer writes "报名" now: the session is the servicer's, so the bot stays quiet.
    await s.mock.customerSays({ external_userid: 'wm_norule', text: '报名', waitCallback: true });
    await eventually(async () => (await history('wm_norule'))!.items.filter((i: any) => i.origin === 3).length === 2, 10_000, 'second customer message');
    expect((await s.api('GET', '/api/outbox?external_userid=wm_norule')).body).toEqual([]);
  });

  it('customers’ messages do not pay for the scan: it is prepared only for pulls that hold servicer messages', async () => {
    const guard = s.wr.compliance;
    const original = guard.sentScan.bind(guard);
    let prepared = 0;
    guard.sentScan = async () => {
      prepared++;
      return original();
    };
    try {
      await s.mock.customerSays({ external_userid: 'wm_cost', text: '你好' });
      await eventually(async () => (await history('wm_cost'))?.items.some((i: any) => i.origin === 3), 10_000, 'the customer message');
      expect(prepared).toBe(0);
      s.mock.setSessionState(KF, 'wm_cost', 3, servicer);
      await s.mock.servicerSays({ external_userid: 'wm_cost', servicer_userid: servicer, text: '您好' });
      await servicerItems('wm_cost', 1);
      expect(prepared).toBe(1);
    } finally {
      guard.sentScan = original;
    }
  });

  it('acknowledge: supervisors may (with a note, audited), agents may not; twice is a conflict; unknown is 404', async () => {
    const [first] = (await alerts('open')).items;
    expect((await s.api('GET', '/api/alerts', undefined, agentToken)).status).toBe(403);
    expect((await s.api('GET', '/api/alerts/summary', undefined, agentToken)).status).toBe(403);
    expect((await s.api('POST', `/api/alerts/${first.id}/acknowledge`, { note: 'x' }, agentToken)).status).toBe(403);
    const openBefore = (await s.api('GET', '/api/alerts/summary', undefined, supervisorToken)).body.open;
    const ack = await s.api('POST', `/api/alerts/${first.id}/acknowledge`, { note: '已提醒该客服' }, supervisorToken);
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ id: first.id, acknowledged_by: '李主管', ack_note: '已提醒该客服' });
    expect((await s.api('GET', '/api/alerts/summary', undefined, supervisorToken)).body.open).toBe(openBefore - 1);
    expect((await alerts('acknowledged')).items.map((a: any) => a.id)).toContain(first.id);
    expect((await alerts('open')).items.map((a: any) => a.id)).not.toContain(first.id);
    const again = await s.api('POST', `/api/alerts/${first.id}/acknowledge`, {}, supervisorToken);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatch(/already acknowledged by 李主管/);
    expect((await s.api('POST', '/api/alerts/999999/acknowledge', {}, supervisorToken)).status).toBe(404);
    // Bad input changes nothing: a note too long is refused and the alert stays open.
    const second = (await alerts('open')).items[0];
    expect((await s.api('POST', `/api/alerts/${second.id}/acknowledge`, { note: 'x'.repeat(501) }, supervisorToken)).status).toBe(400);
    expect((await alerts('open')).items.map((a: any) => a.id)).toContain(second.id);
    const audit = (await s.api('GET', `/api/compliance/audit?action=acknowledged&subject_id=${first.id}`)).body;
    expect(audit).toMatchObject([{ subject_type: 'alert', actor: '李主管', reason: '已提醒该客服' }]);
  });

  it('paging: limit and offset, with the total', async () => {
    const all = await alerts('all');
    expect(all.total).toBeGreaterThanOrEqual(4);
    const page = (await s.api('GET', '/api/alerts?status=all&limit=2&offset=1')).body;
    expect(page.items.map((a: any) => a.id)).toEqual(all.items.slice(1, 3).map((a: any) => a.id));
    expect(page.total).toBe(all.total);
    expect((await s.api('GET', '/api/alerts?status=bogus')).status).toBe(400);
  });

  it('analytics: messages per servicer from the WeCom client, their alerts and first-response time', async () => {
    const r = (await s.api('GET', '/api/analytics/servicer-messages')).body;
    const me = r.servicers.find((x: any) => x.servicer_userid === servicer);
    expect(me).toMatchObject({ servicer_name: '王小明' });
    expect(me.messages).toBeGreaterThanOrEqual(8);
    expect(me.alerts).toBeGreaterThanOrEqual(4);
    expect(me.responses).toBeGreaterThanOrEqual(5);
    expect(me.median_response_ms).toBeGreaterThanOrEqual(0);
    expect((await s.api('GET', '/api/analytics/servicer-messages?since=10&until=5')).status).toBe(400);
  });
});
