import { describe, expect, it } from 'vitest';
import { isWeComClient, loginUrl } from './sign-in.js';

describe('WeCom sign-in URLs', () => {
  const base = { corpId: 'wwCorp', agentId: '1000002', redirectUri: 'https://kf.example.com/api/sessions/wecom/callback', state: 'abc123' };

  it('the browser goes to login.work.weixin.qq.com/wwlogin/sso/login with CorpApp, appid = CorpID, agentid, redirect_uri and state', () => {
    const u = new URL(loginUrl({ ...base, apiBase: 'https://qyapi.weixin.qq.com', inWeComClient: false, lang: 'zh' }));
    expect(u.origin + u.pathname).toBe('https://login.work.weixin.qq.com/wwlogin/sso/login');
    expect(Object.fromEntries(u.searchParams)).toEqual({ login_type: 'CorpApp', appid: 'wwCorp', agentid: '1000002', redirect_uri: base.redirectUri, state: 'abc123', lang: 'zh' });
  });

  it('inside the WeCom client: open.weixin.qq.com/connect/oauth2/authorize, snsapi_base, #wechat_redirect', () => {
    const raw = loginUrl({ ...base, apiBase: 'https://qyapi.weixin.qq.com', inWeComClient: true });
    expect(raw.endsWith('#wechat_redirect')).toBe(true);
    const u = new URL(raw);
    expect(u.origin + u.pathname).toBe('https://open.weixin.qq.com/connect/oauth2/authorize');
    expect(Object.fromEntries(u.searchParams)).toEqual({ appid: 'wwCorp', redirect_uri: base.redirectUri, response_type: 'code', scope: 'snsapi_base', state: 'abc123', agentid: '1000002' });
  });

  it('a mock API base serves the login pages too, unless WECOM_LOGIN_BASE says otherwise', () => {
    expect(loginUrl({ ...base, apiBase: 'http://127.0.0.1:4000', inWeComClient: false })).toMatch(/^http:\/\/127\.0\.0\.1:4000\/wwlogin\/sso\/login\?/);
    expect(loginUrl({ ...base, apiBase: 'http://127.0.0.1:4000', loginBase: 'http://login.test', inWeComClient: true })).toMatch(/^http:\/\/login\.test\/connect\/oauth2\/authorize\?/);
  });

  it('tells the WeCom client by its user agent', () => {
    expect(isWeComClient('Mozilla/5.0 (iPhone) AppleWebKit wxwork/4.1.20 MicroMessenger/7.0.1')).toBe(true);
    expect(isWeComClient('Mozilla/5.0 (Windows NT 10.0) Chrome/120 Safari/537.36')).toBe(false);
    expect(isWeComClient(undefined)).toBe(false);
  });
});
