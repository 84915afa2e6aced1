/**
 * Signing people in with WeCom (企业微信扫码登录 in a browser, web OAuth inside the WeCom client),
 * as the official pages describe it (developer.work.weixin.qq.com, document/path/98152 企业微信Web登录,
 * 91022 构造网页授权链接, 91023 获取访问用户身份; see the README "Signing in"):
 *
 * - browser: https://login.work.weixin.qq.com/wwlogin/sso/login?login_type=CorpApp&appid=CORPID&agentid=AGENTID&redirect_uri=…&state=…
 * - WeCom client: https://open.weixin.qq.com/connect/oauth2/authorize?appid=CORPID&redirect_uri=…&response_type=code&scope=snsapi_base&state=…&agentid=AGENTID#wechat_redirect
 * - WeCom redirects to redirect_uri?code=CODE&state=STATE (no code when the person declines); the
 *   redirect_uri's host must be the app's 可信域名 / 授权回调域.
 * - GET /cgi-bin/auth/getuserinfo?access_token=…&code=… answers `userid` for a member, `openid`
 *   for someone outside the corp; a code is valid for 5 minutes and once (40029 invalid code).
 * The numbers stay here: the routes ask identifyByCode and get a plain answer.
 */
import { WeComApiError, type WeComClient } from './api-client.js';

const OFFICIAL_API = 'https://qyapi.weixin.qq.com';

export interface LoginUrlInput {
  corpId: string;
  agentId: string;
  apiBase: string;
  /** WECOM_LOGIN_BASE; see config.ts. */
  loginBase?: string;
  redirectUri: string;
  state: string;
  /** Inside the WeCom client (its user agent says wxwork): web OAuth instead of the QR page. */
  inWeComClient: boolean;
  lang?: 'zh' | 'en';
}

/** True for the WeCom client's built-in browser (user agent with "wxwork"). */
export function isWeComClient(userAgent: string | undefined): boolean {
  return /\bwxwork\//i.test(userAgent ?? '');
}

/** Where to send the browser to sign in. */
export function loginUrl(i: LoginUrlInput): string {
  const official = i.apiBase.replace(/\/+$/, '') === OFFICIAL_API;
  if (i.inWeComClient) {
    const base = i.loginBase ?? (official ? 'https://open.weixin.qq.com' : i.apiBase);
    const q = new URLSearchParams({ appid: i.corpId, redirect_uri: i.redirectUri, response_type: 'code', scope: 'snsapi_base', state: i.state, agentid: i.agentId });
    return `${base}/connect/oauth2/authorize?${q}#wechat_redirect`;
  }
  const base = i.loginBase ?? (official ? 'https://login.work.weixin.qq.com' : i.apiBase);
  const q = new URLSearchParams({ login_type: 'CorpApp', appid: i.corpId, agentid: i.agentId, redirect_uri: i.redirectUri, state: i.state, ...(i.lang ? { lang: i.lang } : {}) });
  return `${base}/wwlogin/sso/login?${q}`;
}

export type Identity =
  | { kind: 'member'; userid: string }
  /** Signed in to WeCom, but not a member of this corp (a WeChat user, a customer). */
  | { kind: 'not_member' }
  /** The code is unknown, used already or older than 5 minutes. */
  | { kind: 'invalid_code' };

/** 40029 invalid code; 40014/42001 are the access token's, handled by the client. */
const INVALID_CODE = new Set([40029]);

/** Who a sign-in code belongs to. WeCom's other refusals (permissions, network) are thrown as they are. */
export async function identifyByCode(client: WeComClient, code: string): Promise<Identity> {
  try {
    const r = await client.authGetUserInfo(code);
    const userid = r.userid ?? r.UserId;
    if (typeof userid === 'string' && userid) return { kind: 'member', userid };
    return { kind: 'not_member' };
  } catch (err) {
    if (err instanceof WeComApiError && INVALID_CODE.has(err.errcode)) return { kind: 'invalid_code' };
    throw err;
  }
}
