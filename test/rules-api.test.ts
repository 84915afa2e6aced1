/**
 * The rules API, the sandbox and materials over real HTTP (SQLite and PostgreSQL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, startStack, type Stack } from './stack.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000000000500010d0a2db40000000049454e44ae426082', 'hex');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n', 'latin1');
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(62), Buffer.from('PE\0\0'), Buffer.alloc(200, 1)]);

function form(name: string, bytes: Buffer, kind?: string): FormData {
  const fd = new FormData();
  if (kind) fd.append('kind', kind);
  fd.append('file', new Blob([bytes]), name);
  return fd;
}

describe.each(ENGINES)('rules API on %s', (engine) => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack(engine);
  });
  afterAll(async () => s?.close());

  it('requires the admin token', async () => {
    const res = await fetch(`${s.url}/api/rules`);
    expect(res.status).toBe(401);
    const wrong = await fetch(`${s.url}/api/rules`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
  });

  it('creates a rule (201 with its id), reads, updates and deletes it', async () => {
    const created = await s.api('POST', '/api/rules', { name: '退货', match: { any: ['退货', '退款'] }, reply: [{ type: 'text', text: '退货请点击…' }] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.any(Number), name: '退货', kind: 'keyword', priority: 0, stop: true, enabled: true, status: 'live', match: { any: ['退货', '退款'] } });
    const id = created.body.id;
    expect((await s.api('GET', `/api/rules/${id}`)).body.name).toBe('退货');
    const patched = await s.api('PATCH', `/api/rules/${id}`, { enabled: false, priority: 9 });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ enabled: false, priority: 9, name: '退货' });
    expect((await s.api('GET', '/api/rules')).body.some((r: any) => r.id === id)).toBe(true);
    expect((await s.api('DELETE', `/api/rules/${id}`)).status).toBe(204);
    expect((await s.api('GET', `/api/rules/${id}`)).status).toBe(404);
  });

  it.each([
    ['an unknown kind', { name: 'x', kind: 'smart', match: { any: ['a1'] }, reply: [{ type: 'text', text: 'hi' }] }, /kind/],
    ['an unknown match kind', { name: 'x', match: { contains: ['退货'] }, reply: [{ type: 'text', text: 'hi' }] }, /match\.contains/],
    ['an empty keyword list', { name: 'x', match: { any: [] }, reply: [{ type: 'text', text: 'hi' }] }, /match\.any/],
    ['only "none"', { name: 'x', match: { none: ['退货'] }, reply: [{ type: 'text', text: 'hi' }] }, /at least one of exact, any, all, command or regex/],
    ['a bad regex', { name: 'x', match: { regex: ['(退货'] }, reply: [{ type: 'text', text: 'hi' }] }, /match\.regex\[0\]/],
    ['a catastrophic regex', { name: 'x', match: { regex: ['(a+)+$'] }, reply: [{ type: 'text', text: 'hi' }] }, /match\.regex\[0\]/],
    ['text over 2048 bytes', { name: 'x', match: { any: ['长'] }, reply: [{ type: 'text', text: '长'.repeat(700) }] }, /reply\[0\]\.text.*2048/],
    ['no replies', { name: 'x', match: { any: ['a1'] }, reply: [] }, /reply/],
    ['a missing material', { name: 'x', match: { any: ['图'] }, reply: [{ type: 'image', material_id: 999999 }] }, /reply\[0\]\.material_id.*does not exist/],
    ['a field of another reply type', { name: 'x', match: { any: ['a1'] }, reply: [{ type: 'text', text: 'hi', material_id: 1 }] }, /reply\[0\]\.material_id/],
    ['a welcome image', { name: 'x', kind: 'welcome', reply: [{ type: 'image', material_id: 1 }] }, /welcome/],
    ['a bad active-hours time', { name: 'x', match: { any: ['a1'] }, reply: [{ type: 'text', text: 'hi' }], active_hours: { ranges: [{ start: '25:00', end: '18:00' }] } }, /active_hours/],
  ])('refuses %s with the field named, and stores nothing', async (_name, body, message) => {
    const before = (await s.api('GET', '/api/rules')).body.length;
    const res = await s.api('POST', '/api/rules', body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(message);
    expect(res.body.details.length).toBeGreaterThan(0);
    expect((await s.api('GET', '/api/rules')).body.length).toBe(before);
  });

  it('warns about broad keywords with their measured share and a compound suggestion', async () => {
    // Customer messages of the last 30 days, as the pipeline would have stored them.
    const texts = [...Array.from({ length: 40 }, (_, i) => `会员价格多少${i}`), ...Array.from({ length: 20 }, (_, i) => `退货怎么操作${i}`), ...Array.from({ length: 40 }, (_, i) => `物流到哪了${i}`)];
    const conv = await s.wr.store.db.insertInto('conversations').values({ channel: 'wecom-kf', open_kfid: 'wk', external_userid: 'wm_broad', last_customer_msg_at: null, sent_since_customer_msg: 0, last_any_reply_at: null, unmatched_streak: 0, created_at: Date.now(), updated_at: Date.now() }).returning('id').executeTakeFirstOrThrow();
    let n = 0;
    for (const text of texts) {
      await s.wr.store.db.insertInto('messages').values({ msgid: `broad-${engine}-${n++}`, conversation_id: Number(conv.id), open_kfid: 'wk', external_userid: 'wm_broad', origin: 3, msgtype: 'text', text, raw: '{}', decision: null, send_time: Date.now(), received_at: Date.now() }).execute();
    }
    const res = await s.api('POST', '/api/rules', { name: '价格', match: { any: ['价格', '退货怎么'] }, reply: [{ type: 'text', text: '请看商品页' }] });
    expect(res.status).toBe(201);
    const w = res.body.warnings.find((x: any) => x.keyword === '价格');
    expect(w).toMatchObject({ field: 'match.any[0]', sample_size: 100 });
    expect(w.share).toBeCloseTo(0.4, 5);
    expect(w.reason).toMatch(/40\.0%/);
    expect(w.suggestion).toMatch(/"all": \["价格", "会员"\]/);
    const single = await s.api('POST', '/api/rules', { name: 'one', match: { any: ['退'] }, reply: [{ type: 'text', text: '…' }] });
    expect(single.body.warnings[0].reason).toMatch(/one-character/);
  });

  it('uploads materials checked by content and size', async () => {
    const png = await s.api('POST', '/api/materials', form('图.png', PNG));
    expect(png.status).toBe(201);
    expect(png.body).toMatchObject({ kind: 'image', mime: 'image/png', size: PNG.length });
    const pdf = await s.api('POST', '/api/materials', form('价目表.pdf', PDF));
    expect(pdf.status).toBe(201);
    expect(pdf.body).toMatchObject({ kind: 'file', mime: 'application/pdf' });
    const exe = await s.api('POST', '/api/materials', form('价目表.pdf', EXE));
    expect(exe.status).toBe(415);
    expect(exe.body.error).toMatch(/content/);
    const bigImage = await s.api('POST', '/api/materials', form('big.png', Buffer.concat([PNG, Buffer.alloc(10 * 1024 * 1024)])));
    expect(bigImage.status).toBe(413);
    expect(bigImage.body.error).toMatch(/10 MB/);
    const pngAsVideo = await s.api('POST', '/api/materials', form('x.png', PNG, 'video'));
    expect(pngAsVideo.status).toBe(415);
    const noFile = await s.api('POST', '/api/materials', new FormData());
    expect(noFile.status).toBe(400);
  });
});
