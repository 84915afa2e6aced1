/**
 * The compliance guard as a user meets it: scanning a text, saves refused on block findings (and an
 * admin's override with a reason), the outbox's final check holding a message, 二次确认 of agent
 * messages, PII masked for roles without pii:view, the organisation's own words and the audit log.
 */
import { Writable } from 'node:stream';
import iconv from 'iconv-lite';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, eventually, startStack, type Stack } from './stack.js';

const KF = 'wkMockKf0001';
type Sent = { path: string; body: { touser?: string; text?: { content?: string } } };

describe.each(ENGINES)('compliance guard on %s', (engine) => {
  let s: Stack;
  let logs = '';
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    const sink = new Writable({ write: (chunk, _enc, cb) => ((logs += String(chunk)), cb()) });
    s = await startStack(engine, { wereply: { logger: pino({ level: 'debug' }, sink) } });
    for (const role of ['agent', 'analyst', 'supervisor']) {
      const r = await s.api('POST', '/api/operators', { name: `${role}1`, role });
      expect(r.status).toBe(201);
      tokens[role] = r.body.token;
    }
  });
  afterAll(async () => s?.close());

  /** send_msg calls the mock received for this customer. */
  const sentTo = (user: string) => (s.mock.requests as unknown as Sent[]).filter((r) => r.path.endsWith('/kf/send_msg') && r.body?.touser === user);
  async function conversationOf(user: string, text = '你好'): Promise<number> {
    await s.mock.customerSays({ external_userid: user, text });
    return eventually(async () => {
      const row = await s.wr.store.db.selectFrom('conversations').select('id').where('external_userid', '=', user).executeTakeFirst();
      return row ? Number(row.id) : undefined;
    });
  }

  it('scans a text: findings with offsets into the text as written, evasions folded, PII masked', async () => {
    const text = '本店最 * 優惠，保证提分！电话 138 1234 5678';
    const r = await s.api('POST', '/api/compliance/scan', { text });
    expect(r.status).toBe(200);
    const words = r.body.findings.map((f: { word: string }) => f.word);
    expect(words).toEqual(expect.arrayContaining(['最优惠', '保证提分']));
    for (const f of r.body.findings) expect(text.slice(f.start, f.end)).toBe(f.matched);
    const best = r.body.findings.find((f: { word: string }) => f.word === '最优惠');
    expect(best).toMatchObject({ severity: 'block', category: '绝对化用语', suggestions: expect.arrayContaining(['优惠力度大']) });
    expect(best.reason).toContain('广告法');
    expect(r.body.masked).toMatch(/138 ?\*{4} ?5678/);
    expect(r.body.masked).not.toContain('1234');
    // Harmless words that merely contain a risk character.
    expect((await s.api('POST', '/api/compliance/scan', { text: '最近第一次下单，唯一的问题是物流慢' })).body.findings).toEqual([]);
  });

  it('refuses oversized text with a clear error', async () => {
    const r = await s.api('POST', '/api/compliance/scan', { text: '好'.repeat(100_001) });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/text/);
  });

  it('refuses to save a rule with block findings, naming the field, the word and a rewrite; saves nothing', async () => {
    const before = (await s.api('GET', '/api/rules')).body.length;
    const r = await s.api('POST', '/api/rules', { name: '促销', match: { any: ['活动'] }, reply: [{ type: 'text', text: '全网最优惠，快来！' }] });
    expect(r.status).toBe(422);
    expect(r.body.findings[0]).toMatchObject({ field: 'reply[0].text', word: '最优惠', severity: 'block' });
    expect(r.body.details[0].field).toBe('reply[0].text');
    expect(r.body.details[0].message).toContain('优惠力度大');
    expect((await s.api('GET', '/api/rules')).body.length).toBe(before);
    const audit = await s.api('GET', '/api/compliance/audit?action=blocked&subject_type=rule');
    expect(audit.body[0]).toMatchObject({ action: 'blocked', actor: 'admin' });
  });

  it('saves warn findings with the rule and returns them', async () => {
    const r = await s.api('POST', '/api/rules', { name: '价格', match: { any: ['多少钱'] }, reply: [{ type: 'text', text: '原价299，现在199' }] });
    expect(r.status).toBe(201);
    expect(r.body.compliance_warnings.map((f: { word: string; severity: string }) => [f.word, f.severity])).toEqual([['原价', 'warn']]);
  });

  it('lets an admin (not an agent) override with a written reason, recorded in the audit log; the outbox then sends it', async () => {
    const rule = { name: '冠军', match: { any: ['冠军'] }, reply: [{ type: 'text', text: '我们是全国第一的品牌（2025年行业协会认证）' }] };
    const noReason = await s.api('POST', '/api/rules', { ...rule, compliance_override: { reason: '' } });
    expect(noReason.status).toBe(400);
    const agent = await s.api('POST', '/api/rules', { ...rule, compliance_override: { reason: '有认证证书' } }, tokens.agent);
    expect(agent.status).toBe(403);
    const asAdmin = await s.api('POST', '/api/rules', { ...rule, compliance_override: { reason: '有行业协会2025年认证证书，法务已审' } });
    expect(asAdmin.status).toBe(201);
    const audit = (await s.api('GET', `/api/compliance/audit?action=overridden&subject_id=${asAdmin.body.id}`)).body;
    expect(audit[0]).toMatchObject({ subject_type: 'rule', actor: 'admin', reason: '有行业协会2025年认证证书，法务已审' });

    await s.mock.customerSays({ external_userid: 'wm_champ', text: '你们是冠军吗' });
    const sent = await s.mock.waitForSent(1, 10_000, (r) => r.body.touser === 'wm_champ');
    expect((sent[0]!.body.text as { content: string }).content).toContain('全国第一');
  });

  it("shows the outbox check in the sandbox trace: an approved text's findings, not held", async () => {
    const r = await s.api('POST', '/api/simulate', { text: '你们是冠军吗' });
    expect(r.status).toBe(200);
    expect(r.body.replies[0].compliance).toMatchObject({ held: false, reason: null });
    expect(r.body.replies[0].compliance.findings.map((f: { word: string }) => f.word)).toContain('全国第一');
  });

  it('holds an outbound message whose words became risky after the rule was saved; an admin releases it', async () => {
    const rule = await s.api('POST', '/api/rules', { name: '训练营', match: { any: ['训练营'] }, reply: [{ type: 'text', text: '七日燃脂营正在报名，欢迎咨询' }] });
    expect(rule.status).toBe(201);
    const word = await s.api('POST', '/api/compliance/words', { word: '七日燃脂', category: '医疗功效', severity: 'block', reason: '暗示减肥功效，须有依据', suggestions: ['科学运动营'] });
    expect(word.status).toBe(201);
    expect(word.body).toMatchObject({ origin: 'own', enabled: true });

    await s.mock.customerSays({ external_userid: 'wm_secret', text: '训练营怎么报名' });
    const held = await eventually(async () => {
      const rows = (await s.api('GET', '/api/outbox?external_userid=wm_secret')).body as { id: number; status: string; reason: string }[];
      return rows.find((r) => r.status === 'held');
    });
    expect(held.reason).toContain('七日燃脂');
    expect(held.reason).toContain('科学运动营');
    expect(sentTo('wm_secret')).toEqual([]);
    expect((await s.api('GET', `/api/compliance/audit?action=held&subject_id=${held.id}`)).body).toHaveLength(1);
    const metrics = await fetch(`${s.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/wereply_replies_held_total\{api="send_msg"\} 1/);

    expect((await s.api('POST', `/api/outbox/${held.id}/release`, { reason: '产品名称，已获批' }, tokens.agent)).status).toBe(403);
    expect((await s.api('POST', `/api/outbox/${held.id}/release`, { reason: '产品名称，已获批' })).status).toBe(200);
    await s.mock.waitForSent(1, 10_000, (r) => r.body.touser === 'wm_secret');
    expect((await s.api('GET', `/api/compliance/audit?action=released&subject_id=${held.id}`)).body[0]).toMatchObject({ reason: '产品名称，已获批' });
  });

  it('二次确认: an agent message with findings waits for the token; confirming twice sends once', async () => {
    const id = await conversationOf('wm_agent');
    const r = await s.api('POST', `/api/conversations/${id}/messages`, { text: '这款原价399，今天有活动' }, tokens.agent);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'needs_confirmation', needs_override: false });
    expect(r.body.findings[0]).toMatchObject({ word: '原价', severity: 'warn' });
    await new Promise((ok) => setTimeout(ok, 300));
    expect(sentTo('wm_agent')).toEqual([]);

    expect((await s.api('POST', `/api/conversations/${id}/messages/confirm`, { confirmation_token: 'x'.repeat(32) }, tokens.agent)).status).toBe(404);
    // Only its author confirms it.
    expect((await s.api('POST', `/api/conversations/${id}/messages/confirm`, { confirmation_token: r.body.confirmation_token }, tokens.supervisor)).status).toBe(403);
    const [a, b] = await Promise.all([
      s.api('POST', `/api/conversations/${id}/messages/confirm`, { confirmation_token: r.body.confirmation_token }, tokens.agent),
      s.api('POST', `/api/conversations/${id}/messages/confirm`, { confirmation_token: r.body.confirmation_token }, tokens.agent),
    ]);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.body.outbox_id).toBe(b.body.outbox_id);
    const sent = await s.mock.waitForSent(1, 10_000, (x) => x.body.touser === 'wm_agent' && x.api === 'send_msg');
    expect((sent[0]!.body.text as { content: string }).content).toBe('这款原价399，今天有活动');
    await new Promise((ok) => setTimeout(ok, 300));
    expect(sentTo('wm_agent')).toHaveLength(1);
    expect((await s.api('GET', `/api/compliance/audit?action=confirmed&subject_id=${a.body.agent_message_id}`)).body[0]).toMatchObject({ actor: 'agent1' });
  });

  it('二次确认: clean messages go at once when allowed, otherwise wait; block findings need an override', async () => {
    const id = await conversationOf('wm_clean');
    const clean = await s.api('POST', `/api/conversations/${id}/messages`, { text: '您好，已为您查询，明天发货' }, tokens.agent);
    expect(clean.status).toBe(202);
    expect(clean.body.status).toBe('queued');
    await s.mock.waitForSent(1, 10_000, (x) => x.body.touser === 'wm_clean');

    const settings = (await s.api('GET', '/api/compliance/settings')).body;
    expect((await s.api('PUT', '/api/compliance/settings', { ...settings, send_clean_agent_messages_immediately: false }, tokens.agent)).status).toBe(403);
    expect((await s.api('PUT', '/api/compliance/settings', { ...settings, send_clean_agent_messages_immediately: false })).status).toBe(200);
    const waits = await s.api('POST', `/api/conversations/${id}/messages`, { text: '好的，稍等' }, tokens.agent);
    expect(waits.body.status).toBe('needs_confirmation');
    await s.api('PUT', '/api/compliance/settings', settings);

    const risky = await s.api('POST', `/api/conversations/${id}/messages`, { text: '保证提分，不提分全额退款' }, tokens.agent);
    expect(risky.body).toMatchObject({ status: 'needs_confirmation', needs_override: true });
    expect(risky.body.hold_reason).toContain('保证提分');
    const noReason = await s.api('POST', `/api/conversations/${id}/messages/confirm`, { confirmation_token: risky.body.confirmation_token }, tokens.agent);
    expect(noReason.status).toBe(422);
    expect(noReason.body.findings.map((f: { word: string }) => f.word)).toContain('保证提分');
    const agentOverride = await s.api('POST', `/api/conversations/${id}/messages/confirm`, { confirmation_token: risky.body.confirmation_token, override_reason: '客户要求原话' }, tokens.agent);
    expect(agentOverride.status).toBe(403);
    expect(sentTo('wm_clean')).toHaveLength(1);

    // A supervisor's own message with an override goes out (and is audited with the reason).
    const sup = await s.api('POST', `/api/conversations/${id}/messages`, { text: '保证提分，不提分全额退款（见合同第3条）' }, tokens.supervisor);
    const ok = await s.api('POST', `/api/conversations/${id}/messages/confirm`, { confirmation_token: sup.body.confirmation_token, override_reason: '合同条款原文，法务确认' }, tokens.supervisor);
    expect(ok.status).toBe(202);
    await s.mock.waitForSent(1, 10_000, (x) => x.body.touser === 'wm_clean' && String((x.body.text as { content?: string } | undefined)?.content).includes('合同第3条'));
    const audit = (await s.api('GET', `/api/compliance/audit?subject_type=agent_message&subject_id=${ok.body.agent_message_id}`)).body.map((e: { action: string }) => e.action);
    expect(audit.sort()).toEqual(['confirmed', 'overridden']);
  });

  it('refuses to send to a conversation that does not exist or is outside the 48-hour window', async () => {
    expect((await s.api('POST', '/api/conversations/999999/messages', { text: '你好' }, tokens.agent)).status).toBe(404);
    const id = await conversationOf('wm_old');
    await s.wr.store.db.updateTable('conversations').set({ last_customer_msg_at: Date.now() - 49 * 3600_000 }).where('id', '=', id).execute();
    const r = await s.api('POST', `/api/conversations/${id}/messages`, { text: '你好' }, tokens.agent);
    expect(r.status).toBe(409);
    expect(r.body.error).toContain('48 hours');
    expect((await s.api('POST', `/api/conversations/${id}/messages`, { text: '你好' }, tokens.analyst)).status).toBe(403);
  });

  it('masks PII in API answers and exports for roles without pii:view; the stored original stays', async () => {
    await conversationOf('wm_pii', '我的电话13812345678，身份证11010519491231002X，寄到朝阳区建国路88号3单元502室');
    await eventually(async () => (await s.api('GET', '/api/messages?external_userid=wm_pii')).body.length === 1);
    const asAdmin = (await s.api('GET', '/api/messages?external_userid=wm_pii')).body[0].text;
    const asAgent = (await s.api('GET', '/api/messages?external_userid=wm_pii', undefined, tokens.agent)).body[0].text;
    expect(asAdmin).toContain('13812345678');
    expect(asAgent).toContain('138****5678');
    expect(asAgent).not.toContain('11010519491231002X');
    expect(asAgent).not.toContain('502室');
    const csv = await fetch(`${s.url}/api/messages/export?external_userid=wm_pii`, { headers: { authorization: `Bearer ${tokens.analyst}` } });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const bytes = Buffer.from(await csv.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // BOM: Excel opens it as UTF-8
    const body = bytes.toString('utf8');
    expect(body).toContain('138****5678');
    expect(body).not.toContain('13812345678');
    const full = await fetch(`${s.url}/api/messages/export?external_userid=wm_pii`, { headers: { authorization: `Bearer ${tokens.supervisor}` } }).then((r) => r.text());
    expect(full).toContain('13812345678');
    expect((await s.api('GET', '/api/me', undefined, tokens.agent)).body).toMatchObject({ name: 'agent1', role: 'agent', permissions: ['conversations:reply'] });
    // Logs never carry the customer's text.
    expect(logs).not.toContain('13812345678');
  });

  it('PII rule: with hold_outbound_pii, a reply carrying a mobile number is held until released', async () => {
    const settings = (await s.api('GET', '/api/compliance/settings')).body;
    await s.api('PUT', '/api/compliance/settings', { ...settings, hold_outbound_pii: ['mobile'] });
    try {
      const id = await conversationOf('wm_pii_out');
      const r = await s.api('POST', `/api/conversations/${id}/messages`, { text: '您登记的号码是13812345678，对吗？' }, tokens.agent);
      expect(r.body).toMatchObject({ status: 'needs_confirmation', needs_override: true });
      expect(r.body.hold_reason).toContain('手机号');
      expect(r.body.pii[0]).toMatchObject({ kind: 'mobile' });
      const saved = await s.api('POST', '/api/rules', { name: '热线', match: { any: ['热线'] }, reply: [{ type: 'text', text: '请拨打13912345678' }] });
      expect(saved.status).toBe(422);
      expect(saved.body.details[0].message).toContain('手机号');
    } finally {
      await s.api('PUT', '/api/compliance/settings', settings);
    }
  });

  it("edits the organisation's library: disable a shipped word, reject duplicates, drop edits", async () => {
    const list = (await s.api('GET', '/api/compliance/words?q=最优惠')).body as { id: string; word: string; origin: string }[];
    const entry = list.find((w) => w.word === '最优惠')!;
    expect(entry.origin).toBe('shipped');
    expect((await s.api('PATCH', `/api/compliance/words/${encodeURIComponent(entry.id)}`, { enabled: false }, tokens.agent)).status).toBe(403);
    const off = await s.api('PATCH', `/api/compliance/words/${encodeURIComponent(entry.id)}`, { enabled: false });
    expect(off.body).toMatchObject({ origin: 'shipped_edited', enabled: false });
    const words = async () => ((await s.api('POST', '/api/compliance/scan', { text: '最优惠' })).body.findings as { word: string }[]).map((f) => f.word);
    expect(await words()).not.toContain('最优惠');
    const dup = await s.api('POST', '/api/compliance/words', { word: '保证提分', category: '虚假承诺', severity: 'block', reason: '重复' });
    expect(dup.status).toBe(400);
    expect(dup.body.details[0]).toMatchObject({ field: 'word' });
    expect(dup.body.error).toContain('保证提分');
    expect((await s.api('DELETE', `/api/compliance/words/${encodeURIComponent(entry.id)}`)).status).toBe(204);
    expect(await words()).toContain('最优惠');
    expect((await s.api('GET', '/api/compliance/audit?subject_type=risk_words')).body.length).toBeGreaterThanOrEqual(2);
  });

  it('checks material file names and the 转人工 waiting message too', async () => {
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('%PDF-1.4\n%%EOF\n')], { type: 'application/pdf' }), '最有效减肥方案.pdf');
    const r = await s.api('POST', '/api/materials', form);
    expect(r.status).toBe(422);
    expect(r.body.findings[0]).toMatchObject({ field: 'file.filename' });
    // An image's name is never shown to the customer.
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
    const image = new FormData();
    image.append('file', new Blob([png], { type: 'image/png' }), '最优惠海报.png');
    expect((await s.api('POST', '/api/materials', image)).status).toBe(201);
    const handoff = (await s.api('GET', '/api/settings/handoff')).body;
    const bad = await s.api('PUT', '/api/settings/handoff', { ...handoff, waiting_message: '正在为您转接全国第一的专家' });
    expect(bad.status).toBe(422);
    expect(bad.body.findings[0]).toMatchObject({ field: 'waiting_message' });
  });

  describe('import and export', () => {
    const upload = (bytes: Buffer | Uint8Array, name: string, query = '', token?: string) => {
      const form = new FormData();
      form.append('file', new Blob([bytes]), name);
      return s.api('POST', `/api/compliance/words/import${query}`, form, token);
    };
    const count = async () => ((await s.api('GET', '/api/compliance/words')).body as unknown[]).length;

    it('exports the library as XLSX and imports it back unchanged', async () => {
      const res = await fetch(`${s.url}/api/compliance/words/export?format=xlsx`, { headers: { authorization: 'Bearer test-admin-token' } });
      expect(res.headers.get('content-disposition')).toMatch(/risk-words-.*\.xlsx/);
      const bytes = Buffer.from(await res.arrayBuffer());
      const r = await upload(bytes, 'risk-words.xlsx');
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ encoding: 'xlsx', added: 0, updated: 0 });
      expect(r.body.unchanged).toBe(await count());
    });

    it('imports a GBK CSV from Excel: adds own words and edits a shipped one by id', async () => {
      const before = await count();
      const csv = ['词语,分类,级别,原因,建议改写,id', '神奇功效,医疗功效,禁止,暗示疗效,效果因人而异,', '本店特供价,价格欺诈,warn,须有价格依据,限时优惠｜活动价,', '最优惠,绝对化用语,提示,本公司允许提示级,优惠力度大,abs:最优惠'].join('\r\n');
      const dry = await upload(iconv.encode(csv, 'gbk'), '词库.csv', '?dry_run=true');
      expect(dry.body).toMatchObject({ dry_run: true, encoding: 'gbk', added: 2, updated: 1 });
      expect(await count()).toBe(before);
      const r = await upload(iconv.encode(csv, 'gbk'), '词库.csv');
      expect(r.body).toMatchObject({ encoding: 'gbk', added: 2, updated: 1 });
      expect(await count()).toBe(before + 2);
      const scan = (await s.api('POST', '/api/compliance/scan', { text: '神奇功效，最优惠' })).body.findings as { word: string; severity: string }[];
      expect(scan.map((f) => [f.word, f.severity])).toEqual([
        ['神奇功效', 'block'],
        ['最优惠', 'warn'],
      ]);
      // Only the changed field is kept for the shipped entry.
      const edited = (await s.api('GET', '/api/compliance/words?origin=shipped_edited')).body as { id: string; reason: string }[];
      expect(edited.find((w) => w.id === 'abs:最优惠')?.reason).toBe('本公司允许提示级');
      expect((await s.api('GET', '/api/compliance/audit?action=words_imported')).body[0].text).toBe('词库.csv');
    });

    it('rejects bad rows naming row and column, and changes nothing', async () => {
      const before = await count();
      const csv = ['word,category,severity,reason', '新词甲,虚假承诺,block,理由', '新词甲,虚假承诺,block,重复', '新词乙,虚假承诺,high,理由', ',虚假承诺,warn,理由', '保证提分,虚假承诺,block,已在词库'].join('\n');
      const r = await upload(Buffer.from(csv), 'words.csv');
      expect(r.status).toBe(400);
      const where = (r.body.errors as { row: number; field: string }[]).map((e) => [e.row, e.field]);
      expect(where).toEqual(expect.arrayContaining([[3, 'word'], [4, 'severity'], [5, 'word'], [6, 'word']]));
      expect(r.body.error).toContain('nothing imported');
      expect(await count()).toBe(before);
      const utf16 = await upload(Buffer.from('\ufeffword,category\n', 'utf16le').subarray(2), 'words.csv');
      expect(utf16.status).toBe(400);
      expect(utf16.body.errors[0].message).toMatch(/UTF-8/);
      const unknownId = await upload(Buffer.from('word,category,severity,reason,id\n甲乙,c,warn,r,abs:没有这个\n'), 'w.csv');
      expect(unknownId.body.errors[0]).toMatchObject({ row: 2, field: 'id' });
      expect((await upload(Buffer.from(csv), 'words.csv', '', tokens.agent)).status).toBe(403);
    });
  });
});
