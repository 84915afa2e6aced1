/**
 * The sandbox trace (/api/simulate and `wereply simulate`), draft rules for test accounts, the
 * any-message reply with its cooldown and off-hours variant, and media replies through the pipeline.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startStack, weReplyEnv, type Stack } from './stack.js';

const run = promisify(execFile);
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000000000500010d0a2db40000000049454e44ae426082', 'hex');

describe('sandbox, draft rules, any-message reply and media', () => {
  let s: Stack;
  const ids: Record<string, number> = {};
  beforeAll(async () => {
    s = await startStack('sqlite');
    const mk = async (key: string, body: object) => {
      const r = await s.api('POST', '/api/rules', body);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      ids[key] = r.body.id;
    };
    const fd = new FormData();
    fd.append('file', new Blob([PNG]), '流程.png');
    const png = await s.api('POST', '/api/materials', fd);
    ids.png = png.body.id;
    await mk('refund', { name: '退货', priority: 10, match: { any: ['退货'] }, reply: [{ type: 'text', text: '退货说明' }, { type: 'image', material_id: ids.png }] });
    await mk('draft', { name: '双十一', priority: 20, status: 'draft', match: { any: ['双十一'] }, reply: [{ type: 'text', text: '活动说明' }] });
    await mk('night', { name: '夜间', priority: 30, match: { any: ['夜间'] }, active_hours: { ranges: [{ start: '22:00', end: '06:00' }] }, reply: [{ type: 'text', text: '夜间服务' }] });
    await mk('command', { name: '命令', match: { command: ['#发票'] }, reply: [{ type: 'text', text: '发票说明' }] });
    await mk('anyDay', { name: '收到消息（工作时间）', kind: 'any_message', priority: 2, cooldown_seconds: 600, active_hours: { ranges: [{ start: '09:00', end: '21:00' }] }, reply: [{ type: 'text', text: '已收到' }] });
    await mk('anyNight', { name: '收到消息（非工作时间）', kind: 'any_message', priority: 1, cooldown_seconds: 600, active_hours: { ranges: [{ start: '09:00', end: '21:00' }], invert: true }, reply: [{ type: 'text', text: '非工作时间已收到' }] });
  });
  afterAll(async () => s?.close());

  const sim = (body: object) => s.api('POST', '/api/simulate', body).then((r) => {
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  });

  it('traces the matched rule and keyword, the replies, and skipped rules with reasons', async () => {
    const t = await sim({ text: '我要退货，双十一买的', at: '2026-11-25T10:00:00+08:00' });
    expect(t.matched).toEqual([{ rule_id: ids.refund, name: '退货', keyword: '退货', kind: 'any' }]);
    expect(t.replies.map((r: any) => r.reply.type)).toEqual(['text', 'image']);
    expect(t.skipped).toContainEqual(expect.objectContaining({ rule: { id: ids.draft, name: '双十一' }, reason: 'draft' }));
    expect(t.skipped).toContainEqual(expect.objectContaining({ rule: { id: ids.anyDay, name: '收到消息（工作时间）' }, reason: 'keyword_rule_answered' }));
  });

  it('fires draft rules for test accounts only', async () => {
    expect((await sim({ text: '双十一', test_account: true })).matched[0].rule_id).toBe(ids.draft);
    await s.api('PUT', '/api/customers/wm_tester', { test_account: true });
    expect((await sim({ text: '双十一', external_userid: 'wm_tester' })).matched[0].rule_id).toBe(ids.draft);
    expect((await sim({ text: '双十一', external_userid: 'wm_someone' })).matched.map((m: any) => m.rule_id)).not.toContain(ids.draft);
  });

  it('applies active hours in the corp timezone, across midnight', async () => {
    expect((await sim({ text: '夜间', at: '2026-11-25T23:30:00+08:00' })).matched[0]?.rule_id).toBe(ids.night);
    expect((await sim({ text: '夜间', at: '2026-11-26T05:59:00+08:00' })).matched[0]?.rule_id).toBe(ids.night);
    const day = await sim({ text: '夜间', at: '2026-11-25T12:00:00+08:00' });
    expect(day.skipped).toContainEqual(expect.objectContaining({ rule: { id: ids.night, name: '夜间' }, reason: 'outside_active_hours' }));
    // 23:30 in Shanghai is 15:30 UTC: the same instant written in UTC decides the same.
    expect((await sim({ text: '夜间', at: '2026-11-25T15:30:00Z' })).matched[0]?.rule_id).toBe(ids.night);
  });

  it('matches #commands after normalisation (full-width ＃, case, spaces)', async () => {
    expect((await sim({ text: '  ＃发票 12345 ' })).matched[0]).toMatchObject({ rule_id: ids.command, kind: 'command', keyword: '#发票' });
    expect((await sim({ text: '发票' })).matched.map((m: any) => m.rule_id)).not.toContain(ids.command);
  });

  it('answers any message in business hours, the off-hours variant at night, once per cooldown', async () => {
    expect((await sim({ text: '随便问问', at: '2026-11-25T10:00:00+08:00' })).matched[0].rule_id).toBe(ids.anyDay);
    const night = await sim({ text: '随便问问', at: '2026-11-25T22:00:00+08:00' });
    expect(night.matched[0].rule_id).toBe(ids.anyNight);
    expect(night.skipped).toContainEqual(expect.objectContaining({ rule: expect.objectContaining({ id: ids.anyDay }), reason: 'outside_active_hours' }));

    // Through the pipeline: the second message within the cooldown gets no any-message reply.
    await s.mock.customerSays({ external_userid: 'wm_cool', text: '在吗' });
    await s.mock.customerSays({ external_userid: 'wm_cool', text: '有人吗' });
    const messages = await eventually(async () => {
      const r = await s.api('GET', '/api/messages?external_userid=wm_cool');
      return r.body.length === 2 && r.body.every((m: any) => m.decision) ? r.body : null;
    });
    const second = messages[0];
    expect(second.decision.skipped.some((x: any) => x.reason === 'cooldown')).toBe(true);
    const traced = await sim({ text: '还在吗', external_userid: 'wm_cool' });
    expect(traced.matched).toEqual([]);
    expect(traced.skipped.some((x: any) => x.reason === 'cooldown')).toBe(true);
    await eventually(() => s.mock.sent.filter((r) => r.touser === 'wm_cool' && r.errcode === 0).length === 1);
  });

  it('sends an image reply with a media_id uploaded on first use, and renews it before 3 days run out', async () => {
    await s.mock.customerSays({ external_userid: 'wm_media', text: '退货' });
    const sent = await s.mock.waitForSent(2, 10_000, (r) => r.touser === 'wm_media' && r.errcode === 0);
    expect(sent[1]!.body.msgtype).toBe('image');
    const mediaId = (sent[1]!.body.image as { media_id: string }).media_id;
    const uploads = () => s.mock.requests.filter((r) => r.path === '/cgi-bin/media/upload' && r.errcode === 0).length;
    expect(uploads()).toBe(1);
    // Used again soon: the same media_id, no new upload.
    await s.mock.customerSays({ external_userid: 'wm_media2', text: '退货' });
    const again = await s.mock.waitForSent(2, 10_000, (r) => r.touser === 'wm_media2' && r.errcode === 0);
    expect((again[1]!.body.image as { media_id: string }).media_id).toBe(mediaId);
    expect(uploads()).toBe(1);
    // 2.7 days later (less than 12 h left): renewed before use.
    await s.wr.store.db.updateTable('materials').set({ media_uploaded_at: Date.now() - 2.7 * 86400_000 }).where('id', '=', ids.png!).execute();
    await s.mock.customerSays({ external_userid: 'wm_media3', text: '退货' });
    const renewed = await s.mock.waitForSent(2, 10_000, (r) => r.touser === 'wm_media3' && r.errcode === 0);
    const renewedId = (renewed[1]!.body.image as { media_id: string }).media_id;
    expect(renewedId).not.toBe(mediaId);
    expect(uploads()).toBe(2);
    // WeCom says the media_id is invalid (40007): uploaded again at once and sent.
    s.mock.injectFault({ path: '/cgi-bin/kf/send_msg', errcode: 40007, match: (b) => (b as { msgtype?: string }).msgtype === 'image' });
    await s.mock.customerSays({ external_userid: 'wm_media4', text: '退货' });
    const retried = await s.mock.waitForSent(2, 10_000, (r) => r.touser === 'wm_media4' && r.errcode === 0);
    expect((retried[1]!.body.image as { media_id: string }).media_id).not.toBe(renewedId);
    expect(uploads()).toBe(3);
  });

  it('offers the same sandbox on the command line', async () => {
    // The WeCom settings the running instance has: without them the CLI would read the demo database.
    const env = { ...process.env, ...weReplyEnv(s.mock, { WEREPLY_DATA_DIR: s.dataDir }) };
    const { stdout } = await run('node', ['bin/wereply.js', 'simulate', '我要退货', '--json'], { env });
    const trace = JSON.parse(stdout);
    expect(trace.matched[0]).toMatchObject({ rule_id: ids.refund, keyword: '退货' });
    const plain = await run('node', ['bin/wereply.js', 'simulate', '我要退货'], { env });
    expect(plain.stdout).toMatch(/matched: #\d+ 退货/);
  });
});
