/**
 * /api/me and /api/operators — the people using WeReply, each with a token and a role
 * (admin, supervisor 主管, agent 客服, analyst 运营分析). Tokens are shown once and stored hashed.
 */
import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.js';
import { type Role, ROLE_PERMISSIONS, ROLES, sha256 } from './auth.js';
import { deleteOperatorSessions } from '../store/session-repo.js';
import { deleteOtherSessions, failureCounts, operatorById, putFailureCount, setPasswordHash } from '../store/sign-in-repo.js';
import { afterFailure, lockedFor, NAME_POLICY } from '../operators/sign-in-throttle.js';
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, passwordProblem, verifyPassword } from '../operators/password.js';
import { ApiError } from './http-errors.js';
import { foldName, imitationProblem } from '../operators/names.js';

const operatorSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    role: { type: 'string', enum: [...ROLES] },
    servicer_userid: { type: ['string', 'null'], description: 'the WeCom userid of this person (their 接待人员 record): sign-in with WeCom maps to it' },
    disabled: { type: 'boolean' },
    created_at: { type: 'integer' },
    has_password: { type: 'boolean', description: 'may sign in with name and password' },
    password_set_at: { type: ['integer', 'null'] },
  },
} as const;

/** The columns operatorJson shows. */
const OPERATOR_COLUMNS = ['id', 'name', 'role', 'servicer_userid', 'disabled', 'created_at', 'password_hash', 'password_set_at'] as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const;

export async function operatorRoutes(app: FastifyInstance, s: Services): Promise<void> {
  /** The operator as it is now (after a change), in the columns the API shows. */
  const operatorRow = (id: number) => s.store.db.selectFrom('operators').select(OPERATOR_COLUMNS).where('id', '=', id).executeTakeFirstOrThrow();
  app.get(
    '/api/me',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['operators'],
        summary: 'Who the token belongs to, its role and permissions',
        response: { 200: { type: 'object', properties: { name: { type: 'string' }, role: { type: 'string' }, permissions: { type: 'array', items: { type: 'string' } }, servicer_userid: { type: ['string', 'null'] } } } },
      },
    },
    async (req) => ({ name: req.principal.name, role: req.principal.role, permissions: [...req.principal.permissions], servicer_userid: req.principal.servicerUserid }),
  );

  app.get('/api/operators', { config: { permission: 'operators:manage' }, schema: { tags: ['operators'], summary: 'Operators (admin only)', response: { 200: { type: 'array', items: operatorSchema } } } }, async () => {
    const rows = await s.store.db.selectFrom('operators').select(OPERATOR_COLUMNS).orderBy('id').execute();
    return rows.map(operatorJson);
  });

  app.post<{ Body: { name: string; role: Role; servicer_userid?: string } }>(
    '/api/operators',
    {
      config: { permission: 'operators:manage' },
      schema: {
        tags: ['operators'],
        summary: `Create an operator; the answer carries their token (shown once). Roles: ${ROLES.map((r) => `${r} (${ROLE_PERMISSIONS[r].join(', ') || 'read only'})`).join('; ')}`,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'role'],
          properties: { name: { type: 'string', minLength: 1, maxLength: 50, pattern: '\\S' }, role: { type: 'string', enum: [...ROLES] }, servicer_userid: { type: 'string', maxLength: 64 } },
        },
        response: { 201: { type: 'object', properties: { ...operatorSchema.properties, token: { type: 'string' } } } },
      },
    },
    async (req, reply) => {
      const name = req.body.name.trim();
      if (name === 'admin' || name === 'outbox') throw new ApiError(400, `"${name}" is reserved`, [{ field: 'name', message: 'reserved' }]);
      const exists = await s.store.db.selectFrom('operators').select('id').where('name', '=', name).executeTakeFirst();
      if (exists) throw new ApiError(409, `an operator named "${name}" already exists`, [{ field: 'name', message: 'already exists' }]);
      // Look-alikes of an existing name (аdmin with a Cyrillic а, full width, zero-width characters) are refused.
      const names = (await s.store.db.selectFrom('operators').select('name').execute()).map((r) => r.name);
      const imitation = imitationProblem(name, ['admin', 'outbox', ...names]);
      if (imitation) throw new ApiError(422, imitation, [{ field: 'name', message: 'imitates another name' }]);
      const token = newOperatorToken();
      const now = Date.now();
      const row = await s.store.db
        .insertInto('operators')
        .values({ name, name_key: foldName(name), role: req.body.role, token_sha256: sha256(token), servicer_userid: req.body.servicer_userid ?? null, disabled: 0, created_at: now })
        .returning('id')
        .executeTakeFirstOrThrow()
        .catch((err: unknown) => {
          // Another look-alike name was created at the same moment: the unique name_key refused this one.
          if (isUniqueViolation(err)) throw new ApiError(422, `"${name}" looks the same as a name created a moment ago; choose a name people can tell apart`, [{ field: 'name', message: 'imitates another name' }]);
          throw err;
        });
      return reply.code(201).send({ id: Number(row.id), name, role: req.body.role, servicer_userid: req.body.servicer_userid ?? null, disabled: false, created_at: now, has_password: false, password_set_at: null, token });
    },
  );

  app.patch<{ Params: { id: number }; Body: { role?: Role; disabled?: boolean; servicer_userid?: string | null } }>(
    '/api/operators/:id',
    {
      config: { permission: 'operators:manage' },
      schema: {
        tags: ['operators'],
        summary: 'Change an operator’s role, or disable their token',
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: { role: { type: 'string', enum: [...ROLES] }, disabled: { type: 'boolean' }, servicer_userid: { type: ['string', 'null'], maxLength: 64 } },
        },
        response: { 200: operatorSchema },
      },
    },
    async (req) => {
      const { role, disabled, servicer_userid } = req.body;
      const before = await s.store.db.selectFrom('operators').select('role').where('id', '=', req.params.id).executeTakeFirst();
      const res = await s.store.db
        .updateTable('operators')
        .set({ ...(role ? { role } : {}), ...(disabled !== undefined ? { disabled: disabled ? 1 : 0 } : {}), ...(servicer_userid !== undefined ? { servicer_userid } : {}) })
        .where('id', '=', req.params.id)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) throw new ApiError(404, `operator ${req.params.id} does not exist`);
      // Disabled: signed out everywhere. Disabled or new role: open live streams end now (they would keep the old rights).
      if (disabled) await deleteOperatorSessions(s.store.db, req.params.id);
      if (disabled || (role && role !== before?.role)) s.streams.endFor(req.params.id, disabled ? 'your account was disabled' : 'your role changed: reconnect to get what your new role may see');
      return operatorJson(await operatorRow(req.params.id));
    },
  );
  app.post<{ Params: { id: number } }>(
    '/api/operators/:id/token',
    {
      config: { permission: 'operators:manage' },
      schema: {
        tags: ['operators'],
        summary: 'Rotate an operator’s token: a new one (shown once); the old one, every session signed in with it and its live streams stop working at once',
        params: idParams,
        response: { 200: { type: 'object', properties: { ...operatorSchema.properties, token: { type: 'string' } } } },
      },
    },
    async (req) => {
      const token = newOperatorToken();
      const res = await s.store.db.updateTable('operators').set({ token_sha256: sha256(token) }).where('id', '=', req.params.id).executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) throw new ApiError(404, `operator ${req.params.id} does not exist`);
      await deleteOperatorSessions(s.store.db, req.params.id);
      s.streams.endFor(req.params.id, 'your token was replaced: sign in with the new one');
      return { ...operatorJson(await operatorRow(req.params.id)), token };
    },
  );

  const passwordBody = { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_LENGTH } as const;
  app.put<{ Params: { id: number }; Body: { password: string } }>(
    '/api/operators/:id/password',
    {
      config: { permission: 'operators:manage' },
      schema: {
        tags: ['operators'],
        summary: `Set an operator’s password (at least ${MIN_PASSWORD_LENGTH} characters, not a well-known one): they may then sign in with name and password. Every session of theirs ends`,
        params: idParams,
        body: { type: 'object', additionalProperties: false, required: ['password'], properties: { password: passwordBody } },
        response: { 200: operatorSchema },
      },
    },
    async (req) => {
      const op = await operatorById(s.store.db, req.params.id);
      if (!op) throw new ApiError(404, `operator ${req.params.id} does not exist`);
      const problem = passwordProblem(req.body.password, op.name);
      if (problem) throw new ApiError(422, problem, [{ field: 'password', message: problem }]);
      await setPasswordHash(s.store.db, op.id, await hashPassword(req.body.password), Date.now());
      await deleteOperatorSessions(s.store.db, op.id);
      s.streams.endFor(op.id, 'your password was changed by an admin: sign in again');
      return operatorJson(await operatorRow(op.id));
    },
  );

  app.delete<{ Params: { id: number } }>(
    '/api/operators/:id/password',
    {
      config: { permission: 'operators:manage' },
      schema: {
        tags: ['operators'],
        summary: 'Clear an operator’s password: no more password sign-in (tokens and WeCom still work). Every session of theirs ends',
        params: idParams,
        response: { 200: operatorSchema },
      },
    },
    async (req) => {
      if (!(await setPasswordHash(s.store.db, req.params.id, null, Date.now()))) throw new ApiError(404, `operator ${req.params.id} does not exist`);
      await deleteOperatorSessions(s.store.db, req.params.id);
      s.streams.endFor(req.params.id, 'your password was cleared by an admin: sign in again');
      return operatorJson(await operatorRow(req.params.id));
    },
  );

  app.put<{ Body: { old_password?: string; password: string } }>(
    '/api/me/password',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['operators'],
        summary: 'Change your own password (old_password needed when you have one). Your other sessions end; this one stays',
        body: { type: 'object', additionalProperties: false, required: ['password'], properties: { old_password: passwordBody, password: passwordBody } },
        response: { 200: { type: 'object', properties: { has_password: { type: 'boolean' }, ended_sessions: { type: 'integer' } } } },
      },
    },
    async (req) => {
      const p = req.principal;
      if (p.operatorId == null) throw new ApiError(400, 'the admin token (WEREPLY_ADMIN_TOKEN) has no password: it is changed in the environment');
      const op = await operatorById(s.store.db, p.operatorId);
      if (!op) throw new ApiError(404, 'your operator no longer exists');
      if (op.password_hash) {
        if (!req.body.old_password) throw new ApiError(400, 'give your current password (old_password) to change it', [{ field: 'old_password', message: 'required' }]);
        // Guessing the old password through a stolen session counts against the name like a sign-in.
        const key = `name:${foldName(op.name)}`;
        const now = Date.now();
        const count = (await failureCounts(s.store.db, [key])).get(key) ?? null;
        const wait = lockedFor(count, now);
        if (wait > 0) throw new ApiError(429, `too many wrong passwords for this name: try again in ${Math.ceil(wait / 1000)} s`, undefined, { retry_after_s: Math.ceil(wait / 1000) });
        if (!(await verifyPassword(req.body.old_password, op.password_hash))) {
          await putFailureCount(s.store.db, key, afterFailure(NAME_POLICY, count, now));
          throw new ApiError(403, 'your current password is not right', [{ field: 'old_password', message: 'wrong' }]);
        }
      }
      const problem = passwordProblem(req.body.password, op.name);
      if (problem) throw new ApiError(422, problem, [{ field: 'password', message: problem }]);
      await setPasswordHash(s.store.db, op.id, await hashPassword(req.body.password), Date.now());
      const ended = await deleteOtherSessions(s.store.db, op.id, p.sessionId ?? null);
      for (const id of ended) s.streams.endSession(id, 'your password was changed: sign in again');
      return { has_password: true, ended_sessions: ended.length };
    },
  );
}

/** An operators row as the API shows it (operatorSchema): never the password hash itself. */
function operatorJson(r: { id: number; name: string; role: string; servicer_userid: string | null; disabled: number; created_at: number; password_hash: string | null; password_set_at: number | null }) {
  const { password_hash, ...rest } = r;
  return { ...rest, id: Number(r.id), disabled: !!r.disabled, created_at: Number(r.created_at), has_password: !!password_hash, password_set_at: r.password_set_at == null ? null : Number(r.password_set_at) };
}

/** An operator's API token (`wr_…`): shown once, stored as its SHA-256. */
function newOperatorToken(): string {
  return `wr_${crypto.randomBytes(24).toString('base64url')}`;
}

/** A unique constraint refused the row (SQLite or PostgreSQL). */
function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}
