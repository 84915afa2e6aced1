/**
 * WeCom's sign-in flow, as the mock plays it (企业微信Web登录 and 网页授权登录):
 *
 * - GET /wwlogin/sso/login?login_type=CorpApp&appid=CORPID&agentid=AGENTID&redirect_uri=…&state=…
 *   and GET /connect/oauth2/authorize?appid=CORPID&redirect_uri=…&response_type=code&scope=snsapi_base&state=…&agentid=…
 *   show a small page listing the corp's members to "scan" as (and a WeChat user who is not a member);
 *   a wrong appid/agentid or a redirect_uri outside the 可信域名 shows WeCom's "该链接无法访问" page.
 * - Choosing one (GET /wwlogin/mock/scan?…&userid=… or &outsider=1) redirects to
 *   redirect_uri?code=CODE&state=STATE; "decline" redirects with the state only.
 * - GET /cgi-bin/auth/getuserinfo?access_token=…&code=… answers {userid, user_ticket} for a member,
 *   {openid, external_userid} for an outsider; a code expires after 5 minutes and works once (40029).
 */
import crypto from 'node:crypto';
import { ERR } from './errcodes.js';

const CODE_TTL_MS = 5 * 60_000;

export interface LoginConfig {
  corpId: string;
  agentId: string;
  /** Members who may sign in (userids). */
  members: () => string[];
  /** Hosts (host[:port]) redirect_uri may point to (the app's 可信域名); empty: any. */
  trustedDomains: () => string[];
  now: () => number;
}

interface Code {
  userid?: string;
  openid?: string;
  expiresAt: number;
}

export interface LoginPage {
  status: number;
  /** Set for a redirect. */
  location?: string;
  html?: string;
}

const esc = (t: string) => t.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export class LoginFlow {
  private readonly codes = new Map<string, Code>();
  /** Every code handed out, for tests (userid or openid). */
  readonly issued: { code: string; userid?: string; openid?: string; at: number }[] = [];

  constructor(private readonly cfg: LoginConfig) {}

  /** The QR / OAuth page, or WeCom's refusal page. */
  page(path: string, q: URLSearchParams): LoginPage {
    const oauth = path === '/connect/oauth2/authorize';
    const problem = this.checkRequest(q, oauth);
    if (problem) return { status: 200, html: this.html('该链接无法访问', `<p class="err" data-error="${esc(problem)}">该链接无法访问 — ${esc(problem)}</p>`) };
    const pass = new URLSearchParams({ redirect_uri: q.get('redirect_uri')!, state: q.get('state') ?? '' });
    const link = (extra: Record<string, string>) => `/wwlogin/mock/scan?${new URLSearchParams({ ...Object.fromEntries(pass), ...extra })}`;
    const members = this.cfg.members();
    const items = members.map((u) => `<li><a class="member" data-userid="${esc(u)}" href="${esc(link({ userid: u }))}">${esc(u)}</a></li>`).join('');
    return {
      status: 200,
      html: this.html(
        '企业微信登录',
        `<p>模拟扫码：选择以哪位成员身份登录 (mock: pick the member who scans)</p><ul>${items || '<li>(no members)</li>'}</ul>` +
          `<p><a class="outsider" href="${esc(link({ outsider: '1' }))}">以非企业成员（微信用户）身份扫码 / scan as a WeChat user outside the corp</a></p>` +
          `<p><a class="decline" href="${esc(link({ decline: '1' }))}">拒绝授权 / decline</a></p>`,
      ),
    };
  }

  /** The member (or outsider) confirmed: back to redirect_uri with a fresh code and the state. */
  scan(q: URLSearchParams): LoginPage {
    const redirect = q.get('redirect_uri');
    if (!redirect || !this.redirectAllowed(redirect)) return { status: 400, html: this.html('该链接无法访问', '<p class="err">redirect_uri missing or not a 可信域名</p>') };
    const back = new URL(redirect);
    const state = q.get('state');
    if (q.get('decline') !== '1') {
      const userid = q.get('userid');
      let entry: Code;
      if (q.get('outsider') === '1') entry = { openid: `oMock${crypto.randomBytes(8).toString('hex')}`, expiresAt: this.cfg.now() + CODE_TTL_MS };
      else if (userid && this.cfg.members().includes(userid)) entry = { userid, expiresAt: this.cfg.now() + CODE_TTL_MS };
      else return { status: 400, html: this.html('无权限', '<p class="err">this userid is not a member of the corp</p>') };
      const code = this.mint(entry);
      back.searchParams.set('code', code);
    }
    if (state !== null) back.searchParams.set('state', state);
    return { status: 302, location: back.toString() };
  }

  /** A code for `who` without the page (tests): as if that member had scanned. */
  codeFor(who: { userid: string } | { openid: string }): string {
    return this.mint({ ...who, expiresAt: this.cfg.now() + CODE_TTL_MS });
  }

  /** GET /cgi-bin/auth/getuserinfo (after the access token check). */
  getUserInfo(code: string | null): Record<string, unknown> & { errcode: number } {
    if (!code) return { errcode: ERR.MISSING_CODE };
    const c = this.codes.get(code);
    this.codes.delete(code); // once, whatever happens
    if (!c || c.expiresAt <= this.cfg.now()) return { errcode: ERR.INVALID_CODE };
    if (c.userid) return { errcode: 0, userid: c.userid, user_ticket: crypto.randomBytes(24).toString('base64url'), expires_in: 1800 };
    return { errcode: 0, openid: c.openid };
  }

  reset(): void {
    this.codes.clear();
    this.issued.length = 0;
  }

  private mint(c: Code): string {
    const code = crypto.randomBytes(32).toString('base64url');
    this.codes.set(code, c);
    this.issued.push({ code, ...(c.userid ? { userid: c.userid } : {}), ...(c.openid ? { openid: c.openid } : {}), at: this.cfg.now() });
    return code;
  }

  private checkRequest(q: URLSearchParams, oauth: boolean): string | null {
    if (q.get('appid') !== this.cfg.corpId) return `appid must be the CorpID (${this.cfg.corpId})`;
    if (q.get('agentid') !== this.cfg.agentId) return `agentid must be the app's AgentId (${this.cfg.agentId})`;
    if (oauth && (q.get('response_type') !== 'code' || q.get('scope') !== 'snsapi_base')) return 'response_type must be code and scope snsapi_base';
    if (!oauth && q.get('login_type') !== 'CorpApp') return 'login_type must be CorpApp';
    const redirect = q.get('redirect_uri');
    if (!redirect) return 'redirect_uri missing';
    if (!this.redirectAllowed(redirect)) return 'redirect_uri 的域名与应用的可信域名不一致';
    const state = q.get('state') ?? '';
    if (state.length > 128 || !/^[a-zA-Z0-9]*$/.test(state)) return 'state must be a-zA-Z0-9, at most 128 bytes';
    return null;
  }

  private redirectAllowed(redirect: string): boolean {
    let u: URL;
    try {
      u = new URL(redirect);
    } catch {
      return false;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
    const trusted = this.cfg.trustedDomains();
    return trusted.length === 0 || trusted.includes(u.host);
  }

  private html(title: string, body: string): string {
    return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${esc(title)}</title></head><body style="font-family:system-ui,sans-serif;max-width:30rem;margin:2rem auto"><h1>${esc(title)}</h1>${body}</body></html>`;
  }
}
