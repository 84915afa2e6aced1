/**
 * ROUTE PERMISSIONS — every route declares who may call it, in its Fastify route config:
 *
 *   app.get('/api/rules', { config: { permission: 'read' }, schema: {...} }, handler)
 *   app.post('/api/rules', { config: { permission: 'rules:write' }, schema: {...} }, handler)
 *   app.get('/health', { config: { public: true }, schema: {...} }, handler)
 *
 * `permission`: one of PERMISSIONS below, 'admin' (the admin role only) or 'read' (any signed-in
 * operator, whatever the role). `public: true`: no token at all (health, WeCom callbacks, console
 * files, /docs). The type is `RouteAccess` (exported here). One hook on the root instance, after
 * routing, checks request.routeOptions.config — never the URL — so the request line's form does not
 * matter. Deny by default: a route that declares neither answers 500 "route declares no permission"
 * for everyone, and test/route-permissions.test.ts lists every registered route and fails on it.
 *
 * Who is calling: `Authorization: Bearer <token>`, either WEREPLY_ADMIN_TOKEN (role admin) or an
 * operator's own token (created by an admin with POST /api/operators). Each role carries
 * permissions; what a route needs is its own declaration (above), so a new route cannot silently be
 * open to everyone.
 */
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { ApiError } from './http-errors.js';

export const PERMISSIONS = [
  'rules:write',
  'materials:write',
  'routing:write',
  'settings:write',
  'compliance:write',
  /** Save or send a text with `block` findings, with a written reason (recorded in the audit log). */
  'compliance:override',
  'conversations:reply',
  /** See customers' phone numbers, ID and bank card numbers, e-mail and addresses unmasked. */
  'pii:view',
  'operators:manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** What a route declares in its `config` (see the top of this file). */
export type RouteAccess = { permission: Permission | 'admin' | 'read'; public?: never } | { public: true; permission?: never };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Needed to call the route (see src/api/auth.ts). */
    permission?: Permission | 'admin' | 'read';
    /** No token needed (health, callbacks, console files, /docs). */
    public?: boolean;
  }
}

export const ROLES = ['admin', 'supervisor', 'agent', 'analyst'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: PERMISSIONS,
  /** 主管: runs the rules and the team, may override and see PII; does not manage accounts or WeCom settings. */
  supervisor: ['rules:write', 'materials:write', 'routing:write', 'compliance:write', 'compliance:override', 'conversations:reply', 'pii:view'],
  /** 客服: answers customers; sees PII masked. */
  agent: ['conversations:reply'],
  /** 运营分析: reads everything, changes nothing, sees PII masked. */
  analyst: [],
};

export interface Principal {
  /** Shown in audit records ("admin" for the admin token). */
  name: string;
  role: Role;
  permissions: ReadonlySet<Permission>;
  operatorId: number | null;
  servicerUserid: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

export function sha256(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

export function principalFor(role: Role, name: string, operatorId: number | null = null, servicerUserid: string | null = null): Principal {
  return { name, role, permissions: new Set(ROLE_PERMISSIONS[role]), operatorId, servicerUserid };
}

/** Authenticates every request of the plugin it is installed in and checks the permission the route needs. */
export function requireToken(app: FastifyInstance, adminToken: string, db: Kysely<Database>): void {
  const expected = crypto.createHash('sha256').update(adminToken).digest();
  const admin = principalFor('admin', 'admin');
  app.decorateRequest('principal', undefined as unknown as Principal);
  app.addHook('onRequest', async (req, reply) => {
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    const token = m?.[1]?.trim();
    if (!token) return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing token: send Authorization: Bearer <WEREPLY_ADMIN_TOKEN or your operator token>' });
    const given = crypto.createHash('sha256').update(token).digest();
    if (crypto.timingSafeEqual(given, expected)) {
      req.principal = admin;
    } else {
      const op = await db.selectFrom('operators').selectAll().where('token_sha256', '=', given.toString('hex')).executeTakeFirst();
      if (!op || op.disabled) return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'wrong or disabled token' });
      req.principal = principalFor(op.role as Role, op.name, Number(op.id), op.servicer_userid);
    }
    const needed = permissionFor(req.method, req.url.split('?')[0]!);
    if (needed && !can(req.principal, needed)) {
      return reply.code(403).send({ error: `your role (${req.principal.role}) may not do this: it needs the permission "${needed}"`, permission: needed });
    }
  });
}

function can(p: Principal, needed: Permission | 'admin'): boolean {
  return needed === 'admin' ? p.role === 'admin' : p.permissions.has(needed);
}

/** The permission a request needs; null for reads and read-only POSTs (scan, simulate). */
export function permissionFor(method: string, path: string): Permission | 'admin' | null {
  if (path.startsWith('/api/operators')) return 'operators:manage';
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return null;
  if (path === '/api/compliance/scan' || path === '/api/simulate') return null;
  if (/^\/api\/outbox\/\d+\/release$/.test(path)) return 'compliance:override';
  const prefixes: [string, Permission][] = [
    ['/api/rules', 'rules:write'],
    ['/api/settings/handoff', 'rules:write'],
    ['/api/customers/', 'rules:write'],
    ['/api/materials', 'materials:write'],
    ['/api/servicers', 'routing:write'],
    ['/api/routing', 'routing:write'],
    ['/api/shifts', 'routing:write'],
    ['/api/compliance/words', 'compliance:write'],
    ['/api/compliance/settings', 'settings:write'],
    ['/api/conversations/', 'conversations:reply'],
  ];
  for (const [prefix, perm] of prefixes) if (path.startsWith(prefix)) return perm;
  return 'admin';
}

/** For handlers that decide on their own (e.g. an override inside an otherwise allowed request). */
export function requirePermission(req: FastifyRequest, perm: Permission): void {
  if (!req.principal.permissions.has(perm)) {
    throw new ApiError(403, `your role (${req.principal.role}) may not do this: it needs the permission "${perm}"`, undefined, { permission: perm });
  }
}
