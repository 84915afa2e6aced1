/**
 * The callback endpoint's security: URL verification, and every bad input refused with a clear
 * error and nothing stored. Callbacks are built with the mock's own crypto (not WeReply's).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKfEventCallback, buildUrlVerification, encryptCallbackXml } from '../tools/mock-wecom/callback.js';
import { startStack, type Stack } from './stack.js';

describe('kf callback endpoint', () => {
  let s: Stack;
  let cb: string;
  beforeAll(async () => {
    // Workers off: pull jobs stay in the table, so "nothing changed" can be checked exactly.
    s = await startStack('sqlite', { wereply: { workers: false } });
    cb = `${s.url}/wecom/kf/callback`;
  });
  afterAll(async () => s?.close());

  const creds = () => ({ corpId: s.mock.credentials.corpId, token: s.mock.credentials.token, encodingAESKey: s.mock.credentials.encodingAESKey });
  const post = (query: Record<string, string>, body: string, headers: Record<string, string> = { 'content-type': 'text/xml' }) =>
    fetch(`${cb}?${new URLSearchParams(query)}`, { method: 'POST', body, headers });
  const counts = async () => ({
    callbacks: (await s.wr.store.db.selectFrom('kf_callbacks').select('id').execute()).length,
    jobs: (await s.wr.store.db.selectFrom('jobs').select('id').execute()).length,
  });

  it('answers URL verification with the decrypted echostr exactly', async () => {
    const result = await s.mock.verifyCallbackUrl('1616140317555161061');
    expect(result.ok).toBe(true);
    const { query } = buildUrlVerification({ ...creds(), echoPlain: '9876543210' });
    const res = await fetch(`${cb}?${new URLSearchParams(query as any)}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('9876543210');
  });

  it('refuses URL verification with a wrong signature (403)', async () => {
    const { query } = buildUrlVerification({ ...creds(), echoPlain: '1' });
    const res = await fetch(`${cb}?${new URLSearchParams({ ...(query as any), msg_signature: '0'.repeat(40) })}`);
    expect(res.status).toBe(403);
    expect(((await res.json()) as any).error).toMatch(/msg_signature/);
  });

  it('stores a valid kf_msg_or_event with its pull job, and acknowledges a retry without a second job', async () => {
    const before = await counts();
    const req = buildKfEventCallback({ ...creds(), openKfId: 'wkMockKf0001', msgToken: 'ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR' });
    const first = await post(req.query as any, req.body);
    expect(first.status).toBe(200);
    expect(await first.text()).toBe('success');
    const again = await post(req.query as any, req.body);
    expect(again.status).toBe(200);
    const after = await counts();
    expect(after.callbacks).toBe(before.callbacks + 1);
  });

  it.each([
    ['a bad msg_signature', 403, /msg_signature/, () => {
      const req = buildKfEventCallback({ ...creds(), openKfId: 'wkMockKf0001', msgToken: 'tok-bad-sig' });
      return { query: { ...(req.query as any), msg_signature: 'f'.repeat(40) }, body: req.body };
    }],
    ['another corp’s ReceiveId', 403, /ReceiveId/, () => {
      const req = buildKfEventCallback({ ...creds(), corpId: 'wwAnotherCorp', openKfId: 'wkMockKf0001', msgToken: 'tok-other-corp' });
      return { query: req.query as any, body: req.body };
    }],
    ['malformed XML', 400, /malformed XML/, () => {
      const req = buildKfEventCallback({ ...creds(), openKfId: 'wkMockKf0001', msgToken: 'tok-malformed' });
      return { query: req.query as any, body: req.body.replace('</xml>', '') };
    }],
    ['XML without <Encrypt>', 400, /Encrypt/, () => {
      const req = buildKfEventCallback({ ...creds(), openKfId: 'wkMockKf0001', msgToken: 'tok-noenc' });
      return { query: req.query as any, body: '<xml><ToUserName>x</ToUserName></xml>' };
    }],
    ['an entity-expansion payload', 400, /DOCTYPE/, () => {
      const req = buildKfEventCallback({ ...creds(), openKfId: 'wkMockKf0001', msgToken: 'tok-xxe' });
      return { query: req.query as any, body: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>' };
    }],
    ['a replayed callback from long ago', 403, /replayed/, () => {
      const req = buildKfEventCallback({ ...creds(), openKfId: 'wkMockKf0001', msgToken: 'tok-old', timestamp: String(Math.floor(Date.now() / 1000) - 3600) });
      return { query: req.query as any, body: req.body };
    }],
    ['an unsupported message type', 400, /unsupported callback/, () => {
      const inner = `<xml><ToUserName><![CDATA[${s.mock.credentials.corpId}]]></ToUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content></xml>`;
      const req = encryptCallbackXml(inner, creds());
      return { query: req.query as any, body: req.body };
    }],
  ])('refuses %s and changes nothing', async (_name, status, message, build) => {
    const before = await counts();
    const { query, body } = build();
    const res = await post(query, body);
    expect(res.status).toBe(status);
    expect(((await res.json()) as any).error).toMatch(message);
    expect(await counts()).toEqual(before);
  });

  it('refuses an oversized body (413) and changes nothing', async () => {
    const before = await counts();
    const req = buildKfEventCallback({ ...creds(), openKfId: 'wkMockKf0001', msgToken: 'tok-big' });
    const res = await post(req.query as any, `<xml><Encrypt>${'A'.repeat(200_000)}</Encrypt></xml>`);
    expect(res.status).toBe(413);
    expect(await counts()).toEqual(before);
  });

  it('refuses a request without the signature parameters (400)', async () => {
    const res = await fetch(cb, { method: 'POST', body: '<xml/>' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatch(/msg_signature/);
  });
});
