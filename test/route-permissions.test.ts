/**
 * Authorization is decided from the matched route's own declaration (config.permission / public),
 * never from the URL string: every registered route declares one, and an absolute-form request
 * target (`GET http://x/api/operators HTTP/1.1`) is checked like the path it is routed to.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { declaredRoutes, installAuthorization } from '../src/api/auth.js';
import { startStack, type Stack } from './stack.js';

/** A raw HTTP/1.1 request, written as given (fetch would normalise the request line). */
function rawRequest(url: string, requestLine: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(port), hostname, () => {
      const head = Object.entries({ host: `${hostname}:${port}`, connection: 'close', ...headers }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      sock.write(`${requestLine}\r\n${head}\r\n`);
    });
    let data = '';
    sock.setEncoding('utf8');
    sock.on('data', (d) => (data += d));
    sock.on('error', reject);
    sock.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0);
      resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
  });
}

describe('route-based authorization', () => {
  let s: Stack;
  let agent: string;
  let analyst: string;
  beforeAll(async () => {
    s = await startStack('sqlite');
    agent = (await s.api('POST', '/api/operators', { name: 'agent1', role: 'agent' })).body.token;
    analyst = (await s.api('POST', '/api/operators', { name: 'analyst1', role: 'analyst' })).body.token;
  });
  afterAll(async () => s?.close());

  it('every registered route declares its permission or public: true', () => {
    const routes = declaredRoutes(s.wr.app);
    expect(routes.length).toBeGreaterThan(40);
    const undeclared = routes.filter((r) => !r.public && !r.permission).map((r) => `${r.method} ${r.url}`);
    expect(undeclared).toEqual([]);
    // Nothing under /api is public except what is meant to be (signing in).
    const publicApi = routes.filter((r) => r.public && r.url.startsWith('/api/') && r.method !== 'HEAD').map((r) => `${r.method} ${r.url}`);
    expect(publicApi.sort()).toEqual(
      ['GET /api/sessions/methods', 'GET /api/sessions/wecom/callback', 'GET /api/sessions/wecom/start', 'POST /api/sessions', 'POST /api/sessions/exchange', 'POST /api/sessions/password'].sort(),
    );
  });

  it('the operator list needs operators:manage, whatever the form of the request target', async () => {
    for (const token of [agent, analyst]) {
      expect((await s.api('GET', '/api/operators', undefined, token)).status).toBe(403);
      for (const line of ['GET http://x/api/operators HTTP/1.1', `GET ${s.url}/api/operators HTTP/1.1`, 'GET //api/operators HTTP/1.1', 'GET /api/operators/ HTTP/1.1', 'GET /api/operators?x=1 HTTP/1.1', 'GET /api//operators HTTP/1.1']) {
        const res = await rawRequest(s.url, line, { authorization: `Bearer ${token}` });
        expect({ line, status: res.status, leaked: res.body.includes('agent1') }).toMatchObject({ line, leaked: false });
        expect([403, 404, 400]).toContain(res.status);
      }
    }
    const res = await rawRequest(s.url, 'GET http://x/api/operators HTTP/1.1', { authorization: `Bearer ${analyst}` });
    expect(res.status).toBe(403);
    expect((await s.api('GET', '/api/operators')).status).toBe(200);
  });

  it('writes are checked by the route too (absolute form of a rule write by an analyst)', async () => {
    const res = await rawRequest(s.url, 'DELETE http://x/api/rules/1 HTTP/1.1', { authorization: `Bearer ${analyst}` });
    expect(res.status).toBe(403);
  });

  it('a route without a declaration is closed to everyone, admin included (deny by default)', async () => {
    const app = Fastify();
    installAuthorization(app, 'admin-token', async () => null);
    app.get('/api/forgotten', async () => ({ secret: 1 }));
    app.get('/api/declared', { config: { permission: 'read' } }, async () => ({ ok: 1 }));
    app.get('/open', { config: { public: true } }, async () => ({ ok: 1 }));
    const forgotten = await app.inject({ method: 'GET', url: '/api/forgotten', headers: { authorization: 'Bearer admin-token' } });
    expect(forgotten.statusCode).toBe(500);
    expect(forgotten.json().error).toMatch(/declares no permission/);
    expect((await app.inject({ method: 'GET', url: '/api/declared', headers: { authorization: 'Bearer admin-token' } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/declared' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/open' })).statusCode).toBe(200);
    expect(declaredRoutes(app).filter((r) => !r.public && !r.permission).map((r) => r.url)).toEqual(['/api/forgotten', '/api/forgotten']);
    await app.close();
  });

  it('/docs is served with the console\'s frame and content-type protections', async () => {
    for (const path of ['/docs', '/docs/static/index.html', '/docs/json', '/docs/static/swagger-initializer.js']) {
      const res = await fetch(s.url + path, { redirect: 'manual' });
      expect({ path, ok: res.status < 400 }).toEqual({ path, ok: true });
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
      expect(res.headers.get('content-security-policy')).not.toMatch(/frame-ancestors 'self'/);
    }
    // swagger-ui still runs: its own scripts only, styles it injects allowed, nothing inline as script.
    const csp = (await fetch(`${s.url}/docs/static/index.html`)).headers.get('content-security-policy')!;
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).not.toMatch(/upgrade-insecure-requests/);
    // The OpenAPI document says what each route needs.
    const doc = (await (await fetch(`${s.url}/docs/json`)).json()) as { paths: Record<string, Record<string, { description?: string; security?: unknown[] }>> };
    expect(doc.paths['/api/operators']!.get!.description).toMatch(/^Needs: `operators:manage`/);
    expect(doc.paths['/api/rules']!.get!.description).toMatch(/^Needs: any signed-in role/);
    expect(doc.paths['/api/sessions']!.post!.security).toEqual([]);
    // Served without a token, like the console's own files.
    expect((await fetch(`${s.url}/docs/json`)).status).toBe(200);
  });
});
