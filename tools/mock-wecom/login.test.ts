/** The mock's sign-in flow: the 扫码 page, the redirect with a one-use code, and auth/getuserinfo. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockWeCom, type MockWeCom } from './server.js';

describe('mock WeCom sign-in (扫码登录 / web OAuth)', () => {
  let mock: MockWeCom;
  let token: string;
  const redirect = 'http://wereply.test:3000/api/sessions/wecom/callback';
  beforeAll(async () => {
    mock = await startMockWeCom({ members: ['zhangsan'], loginTrustedDomains: ['wereply.test:3000'] });
    const t = (await (await fetch(`${mock.url}/cgi-bin/gettoken?corpid=${mock.credentials.corpId}&corpsecret=${mock.credentials.kfSecret}`)).json()) as { access_token: string };
    token = t.access_token;
  });
  afterAll(async () => mock?.close());

  const ssoUrl = (over: Record<string, string> = {}) =>
    `${mock.url}/wwlogin/sso/login?${new URLSearchParams({ login_type: 'CorpApp', appid: mock.credentials.corpId, agentid: mock.credentials.agentId, redirect_uri: redirect, state: 'abc123', ...over })}`;
  const userinfo = async (code: string, at = token) => (await (await fetch(`${mock.url}/cgi-bin/auth/getuserinfo?access_token=${at}&code=${encodeURIComponent(code)}`)).json()) as Record<string, unknown>;
  /** Follows the page's link for `userid` (or the outsider / decline link) and returns the redirect. */
  const scanAs = async (cls: string, userid?: string, url = ssoUrl()) => {
    const html = await (await fetch(url)).text();
    const re = userid ? new RegExp(`data-userid="${userid}" href="([^"]+)"`) : new RegExp(`class="${cls}" href="([^"]+)"`);
    const href = re.exec(html)?.[1]?.replace(/&amp;/g, '&');
    expect(href, html).toBeTruthy();
    const res = await fetch(mock.url + href, { redirect: 'manual' });
    expect(res.status).toBe(302);
    return new URL(res.headers.get('location')!);
  };

  it('lists the corp members (servicers, extra members) on the page and redirects back with a code and the state', async () => {
    const html = await (await fetch(ssoUrl())).text();
    expect(html).toContain('data-userid="mock_servicer_1a"');
    expect(html).toContain('data-userid="zhangsan"');
    const back = await scanAs('member', 'zhangsan');
    expect(back.origin + back.pathname).toBe(redirect);
    expect(back.searchParams.get('state')).toBe('abc123');
    const code = back.searchParams.get('code')!;
    expect(code.length).toBeGreaterThan(20);
    const who = await userinfo(code);
    expect(who).toMatchObject({ errcode: 0, userid: 'zhangsan' });
    expect(who.openid).toBeUndefined();
  });

  it('a code works once (40029 the second time) and not after 5 minutes; getuserinfo checks the access token', async () => {
    const code = (await scanAs('member', 'mock_servicer_1a')).searchParams.get('code')!;
    expect((await userinfo(code, 'bad-token')).errcode).toBe(40014);
    expect((await userinfo(code)).userid).toBe('mock_servicer_1a');
    expect((await userinfo(code)).errcode).toBe(40029);
    const late = mock.login.codeFor({ userid: 'zhangsan' });
    mock.advanceClock(5 * 60_000 + 1);
    // The access token lives 2 h on the same clock: still valid; the code is not.
    expect((await userinfo(late)).errcode).toBe(40029);
    expect((await userinfo('never-issued')).errcode).toBe(40029);
  });

  it('someone outside the corp gets an openid, no userid; declining returns the state without a code', async () => {
    const code = (await scanAs('outsider')).searchParams.get('code')!;
    const who = await userinfo(code);
    expect(who.errcode).toBe(0);
    expect(who.userid).toBeUndefined();
    expect(String(who.openid)).toMatch(/^oMock/);
    const declined = await scanAs('decline');
    expect(declined.searchParams.get('code')).toBeNull();
    expect(declined.searchParams.get('state')).toBe('abc123');
  });

  it('refuses a wrong appid/agentid, a redirect_uri outside the 可信域名 and a bad state, as WeCom does ("该链接无法访问")', async () => {
    const bad: Record<string, string>[] = [{ appid: 'wwOther' }, { agentid: '999' }, { redirect_uri: 'http://evil.test/cb' }, { state: 'has spaces' }, { login_type: 'ServiceApp' }];
    for (const over of bad) {
      const html = await (await fetch(ssoUrl(over))).text();
      expect({ over, refused: html.includes('该链接无法访问') && !html.includes('data-userid') }).toEqual({ over, refused: true });
    }
    // A scan link aimed at another domain is refused too.
    const res = await fetch(`${mock.url}/wwlogin/mock/scan?${new URLSearchParams({ redirect_uri: 'http://evil.test/cb', state: 'x', userid: 'zhangsan' })}`, { redirect: 'manual' });
    expect(res.status).toBe(400);
  });

  it('web OAuth inside the WeCom client (connect/oauth2/authorize, snsapi_base) gives the same kind of code', async () => {
    const url = `${mock.url}/connect/oauth2/authorize?${new URLSearchParams({ appid: mock.credentials.corpId, redirect_uri: redirect, response_type: 'code', scope: 'snsapi_base', state: 's1', agentid: mock.credentials.agentId })}#wechat_redirect`;
    const back = await scanAs('member', 'zhangsan', url);
    expect((await userinfo(back.searchParams.get('code')!)).userid).toBe('zhangsan');
    const wrongScope = await (await fetch(url.replace('snsapi_base', 'snsapi_privateinfo'))).text();
    expect(wrongScope).toContain('该链接无法访问');
  });
});
