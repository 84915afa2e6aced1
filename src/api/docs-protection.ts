/**
 * /docs (swagger-ui) gets the console's protections: no framing by any site (X-Frame-Options DENY and
 * CSP frame-ancestors 'none'), no content-type sniffing (nosniff), same-origin referrers.
 */
import type { FastifyInstance } from 'fastify';

/** Marks every route registered in this scope `public: true` (files anyone may load: console, docs). */
export function everyRoutePublic(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    route.config = { ...(route.config ?? {}), public: true };
  });
}

/** The protection headers on every answer of this scope. */
export function docsProtection(app: FastifyInstance): void {
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-frame-options', 'DENY');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    if (!reply.getHeader('content-security-policy')) reply.header('content-security-policy', "frame-ancestors 'none'; object-src 'none'; base-uri 'self'");
    return payload;
  });
}

/**
 * swagger-ui's own static CSP, framed by no one: its default allows framing by the same origin
 * ('self'), blocks the styles swagger-ui injects, and upgrades requests to https, which breaks /docs
 * on a plain-http install.
 */
export function docsCsp(header: string): string {
  return header
    .replace(/frame-ancestors [^;]*;?/, "frame-ancestors 'none';")
    // swagger-ui injects its styles at run time (as Ant Design does in the console): inline styles only.
    .replace(/style-src [^;]*;?/, "style-src 'self' 'unsafe-inline';")
    .replace(/\s*upgrade-insecure-requests;?/, '')
    .trim();
}
