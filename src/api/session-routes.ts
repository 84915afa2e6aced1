/**
 * /api/sessions — console sign-in. The console exchanges an operator token (wr_…, issued once by an
 * admin) for a session token (ws_…) that expires: after WEREPLY_SESSION_HOURS (12 h), or
 * WEREPLY_SESSION_REMEMBER_DAYS (30 days) with 记住我. POST /api/sessions/refresh rotates it: a new
 * token with a new expiry, and the old one stops working at once. The browser keeps only the
 * session token. The static admin token (WEREPLY_ADMIN_TOKEN) is not a session: it is used as it is.
 * Password and WeCom sign-ins (sign-in-routes.ts) start their sessions with the same startSession.
 */
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Services } from '../services.js';
import type { Database } from '../store/schema.js';
import { createSession, deleteSession, rotateSession, sessionByToken } from '../store/session-repo.js';
import { principalFor, type Role, sha256, type TokenResolver } from './auth.js';
import { ApiError } from './http-errors.js';

const SESSION_PREFIX = 'ws_';

/** Session tokens first (ws_…), then operator tokens; expired sessions and disabled operators get nothing. */
export function sessionTokenResolver(db: Kysely<Database>, operatorTokens: TokenResolver): TokenResolver {
  return async (token) => {
    if (!token.startsWith(SESSION_PREFIX)) return operatorTokens(token);
    const s = await sessionByToken(db, sha256(token));
    if (!s || s.disabled || s.expires_at <= Date.now()) return null;
    return { ...principalFor(s.role as Role, s.name, s.operator_id, s.servicer_userid), sessionId: s.id, expiresAt: s.expires_at };
  };
}

/**
 * Starts a console session for an operator who proved who they are (operator token, password or
 * WeCom): the same token, lifetime (12 h; 30 days with 记住我) and rotation whichever way they came.
 */
export async function startSession(s: Services, op: { id: number; name: string; role: string }, remember: boolean): Promise<SessionAnswer> {
  const now = Date.now();
  const session = `${SESSION_PREFIX}${crypto.randomBytes(24).toString('base64url')}`;
  const expiresAt = now + (remember ? s.config.sessions.rememberTtlMs : s.config.sessions.ttlMs);
  await createSession(s.store.db, { operatorId: op.id, tokenSha256: sha256(session), remember, now, expiresAt });
  return { session_token: session, expires_at: expiresAt, remember, name: op.name, role: op.role };
}

export interface SessionAnswer {
  session_token: string;
  expires_at: number;
  remember: boolean;
  name: string;
  role: string;
}

export const sessionAnswer = {
  type: 'object',
  properties: {
    session_token: { type: 'string', description: 'send as Authorization: Bearer <session_token>; shown once' },
    expires_at: { type: 'integer', description: 'ms since epoch; refresh before then (POST /api/sessions/refresh)' },
    remember: { type: 'boolean' },
    name: { type: 'string' },
    role: { type: 'string' },
  },
} as const;

function bearer(req: FastifyRequest): string {
  return /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim() ?? '';
}

export async function sessionRoutes(app: FastifyInstance, s: Services): Promise<void> {
  const db = s.store.db;
  const ttl = (remember: boolean) => (remember ? s.config.sessions.rememberTtlMs : s.config.sessions.ttlMs);
  const newToken = () => `${SESSION_PREFIX}${crypto.randomBytes(24).toString('base64url')}`;

  app.post<{ Body: { token: string; remember?: boolean } }>(
    '/api/sessions',
    {
      config: { public: true },
      schema: {
        tags: ['operators'],
        summary: 'Sign in to the console: exchange your operator token for a session token that expires (12 h; 30 days with remember)',
        body: { type: 'object', additionalProperties: false, required: ['token'], properties: { token: { type: 'string', minLength: 1, maxLength: 200 }, remember: { type: 'boolean', default: false } } },
        response: { 201: sessionAnswer },
      },
    },
    async (req, reply) => {
      const token = req.body.token.trim();
      const given = crypto.createHash('sha256').update(token).digest();
      const admin = crypto.createHash('sha256').update(s.config.adminToken).digest();
      if (crypto.timingSafeEqual(given, admin)) {
        throw new ApiError(409, 'this is the admin token (WEREPLY_ADMIN_TOKEN): it is static and used as it is, not exchanged for a session', undefined, { static_admin_token: true });
      }
      if (token.startsWith(SESSION_PREFIX)) throw new ApiError(400, 'this is already a session token: sign in with the operator token an admin gave you (wr_…)');
      const op = await db.selectFrom('operators').select(['id', 'name', 'role', 'disabled']).where('token_sha256', '=', sha256(token)).executeTakeFirst();
      if (!op || op.disabled) return reply.code(401).send({ error: 'wrong or disabled token: ask an admin for your operator token' });
      return reply.code(201).send(await startSession(s, { id: Number(op.id), name: op.name, role: op.role }, !!req.body.remember));
    },
  );

  app.post(
    '/api/sessions/refresh',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['operators'],
        summary: 'Rotate the session token: a new one with a new expiry; the one you sent stops working at once',
        response: { 200: sessionAnswer },
      },
    },
    async (req) => {
      const p = req.principal;
      if (p.sessionId == null) throw new ApiError(400, 'only console session tokens (ws_…) are rotated; the admin token and operator tokens are static (an admin issues a new operator token by creating the operator again)');
      const old = await sessionByToken(db, sha256(bearer(req)));
      if (!old) throw new ApiError(401, 'this session token was already rotated: sign in again');
      const next = newToken();
      const expiresAt = Date.now() + ttl(old.remember);
      if (!(await rotateSession(db, old.id, sha256(bearer(req)), sha256(next), expiresAt))) throw new ApiError(401, 'this session token was already rotated: sign in again');
      return { session_token: next, expires_at: expiresAt, remember: old.remember, name: p.name, role: p.role };
    },
  );

  app.delete(
    '/api/sessions/current',
    { config: { permission: 'read' }, schema: { tags: ['operators'], summary: 'Sign out: the session token stops working' } },
    async (req, reply) => {
      if (req.principal.sessionId != null) {
        await deleteSession(db, req.principal.sessionId);
        s.streams.endSession(req.principal.sessionId, 'you signed out');
      }
      return reply.code(204).send();
    },
  );
}
