/**
 * People sign in to the console as themselves (README "Signing in"):
 *
 * - POST /api/sessions/password — name and a password an admin set (or they changed); failed
 *   attempts lock the name and the address out for a while (operators/sign-in-throttle.ts). Unknown
 *   names, names without a password, disabled operators and wrong passwords get the same answer in
 *   about the same time.
 * - GET /api/sessions/wecom/start → WeCom's 扫码登录 page (web OAuth inside the WeCom client) with a
 *   random `state` stored for 10 minutes, used once and bound to this browser by a cookie;
 *   GET /api/sessions/wecom/callback?code&state → the member's userid (getuserinfo) → the operator
 *   whose WeCom userid (servicer_userid) it is → a one-use hand-over code (60 s) in the console's
 *   URL fragment (/login#wecom_code=…), which the console exchanges (POST /api/sessions/exchange)
 *   for the session token. No session token ever travels in a URL.
 * Every way ends in startSession: the same session, lifetime and rotation as the token sign-in.
 */
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.js';
import { identifyByCode, isWeComClient, loginUrl } from '../channels/wecom-kf/sign-in.js';
import { foldName } from '../operators/names.js';
import { dummyHash, MAX_PASSWORD_LENGTH, verifyPassword } from '../operators/password.js';
import { ADDRESS_POLICY, afterFailure, lockedFor, NAME_POLICY } from '../operators/sign-in-throttle.js';
import { clearFailureCount, failureCounts, operatorById, operatorByName, operatorsByWecomUserid, putFailureCount, putTicket, takeTicket } from '../store/sign-in-repo.js';
import { sha256 } from './auth.js';
import { ApiError } from './http-errors.js';
import { sessionAnswer, startSession } from './session-routes.js';

const STATE_TTL_MS = 10 * 60_000;
const EXCHANGE_TTL_MS = 60_000;
const BROWSER_COOKIE = 'wereply_wecom_login';
/** The state cookie goes only to the WeCom sign-in routes (under WEREPLY_PUBLIC_URL's path, if it has one). */
const cookiePath = (publicUrl: string | undefined) => `${publicUrl ? new URL(publicUrl).pathname.replace(/\/+$/, '') : ''}/api/sessions/wecom`;
const WRONG = 'wrong name or password (or this account has no password, or is disabled): check them, or ask an admin';

/** Why WeCom sign-in cannot be offered now (what to configure), or null when it can. */
export function wecomSignInProblem(s: Services): string | null {
  if (!s.config.wecom || !s.wecom) return 'WeCom is not configured (WECOM_CORP_ID, WECOM_KF_SECRET, WECOM_TOKEN, WECOM_ENCODING_AES_KEY): sign in with a password or a token';
  if (!s.config.wecom.agentId) return 'sign-in with WeCom needs WECOM_AGENT_ID: the AgentId of the self-built app whose Secret is WECOM_KF_SECRET (WeCom admin → 应用管理 → the app); set it and restart';
  if (!s.config.publicUrl && !s.config.demo) return 'sign-in with WeCom needs WEREPLY_PUBLIC_URL: the address people open the console at (its host must be the app’s 可信域名), e.g. https://wereply.example.com; set it and restart';
  return null;
}

/**
 * The console's address, for redirect_uri and the way back: WEREPLY_PUBLIC_URL; in demo mode without
 * it, the address this browser used (so the state cookie set on it comes back with the callback).
 */
function publicBase(s: Services, req: FastifyRequest): string | undefined {
  if (s.config.publicUrl) return s.config.publicUrl;
  if (s.config.demo && req.headers.host && /^[\w.:[\]-]+$/.test(req.headers.host)) return `${req.protocol}://${req.headers.host}`;
  return undefined;
}

/** Serializes the attempts for one key in this process, so a burst of guesses is counted one by one. */
function keyedQueue() {
  const tails = new Map<string, Promise<unknown>>();
  return async <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const before = tails.get(key) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => tails.get(key) === tail && tails.delete(key));
    return run;
  };
}

/**
 * The address a sign-in comes from. Behind a reverse proxy on the same machine (README: nginx) every
 * request comes from loopback: then the address the proxy saw, the last X-Forwarded-For entry
 * ($proxy_add_x_forwarded_for appends it), so one person's failures do not lock everyone out.
 */
export function clientAddress(req: FastifyRequest): string {
  const remote = (req.socket.remoteAddress ?? req.ip).replace(/^::ffff:/, '');
  const forwarded = req.headers['x-forwarded-for'];
  if ((remote === '127.0.0.1' || remote === '::1') && typeof forwarded === 'string' && forwarded.trim()) {
    return forwarded.split(',').at(-1)!.trim() || remote;
  }
  return remote;
}

function cookie(req: FastifyRequest, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return null;
}

/** A small page in both languages (the callback's refusals: the browser is on our URL, not the console). */
function page(reply: FastifyReply, status: number, zh: string, en: string, publicUrl: string | undefined) {
  const esc = (t: string) => t.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  const back = `${publicUrl ?? ''}/login`;
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('set-cookie', `${BROWSER_COOKIE}=; Path=${cookiePath(publicUrl)}; Max-Age=0; HttpOnly; SameSite=Lax`)
    .send(
      `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>WeReply 登录 / Sign-in</title></head>` +
        `<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem"><h1 style="color:#07c160">WeReply</h1>` +
        `<p role="alert" data-status="${status}">${esc(zh)}</p><p lang="en">${esc(en)}</p><p><a href="${esc(back)}">返回登录 / Back to sign-in</a></p></body></html>`,
    );
}

export async function signInRoutes(app: FastifyInstance, s: Services): Promise<void> {
  const db = s.store.db;
  const queue = keyedQueue();

  app.get(
    '/api/sessions/methods',
    {
      config: { public: true },
      schema: {
        tags: ['operators'],
        summary: 'The ways to sign in this server offers (the login page shows those)',
        response: {
          200: {
            type: 'object',
            properties: {
              password: { type: 'boolean' },
              token: { type: 'boolean' },
              wecom: { type: 'boolean', description: 'sign in with WeCom (扫码登录 / web OAuth) is configured' },
              wecom_problem: { type: ['string', 'null'], description: 'what to configure for WeCom sign-in, when it is not' },
            },
          },
        },
      },
    },
    async () => {
      const problem = wecomSignInProblem(s);
      return { password: true, token: true, wecom: problem === null, wecom_problem: problem };
    },
  );

  app.post<{ Body: { name: string; password: string; remember?: boolean } }>(
    '/api/sessions/password',
    {
      config: { public: true },
      schema: {
        tags: ['operators'],
        summary: 'Sign in with your operator name and password: a session token that expires (12 h; 30 days with remember). After 5 failures the name is locked for 30 s, doubling with each further failure (at most 1 h); 429 with retry_after_s',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'password'],
          properties: { name: { type: 'string', minLength: 1, maxLength: 50 }, password: { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_LENGTH }, remember: { type: 'boolean', default: false } },
        },
        response: { 201: sessionAnswer },
      },
    },
    async (req, reply) => {
      const name = req.body.name.trim();
      const nameKey = `name:${foldName(name)}`;
      const ipKey = `ip:${clientAddress(req)}`;
      return queue(nameKey, async () => {
        const now = Date.now();
        const counts = await failureCounts(db, [nameKey, ipKey]);
        const wait = Math.max(lockedFor(counts.get(nameKey) ?? null, now), lockedFor(counts.get(ipKey) ?? null, now));
        if (wait > 0) {
          const seconds = Math.ceil(wait / 1000);
          throw new ApiError(429, `too many failed sign-ins for this name or from this address: try again in ${seconds} s (or ask an admin to set a new password)`, undefined, { retry_after_s: seconds });
        }
        const op = await operatorByName(db, name, foldName(name));
        // The same scrypt work whether or not the name exists or has a password: the time tells nothing.
        const matches = await verifyPassword(req.body.password, op?.password_hash ?? (await dummyHash()));
        if (!op || !op.password_hash || op.disabled || !matches) {
          await putFailureCount(db, nameKey, afterFailure(NAME_POLICY, counts.get(nameKey) ?? null, now));
          await putFailureCount(db, ipKey, afterFailure(ADDRESS_POLICY, counts.get(ipKey) ?? null, now));
          req.log.info({ ipKey, known: !!op }, 'password sign-in refused');
          return reply.code(401).send({ error: WRONG });
        }
        await clearFailureCount(db, nameKey);
        return reply.code(201).send(await startSession(s, op, !!req.body.remember));
      });
    },
  );

  app.get<{ Querystring: { remember?: boolean; format?: 'json' | 'redirect' } }>(
    '/api/sessions/wecom/start',
    {
      config: { public: true },
      schema: {
        tags: ['operators'],
        summary: 'Sign in with WeCom: redirects to WeCom’s 扫码登录 page (web OAuth inside the WeCom client); format=json answers the URL instead. 409 says what to configure when WeCom sign-in is not set up',
        querystring: { type: 'object', additionalProperties: false, properties: { remember: { type: 'boolean', default: false }, format: { type: 'string', enum: ['json', 'redirect'], default: 'redirect' } } },
        response: { 200: { type: 'object', properties: { url: { type: 'string' } } } },
      },
    },
    async (req, reply) => {
      const problem = wecomSignInProblem(s);
      if (problem) throw new ApiError(409, problem);
      const wecom = s.config.wecom!;
      const publicUrl = publicBase(s, req)!;
      const state = crypto.randomBytes(24).toString('base64url').replace(/[-_]/g, 'x'); // a-zA-Z0-9, as WeCom asks
      const browser = crypto.randomBytes(24).toString('base64url');
      const now = Date.now();
      await putTicket(db, { ticketSha256: sha256(state), kind: 'wecom_state', remember: !!req.query.remember, browserSha256: sha256(browser), now, expiresAt: now + STATE_TTL_MS });
      const url = loginUrl({
        corpId: wecom.corpId,
        agentId: wecom.agentId!,
        apiBase: wecom.apiBase,
        ...(wecom.loginBase ? { loginBase: wecom.loginBase } : {}),
        redirectUri: `${publicUrl}/api/sessions/wecom/callback`,
        state,
        inWeComClient: isWeComClient(req.headers['user-agent']),
        lang: /^en/i.test(req.headers['accept-language'] ?? '') ? 'en' : 'zh',
      });
      const secure = publicUrl.startsWith('https:') ? '; Secure' : '';
      reply.header('set-cookie', `${BROWSER_COOKIE}=${browser}; Path=${cookiePath(publicUrl)}; Max-Age=${STATE_TTL_MS / 1000}; HttpOnly; SameSite=Lax${secure}`).header('cache-control', 'no-store');
      if (req.query.format === 'json') return { url };
      return reply.redirect(url, 302);
    },
  );

  app.get<{ Querystring: { code?: string; state?: string } }>(
    '/api/sessions/wecom/callback',
    {
      config: { public: true },
      schema: {
        tags: ['operators'],
        summary: 'Where WeCom sends the browser back after 扫码登录 (the redirect_uri): checks state and code, then hands a one-use code to the console (/login#wecom_code=…)',
        querystring: { type: 'object', properties: { code: { type: 'string', maxLength: 512 }, state: { type: 'string', maxLength: 256 } } },
      },
    },
    async (req, reply) => {
      const publicUrl = publicBase(s, req);
      const problem = wecomSignInProblem(s);
      if (problem) return page(reply, 409, '企业微信登录尚未配置完整，请联系管理员。', problem, publicUrl);
      const now = Date.now();
      const { code, state } = req.query;
      if (!state) return page(reply, 400, '登录链接缺少 state 参数，请返回重新扫码登录。', 'the sign-in link has no state: go back and sign in again', publicUrl);
      const ticket = await takeTicket(db, sha256(state), 'wecom_state', now);
      if (!ticket) return page(reply, 400, '此登录链接已使用过或已超过 10 分钟，请返回重新扫码登录。', 'this sign-in link was used already or is older than 10 minutes: go back and sign in again', publicUrl);
      const browser = cookie(req, BROWSER_COOKIE);
      if (!browser || sha256(browser) !== ticket.browserSha256) {
        return page(reply, 400, '此登录不是在当前浏览器中发起的，请在本浏览器中重新扫码登录。', 'this sign-in was not started in this browser: start it again here', publicUrl);
      }
      if (!code) return page(reply, 400, '您在企业微信中取消了授权，未登录。', 'you declined in WeCom: not signed in', publicUrl);
      let identity;
      try {
        identity = await identifyByCode(s.wecom!, code);
      } catch (err) {
        req.log.warn({ err: String((err as Error).message) }, 'WeCom sign-in: getuserinfo failed');
        return page(reply, 502, '企业微信暂时无法确认您的身份，请稍后重试。', `WeCom could not tell who you are (${(err as Error).message}): try again in a moment`, publicUrl);
      }
      if (identity.kind === 'invalid_code') return page(reply, 400, '登录码无效、已使用或已过期（5 分钟），请返回重新扫码登录。', 'the sign-in code is invalid, used already or older than 5 minutes: sign in again', publicUrl);
      if (identity.kind === 'not_member') return page(reply, 403, '只有本企业的成员可以登录 WeReply。', 'only members of this corp may sign in to WeReply', publicUrl);
      const ops = await operatorsByWecomUserid(db, identity.userid);
      const op = ops[0];
      if (ops.length > 1) return page(reply, 409, `企业微信成员 ${identity.userid} 关联了多个 WeReply 账号，请管理员在"设置 → 账号"中修正。`, `WeCom member ${identity.userid} is linked to ${ops.length} WeReply operators (${ops.map((o) => o.name).join(', ')}): an admin keeps one link in Settings → Operators`, publicUrl);
      if (!op) return page(reply, 403, `企业微信成员 ${identity.userid} 没有对应的 WeReply 账号，请管理员在"设置 → 账号"中为您关联企业微信 userid。`, `no WeReply operator is linked to WeCom member ${identity.userid}: an admin links it in Settings → Operators (WeCom userid)`, publicUrl);
      if (op.disabled) return page(reply, 403, '您的 WeReply 账号已停用，请联系管理员。', 'your WeReply account is disabled: ask an admin', publicUrl);
      const handOver = crypto.randomBytes(24).toString('base64url');
      await putTicket(db, { ticketSha256: sha256(handOver), kind: 'exchange', operatorId: op.id, remember: ticket.remember, now, expiresAt: now + EXCHANGE_TTL_MS });
      req.log.info({ operatorId: op.id }, 'WeCom sign-in: member identified');
      return reply
        .header('set-cookie', `${BROWSER_COOKIE}=; Path=${cookiePath(publicUrl)}; Max-Age=0; HttpOnly; SameSite=Lax`)
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .redirect(`${publicUrl ?? ''}/login#wecom_code=${handOver}`, 302);
    },
  );

  app.post<{ Body: { code: string } }>(
    '/api/sessions/exchange',
    {
      config: { public: true },
      schema: {
        tags: ['operators'],
        summary: 'The console exchanges the one-use code WeCom sign-in handed it (valid 60 s) for a session token',
        body: { type: 'object', additionalProperties: false, required: ['code'], properties: { code: { type: 'string', minLength: 1, maxLength: 100 } } },
        response: { 201: sessionAnswer },
      },
    },
    async (req, reply) => {
      const t = await takeTicket(db, sha256(req.body.code), 'exchange', Date.now());
      if (!t || t.operatorId == null) throw new ApiError(401, 'this sign-in code was used already or is older than 60 seconds: sign in with WeCom again');
      const op = await operatorById(db, t.operatorId);
      if (!op || op.disabled) throw new ApiError(401, 'this account is disabled: ask an admin');
      return reply.code(201).send(await startSession(s, op, t.remember));
    },
  );
}
