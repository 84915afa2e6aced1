import { afterEach, describe, expect, it } from 'vitest';
import { buildKfEventCallback, buildUrlVerification, encryptCallbackXml, readXmlField } from './callback.js';
import { decryptFor, signature } from './crypto.js';
import { startMockWeCom, type MockWeCom } from './server.js';
import { callApi, startReceiver, type ReceivedRequest, type Receiver } from './testkit.js';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function mockWith(receiver: Receiver, extra: Parameters<typeof startMockWeCom>[0] = {}): Promise<MockWeCom> {
  const m = await startMockWeCom({ callbackUrl: receiver.url, callbackRetryDelayMs: 20, callbackTimeoutMs: 300, ...extra });
  open.push(m);
  return m;
}

/** What WeReply must do with a callback: verify the signature, decrypt, read the fields. */
function openCallback(r: ReceivedRequest, creds: MockWeCom['credentials']) {
  const encrypted = readXmlField(r.body, 'Encrypt')!;
  const q = r.url.searchParams;
  expect(q.get('msg_signature')).toBe(signature(creds.token, q.get('timestamp')!, q.get('nonce')!, encrypted));
  const inner = decryptFor(encrypted, creds.encodingAESKey, creds.corpId);
  return {
    outerTo: readXmlField(r.body, 'ToUserName'),
    agentId: readXmlField(r.body, 'AgentID'),
    toUser: readXmlField(inner, 'ToUserName'),
    createTime: readXmlField(inner, 'CreateTime'),
    msgType: readXmlField(inner, 'MsgType'),
    event: readXmlField(inner, 'Event'),
    token: readXmlField(inner, 'Token'),
    openKfId: readXmlField(inner, 'OpenKfId'),
  };
}

describe('callback delivery', () => {
  it('POSTs an encrypted, signed kf_msg_or_event whose Token pulls the message', async () => {
    const receiver = await startReceiver(() => ({ status: 200, body: 'success' }));
    open.push(receiver);
    const mock = await mockWith(receiver);
    const before = Math.floor(mock.now() / 1000);
    const { msgid, callback } = await mock.customerSays({ external_userid: 'wmCB', text: '你好', waitCallback: true });
    const after = Math.floor(mock.now() / 1000);
    expect(callback!.status).toBe('delivered');
    expect(receiver.received).toHaveLength(1);
    const req = receiver.received[0]!;
    expect(req.method).toBe('POST');
    expect(req.url.pathname).toBe('/wecom/kf/callback');
    const cb = openCallback(req, mock.credentials);
    expect(cb).toMatchObject({
      outerTo: 'ww_mock_corp',
      agentId: '1000002',
      toUser: 'ww_mock_corp',
      msgType: 'event',
      event: 'kf_msg_or_event',
      openKfId: 'wkMockKf0001',
      token: callback!.msgToken,
    });
    // Taken on the mock clock when the callback was made (a second may tick over meanwhile).
    expect(Number(cb.createTime)).toBeGreaterThanOrEqual(before);
    expect(Number(cb.createTime)).toBeLessThanOrEqual(after);
    const t = (await callApi(mock.url, '/cgi-bin/gettoken', { query: { corpid: 'ww_mock_corp', corpsecret: 'mock-kf-secret' } })).json.access_token as string;
    const sync = await callApi(mock.url, '/cgi-bin/kf/sync_msg', { body: { open_kfid: cb.openKfId, token: cb.token }, query: { access_token: t } });
    expect((sync.json.msg_list as Array<{ msgid: string }>).map((m) => m.msgid)).toEqual([msgid]);
  });

  it('retries after a non-200 answer (3 tries in total) and records every try', async () => {
    const receiver = await startReceiver((_r, n) => (n === 1 ? { status: 500, body: 'boom' } : { status: 200, body: '' }));
    open.push(receiver);
    const mock = await mockWith(receiver);
    const { callback } = await mock.customerSays({ external_userid: 'wmR', text: 'x', waitCallback: true });
    expect(callback!.status).toBe('delivered');
    expect(callback!.tries.map((t) => [t.n, t.status, t.body])).toEqual([
      [1, 500, 'boom'],
      [2, 200, ''],
    ]);
    // a retry is the same request: same body and query, so WeReply can deduplicate it
    expect(receiver.received[0]!.body).toBe(receiver.received[1]!.body);
    expect(receiver.received[0]!.url.search).toBe(receiver.received[1]!.url.search);
    expect(mock.callbacks).toHaveLength(1);
  });

  it('gives up after 3 tries without an answer within the timeout', async () => {
    const receiver = await startReceiver(() => undefined);
    open.push(receiver);
    const mock = await mockWith(receiver, { callbackTimeoutMs: 50 });
    const { callback } = await mock.customerSays({ external_userid: 'wmT', text: 'x', waitCallback: true });
    expect(callback!.status).toBe('failed');
    expect(callback!.tries).toHaveLength(3);
    expect(callback!.tries.every((t) => t.status === undefined && /no answer/.test(t.error ?? ''))).toBe(true);
  });

  it('fires callbacks for enter_session and other events too, and none when callback:false', async () => {
    const receiver = await startReceiver(() => ({ status: 200 }));
    open.push(receiver);
    const mock = await mockWith(receiver);
    await mock.enterSession({ external_userid: 'wmE', waitCallback: true });
    await mock.pushEvent({ event_type: 'msg_send_fail', external_userid: 'wmE', fail_msgid: 'r1', fail_type: 10, waitCallback: true });
    await mock.customerSays({ external_userid: 'wmE', text: 'quiet', callback: false });
    expect(mock.callbacks.map((c) => c.cause.kind)).toEqual(['event:enter_session', 'event:msg_send_fail']);
    expect(receiver.received).toHaveLength(2);
  });

  it('sends nothing without a callback URL, and picks one up when set later', async () => {
    const mock = await startMockWeCom({ callbackRetryDelayMs: 10 });
    open.push(mock);
    await mock.customerSays({ external_userid: 'wm1', text: 'x' });
    expect(mock.callbacks).toHaveLength(0);
    const receiver = await startReceiver(() => ({ status: 200 }));
    open.push(receiver);
    mock.setCallbackUrl(receiver.url);
    await mock.customerSays({ external_userid: 'wm1', text: 'y', waitCallback: true });
    expect(mock.callbacks.map((c) => c.status)).toEqual(['delivered']);
  });
});

describe('URL verification', () => {
  it('reports ok when the receiver answers the decrypted echostr exactly', async () => {
    let answerRight = true;
    const receiver = await startReceiver((r) => {
      const q = r.url.searchParams;
      const echostr = q.get('echostr')!;
      if (q.get('msg_signature') !== signature('mockToken', q.get('timestamp')!, q.get('nonce')!, echostr)) return { status: 403 };
      const plain = decryptFor(echostr, mock.credentials.encodingAESKey, mock.credentials.corpId);
      return { status: 200, body: answerRight ? plain : `"${plain}"\n` };
    });
    open.push(receiver);
    const mock = await mockWith(receiver);
    const ok = await mock.verifyCallbackUrl('1616140317555161061');
    expect(ok).toMatchObject({ ok: true, status: 200, body: '1616140317555161061' });
    expect(receiver.received[0]!.method).toBe('GET');
    answerRight = false;
    const bad = await mock.verifyCallbackUrl();
    expect(bad.ok).toBe(false);
    expect(mock.verifications).toHaveLength(2);
  });
});

describe('pure builders', () => {
  const p = { token: 'QDG6eK', encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', corpId: 'wx5823bf96d3bd56c7' };

  it('buildKfEventCallback signs what it encrypts, with the given timestamp and nonce', () => {
    const r = buildKfEventCallback({ ...p, openKfId: 'wkX', msgToken: 'ENCabc', timestamp: '1409659589', nonce: '263014780' });
    expect(r.query).toMatchObject({ timestamp: '1409659589', nonce: '263014780' });
    expect(r.query.msg_signature).toBe(signature(p.token, '1409659589', '263014780', r.encrypted));
    expect(readXmlField(r.body, 'Encrypt')).toBe(r.encrypted);
    const inner = decryptFor(r.encrypted, p.encodingAESKey, p.corpId);
    expect(inner).toBe(r.innerXml);
    expect(inner).toBe(
      '<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><CreateTime>1409659589</CreateTime>' +
        '<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>' +
        '<Token><![CDATA[ENCabc]]></Token><OpenKfId><![CDATA[wkX]]></OpenKfId></xml>',
    );
  });

  it('buildUrlVerification produces an echostr that decrypts to the plaintext', () => {
    const { query } = buildUrlVerification({ ...p, echoPlain: 'hello-echo', timestamp: '1', nonce: '2' });
    expect(query.msg_signature).toBe(signature(p.token, '1', '2', query.echostr));
    expect(decryptFor(query.echostr, p.encodingAESKey, p.corpId)).toBe('hello-echo');
  });

  it('encryptCallbackXml keeps CDATA well-formed even when the text contains "]]>"', () => {
    const r = encryptCallbackXml('<xml><Content><![CDATA[a]]]]><![CDATA[>b]]></Content></xml>', { ...p, agentId: '7' });
    expect(readXmlField(r.body, 'AgentID')).toBe('7');
    expect(decryptFor(r.encrypted, p.encodingAESKey, p.corpId)).toContain('a]]]]><![CDATA[>b');
  });
});
