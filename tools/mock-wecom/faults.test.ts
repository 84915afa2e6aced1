import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMockWeCom, type MockWeCom } from './server.js';
import { callApi, startReceiver, type Receiver } from './testkit.js';

const KF = 'wkMockKf0001';
let mock: MockWeCom;
let accessToken: string;

const reply = (content: string, msgid?: string) => ({ touser: 'wmF', open_kfid: KF, msgtype: 'text', text: { content }, msgid });
const send = (body: unknown) => callApi(mock.url, '/cgi-bin/kf/send_msg', { body, query: { access_token: accessToken } });

async function control(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(new URL(path, mock.url), {
    method,
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

beforeAll(async () => {
  mock = await startMockWeCom();
});
afterAll(async () => {
  await mock.close();
});
beforeEach(async () => {
  mock.reset();
  accessToken = (await callApi(mock.url, '/cgi-bin/gettoken', { query: { corpid: 'ww_mock_corp', corpsecret: 'mock-kf-secret' } })).json
    .access_token as string;
  await mock.customerSays({ external_userid: 'wmF', text: 'hi' });
});

describe('injectFault', () => {
  it('answers the given errcode for the next N matching calls without processing them', async () => {
    mock.injectFault({ path: '/cgi-bin/kf/send_msg', errcode: 42001, times: 2 });
    expect((await send(reply('a', 'f1'))).json.errcode).toBe(42001);
    expect((await send(reply('a', 'f1'))).json.errcode).toBe(42001);
    expect((await send(reply('a', 'f1'))).json.errcode).toBe(0);
    expect(mock.sent.map((s) => [s.errcode, s.fault ?? null])).toEqual([
      [42001, 'errcode'],
      [42001, 'errcode'],
      [0, null],
    ]);
    expect(mock.sessionInfo(KF, 'wmF').sends_since_customer_message).toBe(1);
  });

  it('answerAfter accepts the send at once (counted, recorded) and answers only when released', async () => {
    let release!: () => void;
    mock.injectFault({ path: '/cgi-bin/kf/send_msg', answerAfter: new Promise<void>((r) => (release = r)) });
    const answer = send(reply('late', 'late-1'));
    await mock.waitForSent(1);
    expect(mock.sent).toMatchObject([{ msgid: 'late-1', errcode: 0, fault: 'delay' }]);
    expect(mock.sessionInfo(KF, 'wmF').sends_since_customer_message).toBe(1);
    // The customer writes while the answer is on its way: the new allowance starts at 0.
    await mock.customerSays({ external_userid: 'wmF', text: 'again', callback: false });
    expect(mock.sessionInfo(KF, 'wmF').sends_since_customer_message).toBe(0);
    release();
    expect((await answer).json.errcode).toBe(0);
  });

  it("drop:'before' cuts the connection and nothing is delivered", async () => {
    mock.injectFault({ path: '/cgi-bin/kf/send_msg', drop: 'before' });
    await expect(send(reply('lost', 'd1'))).rejects.toThrow();
    expect(mock.sent).toMatchObject([{ msgid: 'd1', errcode: null, fault: 'drop-before' }]);
    expect(mock.sessionInfo(KF, 'wmF').sends_since_customer_message).toBe(0);
  });

  it("drop:'after' delivers the message, then cuts the connection unanswered (the ambiguous case)", async () => {
    mock.injectFault({ path: '/cgi-bin/kf/send_msg', drop: 'after' });
    await expect(send(reply('delivered?', 'amb-1'))).rejects.toThrow();
    expect(mock.sent).toMatchObject([{ msgid: 'amb-1', errcode: 0, fault: 'drop-after' }]);
    expect(mock.sessionInfo(KF, 'wmF').sends_since_customer_message).toBe(1);
    // the client retries with the same msgid: WeCom does not deduplicate, so the customer gets it twice
    expect((await send(reply('delivered?', 'amb-1'))).json).toMatchObject({ errcode: 0, msgid: 'amb-1' });
    expect(mock.sent.filter((s) => s.msgid === 'amb-1' && s.errcode === 0)).toHaveLength(2);
  });

  it('delays answers and only hits calls the predicate matches', async () => {
    mock.injectFault({ path: '/cgi-bin/kf/send_msg', delayMs: 150, match: (b) => (b as { msgid?: string }).msgid === 'slow' });
    expect((await send(reply('fast', 'quick'))).json.errcode).toBe(0);
    expect(mock.sent.find((r) => r.msgid === 'quick')?.fault).toBeUndefined();
    const t1 = performance.now();
    expect((await send(reply('slow', 'slow'))).json.errcode).toBe(0);
    // A lower bound only: the delay happened (an upper bound would depend on the machine's load).
    expect(performance.now() - t1).toBeGreaterThanOrEqual(140);
    expect(mock.sent.find((r) => r.msgid === 'slow')?.fault).toBe('delay');
  });

  it('can fail with an HTTP status, and clearFaults() removes pending faults', async () => {
    mock.injectFault({ path: '*', httpStatus: 502 });
    const r = await send(reply('x'));
    expect(r.status).toBe(502);
    mock.injectFault({ path: '/cgi-bin/kf/send_msg', errcode: -1, times: 5 });
    mock.clearFaults();
    expect((await send(reply('y'))).json.errcode).toBe(0);
  });
});

describe('HTTP control API', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver(() => ({ status: 200, body: 'success' }));
  });
  afterAll(async () => {
    mock.setCallbackUrl(undefined);
    await receiver.close();
  });

  it('injects messages, faults, states and clock moves over HTTP', async () => {
    expect((await control('POST', '/mock/callback-url', { url: receiver.url })).json.callbackUrl).toBe(receiver.url);
    const said = await control('POST', '/mock/customer-message', { external_userid: 'wmH', text: 'over http', waitCallback: true });
    expect(said.status).toBe(200);
    expect(said.json).toMatchObject({ msgid: expect.any(String), send_time: expect.any(Number), callback: { status: 'delivered' } });
    expect((await control('GET', '/mock/callbacks')).json.at(-1).status).toBe('delivered');

    expect((await control('POST', '/mock/faults', { path: '/cgi-bin/kf/send_msg', errcode: 45009 })).json).toMatchObject({ ok: true, active: 1 });
    expect((await send({ ...reply('x'), touser: 'wmH' })).json.errcode).toBe(45009);
    expect((await send({ ...reply('y', 'h2'), touser: 'wmH' })).json.errcode).toBe(0);
    const sentToH = (await control('GET', '/mock/sent?touser=wmH')).json as Array<{ errcode: number }>;
    expect(sentToH.map((s) => s.errcode)).toEqual([45009, 0]);

    expect((await control('POST', '/mock/session-state', { external_userid: 'wmH', state: 2 })).json.service_state).toBe(2);
    expect((await send({ ...reply('z'), touser: 'wmH' })).json.errcode).toBe(95018);

    const entered = await control('POST', '/mock/enter-session', { external_userid: 'wmNew', scene: 's1' });
    expect(entered.json.welcome_code).toEqual(expect.any(String));
    const before = (await control('GET', '/mock/clock')).json.now as number;
    expect((await control('POST', '/mock/clock', { advanceMs: 21_000 })).json.now).toBeGreaterThanOrEqual(before + 21_000);
    const late = await callApi(mock.url, '/cgi-bin/kf/send_msg_on_event', {
      body: { code: entered.json.welcome_code, msgtype: 'text', text: { content: 'welcome' } },
      query: { access_token: accessToken },
    });
    expect(late.json.errcode).toBe(41050);

    expect((await control('GET', '/mock/requests?path=/cgi-bin/kf/send_msg_on_event')).json).toHaveLength(1);
    expect((await control('POST', '/mock/verify-url', {})).json.ok).toBe(false); // the receiver answers "success", not the echo
    expect((await control('POST', '/mock/reset')).json.ok).toBe(true);
    expect((await control('GET', '/mock/sent')).json).toEqual([]);
    expect((await control('GET', '/mock/nope')).status).toBe(404);
    expect((await control('POST', '/mock/customer-message', { text: 'no user' })).status).toBe(400);
  });
});
