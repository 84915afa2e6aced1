/**
 * 发送应用消息 (message/send) in the mock, as the official page documents it: agentid checked,
 * unreachable recipients in invaliduser (lower-cased), 81013 when none is left, 82001 when none is
 * given, the duplicate check, and the access token like every other API.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMockWeCom, type MockWeCom } from './server.js';
import { callApi } from './testkit.js';

let mock: MockWeCom;
let token: string;
const send = async (body: unknown, accessToken = token) => (await callApi(mock.url, '/cgi-bin/message/send', { body, query: { access_token: accessToken } })).json;
const text = (touser: string, content = '告警') => ({ touser, msgtype: 'text', agentid: 1000002, text: { content } });

beforeAll(async () => {
  mock = await startMockWeCom({ members: ['Sup_Li'], departments: { '7': ['dept_member'] } });
});
afterAll(async () => mock.close());
beforeEach(async () => {
  mock.reset();
  token = (await callApi(mock.url, '/cgi-bin/gettoken', { query: { corpid: 'ww_mock_corp', corpsecret: 'mock-kf-secret' } })).json.access_token as string;
});

describe('message/send', () => {
  it('delivers a text to members (servicers, department members, extra members) and reports the others as invaliduser', async () => {
    const r = await send(text('Sup_Li|mock_servicer_1a|dept_member|Ghost'));
    expect(r).toMatchObject({ errcode: 0, errmsg: 'ok', invaliduser: 'ghost', msgid: expect.any(String) });
    expect(mock.appMessages).toHaveLength(1);
    expect(mock.appMessages[0]).toMatchObject({ touser: ['Sup_Li', 'mock_servicer_1a', 'dept_member'], content: '告警', agentid: 1000002, duplicate: false });
    const listed = await (await fetch(`${mock.url}/mock/app-messages?touser=Sup_Li`)).json();
    expect(listed).toHaveLength(1);
  });

  it('81013 when no recipient is reachable, 82001 when none is given; nothing is delivered', async () => {
    expect((await send(text('ghost1|ghost2'))).errcode).toBe(81013);
    expect((await send({ msgtype: 'text', agentid: 1000002, text: { content: 'x' } })).errcode).toBe(82001);
    expect(mock.appMessages).toHaveLength(0);
  });

  it('checks agentid (41011 missing, 40056 another app), msgtype (40008), empty content (44004) and the access token (40014)', async () => {
    expect((await send({ touser: 'Sup_Li', msgtype: 'text', text: { content: 'x' } })).errcode).toBe(41011);
    expect((await send({ ...text('Sup_Li'), agentid: 999 })).errcode).toBe(40056);
    expect((await send({ ...text('Sup_Li'), msgtype: 'voice' })).errcode).toBe(40008);
    expect((await send(text('Sup_Li', ''))).errcode).toBe(44004);
    expect((await send(text('Sup_Li'), 'bogus')).errcode).toBe(40014);
    expect(mock.appMessages).toHaveLength(0);
  });

  it('enable_duplicate_check: the same request within the interval is accepted but not delivered again; after it, it is', async () => {
    const body = { ...text('Sup_Li', '同一条'), enable_duplicate_check: 1, duplicate_check_interval: 60 };
    expect((await send(body)).errcode).toBe(0);
    expect((await send(body)).errcode).toBe(0);
    expect(mock.appMessages.map((m) => m.duplicate)).toEqual([false, true]);
    mock.advanceClock(61_000);
    token = (await callApi(mock.url, '/cgi-bin/gettoken', { query: { corpid: 'ww_mock_corp', corpsecret: 'mock-kf-secret' } })).json.access_token as string;
    expect((await send(body)).errcode).toBe(0);
    expect(mock.appMessages.map((m) => m.duplicate)).toEqual([false, true, false]);
    // Without the check every call is delivered.
    await send(text('Sup_Li', '无检查'));
    await send(text('Sup_Li', '无检查'));
    expect(mock.appMessages.slice(3).map((m) => m.duplicate)).toEqual([false, false]);
  });

  it('cuts a text longer than 2048 bytes on a character boundary, as WeCom truncates it', async () => {
    expect((await send(text('Sup_Li', '告'.repeat(1000)))).errcode).toBe(0);
    const content = mock.appMessages[0]!.content;
    expect(Buffer.byteLength(content)).toBeLessThanOrEqual(2048);
    expect(content).toBe('告'.repeat(682));
  });
});
