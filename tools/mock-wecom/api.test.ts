import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMockWeCom, type MockWeCom } from './server.js';
import { callApi, fakePng, startReceiver, uploadMedia, type Receiver } from './testkit.js';

const KF = 'wkMockKf0001';
const KF2 = 'wkMockKf0002';
const H = 3600_000;

let mock: MockWeCom;
let receiver: Receiver;
let accessToken: string;

async function api(path: string, body?: unknown, query: Record<string, string | undefined> = {}) {
  return (await callApi(mock.url, path, { body, query: { access_token: accessToken, ...query } })).json;
}

/** Moves the mock clock; an access token would not survive days, so fetch a fresh one as a client would. */
async function advance(ms: number): Promise<void> {
  mock.advanceClock(ms);
  accessToken = await freshToken();
}

async function freshToken(): Promise<string> {
  const r = await callApi(mock.url, '/cgi-bin/gettoken', { query: { corpid: 'ww_mock_corp', corpsecret: 'mock-kf-secret' } });
  return r.json.access_token as string;
}

beforeAll(async () => {
  receiver = await startReceiver(() => ({ status: 200, body: 'success' }));
  mock = await startMockWeCom({ openKfIds: [KF, KF2], callbackUrl: receiver.url, syncWithoutTokenPerMinute: 1000 });
});
afterAll(async () => {
  await mock.close();
  await receiver.close();
});
beforeEach(async () => {
  mock.reset();
  accessToken = await freshToken();
});

describe('gettoken and access_token checks', () => {
  it('issues a token; wrong corpid is 40013, wrong secret 40001', async () => {
    const ok = await callApi(mock.url, '/cgi-bin/gettoken', { query: { corpid: 'ww_mock_corp', corpsecret: 'mock-kf-secret' } });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ errcode: 0, errmsg: 'ok', expires_in: expect.any(Number) });
    expect(typeof ok.json.access_token).toBe('string');
    const badCorp = await callApi(mock.url, '/cgi-bin/gettoken', { query: { corpid: 'nope', corpsecret: 'mock-kf-secret' } });
    expect(badCorp.status).toBe(200);
    expect(badCorp.json.errcode).toBe(40013);
    const badSecret = await callApi(mock.url, '/cgi-bin/gettoken', { query: { corpid: 'ww_mock_corp', corpsecret: 'nope' } });
    expect(badSecret.json.errcode).toBe(40001);
  });

  it('企业可信IP: the token is issued anywhere, API calls from other IPs answer 60020; a denied API answers 48002 (also via POST /mock/access)', async () => {
    mock.setAccess({ trustedIps: ['203.0.113.7'] });
    try {
      expect(await freshToken()).toBe(accessToken);
      const r = await api('/cgi-bin/kf/account/list', {});
      expect(r.errcode).toBe(60020);
      expect(r.errmsg).toMatch(/^not allow to access from your ip, from ip: 127\.0\.0\.1/);
      mock.setAccess({ trustedIps: ['127.0.0.1'] });
      expect((await api('/cgi-bin/kf/account/list', {})).errcode).toBe(0);
    } finally {
      mock.setAccess({ trustedIps: [] });
    }
    const set = await fetch(`${mock.url}/mock/access`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ denied_apis: ['/cgi-bin/kf/account/list'] }) });
    expect(await set.json()).toEqual({ trusted_ips: [], denied_apis: ['/cgi-bin/kf/account/list'] });
    try {
      expect((await api('/cgi-bin/kf/account/list', {})).errcode).toBe(48002);
      expect((await api('/cgi-bin/kf/sync_msg', { open_kfid: KF })).errcode).toBe(0);
    } finally {
      mock.setAccess({ deniedApis: [] });
    }
  });

  it("answers with a Date header from the mock clock", async () => {
    mock.advanceClock(3600_000);
    const res = await fetch(`${mock.url}/cgi-bin/gettoken?corpid=ww_mock_corp&corpsecret=mock-kf-secret`);
    expect(Math.abs(Date.parse(res.headers.get('date')!) - (Date.now() + 3600_000))).toBeLessThan(5000);
  });

  it('returns the same token while it is valid, and 42001 once it expired on the mock clock', async () => {
    expect(await freshToken()).toBe(accessToken);
    expect((await api('/cgi-bin/kf/account/list', {})).errcode).toBe(0);
    mock.advanceClock(7200_000);
    expect((await api('/cgi-bin/kf/account/list', {})).errcode).toBe(42001);
    const next = await freshToken();
    expect(next).not.toBe(accessToken);
    expect((await callApi(mock.url, '/cgi-bin/kf/account/list', { body: {}, query: { access_token: next } })).json.errcode).toBe(0);
    // the expired one stays expired (42001), an invented one is unknown (40014), none is 41001
    expect((await api('/cgi-bin/kf/account/list', {})).errcode).toBe(42001);
    expect((await api('/cgi-bin/kf/account/list', {}, { access_token: 'invented' })).errcode).toBe(40014);
    expect((await callApi(mock.url, '/cgi-bin/kf/account/list', { body: {} })).json.errcode).toBe(41001);
  });

  it('invalidateAccessTokens() makes the next call 40014', async () => {
    mock.invalidateAccessTokens();
    expect((await api('/cgi-bin/kf/account/list', {})).errcode).toBe(40014);
  });

  it('answers unknown paths with HTTP 404', async () => {
    const r = await callApi(mock.url, '/cgi-bin/kf/nope', { body: {}, query: { access_token: accessToken } });
    expect(r.status).toBe(404);
  });
});

describe('kf/sync_msg', () => {
  it('returns customer messages in order with cursor, has_more and limit', async () => {
    for (let i = 0; i < 5; i++) await mock.customerSays({ external_userid: 'wmA', text: `m${i}`, callback: false });
    const first = await api('/cgi-bin/kf/sync_msg', { open_kfid: KF, limit: 2 });
    expect(first).toMatchObject({ errcode: 0, has_more: 1 });
    const list1 = first.msg_list as Array<Record<string, unknown>>;
    expect(list1.map((m) => (m.text as { content: string }).content)).toEqual(['m0', 'm1']);
    expect(list1[0]).toMatchObject({ open_kfid: KF, external_userid: 'wmA', origin: 3, msgtype: 'text' });
    expect((list1[0]!.msgid as string).length).toBeGreaterThanOrEqual(44);
    const second = await api('/cgi-bin/kf/sync_msg', { open_kfid: KF, cursor: first.next_cursor, limit: 1000 });
    expect(second).toMatchObject({ errcode: 0, has_more: 0 });
    expect((second.msg_list as unknown[]).length).toBe(3);
    const empty = await api('/cgi-bin/kf/sync_msg', { open_kfid: KF, cursor: second.next_cursor });
    expect(empty).toMatchObject({ errcode: 0, has_more: 0, msg_list: [] });
    await mock.customerSays({ external_userid: 'wmA', text: 'later', callback: false });
    const later = await api('/cgi-bin/kf/sync_msg', { open_kfid: KF, cursor: empty.next_cursor });
    expect((later.msg_list as Array<{ text: { content: string } }>).map((m) => m.text.content)).toEqual(['later']);
  });

  it('keeps each account its own log and never returns messages sent through send_msg', async () => {
    await mock.customerSays({ external_userid: 'wmA', text: 'to kf1', callback: false });
    await mock.customerSays({ open_kfid: KF2, external_userid: 'wmA', text: 'to kf2', callback: false });
    await api('/cgi-bin/kf/send_msg', { touser: 'wmA', open_kfid: KF, msgtype: 'text', text: { content: 'reply' } });
    const r = await api('/cgi-bin/kf/sync_msg', { open_kfid: KF });
    expect((r.msg_list as Array<{ text: { content: string } }>).map((m) => m.text.content)).toEqual(['to kf1']);
  });

  it('returns only the last 3 days', async () => {
    await mock.customerSays({ external_userid: 'wmA', text: 'old', callback: false });
    await advance(3 * 24 * H + 1);
    await mock.customerSays({ external_userid: 'wmA', text: 'new', callback: false });
    const r = await api('/cgi-bin/kf/sync_msg', { open_kfid: KF });
    expect((r.msg_list as Array<{ text: { content: string } }>).map((m) => m.text.content)).toEqual(['new']);
  });

  it('rejects limit over 1000, a forged cursor and an unknown open_kfid', async () => {
    expect((await api('/cgi-bin/kf/sync_msg', { open_kfid: KF, limit: 1001 })).errcode).toBe(40058);
    expect((await api('/cgi-bin/kf/sync_msg', { open_kfid: KF, cursor: 'forged' })).errcode).toBe(40058);
    expect((await api('/cgi-bin/kf/sync_msg', { open_kfid: 'wkUnknown' })).errcode).toBe(95000);
    const ok = await api('/cgi-bin/kf/sync_msg', { open_kfid: KF });
    // a cursor of one account is not valid for another
    expect((await api('/cgi-bin/kf/sync_msg', { open_kfid: KF2, cursor: ok.next_cursor })).errcode).toBe(40058);
  });

  it('accepts the callback Token for 10 minutes and only for its account (95007 otherwise)', async () => {
    const { callback } = await mock.customerSays({ external_userid: 'wmA', text: 'hi', waitCallback: true });
    const token = callback!.msgToken;
    expect(token).toMatch(/^ENC/);
    expect((await api('/cgi-bin/kf/sync_msg', { open_kfid: KF, token })).errcode).toBe(0);
    expect((await api('/cgi-bin/kf/sync_msg', { open_kfid: KF2, token })).errcode).toBe(95007);
    expect((await api('/cgi-bin/kf/sync_msg', { open_kfid: KF, token: 'ENCinvented' })).errcode).toBe(95007);
    mock.advanceClock(10 * 60_000 + 1);
    expect((await api('/cgi-bin/kf/sync_msg', { open_kfid: KF, token })).errcode).toBe(95007);
  });

  it('limits calls without a token per minute (45009)', async () => {
    const strict = await startMockWeCom({ syncWithoutTokenPerMinute: 3 });
    try {
      const t = (await callApi(strict.url, '/cgi-bin/gettoken', { query: { corpid: 'ww_mock_corp', corpsecret: 'mock-kf-secret' } })).json
        .access_token as string;
      const call = async () =>
        (await callApi(strict.url, '/cgi-bin/kf/sync_msg', { body: { open_kfid: KF }, query: { access_token: t } })).json.errcode;
      expect([await call(), await call(), await call(), await call()]).toEqual([0, 0, 0, 45009]);
      strict.advanceClock(60_000);
      expect(await call()).toBe(0);
    } finally {
      await strict.close();
    }
  });

  it('lists events with the ids inside `event`, like WeCom', async () => {
    const { welcome_code } = await mock.enterSession({ external_userid: 'wmE', scene: 'ad', scene_param: 'a=1', callback: false });
    const r = await api('/cgi-bin/kf/sync_msg', { open_kfid: KF });
    const [ev] = r.msg_list as Array<Record<string, unknown>>;
    expect(ev).toMatchObject({ origin: 4, msgtype: 'event' });
    expect(ev!.open_kfid).toBeUndefined();
    expect(ev!.event).toEqual({
      event_type: 'enter_session',
      scene: 'ad',
      scene_param: 'a=1',
      open_kfid: KF,
      external_userid: 'wmE',
      welcome_code,
    });
  });
});

describe('kf/send_msg', () => {
  const text = (content: string, extra: Record<string, unknown> = {}) => ({
    touser: 'wmS',
    open_kfid: KF,
    msgtype: 'text',
    text: { content },
    ...extra,
  });

  beforeEach(async () => {
    await mock.customerSays({ external_userid: 'wmS', text: 'hello', callback: false });
  });

  it('echoes the msgid, and generates one when none is given', async () => {
    expect(await api('/cgi-bin/kf/send_msg', text('a', { msgid: 'reply-1' }))).toMatchObject({ errcode: 0, msgid: 'reply-1' });
    const gen = await api('/cgi-bin/kf/send_msg', text('b'));
    expect(gen.errcode).toBe(0);
    expect(gen.msgid).toMatch(/^[0-9a-zA-Z_-]{1,32}$/);
  });

  it('rejects a msgid over 32 bytes or with other characters (40058)', async () => {
    expect((await api('/cgi-bin/kf/send_msg', text('a', { msgid: 'x'.repeat(32) }))).errcode).toBe(0);
    expect((await api('/cgi-bin/kf/send_msg', text('a', { msgid: 'x'.repeat(33) }))).errcode).toBe(40058);
    expect((await api('/cgi-bin/kf/send_msg', text('a', { msgid: 'has space' }))).errcode).toBe(40058);
    // an inbound msgid (44 chars) cannot be reused as an outbound msgid
    const [inbound] = mock.messages();
    expect((await api('/cgi-bin/kf/send_msg', text('a', { msgid: inbound!.msgid }))).errcode).toBe(40058);
  });

  it('checks open_kfid (95000), msgtype (40008) and text content (44004 empty, 45002 over 2048 bytes)', async () => {
    expect((await api('/cgi-bin/kf/send_msg', text('a', { open_kfid: 'wkNope' }))).errcode).toBe(95000);
    expect((await api('/cgi-bin/kf/send_msg', text('a', { msgtype: 'news' }))).errcode).toBe(40008);
    expect((await api('/cgi-bin/kf/send_msg', text(''))).errcode).toBe(44004);
    expect((await api('/cgi-bin/kf/send_msg', text('字'.repeat(683)))).errcode).toBe(45002); // 2049 bytes
    expect((await api('/cgi-bin/kf/send_msg', text('字'.repeat(682)))).errcode).toBe(0); // 2046 bytes
  });

  it('does not deduplicate: the same msgid twice is delivered and recorded twice', async () => {
    const a = await api('/cgi-bin/kf/send_msg', text('same', { msgid: 'dup-1' }));
    const b = await api('/cgi-bin/kf/send_msg', text('same', { msgid: 'dup-1' }));
    expect([a.errcode, b.errcode]).toEqual([0, 0]);
    const dup = mock.sent.filter((s) => s.msgid === 'dup-1');
    expect(dup).toHaveLength(2);
    expect(dup.every((s) => s.errcode === 0 && s.api === 'send_msg' && s.touser === 'wmS')).toBe(true);
    expect(mock.sessionInfo(KF, 'wmS').sends_since_customer_message).toBe(2);
  });

  it('allows 5 messages after the customer wrote, then 95001, and resets when the customer writes again', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push((await api('/cgi-bin/kf/send_msg', text(`r${i}`))).errcode);
    expect(codes).toEqual([0, 0, 0, 0, 0, 95001]);
    await mock.customerSays({ external_userid: 'wmS', text: 'again', callback: false });
    expect((await api('/cgi-bin/kf/send_msg', text('after'))).errcode).toBe(0);
    // rejected sends are recorded with their errcode
    expect(mock.sent.filter((s) => s.errcode === 95001)).toHaveLength(1);
  });

  it('needs session state 0 or 1 (95018), e.g. not while a human servicer handles it', async () => {
    mock.setSessionState(KF, 'wmS', 3, 'mock_servicer_1a');
    expect((await api('/cgi-bin/kf/send_msg', text('bot'))).errcode).toBe(95018);
    mock.setSessionState(KF, 'wmS', 1);
    expect((await api('/cgi-bin/kf/send_msg', text('bot'))).errcode).toBe(0);
  });

  it('rejects a customer who never wrote (no session: 95018) and a reply window over 48 h (95001)', async () => {
    expect((await api('/cgi-bin/kf/send_msg', text('x', { touser: 'wmNever' }))).errcode).toBe(95018);
    await advance(48 * H + 1);
    // the session itself ended after 48 h
    expect((await api('/cgi-bin/kf/send_msg', text('late'))).errcode).toBe(95018);
    expect(mock.sessionInfo(KF, 'wmS').service_state).toBe(4);
    mock.setSessionState(KF, 'wmS', 1); // even with an open session, the 48 h window is over
    expect((await api('/cgi-bin/kf/send_msg', text('late'))).errcode).toBe(95001);
  });
});

describe('kf/send_msg_on_event (welcome_code)', () => {
  const welcome = (code: string | undefined, msgid?: string) => ({ code, msgid, msgtype: 'text', text: { content: '欢迎' } });

  it('accepts a welcome_code once, within 20 s', async () => {
    const { welcome_code } = await mock.enterSession({ external_userid: 'wmW', callback: false });
    expect(welcome_code).toBeTruthy();
    expect(await api('/cgi-bin/kf/send_msg_on_event', welcome(welcome_code, 'w-1'))).toMatchObject({ errcode: 0, msgid: 'w-1' });
    expect((await api('/cgi-bin/kf/send_msg_on_event', welcome(welcome_code))).errcode).toBe(41050);
    expect(mock.sent.map((s) => [s.api, s.errcode])).toEqual([
      ['send_msg_on_event', 0],
      ['send_msg_on_event', 41050],
    ]);
  });

  it('refuses a code older than 20 s', async () => {
    const { welcome_code } = await mock.enterSession({ external_userid: 'wmW2', callback: false });
    mock.advanceClock(20_001);
    expect((await api('/cgi-bin/kf/send_msg_on_event', welcome(welcome_code))).errcode).toBe(41050);
  });

  it('gives no welcome_code to a customer who wrote within 48 h', async () => {
    await mock.customerSays({ external_userid: 'wmW3', text: 'hi', callback: false });
    const r = await mock.enterSession({ external_userid: 'wmW3', callback: false });
    expect(r.welcome_code).toBeUndefined();
  });

  it('only takes text or msgmenu', async () => {
    const { welcome_code } = await mock.enterSession({ external_userid: 'wmW4', callback: false });
    expect((await api('/cgi-bin/kf/send_msg_on_event', { code: welcome_code, msgtype: 'image', image: { media_id: 'x' } })).errcode).toBe(40008);
    expect((await api('/cgi-bin/kf/send_msg_on_event', welcome(welcome_code))).errcode).toBe(0);
  });
});

describe('kf/service_state', () => {
  const trans = (service_state: number, servicer_userid?: string) =>
    api('/cgi-bin/kf/service_state/trans', { open_kfid: KF, external_userid: 'wmT', service_state, servicer_userid });
  const get = () => api('/cgi-bin/kf/service_state/get', { open_kfid: KF, external_userid: 'wmT' });

  it('starts at 4 (not started), becomes 0 when the customer writes, then follows the allowed transitions', async () => {
    expect(await get()).toMatchObject({ errcode: 0, service_state: 4 });
    expect((await trans(1)).errcode).toBe(95013);
    await mock.customerSays({ external_userid: 'wmT', text: 'hi', callback: false });
    expect(await get()).toMatchObject({ service_state: 0 });
    expect((await trans(1)).errcode).toBe(0);
    expect((await trans(0)).errcode).toBe(95016);
    expect((await trans(3)).errcode).toBe(95014);
    expect((await trans(3, 'someone_else')).errcode).toBe(95014);
    const to3 = await trans(3, 'mock_servicer_1a');
    expect(to3.errcode).toBe(0);
    expect(typeof to3.msg_code).toBe('string');
    expect(await get()).toMatchObject({ service_state: 3, servicer_userid: 'mock_servicer_1a' });
    expect((await trans(1)).errcode).toBe(95016);
    const end = await trans(4);
    expect(end.errcode).toBe(0);
    expect(typeof end.msg_code).toBe('string');
    // the end code works once, as an event response
    expect((await api('/cgi-bin/kf/send_msg_on_event', { code: end.msg_code, msgtype: 'text', text: { content: 'bye' } })).errcode).toBe(0);
    expect((await trans(1)).errcode).toBe(95013);
    // a new customer message opens a new session in state 0
    await mock.customerSays({ external_userid: 'wmT', text: 'back', callback: false });
    expect(await get()).toMatchObject({ service_state: 0 });
  });

  it('refuses an off-duty servicer (servicer_status_change)', async () => {
    await mock.customerSays({ external_userid: 'wmT', text: 'hi', callback: false });
    await mock.pushEvent({ event_type: 'servicer_status_change', servicer_userid: 'mock_servicer_1a', status: 2, callback: false });
    expect((await trans(3, 'mock_servicer_1a')).errcode).toBe(95014);
    expect((await trans(3, 'mock_servicer_1b')).errcode).toBe(0);
  });
});

describe('accounts, servicers, customers', () => {
  it('lists accounts, servicers and known customers', async () => {
    const acc = await api('/cgi-bin/kf/account/list', { offset: 0, limit: 100 });
    expect((acc.account_list as Array<{ open_kfid: string }>).map((a) => a.open_kfid)).toEqual([KF, KF2]);
    const sv = (await callApi(mock.url, '/cgi-bin/kf/servicer/list', { query: { access_token: accessToken, open_kfid: KF } })).json;
    expect(sv).toMatchObject({ errcode: 0, servicer_list: [{ userid: 'mock_servicer_1a', status: 0 }, { userid: 'mock_servicer_1b', status: 0 }] });
    await mock.customerSays({ external_userid: 'wmC', text: 'hi', callback: false });
    const cust = await api('/cgi-bin/kf/customer/batchget', { external_userid_list: ['wmC', 'wmUnknown'] });
    expect(cust).toMatchObject({ errcode: 0, invalid_external_userid: ['wmUnknown'] });
    expect((cust.customer_list as Array<{ external_userid: string }>)[0]!.external_userid).toBe('wmC');
  });
});

describe('departments as 接待人员', () => {
  it('lists departments as {department_id} beside members, expands visible ones with user/simplelist and lets their members take sessions', async () => {
    const m = await startMockWeCom({ servicers: { [KF]: ['zhang'] }, servicerDepartments: { [KF]: [2, 3] }, departments: { '2': ['dept_a'], '3': ['dept_c'] }, visibleDepartments: [2], syncPageLimit: 2 });
    try {
      const token = (await callApi(m.url, '/cgi-bin/gettoken', { query: { corpid: 'ww_mock_corp', corpsecret: 'mock-kf-secret' } })).json.access_token as string;
      const get = async (path: string, query: Record<string, string>) => (await callApi(m.url, path, { query: { access_token: token, ...query } })).json;
      expect(await get('/cgi-bin/kf/servicer/list', { open_kfid: KF })).toMatchObject({ errcode: 0, servicer_list: [{ userid: 'zhang', status: 0 }, { department_id: 2 }, { department_id: 3 }] });
      expect(await get('/cgi-bin/user/simplelist', { department_id: '2' })).toMatchObject({ errcode: 0, userlist: [{ userid: 'dept_a', department: [2] }] });
      expect((await get('/cgi-bin/user/simplelist', { department_id: '3' })).errcode).toBe(60011);
      expect((await get('/cgi-bin/user/simplelist', { department_id: '9' })).errcode).toBe(60003);
      await m.customerSays({ external_userid: 'wmD', text: '转人工', callback: false });
      const trans = async (servicer_userid: string) =>
        (await callApi(m.url, '/cgi-bin/kf/service_state/trans', { body: { open_kfid: KF, external_userid: 'wmD', service_state: 3, servicer_userid }, query: { access_token: token } })).json;
      expect((await trans('nobody')).errcode).toBe(95014);
      expect((await trans('dept_c')).errcode).toBe(0);
      // A page holds at most syncPageLimit items, whatever limit was asked.
      await m.customerSays({ external_userid: 'wmE', text: 'a', callback: false });
      await m.customerSays({ external_userid: 'wmF', text: 'b', callback: false });
      const page = (await callApi(m.url, '/cgi-bin/kf/sync_msg', { body: { open_kfid: KF, limit: 1000 }, query: { access_token: token } })).json;
      expect(page).toMatchObject({ errcode: 0, has_more: 1 });
      expect((page.msg_list as unknown[]).length).toBe(2);
    } finally {
      await m.close();
    }
  });
});

describe('media/upload', () => {
  const MB = 1024 * 1024;
  const amr = (size: number) => Buffer.concat([Buffer.from('#!AMR\n'), Buffer.alloc(size - 6, 1)]);
  const mp4 = (size: number) => {
    const b = Buffer.alloc(size, 0);
    b.write('ftypisom', 4, 'latin1');
    return b;
  };

  afterEach(() => undefined);

  it('accepts a PNG as image and the media_id works in send_msg for 3 days', async () => {
    await mock.customerSays({ external_userid: 'wmM', text: 'pic please', callback: false });
    const up = await uploadMedia(mock.url, accessToken, 'image', fakePng(), 'a.png');
    expect(up.json).toMatchObject({ errcode: 0, type: 'image', media_id: expect.any(String), created_at: expect.any(String) });
    const send = () =>
      api('/cgi-bin/kf/send_msg', { touser: 'wmM', open_kfid: KF, msgtype: 'image', image: { media_id: up.json.media_id } });
    expect((await send()).errcode).toBe(0);
    await advance(24 * H);
    await mock.customerSays({ external_userid: 'wmM', text: 'still there', callback: false });
    await advance(48 * H + 1); // 3 days + 1 ms since upload
    await mock.customerSays({ external_userid: 'wmM', text: 'and now', callback: false });
    expect((await send()).errcode).toBe(40007);
    expect((await api('/cgi-bin/kf/send_msg', { touser: 'wmM', open_kfid: KF, msgtype: 'image', image: { media_id: 'invented' } })).errcode).toBe(40007);
  });

  it('media/get returns the bytes as a download for 3 days (customer media too), then 40007 as JSON', async () => {
    const png = fakePng(200);
    const up = await uploadMedia(mock.url, accessToken, 'image', png, 'a.png');
    const fromCustomer = mock.customerMedia('file', Buffer.from('%PDF-1.4 invoice'), '发票.pdf');
    const get = (mediaId: string) => fetch(`${mock.url}/cgi-bin/media/get?access_token=${accessToken}&media_id=${encodeURIComponent(mediaId)}`);
    const res = await get(up.json.media_id as string);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${String(up.json.media_id)}.png"`);
    expect(Buffer.from(await res.arrayBuffer()).equals(png)).toBe(true);
    expect(Buffer.from(await (await get(fromCustomer)).arrayBuffer()).toString()).toBe('%PDF-1.4 invoice');
    await advance(72 * H + 1);
    const expired = await get(fromCustomer);
    expect(expired.headers.get('content-type')).toContain('application/json');
    expect(((await expired.json()) as { errcode: number }).errcode).toBe(40007);
    expect(((await (await get('invented')).json()) as { errcode: number }).errcode).toBe(40007);
    const noToken = await fetch(`${mock.url}/cgi-bin/media/get?media_id=${encodeURIComponent(fromCustomer)}`);
    expect(((await noToken.json()) as { errcode: number }).errcode).not.toBe(0);
  });

  it('checks the type by content and the size per type', async () => {
    expect((await uploadMedia(mock.url, accessToken, 'image', Buffer.from('not an image at all'), 'a.png')).json.errcode).toBe(40004);
    expect((await uploadMedia(mock.url, accessToken, 'photo', fakePng(), 'a.png')).json.errcode).toBe(40005);
    expect((await uploadMedia(mock.url, accessToken, 'image', fakePng(10 * MB + 1), 'big.png')).json.errcode).toBe(40009);
    expect((await uploadMedia(mock.url, accessToken, 'image', Buffer.from([0xff, 0xd8, 0xff, 0, 0]), 'tiny.jpg')).json.errcode).toBe(40009);
    expect((await uploadMedia(mock.url, accessToken, 'voice', amr(1000), 'a.amr')).json.errcode).toBe(0);
    expect((await uploadMedia(mock.url, accessToken, 'voice', amr(2 * MB + 1), 'a.amr')).json.errcode).toBe(40006);
    expect((await uploadMedia(mock.url, accessToken, 'voice', fakePng(), 'a.amr')).json.errcode).toBe(40004);
    expect((await uploadMedia(mock.url, accessToken, 'video', mp4(2000), 'a.mp4')).json.errcode).toBe(0);
    expect((await uploadMedia(mock.url, accessToken, 'video', fakePng(), 'a.mp4')).json.errcode).toBe(40004);
    expect((await uploadMedia(mock.url, accessToken, 'video', mp4(10 * MB + 1), 'a.mp4')).json.errcode).toBe(40011);
    expect((await uploadMedia(mock.url, accessToken, 'file', Buffer.from('any text file'), 'a.txt')).json.errcode).toBe(0);
    expect((await uploadMedia(mock.url, accessToken, 'file', Buffer.alloc(20 * MB + 1, 1), 'a.bin')).json.errcode).toBe(40006);
  });

  it('refuses an image media_id where a voice is expected (40007)', async () => {
    await mock.customerSays({ external_userid: 'wmM', text: 'x', callback: false });
    const up = await uploadMedia(mock.url, accessToken, 'image', fakePng(), 'a.png');
    const r = await api('/cgi-bin/kf/send_msg', { touser: 'wmM', open_kfid: KF, msgtype: 'voice', voice: { media_id: up.json.media_id } });
    expect(r.errcode).toBe(40007);
  });
});
