/**
 * PII is masked in every answer for roles without pii:view, whatever the field: location names and
 * addresses, link and mini-program titles, business cards, the audit log's reasons, rule reply
 * texts, customer names and outbox payloads — through the real API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPii } from '../src/compliance/pii.js';
import { eventually, startStack, type Stack } from './stack.js';

const P = '13912345678';

/** Strings in a JSON answer that still carry PII (identifier fields such as msgid are ids, not text). */
function leaks(v: unknown, key = ''): string[] {
  if (typeof v === 'string') return /id$/.test(key) ? [] : findPii(v).length ? [`${key}: ${v}`] : [];
  if (Array.isArray(v)) return v.flatMap((x) => leaks(x, key));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => leaks(x, k));
  return [];
}

describe('PII masked in every answer', () => {
  let s: Stack;
  let agent: string;
  let analyst: string;
  let convId: number;
  beforeAll(async () => {
    s = await startStack('sqlite');
    agent = (await s.api('POST', '/api/operators', { name: 'agent-pii', role: 'agent' })).body.token;
    analyst = (await s.api('POST', '/api/operators', { name: 'analyst-pii', role: 'analyst' })).body.token;
    const u = 'wm_pii_all';
    await s.mock.customerSays({ external_userid: u, msgtype: 'location', content: { latitude: 31.2304, longitude: 121.4737, name: `王女士 ${P}`, address: '上海市浦东新区世纪大道100号5栋1201室' } });
    await s.mock.customerSays({ external_userid: u, msgtype: 'link', content: { title: `我的电话 ${P}`, desc: `打 138\u200b1234\u200b5678`, url: `https://x.example.com/?m=${P}`, pic_url: 'https://x.example.com/a.png' } });
    await s.mock.customerSays({ external_userid: u, msgtype: 'business_card', content: { userid: P } });
    await s.mock.customerSays({ external_userid: u, msgtype: 'miniprogram', content: { title: `订单联系人 ${P}`, appid: 'wx1', pagepath: 'pages/a', thumb_media_id: 'thumb1' } });
    await s.mock.customerSays({ external_userid: u, text: `电话 138.1234.5678` });
    convId = (await eventually(async () => {
      const c = ((await s.api('GET', `/api/conversations?q=${u}`)).body as { id: number }[])[0];
      if (!c) return undefined;
      const items = (await s.api('GET', `/api/conversations/${c.id}/messages`)).body.items as unknown[];
      return items.length >= 5 ? c : undefined;
    }, 15_000, 'five messages stored')).id;
  });
  afterAll(async () => s?.close());

  it('message history: location, link, business card, mini-program and hidden digits are masked for an agent', async () => {
    const full = (await s.api('GET', `/api/conversations/${convId}/messages`)).body;
    expect(leaks(full).length).toBeGreaterThanOrEqual(5); // the admin sees them
    const masked = (await s.api('GET', `/api/conversations/${convId}/messages`, undefined, agent)).body;
    expect(masked.pii_masked).toBe(true);
    expect(leaks(masked)).toEqual([]);
    const location = masked.items.find((i: { msgtype: string }) => i.msgtype === 'location');
    expect(location.media.address).not.toContain('1201');
    expect(location.media.latitude).toBe(31.23);
    expect(JSON.stringify(masked)).not.toContain(P);
  });

  it('customer names, rule reply texts, outbox payloads and the audit log reason are masked for an analyst', async () => {
    expect((await s.api('PUT', '/api/customers/wm_pii_all', { name: `张三 ${P}` })).status).toBe(200);
    const rule = await s.api('POST', '/api/rules', { name: '回拨', match: { any: ['回拨'] }, reply: [{ type: 'text', text: `请拨打 139\u200b1234\u200b5678` }] });
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    const settings = (await s.api('GET', '/api/compliance/settings')).body;
    expect((await s.api('PUT', '/api/compliance/settings', { ...settings, hold_outbound_pii: ['mobile'] })).status).toBe(200);
    await s.mock.customerSays({ external_userid: 'wm_pii_rule', text: '回拨' });
    const held = await eventually(async () => ((await s.api('GET', '/api/outbox?status=held')).body as { id: number }[])[0], 15_000, 'a held reply').catch(async (e) => {
      console.log(JSON.stringify((await s.api('GET', '/api/outbox')).body), JSON.stringify((await s.api('GET', '/api/messages')).body).slice(-1500));
      throw e;
    });
    expect((await s.api('POST', `/api/outbox/${held.id}/release`, { reason: `客户本人要求回拨 ${P}` })).status).toBe(200);

    for (const path of ['/api/conversations?q=wm_pii_all', '/api/rules', '/api/outbox', '/api/compliance/audit', `/api/conversations/${convId}/messages`, '/api/messages']) {
      const admin = (await s.api('GET', path)).body;
      const masked = (await s.api('GET', path, undefined, analyst)).body;
      expect({ path, some: leaks(admin).length > 0 }).toEqual({ path, some: true });
      expect({ path, leaks: leaks(masked) }).toEqual({ path, leaks: [] });
    }
  });
});
