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
 * Who is calling: `Authorization: Bearer <token>`, either WEREPLY_ADMIN_TOKEN (role admin, static:
 * rotated by changing the environment and restarting), an operator's own token (created by an admin
 * with POST /api/operators) or a console session token (session-routes.ts: expires, rotates). Each role carries
 * permissions; what a route needs is its own declaration (above), so a new route cannot silently be
 * open to everyone.
 */
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
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
  /** The console session the token belongs to (null for the admin token and operator tokens). */
  sessionId?: number | null;
  /** When that session ends (ms). */
  expiresAt?: number | null;
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

/** How a bearer token is turned into a principal (operator tokens and console sessions; see session-routes.ts). */
export type TokenResolver = (token: string) => Promise<Principal | null>;

/**
 * Authorizes every request of the whole server from the route it was routed to: installed once on
 * the root instance, before any route. Reads `request.routeOptions.config` (the matched route's
 * declaration), never the URL, so `GET http://x/api/operators` (absolute-form target) and
 * `/api/operators` are the same route with the same permission.
 */
export function installAuthorization(app: FastifyInstance, adminToken: string, resolve: TokenResolver): void {
  const expected = crypto.createHash('sha256').update(adminToken).digest();
  const admin = principalFor('admin', 'admin');
  app.decorateRequest('principal', undefined as unknown as Principal);
  // Kept as given and read later: a scope's own onRoute hook (everyRoutePublic) runs after this one.
  const routes: RouteOptions[] = [];
  declared.set(app, routes);
  app.addHook('onRoute', (r) => {
    const p = r.config?.permission;
    // A misspelt permission would deny everyone at run time; refuse it at start instead.
    if (p !== undefined && p !== 'admin' && p !== 'read' && !(PERMISSIONS as readonly string[]).includes(p)) {
      throw new Error(`route ${String(r.method)} ${r.url} declares an unknown permission "${p}"; use one of ${PERMISSIONS.join(', ')}, admin or read`);
    }
    // The OpenAPI document (/docs) says what each route needs; public routes need no token there.
    const schema = r.schema as (Record<string, unknown> & { hide?: boolean; description?: string }) | undefined;
    if (schema && !schema.hide) {
      if (r.config?.public === true) r.schema = { ...schema, security: [] };
      else if (p) r.schema = { ...schema, description: `Needs: ${p === 'read' ? 'any signed-in role' : p === 'admin' ? 'the admin role' : `\`${p}\``}.${schema.description ? ` ${schema.description}` : ''}` };
    }
    routes.push(r);
  });
  app.addHook('onRequest', async (req, reply) => {
    // No route matched: the 404 answer tells nothing, and needs no token.
    if (req.is404) return;
    const access = req.routeOptions.config ?? {};
    if (access.public === true) return;
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    const token = m?.[1]?.trim();
    if (!token) return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing token: send Authorization: Bearer <WEREPLY_ADMIN_TOKEN, your operator token or your console session token>' });
    const given = crypto.createHash('sha256').update(token).digest();
    if (crypto.timingSafeEqual(given, expected)) {
      req.principal = admin;
    } else {
      const p = await resolve(token);
      if (!p) return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'wrong, expired or disabled token: sign in again' });
      req.principal = p;
    }
    const needed = access.permission;
    if (!needed) {
      // Deny by default: a route that forgot its declaration is closed to everyone, admin included.
      req.log.error({ route: req.routeOptions.url, method: req.method }, 'route declares no permission');
      return reply.code(500).send({ error: `route ${req.method} ${req.routeOptions.url ?? ''} declares no permission: add config: { permission } to it (see src/api/auth.ts)` });
    }
    if (!can(req.principal, needed)) {
      return reply.code(403).send({ error: `your role (${req.principal.role}) may not do this: it needs the permission "${needed}"`, permission: needed });
    }
  });
}

export interface DeclaredRoute {
  method: string;
  url: string;
  permission: Permission | 'admin' | 'read' | null;
  public: boolean;
}
const declared = new WeakMap<FastifyInstance, RouteOptions[]>();

/** Every route registered after installAuthorization, with what it declares (for the test that none is left out). */
export function declaredRoutes(app: FastifyInstance): DeclaredRoute[] {
  return (declared.get(app) ?? []).flatMap((r) =>
    [r.method].flat().map((method) => ({ method, url: r.url, permission: r.config?.permission ?? null, public: r.config?.public === true })),
  );
}

/** Operator tokens (wr_…, created by an admin): the operator's row decides role and whether it still works. */
export function operatorTokenResolver(db: Kysely<Database>): TokenResolver {
  return async (token) => {
    const op = await db.selectFrom('operators').selectAll().where('token_sha256', '=', sha256(token)).executeTakeFirst();
    if (!op || op.disabled) return null;
    return principalFor(op.role as Role, op.name, Number(op.id), op.servicer_userid);
  };
}

function can(p: Principal, needed: Permission | 'admin' | 'read'): boolean {
  if (needed === 'read') return true;
  return needed === 'admin' ? p.role === 'admin' : p.permissions.has(needed);
}

/** For handlers that decide on their own (e.g. an override inside an otherwise allowed request). */
export function requirePermission(req: FastifyRequest, perm: Permission): void {
  if (!req.principal.permissions.has(perm)) {
    throw new ApiError(403, `your role (${req.principal.role}) may not do this: it needs the permission "${perm}"`, undefined, { permission: perm });
  }
}
