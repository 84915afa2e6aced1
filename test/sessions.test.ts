/**
 * Console sessions expire and rotate; live streams are capped per operator and end the moment the
 * operator is disabled or changes role; operator names that imitate others are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, ENGINES, startStack, type Stack } from './stack.js';

/** Opens the inbox stream; `events` collects event names until the server ends it (`ended`). */
async function openStream(url: string, token: string) {
  const ctrl = new AbortController();
  const res = await fetch(`${url}/api/conversations/events`, { headers: { authorization: `Bearer ${token}` }, signal: ctrl.signal });
  if (res.status !== 200) return { status: res.status, body: (await res.json()) as { error: string }, ready: Promise.resolve(), ended: Promise.resolve([] as string[]), close: () => ctrl.abort() };
  const reader = res.body!.getReader();
  let text = '';
  let onReady!: () => void;
  const ready = new Promise<void>((r) => (onReady = r));
  const ended = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
        if (text.includes('event: ready')) onReady();
      }
    } catch {
      /* aborted by the test */
    }
    return [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]!);
  })();
  return { status: 200, body: null, ready, ended, text: () => text, close: () => ctrl.abort() };
}

describe.each(ENGINES)('console sessions on %s', (engine) => {
  let s: Stack;
  let agentToken: string;
  let agentId: number;
  beforeAll(async () => {
    s = await startStack(engine);
    const created = (await s.api('POST', '/api/operators', { name: 'agent-s', role: 'agent' })).body;
    agentToken = created.token;
    agentId = created.id;
  });
  afterAll(async () => s?.close());

  const signIn = async (remember = false) => {
    const res = await s.api('POST', '/api/sessions', { token: agentToken, remember }, '');
    expect(res.status).toBe(201);
    return res.body as { session_token: string; expires_at: number; remember: boolean };
  };

  it('a session token expires after 12 h (30 days with remember) and stops working once expired', async () => {
    const before = Date.now();
    const short = await signIn();
    expect(short.expires_at - before).toBeGreaterThanOrEqual(12 * 3600_000 - 1000);
    expect(short.expires_at - before).toBeLessThanOrEqual(12 * 3600_000 + 60_000);
    const long = await signIn(true);
    expect(long.expires_at - before).toBeGreaterThanOrEqual(30 * 86400_000 - 1000);
    expect((await s.api('GET', '/api/me', undefined, short.session_token)).body.name).toBe('agent-s');
    // Expired (its end moved to the past): refused, with what to do.
    await s.wr.store.db.updateTable('sessions').set({ expires_at: Date.now() - 1 }).where('token_sha256', '=', (await import('../src/api/auth.js')).sha256(short.session_token)).execute();
    const expired = await s.api('GET', '/api/me', undefined, short.session_token);
    expect(expired.status).toBe(401);
    expect(expired.body.error).toMatch(/expired/);
  });

  it('refresh rotates the token: the new one works, the old one is refused at once; of two refreshes at once only one wins', async () => {
    const first = await signIn();
    const rotated = await s.api('POST', '/api/sessions/refresh', undefined, first.session_token);
    expect(rotated.status).toBe(200);
    expect(rotated.body.session_token).not.toBe(first.session_token);
    expect((await s.api('GET', '/api/me', undefined, rotated.body.session_token)).status).toBe(200);
    expect((await s.api('GET', '/api/me', undefined, first.session_token)).status).toBe(401);

    const one = await signIn();
    const results = await Promise.all(Array.from({ length: 8 }, () => s.api('POST', '/api/sessions/refresh', undefined, one.session_token)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 401)).toHaveLength(7);
  });

  it("rotating an operator's token ends the old token, its sessions and its live streams at once", async () => {
    const op = (await s.api('POST', '/api/operators', { name: 'agent-rot', role: 'agent' })).body as { id: number; token: string };
    const session = (await s.api('POST', '/api/sessions', { token: op.token }, '')).body as { session_token: string };
    const st = await openStream(s.url, session.session_token);
    await st.ready;
    const rotated = await s.api('POST', `/api/operators/${op.id}/token`, undefined);
    expect(rotated.status).toBe(200);
    expect(rotated.body.token).toMatch(/^wr_/);
    expect(rotated.body.token).not.toBe(op.token);
    // The stream ends with a revoked event; the old token and the session are refused; the new token works.
    expect(await st.ended).toContain('revoked');
    expect((st as { text(): string }).text()).toMatch(/token was replaced/);
    expect((await s.api('GET', '/api/me', undefined, op.token)).status).toBe(401);
    expect((await s.api('GET', '/api/me', undefined, session.session_token)).status).toBe(401);
    expect((await s.api('GET', '/api/me', undefined, rotated.body.token)).body.name).toBe('agent-rot');
    // Only those who manage operators may rotate.
    expect((await s.api('POST', `/api/operators/${op.id}/token`, undefined, rotated.body.token)).status).toBe(403);
  });

  it('the static admin token is not a session (used as it is); sign-in with a wrong token is refused', async () => {
    expect((await s.api('POST', '/api/sessions', { token: ADMIN_TOKEN }, '')).status).toBe(409);
    expect((await s.api('POST', '/api/sessions', { token: 'wr_nope' }, '')).status).toBe(401);
    expect((await s.api('POST', '/api/sessions/refresh')).status).toBe(400);
  });

  it('caps live streams per operator with a clear 429, and a closed stream frees its place', async () => {
    const { session_token } = await signIn();
    const open = [];
    for (let i = 0; i < 5; i++) {
      const st = await openStream(s.url, session_token);
      expect(st.status).toBe(200);
      await st.ready;
      open.push(st);
    }
    const sixth = await openStream(s.url, agentToken); // the same operator, another token: still counted
    expect(sixth.status).toBe(429);
    expect(sixth.body?.error).toMatch(/limit is 5 per operator/);
    expect((await openStream(s.url, ADMIN_TOKEN)).status).toBe(200); // someone else is not affected
    open[0]!.close();
    await open[0]!.ended;
    // The server notices the closed connection; then a new stream is accepted.
    let again = await openStream(s.url, session_token);
    for (let i = 0; i < 50 && again.status === 429; i++) {
      await new Promise((r) => setTimeout(r, 20));
      again = await openStream(s.url, session_token);
    }
    expect(again.status).toBe(200);
    open.push(again);
    for (const st of open.slice(1)) st.close();
    await Promise.all(open.slice(1).map((st) => st.ended));
  });

  it("a disabled operator's open stream ends at once (a revoked event), and their session stops working", async () => {
    const other = (await s.api('POST', '/api/operators', { name: 'agent-d', role: 'agent' })).body as { id: number; token: string };
    const session = (await s.api('POST', '/api/sessions', { token: other.token }, '')).body.session_token as string;
    const st = await openStream(s.url, session);
    await st.ready;
    expect((await s.api('PATCH', `/api/operators/${other.id}`, { disabled: true })).status).toBe(200);
    expect(await st.ended).toContain('revoked');
    expect((st as { text(): string }).text()).toMatch(/disabled/);
    expect((await s.api('GET', '/api/me', undefined, session)).status).toBe(401);
    expect((await s.api('GET', '/api/me', undefined, other.token)).status).toBe(401);
  });

  it('an operator disabled by another instance (straight in the database) loses their stream at the next check', async () => {
    const other = (await s.api('POST', '/api/operators', { name: 'agent-x', role: 'agent' })).body as { id: number; token: string };
    const st = await openStream(s.url, other.token);
    await st.ready;
    await s.wr.store.db.updateTable('operators').set({ disabled: 1 }).where('id', '=', other.id).execute();
    await s.wr.streams.recheck();
    expect(await st.ended).toContain('revoked');
  });

  it('signing out ends the session and the streams opened with it', async () => {
    const { session_token } = await signIn();
    const st = await openStream(s.url, session_token);
    await st.ready;
    expect((await s.api('DELETE', '/api/sessions/current', undefined, session_token)).status).toBe(204);
    expect(await st.ended).toContain('revoked');
    expect((await s.api('GET', '/api/me', undefined, session_token)).status).toBe(401);
  });

  it('a role change ends the open streams too (they would keep what the old role could see)', async () => {
    const st = await openStream(s.url, agentToken);
    await st.ready;
    expect((await s.api('PATCH', `/api/operators/${agentId}`, { role: 'analyst' })).status).toBe(200);
    expect(await st.ended).toContain('revoked');
  });

  it('refuses operator names that imitate others with a 422 saying why', async () => {
    for (const name of ['аgent-s', 'ＡＧＥＮＴ-Ｓ', 'agent_s', 'аdmin']) {
      const res = await s.api('POST', '/api/operators', { name, role: 'agent' });
      expect({ name, status: res.status }).toEqual({ name, status: 422 });
      expect(res.body.error).toMatch(/looks the same/);
    }
    const hidden = await s.api('POST', '/api/operators', { name: 'agent\u200b-s2', role: 'agent' });
    expect(hidden.status).toBe(422);
    expect(hidden.body.error).toMatch(/invisible characters \(U\+200B\)/);
    expect((await s.api('POST', '/api/operators', { name: 'agent-s3', role: 'agent' })).status).toBe(201);
  });

  it('of look-alike names created at the same moment, exactly one is accepted', async () => {
    const names = ['lookalike', 'lооkalike', 'ｌｏｏｋａｌｉｋｅ', 'LOOKALIKE', 'look_alike', 'lookaIike', 'l00kalike', 'look.alike'];
    const results = await Promise.all(names.map((name) => s.api('POST', '/api/operators', { name, role: 'agent' })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 422)).toHaveLength(names.length - 1);
  });
});
