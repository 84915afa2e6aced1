/**
 * The callback endpoint under hostile input: whatever arrives — random or mutated envelopes, mutated
 * XML inside a correctly signed and encrypted envelope, odd query strings, wrong content types,
 * huge bodies — the answer is 200 or a 4xx with a reason, never a 500, and the server keeps serving.
 * Also: URL verification (GET) keeps the same replay window as POST.
 * Callbacks are built with the mock's own crypto (tools/mock-wecom), not WeReply's.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKfEventCallback, buildUrlVerification, encryptCallbackXml } from '../tools/mock-wecom/callback.js';
import { startStack, type Stack } from './stack.js';

describe('kf callback endpoint under hostile input', () => {
  let s: Stack;
  let cb: string;
  beforeAll(async () => {
    s = await startStack('sqlite', { wereply: { workers: false } });
    cb = `${s.url}/wecom/kf/callback`;
  });
  afterAll(async () => s?.close());

  const creds = () => ({ corpId: s.mock.credentials.corpId, token: s.mock.credentials.token, encodingAESKey: s.mock.credentials.encodingAESKey });
  const post = (query: string, body: string | Uint8Array, contentType: string | undefined = 'text/xml') =>
    fetch(`${cb}?${query}`, { method: 'POST', body, ...(contentType ? { headers: { 'content-type': contentType } } : {}) });
  const statuses = new Map<number, number>();
  const expectNoServerError = async (res: Response, what: string) => {
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    const text = await res.text();
    if (res.status >= 500 || ![200, 400, 403, 404, 413, 415].includes(res.status)) {
      throw new Error(`${what}: answered ${res.status} ${text.slice(0, 300)}`);
    }
    // A refusal says why in words; never a stack trace.
    if (res.status !== 200) expect(text).not.toMatch(/\n\s+at |stack/);
  };

  it('refuses URL verification whose timestamp is outside the replay window (403), as POST does', async () => {
    const old = String(Math.floor(Date.now() / 1000) - 3600);
    const { query } = buildUrlVerification({ ...creds(), echoPlain: '1234567', timestamp: old });
    const res = await fetch(`${cb}?${new URLSearchParams(query as any)}`);
    expect(res.status).toBe(403);
    expect(((await res.json()) as any).error).toMatch(/replayed|away from now/);
    // A fresh one still verifies.
    const fresh = buildUrlVerification({ ...creds(), echoPlain: '1234567' });
    const ok = await fetch(`${cb}?${new URLSearchParams(fresh.query as any)}`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('1234567');
  });

  it.each([
    ['a character reference beyond Unicode in <Encrypt>', '<xml><Encrypt>&#x110000;</Encrypt></xml>'],
    ['a decimal reference beyond Unicode', '<xml><Encrypt>&#99999999999999999999;</Encrypt></xml>'],
    ['a surrogate code point', '<xml><Encrypt>&#xD800;</Encrypt></xml>'],
    ['a NUL reference', '<xml><Encrypt>&#0;</Encrypt></xml>'],
  ])('answers 400 (not 500) for %s', async (_name, body) => {
    const req = buildKfEventCallback({ ...creds(), openKfId: 'wkMockKf0001', msgToken: 'tok-charref' });
    const res = await post(new URLSearchParams(req.query as any).toString(), body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatch(/malformed XML/);
  });

  it('answers 400 for a bad character reference inside a correctly signed and encrypted envelope', async () => {
    const inner = `<xml><ToUserName>${s.mock.credentials.corpId}</ToUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>&#x110000;</Event></xml>`;
    const req = encryptCallbackXml(inner, creds());
    const res = await post(new URLSearchParams(req.query as any).toString(), req.body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatch(/decrypted message: malformed XML/);
  });

  it('never answers 500 to mutated envelopes, mutated signed messages, odd queries and content types (fuzz)', async () => {
    const base = () => buildKfEventCallback({ ...creds(), openKfId: 'wkMockKf0001', msgToken: `tok-fuzz-${Math.random()}` });
    const fragment = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('&#x110000;', '&#xD800;', '&#0;', '&#x;', '&#;', '&amp', '&', '<', '>', ']]>', '<![CDATA[', '<!--', '<?', '</xml>', '<xml>', '<a/>', '<!DOCTYPE x>', '\u0000', '\uFFFF', '\uD800', '%', '\r\n'),
      fc.integer({ min: 0, max: 0x7fffffff }).map((n) => `&#${n};`),
      fc.integer({ min: 0, max: 0x7fffffff }).map((n) => `&#x${n.toString(16)};`),
    );
    const mutate = (text: string) =>
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 8 }), fragment), { maxLength: 4 }).map((edits) => {
        let t = text;
        for (const [at, del, ins] of edits) {
          const i = at % (t.length + 1);
          t = t.slice(0, i) + ins + t.slice(i + del);
        }
        return t;
      });
    const innerXml = (corpId: string) =>
      `<xml><ToUserName><![CDATA[${corpId}]]></ToUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event><Token><![CDATA[tok]]></Token><OpenKfId><![CDATA[wkMockKf0001]]></OpenKfId></xml>`;
    const queryFuzz = fc.oneof(
      fc.constant(null), // keep the valid query
      fc.string({ maxLength: 60 }), // random text as the query string
      fc.constantFrom('%', '%E0%A4%A', 'msg_signature=a&msg_signature=b&timestamp=1&nonce=n', 'timestamp=1e3&nonce=x&msg_signature=y', '&&&=&=', 'timestamp=-1&nonce=x&msg_signature=y'),
    );
    const contentType = fc.constantFrom<string | undefined>('text/xml', 'application/xml', 'application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', '', undefined, 'text/xml; charset=gbk', 'x/y');

    const caseArb = fc.oneof(
      // A mutated envelope under a valid query.
      fc.record({ kind: fc.constant('envelope' as const), body: mutate('<xml><ToUserName><![CDATA[ww]]></ToUserName><Encrypt><![CDATA[ENC]]></Encrypt><AgentID>1</AgentID></xml>'), query: queryFuzz, contentType }),
      // A mutated message inside a correct signature and encryption: reaches the inner parser.
      fc.record({ kind: fc.constant('signed' as const), body: mutate(innerXml('CORP')), query: fc.constant(null), contentType: fc.constant('text/xml') }),
      // Random bytes.
      fc.record({ kind: fc.constant('random' as const), body: fc.string({ maxLength: 200 }), query: queryFuzz, contentType }),
    );

    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const valid = base();
        let query = new URLSearchParams(valid.query as any).toString();
        let body = c.body.replace('ENC', valid.encrypted);
        if (c.kind === 'signed') {
          const req = encryptCallbackXml(body.replace('CORP', s.mock.credentials.corpId), creds());
          query = new URLSearchParams(req.query as any).toString();
          body = req.body;
        } else if (c.query !== null) query = c.query;
        const res = await post(query, body, c.contentType);
        await expectNoServerError(res, `${c.kind} ${JSON.stringify(body).slice(0, 200)} ?${query.slice(0, 80)} (${String(c.contentType)})`);
      }),
      { numRuns: 300 },
    );
    // The fuzz reached both outcomes: some inputs were accepted, most refused with a 4xx.
    expect([...statuses.keys()].some((k) => k >= 400)).toBe(true);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });

  it('answers 413 to a huge body with any content type, and 400 to a malformed GET query', async () => {
    const req = buildKfEventCallback({ ...creds(), openKfId: 'wkMockKf0001', msgToken: 'tok-huge' });
    const q = new URLSearchParams(req.query as any).toString();
    for (const type of ['text/xml', 'application/json', 'application/octet-stream']) {
      const res = await post(q, new Uint8Array(2 * 1024 * 1024).fill(0x41), type);
      expect(res.status).toBe(413);
    }
    for (const query of ['%', 'echostr=%ZZ&timestamp=abc', 'msg_signature=&timestamp=&nonce=&echostr=', 'echostr=a&echostr=b&timestamp=1&nonce=n&msg_signature=s']) {
      const res = await fetch(`${cb}?${query}`);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
  });
});
