/**
 * People sign in as themselves (issue 11 point 4), over real HTTP against the mock WeCom: a password
 * an admin set (lockout after failures, no telling which names exist, changes end other sessions),
 * and 企业微信扫码登录 end to end (start → the mock's page → callback → hand-over → session), with
 * replayed states, reused codes, outsiders and missing configuration refused.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { foldName } from '../src/operators/names.js';
import { ENGINES, startStack, type Stack } from './stack.js';
import { freePort } from './child.js';

const STRONG = 'plum tea at seven';
const STRONG2 = 'river stones sing 42';


/** A stack whose WEREPLY_PUBLIC_URL is its own address, with the mock's AgentId (unless `agentId: false`). */
async function signInStack(engine: (typeof ENGINES)[number], agentId = true): Promise<Stack> {
  const port = await freePort();
  return startStack(engine, {
    mock: { members: ['lisi'] },
    env: { PORT: String(port), WEREPLY_PUBLIC_URL: `http://127.0.0.1:${port}`, ...(agentId ? { WECOM_AGENT_ID: '1000002' } : {}) },
  });
}

describe.each(ENGINES)('signing in as oneself on %s', (engine) => {
  let s: Stack;
  beforeAll(async () => {
    s = await signInStack(engine);
  });
  afterAll(async () => s?.close());
  // Every test signs in from 127.0.0.1: the per-address count is the address-lockout test's alone.
  beforeEach(async () => {
    await s.wr.store.db.deleteFrom('sign_in_failures').where('key', 'like', 'ip:%').execute();
  });

  const createOp = async (name: string, extra: Record<string, unknown> = {}) => {
    const res = await s.api('POST', '/api/operators', { name, role: 'agent', ...extra });
    expect(res.status).toBe(201);
    return res.body as { id: number; token: string };
  };
  const withPassword = async (name: string, password = STRONG, extra: Record<string, unknown> = {}) => {
    const op = await createOp(name, extra);
    const set = await s.api('PUT', `/api/operators/${op.id}/password`, { password });
    expect(set.status).toBe(200);
    expect(set.body.has_password).toBe(true);
    expect(JSON.stringify(set.body)).not.toContain('scrypt');
    return op;
  };
  const password = (name: string, pw: string, remember = false) => s.api('POST', '/api/sessions/password', { name, password: pw, remember }, '');

  describe('password', () => {
    it('an admin sets a password (weak ones refused with the reason); the operator signs in with the same session as a token sign-in', async () => {
      const op = await createOp('pw-amy');
      for (const [pw, why] of [['short', /at least 10/], ['1234567890', /run of characters/], ['password123', /most used/], ['pw-amy-secret', /operator name/]] as const) {
        const res = await s.api('PUT', `/api/operators/${op.id}/password`, { password: pw });
        expect(res.status).toBe(422);
        expect(res.body.error).toMatch(why);
      }
      expect((await password('pw-amy', STRONG)).status).toBe(401); // no password yet
      expect((await s.api('PUT', `/api/operators/${op.id}/password`, { password: STRONG })).status).toBe(200);
      expect((await s.api('PUT', `/api/operators/${op.id}/password`, { password: STRONG }, op.token)).status).toBe(403); // agents may not set others'
      const before = Date.now();
      const res = await password('pw-amy', STRONG);
      expect(res.status).toBe(201);
      expect(res.body.session_token).toMatch(/^ws_/);
      expect(res.body.expires_at - before).toBeGreaterThanOrEqual(12 * 3600_000 - 1000);
      expect(res.body.expires_at - before).toBeLessThanOrEqual(12 * 3600_000 + 60_000);
      const me = await s.api('GET', '/api/me', undefined, res.body.session_token);
      expect(me.body).toMatchObject({ name: 'pw-amy', role: 'agent' });
      const remembered = await password('pw-amy', STRONG, true);
      expect(remembered.body.expires_at - before).toBeGreaterThanOrEqual(30 * 86400_000 - 1000);
      const list = (await s.api('GET', '/api/operators')).body as { name: string; has_password: boolean }[];
      expect(list.find((o) => o.name === 'pw-amy')?.has_password).toBe(true);
    });

    it('a password session expires and rotates exactly like a token session', async () => {
      await withPassword('pw-rot');
      const first = (await password('pw-rot', STRONG)).body.session_token as string;
      const rotated = await s.api('POST', '/api/sessions/refresh', undefined, first);
      expect(rotated.status).toBe(200);
      expect((await s.api('GET', '/api/me', undefined, first)).status).toBe(401);
      const next = rotated.body.session_token as string;
      expect((await s.api('GET', '/api/me', undefined, next)).body.name).toBe('pw-rot');
      const { sha256 } = await import('../src/api/auth.js');
      await s.wr.store.db.updateTable('sessions').set({ expires_at: Date.now() - 1 }).where('token_sha256', '=', sha256(next)).execute();
      const expired = await s.api('GET', '/api/me', undefined, next);
      expect(expired.status).toBe(401);
      expect(expired.body.error).toMatch(/expired/);
    });

    it('a wrong password, an unknown name, a name without a password and a disabled operator get the same answer in similar time', async () => {
      await withPassword('pw-same');
      const disabled = await withPassword('pw-off');
      await createOp('pw-none');
      expect((await s.api('PATCH', `/api/operators/${disabled.id}`, { disabled: true })).status).toBe(200);
      const answers = await Promise.all([password('pw-same', 'wrong password here'), password('nobody-here', STRONG), password('pw-none', STRONG), password('pw-off', STRONG)]);
      expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 401]);
      expect(new Set(answers.map((a) => a.body.error)).size).toBe(1);
      // Time: the unknown name costs the same scrypt work as a known one (median of 5 each; without the
      // dummy hash an unknown name answers in a few ms against ~100 ms, a ratio near 0.02).
      const time = async (name: string) => {
        const t: number[] = [];
        for (let i = 0; i < 5; i++) {
          const at = performance.now();
          await password(name, `${STRONG} wrong ${i}`);
          t.push(performance.now() - at);
        }
        return t.sort((a, b) => a - b)[2]!;
      };
      await s.wr.store.db.deleteFrom('sign_in_failures').execute();
      const known = await time('pw-same');
      const unknown = await time('nobody-at-all');
      expect(unknown / known).toBeGreaterThan(0.33);
      expect(unknown / known).toBeLessThan(3);
    });

    it('after 5 failures the name is locked (429, even with the right password), for 30 s then twice as long; the right password afterwards works', async () => {
      await withPassword('pw-lock');
      const results = [];
      for (let i = 0; i < 5; i++) results.push((await password('pw-lock', `not it ${i} at all`)).status);
      expect(results).toEqual([401, 401, 401, 401, 401]);
      const locked = await password('pw-lock', STRONG);
      expect(locked.status).toBe(429);
      expect(locked.body.retry_after_s).toBeGreaterThan(25);
      expect(locked.body.retry_after_s).toBeLessThanOrEqual(30);
      expect(locked.body.error).toMatch(/try again in \d+ s/);
      // The lock ends (moved to the past here): one more failure locks for twice as long.
      await s.wr.store.db.updateTable('sign_in_failures').set({ locked_until: Date.now() - 1 }).where('key', '=', `name:${foldName('pw-lock')}`).execute();
      expect((await password('pw-lock', 'still not it')).status).toBe(401);
      const again = await password('pw-lock', STRONG);
      expect(again.status).toBe(429);
      expect(again.body.retry_after_s).toBeGreaterThan(55);
      await s.wr.store.db.updateTable('sign_in_failures').set({ locked_until: Date.now() - 1 }).where('key', '=', `name:${foldName('pw-lock')}`).execute();
      expect((await password('pw-lock', STRONG)).status).toBe(201);
      // Success starts the count again.
      expect((await password('pw-lock', 'wrong once more')).status).toBe(401);
      expect((await password('pw-lock', STRONG)).status).toBe(201);
    });

    it('a burst of guesses at once is counted one by one: 5 are checked, the rest locked; unknown names lock the same way', async () => {
      await withPassword('pw-burst');
      const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => password('pw-burst', `guess number ${i}`)));
      expect(burst.filter((r) => r.status === 401)).toHaveLength(5);
      expect(burst.filter((r) => r.status === 429)).toHaveLength(7);
      const ghost = await Promise.all(Array.from({ length: 7 }, (_, i) => password('ghost-name', `guess number ${i}`)));
      expect(ghost.map((r) => r.status).sort()).toEqual([401, 401, 401, 401, 401, 429, 429]);
    });

    it('20 failures from one address lock that address for every name; behind a local proxy the forwarded address counts', async () => {
      await withPassword('pw-ip');
      const viaProxy = (name: string, pw: string, ip: string) =>
        fetch(`${s.url}/api/sessions/password`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.9.9.9, ${ip}` }, body: JSON.stringify({ name, password: pw }) });
      for (let i = 0; i < 20; i++) expect((await viaProxy(`spray-${i}`, 'some guess here', '203.0.113.7')).status).toBe(401);
      expect((await viaProxy('pw-ip', STRONG, '203.0.113.7')).status).toBe(429);
      // Someone else behind the same proxy is not locked out by it.
      expect((await viaProxy('pw-ip', STRONG, '203.0.113.8')).status).toBe(201);
      for (let i = 0; i < 20; i++) expect((await password(`spray-direct-${i}`, 'some guess here')).status).toBe(401);
      expect((await password('pw-ip', STRONG)).status).toBe(429);
    });

    it('changing one’s own password needs the old one and ends one’s other sessions; an admin setting or clearing it ends all', async () => {
      const op = await withPassword('pw-change');
      const a = (await password('pw-change', STRONG)).body.session_token as string;
      const b = (await password('pw-change', STRONG)).body.session_token as string;
      expect((await s.api('PUT', '/api/me/password', { password: STRONG2 }, a)).status).toBe(400);
      expect((await s.api('PUT', '/api/me/password', { old_password: 'not my password', password: STRONG2 }, a)).status).toBe(403);
      expect((await s.api('PUT', '/api/me/password', { old_password: STRONG, password: 'short' }, a)).status).toBe(422);
      const changed = await s.api('PUT', '/api/me/password', { old_password: STRONG, password: STRONG2 }, a);
      expect(changed.status).toBe(200);
      expect(changed.body.ended_sessions).toBe(1);
      expect((await s.api('GET', '/api/me', undefined, a)).status).toBe(200);
      expect((await s.api('GET', '/api/me', undefined, b)).status).toBe(401);
      expect((await password('pw-change', STRONG)).status).toBe(401);
      const c = (await password('pw-change', STRONG2)).body.session_token as string;
      // The admin sets a new one: every session ends, the operator token keeps working.
      expect((await s.api('PUT', `/api/operators/${op.id}/password`, { password: STRONG })).status).toBe(200);
      expect((await s.api('GET', '/api/me', undefined, a)).status).toBe(401);
      expect((await s.api('GET', '/api/me', undefined, c)).status).toBe(401);
      expect((await s.api('GET', '/api/me', undefined, op.token)).status).toBe(200);
      const d = (await password('pw-change', STRONG)).body.session_token as string;
      const cleared = await s.api('DELETE', `/api/operators/${op.id}/password`);
      expect(cleared.status).toBe(200);
      expect(cleared.body.has_password).toBe(false);
      expect((await s.api('GET', '/api/me', undefined, d)).status).toBe(401);
      expect((await password('pw-change', STRONG)).status).toBe(401);
      expect((await s.api('PUT', '/api/me/password', { password: STRONG2 })).status).toBe(400); // the admin token has none
    });

    it('guessing the old password through a session is locked out like a sign-in', async () => {
      await withPassword('pw-guess');
      const t = (await password('pw-guess', STRONG)).body.session_token as string;
      const tries = [];
      for (let i = 0; i < 6; i++) tries.push((await s.api('PUT', '/api/me/password', { old_password: `guess number ${i}`, password: STRONG2 }, t)).status);
      expect(tries).toEqual([403, 403, 403, 403, 403, 429]);
      expect((await s.api('PUT', '/api/me/password', { old_password: STRONG, password: STRONG2 }, t)).status).toBe(429);
      expect((await password('pw-guess', STRONG)).status).toBe(429);
    });

    it('disabling an operator ends their password sessions', async () => {
      const op = await withPassword('pw-disable');
      const t = (await password('pw-disable', STRONG)).body.session_token as string;
      expect((await s.api('PATCH', `/api/operators/${op.id}`, { disabled: true })).status).toBe(200);
      expect((await s.api('GET', '/api/me', undefined, t)).status).toBe(401);
      expect((await password('pw-disable', STRONG)).status).toBe(401);
    });
  });

  describe('WeCom 扫码登录', () => {
    /** start → (cookie, the mock's page URL). */
    const start = async (query = '') => {
      const res = await fetch(`${s.url}/api/sessions/wecom/start${query}`, { redirect: 'manual' });
      expect(res.status).toBe(302);
      const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
      return { cookie, location: new URL(res.headers.get('location')!) };
    };
    /** On the mock's page, "scan" as `who` (a userid, 'outsider' or 'decline'): WeCom's redirect to our callback. */
    const scan = async (page: URL, who: string) => {
      const html = await (await fetch(page)).text();
      const re = who === 'outsider' || who === 'decline' ? new RegExp(`class="${who}" href="([^"]+)"`) : new RegExp(`data-userid="${who}" href="([^"]+)"`);
      const href = re.exec(html)![1]!.replace(/&amp;/g, '&');
      const res = await fetch(new URL(href, page), { redirect: 'manual' });
      return new URL(res.headers.get('location')!);
    };
    const callback = (url: URL, cookie: string | null) => fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    /** The whole flow for `who`; the callback's answer. */
    const signInAs = async (who: string, query = '') => {
      const { cookie, location } = await start(query);
      const back = await scan(location, who);
      return { res: await callback(back, cookie), back, cookie };
    };
    const exchange = async (res: Response) => {
      expect(res.status).toBe(302);
      const to = new URL(res.headers.get('location')!);
      expect(to.origin).toBe(s.url);
      expect(to.pathname).toBe('/login');
      expect(to.search).toBe(''); // the hand-over code travels in the fragment only
      const code = new URLSearchParams(to.hash.slice(1)).get('wecom_code')!;
      return { code, answer: await s.api('POST', '/api/sessions/exchange', { code }, '') };
    };

    it('start sends the browser to the 扫码登录 page with CorpID, AgentId, our redirect_uri and a state; methods offers it', async () => {
      const methods = await s.api('GET', '/api/sessions/methods', undefined, '');
      expect(methods.body).toMatchObject({ password: true, token: true, wecom: true, wecom_problem: null });
      const { cookie, location } = await start();
      expect(location.origin + location.pathname).toBe(`${s.mock.url}/wwlogin/sso/login`);
      expect(Object.fromEntries(location.searchParams)).toMatchObject({ login_type: 'CorpApp', appid: s.mock.credentials.corpId, agentid: '1000002', redirect_uri: `${s.url}/api/sessions/wecom/callback` });
      expect(location.searchParams.get('state')).toMatch(/^[a-zA-Z0-9]{20,128}$/);
      expect(cookie).toMatch(/^wereply_wecom_login=/);
      // Inside the WeCom client: web OAuth with snsapi_base.
      const inApp = await fetch(`${s.url}/api/sessions/wecom/start?format=json`, { headers: { 'user-agent': 'Mozilla/5.0 wxwork/4.1.0 MicroMessenger/7.0.1' } });
      const url = new URL(((await inApp.json()) as { url: string }).url);
      expect(url.pathname).toBe('/connect/oauth2/authorize');
      expect(url.searchParams.get('scope')).toBe('snsapi_base');
      expect(url.hash).toBe('#wechat_redirect');
    });

    it('a member linked to an operator signs in end to end: the session has their name, role and servicer; remember gives 30 days', async () => {
      const op = await createOp('wecom-wang', { servicer_userid: 'mock_servicer_1a' });
      await s.api('PATCH', `/api/operators/${op.id}`, { role: 'supervisor' });
      const before = Date.now();
      const { res } = await signInAs('mock_servicer_1a', '?remember=true');
      const { code, answer } = await exchange(res);
      expect(answer.status).toBe(201);
      expect(answer.body.expires_at - before).toBeGreaterThanOrEqual(30 * 86400_000 - 1000);
      const me = await s.api('GET', '/api/me', undefined, answer.body.session_token);
      expect(me.body).toMatchObject({ name: 'wecom-wang', role: 'supervisor', servicer_userid: 'mock_servicer_1a' });
      // The hand-over code works once.
      expect((await s.api('POST', '/api/sessions/exchange', { code }, '')).status).toBe(401);
      // Same lifetime and rotation as every session.
      const rotated = await s.api('POST', '/api/sessions/refresh', undefined, answer.body.session_token);
      expect(rotated.status).toBe(200);
      expect((await s.api('GET', '/api/me', undefined, answer.body.session_token)).status).toBe(401);
      // Disabling the operator ends it.
      await s.api('PATCH', `/api/operators/${op.id}`, { disabled: true });
      expect((await s.api('GET', '/api/me', undefined, rotated.body.session_token)).status).toBe(401);
      const again = await signInAs('mock_servicer_1a');
      expect(again.res.status).toBe(403);
      expect(await again.res.text()).toMatch(/disabled/);
    });

    it('a replayed state, a reused WeCom code, a state from another browser and an expired hand-over are refused', async () => {
      await createOp('wecom-li', { servicer_userid: 'lisi' });
      const { res, back, cookie } = await signInAs('lisi');
      expect((await exchange(res)).answer.status).toBe(201);
      // The same redirect again (state replay): refused.
      const replay = await callback(back, cookie);
      expect(replay.status).toBe(400);
      expect(await replay.text()).toMatch(/used already/);
      // The WeCom code again with a fresh state: WeCom says 40029, we say so.
      const fresh = await start();
      const reuse = new URL(`${s.url}/api/sessions/wecom/callback`);
      reuse.searchParams.set('code', back.searchParams.get('code')!);
      reuse.searchParams.set('state', fresh.location.searchParams.get('state')!);
      const reused = await callback(reuse, fresh.cookie);
      expect(reused.status).toBe(400);
      expect(await reused.text()).toMatch(/invalid, used already or older than 5 minutes/);
      // A state started in another browser (no cookie, or another one).
      const other = await start();
      const otherBack = await scan(other.location, 'lisi');
      expect((await callback(otherBack, null)).status).toBe(400);
      const stolen = await start();
      const stolenBack = await scan(stolen.location, 'lisi');
      const wrongBrowser = await callback(stolenBack, other.cookie);
      expect(wrongBrowser.status).toBe(400);
      expect(await wrongBrowser.text()).toMatch(/not started in this browser/);
      // A hand-over code older than 60 s.
      const late = await signInAs('lisi');
      const lateCode = new URLSearchParams(new URL(late.res.headers.get('location')!).hash.slice(1)).get('wecom_code')!;
      await s.wr.store.db.updateTable('sign_in_tickets').set({ expires_at: Date.now() - 1 }).where('kind', '=', 'exchange').execute();
      expect((await s.api('POST', '/api/sessions/exchange', { code: lateCode }, '')).status).toBe(401);
    });

    it('someone outside the corp, a member without an operator and a declined scan are refused with a clear page', async () => {
      const outsider = await signInAs('outsider');
      expect(outsider.res.status).toBe(403);
      expect(await outsider.res.text()).toMatch(/only members of this corp/);
      const unlinked = await signInAs('mock_servicer_1b');
      expect(unlinked.res.status).toBe(403);
      expect(await unlinked.res.text()).toMatch(/no WeReply operator is linked to WeCom member mock_servicer_1b/);
      const declined = await signInAs('decline');
      expect(declined.res.status).toBe(400);
      expect(await declined.res.text()).toMatch(/declined/);
      expect(await s.wr.store.db.selectFrom('sign_in_tickets').select('kind').where('kind', '=', 'exchange').execute()).toEqual([]);
    });
  });
});

describe('WeCom sign-in without WECOM_AGENT_ID', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await signInStack('sqlite', false);
  });
  afterAll(async () => s?.close());

  it('answers 409 saying what to configure, and the methods hide it', async () => {
    const res = await fetch(`${s.url}/api/sessions/wecom/start`, { redirect: 'manual' });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: string }).error).toMatch(/needs WECOM_AGENT_ID/);
    const methods = await s.api('GET', '/api/sessions/methods', undefined, '');
    expect(methods.body.wecom).toBe(false);
    expect(methods.body.wecom_problem).toMatch(/WECOM_AGENT_ID/);
    expect(s.mock.requests.filter((r) => r.path === '/cgi-bin/auth/getuserinfo')).toEqual([]);
  });
});
