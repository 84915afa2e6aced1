/**
 * The web console (web/, built by Vite into web/dist) served by WeReply itself at `/`, plus the few
 * read-mostly answers the console needs that no other route gives: material bytes for previews,
 * the WeCom connection state (callback URL, "test connection", outbox states, recent WeCom errors)
 * and a broad-keyword check before a rule is saved.
 *
 * Caching: files under /assets/ carry a content hash in their name and are cached for a year
 * (immutable), brotli or gzip pre-compressed at build time; index.html is `no-cache`, so a new
 * build is picked up on the next page load.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { WeComApiError, WeComNetworkError } from '../channels/wecom-kf/api-client.js';
import { broadKeywordWarnings } from '../rules/broad-keywords.js';
import { broadKeywordWarningSchema, ruleMatchSchema } from '../rules/rule-schema.js';
import type { Services } from '../services.js';
import { ApiError } from './http-errors.js';

/** Client-side routes of the console: each answers index.html (the SPA decides what to show). */
export const CONSOLE_ROUTES = ['/', '/login', '/rules', '/rules/*', '/sandbox', '/materials', '/routing', '/inbox', '/inbox/*', '/settings', '/compliance/*'];

/** web/dist, found by walking up from this module (src/api in tests, dist/src/api when built). */
export function findConsoleDir(start = path.dirname(fileURLToPath(import.meta.url))): string | null {
  if (process.env.WEREPLY_CONSOLE_DIR) return path.resolve(process.env.WEREPLY_CONSOLE_DIR);
  let dir = start;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'web', 'dist');
    if (fs.existsSync(path.join(candidate, 'index.html'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}

/**
 * The console loads only its own scripts; Ant Design injects its styles at run time ('unsafe-inline'
 * for styles only); material previews are blob: URLs; no framing by other sites.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "frame-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>WeReply</title>
<p>The WeReply console has not been built yet. Run <code>npm run build</code> (or <code>npm start</code>, which builds it) and reload.
The API documentation is at <a href="/docs">/docs</a>.</p>`;

/** Serves web/dist: hashed assets cached for a year, index.html for every console route. */
export async function consoleRoutes(app: FastifyInstance, opts: { dir?: string | null } = {}): Promise<void> {
  const dir = opts.dir === undefined ? findConsoleDir() : opts.dir;
  const hide = { schema: { hide: true } as object };
  if (!dir) {
    for (const route of CONSOLE_ROUTES) app.get(route, hide, async (_req, reply) => reply.code(503).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT));
    return;
  }
  await app.register(fastifyStatic, {
    root: path.join(dir, 'assets'),
    prefix: '/assets/',
    decorateReply: false,
    cacheControl: false,
    // The build writes .br and .gz beside each asset; served when the browser accepts them.
    preCompressed: true,
    setHeaders: (reply) => void reply.header('cache-control', 'public, max-age=31536000, immutable'),
  });
  const index = path.join(dir, 'index.html');
  const sendIndex = async (_req: unknown, reply: FastifyReply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'same-origin')
      .header('content-security-policy', CONSOLE_CSP)
      .send(await fs.promises.readFile(index));
  for (const route of CONSOLE_ROUTES) app.get(route, hide, sendIndex);
  app.get('/favicon.svg', hide, async (_req, reply) => {
    const file = path.join(dir, 'favicon.svg');
    if (!fs.existsSync(file)) return reply.code(404).send();
    return reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(await fs.promises.readFile(file));
  });
}

/** WeCom error codes an operator meets, in plain words (zh and en), for the settings page. */
export const WECOM_ERRCODE_WORDS: Record<number, { zh: string; en: string }> = {
  [-1]: { zh: '企业微信系统繁忙，稍后会自动重试', en: 'WeCom was busy; retried automatically' },
  40001: { zh: 'Secret 不正确：请核对 WECOM_KF_SECRET（自建应用的 Secret）', en: 'wrong secret: check WECOM_KF_SECRET (the self-built app’s Secret)' },
  40013: { zh: '企业ID 不正确：请核对 WECOM_CORP_ID', en: 'wrong corp ID: check WECOM_CORP_ID' },
  40014: { zh: 'access_token 无效，已自动重新获取', en: 'invalid access token; fetched again automatically' },
  42001: { zh: 'access_token 已过期，已自动重新获取', en: 'access token expired; fetched again automatically' },
  40007: { zh: '素材 media_id 失效，已自动重新上传', en: 'material media_id expired; uploaded again automatically' },
  40058: { zh: '消息参数不合法（例如 msgid 格式）', en: 'invalid message parameters (e.g. msgid format)' },
  45009: { zh: '调用频率超限，已退避重试', en: 'rate limit reached; retried with backoff' },
  48002: { zh: '应用没有调用该接口的权限：在“微信客服 → 可调用接口的应用”中添加自建应用', en: 'the app may not call this API: add it under 微信客服 → 可调用接口的应用' },
  60020: { zh: '服务器 IP 不在企业可信 IP 列表中：在自建应用中添加本机出口 IP', en: 'this server’s IP is not a trusted IP of the app: add it in the WeCom admin' },
  95001: { zh: '发送消息数超过限制（48 小时内最多 5 条）', en: 'message allowance used up (5 messages within 48 hours)' },
  95018: { zh: '会话已被接管或已结束，机器人不能再发送', en: 'the session was taken over or ended; the bot may not send' },
  95004: { zh: '客服账号不存在或已删除', en: 'the kf account does not exist or was deleted' },
};

export function plainWeComError(errcode: number | null | undefined, fallback?: string | null): { zh: string; en: string } {
  if (errcode !== null && errcode !== undefined && WECOM_ERRCODE_WORDS[errcode]) return WECOM_ERRCODE_WORDS[errcode];
  const text = fallback || (errcode ? `errcode ${errcode}` : 'unknown error');
  return { zh: text, en: text };
}

const errorSchema = { type: 'object', properties: { error: { type: 'string' } } } as const;

const wecomStatusSchema = {
  type: 'object',
  properties: {
    mode: { type: 'string', enum: ['demo', 'wecom', 'unconfigured'], description: 'demo = the bundled mock WeCom' },
    corp_id: { type: ['string', 'null'] },
    api_base: { type: ['string', 'null'] },
    callback_url: { type: 'string', description: 'paste into 微信客服 → API → 接收消息服务器配置 (URL)' },
    kf_accounts: { type: 'array', items: { type: 'string' }, description: 'kf accounts (open_kfid) seen so far' },
    timezone: { type: 'string' },
    outbox: { type: 'object', additionalProperties: { type: 'integer' }, description: 'rows per state: pending, sending, retry, sent, failed, held, waiting_allowance' },
    outbox_oldest_pending_at: { type: ['integer', 'null'], description: 'ms since epoch of the oldest unsent reply' },
    recent_errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          at: { type: 'integer' },
          outbox_id: { type: 'integer' },
          errcode: { type: ['integer', 'null'] },
          error: { type: ['string', 'null'] },
          plain_zh: { type: 'string' },
          plain_en: { type: 'string' },
        },
      },
    },
    recent_waiting: {
      type: 'array',
      description: "replies waiting for the customer to write again (the channel's allowance used up or its window closed), oldest first",
      items: {
        type: 'object',
        properties: { id: { type: 'integer' }, external_userid: { type: 'string' }, reason: { type: ['string', 'null'] }, created_at: { type: 'integer' } },
      },
    },
    recent_failed: {
      type: 'array',
      items: {
        type: 'object',
        properties: { id: { type: 'integer' }, external_userid: { type: 'string' }, reason: { type: ['string', 'null'] }, errcode: { type: ['integer', 'null'] }, plain_zh: { type: 'string' }, plain_en: { type: 'string' }, created_at: { type: 'integer' } },
      },
    },
  },
} as const;

/** The console's own read-mostly API (under the admin token). */
export async function consoleApiRoutes(app: FastifyInstance, s: Services): Promise<void> {
  app.get<{ Params: { id: number } }>(
    '/api/materials/:id/content',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['materials'],
        summary: 'The stored bytes of a material (previews in the console)',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } },
      },
    },
    async (req, reply) => {
      const m = await s.materials.get(req.params.id);
      if (!m) throw new ApiError(404, `material ${req.params.id} does not exist`);
      const { row, bytes } = await s.materials.readBytes(req.params.id);
      return reply
        .type(row.mime)
        .header('cache-control', 'private, max-age=3600')
        .header('x-content-type-options', 'nosniff')
        .header('content-disposition', `inline; filename*=UTF-8''${encodeURIComponent(row.filename)}`)
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox")
        .send(bytes);
    },
  );

  app.get(
    '/api/wecom/status',
    { config: { permission: 'read' }, schema: { tags: ['settings'], summary: 'WeCom connection for the settings page: mode, callback URL, outbox states, recent WeCom API errors in plain words', response: { 200: wecomStatusSchema } } },
    async (req) => {
      const db = s.store.db;
      const counts = await db.selectFrom('outbox').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
      const outbox: Record<string, number> = { pending: 0, sending: 0, retry: 0, sent: 0, failed: 0, held: 0, waiting_allowance: 0 };
      for (const c of counts) outbox[c.status] = Number(c.n);
      const oldest = await db.selectFrom('outbox').select((eb) => eb.fn.min<number>('created_at').as('t')).where('status', 'in', ['pending', 'retry', 'sending']).executeTakeFirst();
      const errors = await db
        .selectFrom('outbox_attempts')
        .select(['outbox_id', 'errcode', 'error', 'started_at', 'finished_at'])
        .where('outcome', 'in', ['error', 'unknown'])
        .orderBy('id', 'desc')
        .limit(20)
        .execute();
      const failed = await db
        .selectFrom('outbox as o')
        .innerJoin('conversations as c', 'c.id', 'o.conversation_id')
        .select(['o.id', 'c.external_userid', 'o.reason', 'o.last_errcode', 'o.created_at'])
        .where('o.status', '=', 'failed')
        .orderBy('o.id', 'desc')
        .limit(20)
        .execute();
      const waiting = await db
        .selectFrom('outbox as o')
        .innerJoin('conversations as c', 'c.id', 'o.conversation_id')
        .select(['o.id', 'c.external_userid', 'o.reason', 'o.created_at'])
        .where('o.status', '=', 'waiting_allowance')
        .orderBy('o.id')
        .limit(20)
        .execute();
      const accounts = await db.selectFrom('kf_cursors').select('open_kfid').union(db.selectFrom('conversations').select('open_kfid').distinct()).execute();
      const proto = (req.headers['x-forwarded-proto'] as string | undefined)?.split(',')[0]?.trim() || req.protocol;
      const host = (req.headers['x-forwarded-host'] as string | undefined)?.split(',')[0]?.trim() || req.headers.host || 'localhost';
      return {
        mode: s.config.demo ? 'demo' : s.config.wecom ? 'wecom' : 'unconfigured',
        corp_id: s.config.wecom?.corpId ?? null,
        api_base: s.config.wecom?.apiBase ?? null,
        callback_url: `${proto}://${host}/wecom/kf/callback`,
        kf_accounts: [...new Set(accounts.map((a) => a.open_kfid))].filter(Boolean).sort(),
        timezone: s.config.timezone,
        outbox,
        outbox_oldest_pending_at: oldest?.t != null ? Number(oldest.t) : null,
        recent_errors: errors.map((e) => {
          const words = e.errcode === null && !e.error ? { zh: '进程在调用中途停止，该消息会以相同 msgid 重发一次', en: 'the process stopped mid-call; the message is repeated once with the same msgid' } : plainWeComError(e.errcode, e.error);
          return { at: Number(e.finished_at ?? e.started_at), outbox_id: Number(e.outbox_id), errcode: e.errcode, error: e.error, plain_zh: words.zh, plain_en: words.en };
        }),
        recent_waiting: waiting.map((w) => ({ id: Number(w.id), external_userid: w.external_userid, reason: w.reason, created_at: Number(w.created_at) })),
        recent_failed: failed.map((f) => {
          const words = f.last_errcode ? plainWeComError(f.last_errcode, f.reason) : { zh: f.reason ?? '发送失败', en: f.reason ?? 'failed' };
          return { id: Number(f.id), external_userid: f.external_userid, reason: f.reason, errcode: f.last_errcode, plain_zh: words.zh, plain_en: words.en, created_at: Number(f.created_at) };
        }),
      };
    },
  );

  app.post(
    '/api/wecom/test-connection',
    {
      config: { permission: 'admin' },
      schema: {
        tags: ['settings'],
        summary: 'Test the WeCom credentials: calls gettoken now and says what went wrong in plain words',
        response: {
          200: {
            type: 'object',
            properties: {
              ok: { type: 'boolean' },
              latency_ms: { type: 'integer' },
              errcode: { type: ['integer', 'null'] },
              message: { type: 'string', description: 'plain words (English)' },
              message_zh: { type: 'string' },
            },
          },
          503: errorSchema,
        },
      },
    },
    async () => {
      if (!s.wecom) throw new ApiError(503, 'WeCom is not configured: set WECOM_CORP_ID, WECOM_KF_SECRET, WECOM_TOKEN and WECOM_ENCODING_AES_KEY and restart');
      const started = Date.now();
      try {
        await s.wecom.fetchToken();
        return { ok: true, latency_ms: Date.now() - started, errcode: null, message: 'gettoken succeeded: the corp ID and secret are right and WeCom is reachable', message_zh: 'gettoken 成功：企业ID 与 Secret 正确，企业微信可以访问' };
      } catch (err) {
        const latency_ms = Date.now() - started;
        if (err instanceof WeComApiError) {
          const words = plainWeComError(err.errcode, err.errmsg);
          return { ok: false, latency_ms, errcode: err.errcode, message: `${words.en} (errcode ${err.errcode}: ${err.errmsg})`, message_zh: `${words.zh}（errcode ${err.errcode}：${err.errmsg}）` };
        }
        const what = err instanceof WeComNetworkError ? err.message : String((err as Error).message ?? err);
        return { ok: false, latency_ms, errcode: null, message: `WeCom could not be reached (${what}): check the network, a proxy, or WECOM_API_BASE`, message_zh: `无法连接企业微信（${what}）：请检查网络、代理或 WECOM_API_BASE` };
      }
    },
  );

  app.post<{ Body: { match: Record<string, string[]> } }>(
    '/api/rules/broad-keywords',
    {
      config: { permission: 'rules:write' },
      schema: {
        tags: ['rules'],
        summary: 'Broad-keyword warnings for a match before saving: the share of the last 30 days of customer messages each keyword matches',
        body: { type: 'object', required: ['match'], additionalProperties: false, properties: { match: ruleMatchSchema } },
        response: { 200: { type: 'object', properties: { warnings: { type: 'array', items: broadKeywordWarningSchema }, sample_size: { type: 'integer' } } } },
      },
    },
    async (req) => {
      const rows = await s.store.db
        .selectFrom('messages')
        .select('text')
        .where('origin', '=', 3)
        .where('text', 'is not', null)
        .where('received_at', '>=', Date.now() - 30 * 86400_000)
        .orderBy('id', 'desc')
        .limit(20_000)
        .execute();
      const texts = rows.map((r) => r.text ?? '');
      return { warnings: broadKeywordWarnings(req.body.match, texts), sample_size: texts.length };
    },
  );
}
