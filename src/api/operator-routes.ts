/**
 * /api/me and /api/operators — the people using WeReply, each with a token and a role
 * (admin, supervisor 主管, agent 客服, analyst 运营分析). Tokens are shown once and stored hashed.
 */
import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.js';
import { type Role, ROLE_PERMISSIONS, ROLES, sha256 } from './auth.js';
import { deleteOperatorSessions } from '../store/session-repo.js';
import { ApiError } from './http-errors.js';
import { foldName, imitationProblem } from '../operators/names.js';

const operatorSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    role: { type: 'string', enum: [...ROLES] },
    servicer_userid: { type: ['string', 'null'] },
    disabled: { type: 'boolean' },
    created_at: { type: 'integer' },
  },
} as const;

export async function operatorRoutes(app: FastifyInstance, s: Services): Promise<void> {
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
    const rows = await s.store.db.selectFrom('operators').select(['id', 'name', 'role', 'servicer_userid', 'disabled', 'created_at']).orderBy('id').execute();
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
      return reply.code(201).send({ id: Number(row.id), name, role: req.body.role, servicer_userid: req.body.servicer_userid ?? null, disabled: false, created_at: now, token });
    },
  );

  app.patch<{ Params: { id: number }; Body: { role?: Role; disabled?: boolean; servicer_userid?: string | null } }>(
    '/api/operators/:id',
    {
      config: { permission: 'operators:manage' },
      schema: {
        tags: ['operators'],
        summary: 'Change an operator’s role, or disable their token',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } },
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
      return operatorJson(await s.store.db.selectFrom('operators').select(['id', 'name', 'role', 'servicer_userid', 'disabled', 'created_at']).where('id', '=', req.params.id).executeTakeFirstOrThrow());
    },
  );
  app.post<{ Params: { id: number } }>(
    '/api/operators/:id/token',
    {
      config: { permission: 'operators:manage' },
      schema: {
        tags: ['operators'],
        summary: 'Rotate an operator’s token: a new one (shown once); the old one, every session signed in with it and its live streams stop working at once',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } },
        response: { 200: { type: 'object', properties: { ...operatorSchema.properties, token: { type: 'string' } } } },
      },
    },
    async (req) => {
      const token = newOperatorToken();
      const res = await s.store.db.updateTable('operators').set({ token_sha256: sha256(token) }).where('id', '=', req.params.id).executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) throw new ApiError(404, `operator ${req.params.id} does not exist`);
      await deleteOperatorSessions(s.store.db, req.params.id);
      s.streams.endFor(req.params.id, 'your token was replaced: sign in with the new one');
      return { ...operatorJson(await s.store.db.selectFrom('operators').select(['id', 'name', 'role', 'servicer_userid', 'disabled', 'created_at']).where('id', '=', req.params.id).executeTakeFirstOrThrow()), token };
    },
  );
}

/** An operators row as the API shows it (operatorSchema). */
function operatorJson(r: { id: number; name: string; role: string; servicer_userid: string | null; disabled: number; created_at: number }) {
  return { ...r, id: Number(r.id), disabled: !!r.disabled, created_at: Number(r.created_at) };
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
