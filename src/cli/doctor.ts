/**
 * `wereply doctor`: checks a production setup the way WeCom will meet it and prints a checklist
 * (✔ / ✘ and what to fix); exit code 1 when anything fails. Read-only: runs no migration, sends nothing.
 *
 * 1. configuration (WECOM_*, 43-character EncodingAESKey, admin token, WEREPLY_PUBLIC_URL)
 * 2. database reachable, migrated, not seeded by demo mode
 * 3. the callback URL as WeCom calls it: a signed GET with an encrypted random echostr, expecting the echo
 * 4. gettoken (40013 / 40001 explained), then a 微信客服 API call (60020 企业可信IP / 48002 explained)
 * 5. clock skew against the WeCom API host's Date header
 * 6. Redis, when REDIS_URL is set
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { encryptLikeWeCom, signature } from '../channels/wecom-kf/crypto.js';
import { setupAdvice } from '../channels/wecom-kf/setup-advice.js';
import { openStore } from '../store/database.js';
import { demoSeededAt } from '../store/demo-data.js';
import { pendingMigrations } from '../store/migrations.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

/** Clock skew beyond this fails (callbacks are refused beyond 600 s; keep well inside). */
const MAX_SKEW_SECONDS = 30;
const TIMEOUT_MS = 8000;

export async function runDoctor(env: NodeJS.ProcessEnv = process.env): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (c: Check) => checks.push(c);
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    add({ name: 'configuration', ok: false, detail: err.message, fix: 'set the variables in the environment or .env (see README → Configuration)' });
    return checks;
  }
  if (!config.wecom) {
    add({ name: 'configuration', ok: false, detail: 'WECOM_CORP_ID, WECOM_KF_SECRET, WECOM_TOKEN, WECOM_ENCODING_AES_KEY are not set: this is demo mode', fix: 'set all four (README → Connecting a real WeCom corp)' });
    return checks;
  }
  const wecom = config.wecom;
  add({ name: 'configuration', ok: true, detail: `WeCom corp ${wecom.corpId}, EncodingAESKey 43 characters, admin token set, API ${wecom.apiBase}` });

  await checkDatabase(config, add);
  await checkCallbackUrl(env.WEREPLY_PUBLIC_URL, wecom, add);
  await checkWeComApi(wecom, add);
  if (wecom.agentId !== undefined) add(checkWeComSignIn(config.publicUrl, wecom.agentId));
  if (config.redisUrl) await checkRedis(config.redisUrl, add);
  return checks;
}

/**
 * 企业微信扫码登录 (only when WECOM_AGENT_ID is set): WeCom sends the browser back to
 * <WEREPLY_PUBLIC_URL>/api/sessions/wecom/callback, and only to a host that is the app's 可信域名.
 * WeCom offers no API to read that setting, so the check names the host to enter there.
 */
function checkWeComSignIn(publicUrl: string | undefined, agentId: string): Check {
  const name = 'sign-in with WeCom';
  if (!publicUrl) {
    return { name, ok: false, detail: `WECOM_AGENT_ID ${agentId} is set but WEREPLY_PUBLIC_URL is not: WeCom has no address to send people back to after 扫码登录`, fix: 'set WEREPLY_PUBLIC_URL=https://<your-host> (the console address people use), or unset WECOM_AGENT_ID to hide the button' };
  }
  const host = new URL(publicUrl).host;
  const plain = publicUrl.startsWith('http://');
  return {
    name,
    ok: !plain,
    detail: `WeCom returns to ${publicUrl}/api/sessions/wecom/callback (app ${agentId}): in the WeCom admin, 应用管理 → the app → 企业微信授权登录 / 网页授权及JS-SDK, the 可信域名 must be ${host}`,
    ...(plain ? { fix: 'serve the console over HTTPS (README → Reverse proxy) and set WEREPLY_PUBLIC_URL to its https:// address: the session cookie and the code travel through this URL' } : {}),
  };
}

async function checkDatabase(config: Config, add: (c: Check) => void): Promise<void> {
  const where = config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : config.sqliteFile;
  if (!config.databaseUrl && !fs.existsSync(config.sqliteFile)) {
    add({ name: 'database', ok: false, detail: `no database yet at ${config.sqliteFile}`, fix: 'start WeReply once (`npm start`): it creates and migrates the database; or set WEREPLY_DATA_DIR to the folder that has it' });
    return;
  }
  let store;
  try {
    store = await openStore({ dataDir: config.dataDir, sqliteFile: config.sqliteFile, migrate: false, ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}) });
  } catch (err) {
    add({ name: 'database', ok: false, detail: `${where}: ${(err as Error).message}`, fix: config.databaseUrl ? 'check DATABASE_URL (host, port, user, password, database) and that PostgreSQL accepts connections from here' : 'check WEREPLY_DATA_DIR and its permissions' });
    return;
  }
  try {
    const pending = await pendingMigrations(store.db, store.engine, config.databaseUrl ? 'public' : undefined);
    if (pending.length) {
      add({ name: 'database', ok: false, detail: `${where} reachable; ${pending.length} migration(s) not run yet: ${pending.join(', ')}`, fix: 'start WeReply once (`npm start`): migrations run at start, once, even with several instances starting together' });
      return;
    }
    if ((await demoSeededAt(store.db)) !== undefined) {
      add({ name: 'database', ok: false, detail: `${where} was seeded by demo mode: demo rules would answer real customers`, fix: '`npx wereply demo-reset` (keeps the rules you created or edited), or start with an empty database' });
      return;
    }
    add({ name: 'database', ok: true, detail: `${where} reachable and migrated` });
  } finally {
    await store.close();
  }
}

async function checkCallbackUrl(publicUrl: string | undefined, wecom: NonNullable<Config['wecom']>, add: (c: Check) => void): Promise<void> {
  if (!publicUrl) {
    add({ name: 'callback URL', ok: false, detail: 'WEREPLY_PUBLIC_URL is not set, so the callback URL cannot be checked', fix: 'set WEREPLY_PUBLIC_URL=https://<your-host> (the address WeCom calls; the callback is <it>/wecom/kf/callback)' });
    return;
  }
  const url = `${publicUrl.replace(/\/+$/, '')}/wecom/kf/callback`;
  const echo = `doctor-${crypto.randomBytes(8).toString('hex')}`;
  const echostr = encryptLikeWeCom(wecom.encodingAESKey, wecom.corpId, echo);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = crypto.randomBytes(6).toString('hex');
  const q = new URLSearchParams({ msg_signature: signature(wecom.token, timestamp, nonce, echostr), timestamp, nonce, echostr });
  let status: number;
  let body: string;
  try {
    const res = await fetch(`${url}?${q}`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    status = res.status;
    body = await res.text();
  } catch (err) {
    add({ name: 'callback URL', ok: false, detail: `${url}: no answer (${(err as Error).cause ? String((err as { cause: Error }).cause.message) : (err as Error).message})`, fix: 'start WeReply, and check DNS, the firewall and the reverse proxy (it must forward /wecom/kf/callback to WeReply)' });
    return;
  }
  if (status === 200 && body === echo) {
    add({ name: 'callback URL', ok: true, detail: `${url} answered WeCom's signed verification with the echo${url.startsWith('https://') ? '' : ' (plain http: use HTTPS in production)'}` });
    return;
  }
  const fix =
    status === 403
      ? 'the running WeReply has another WECOM_TOKEN / WECOM_ENCODING_AES_KEY / WECOM_CORP_ID than this environment: use the same values everywhere and restart it'
      : status === 404
        ? 'the URL does not reach WeReply\'s /wecom/kf/callback: check the reverse proxy\'s location and that WeCom is configured in WeReply (WECOM_* set)'
        : status === 503
          ? 'WeReply is starting or stopping; try again'
          : 'check that the URL reaches WeReply (not another site) and what the proxy answers';
  add({ name: 'callback URL', ok: false, detail: `${url} answered ${status}: ${body.slice(0, 200)}`, fix });
}

async function checkWeComApi(wecom: NonNullable<Config['wecom']>, add: (c: Check) => void): Promise<void> {
  const tokenUrl = `${wecom.apiBase}/cgi-bin/gettoken?${new URLSearchParams({ corpid: wecom.corpId, corpsecret: wecom.kfSecret })}`;
  let res: Response;
  let json: { errcode?: number; errmsg?: string; access_token?: string };
  const sentAt = Date.now();
  try {
    res = await fetch(tokenUrl, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    json = (await res.json()) as typeof json;
  } catch (err) {
    add({ name: 'gettoken', ok: false, detail: `${wecom.apiBase}: no answer (${(err as Error).message})`, fix: 'this server must reach qyapi.weixin.qq.com over HTTPS (outbound firewall, proxy, DNS)' });
    return;
  }
  const clock = checkClock(res.headers.get('date'), (sentAt + Date.now()) / 2);
  const errcode = Number(json.errcode ?? 0);
  if (errcode !== 0 || !json.access_token) {
    const advice = setupAdvice(errcode, String(json.errmsg ?? ''));
    add({ name: 'gettoken', ok: false, detail: advice.meaning, fix: advice.fix });
    add(clock);
    return;
  }
  add({ name: 'gettoken', ok: true, detail: 'CorpID and Secret accepted' });
  add(clock);

  // The token is handed out anywhere; 企业可信IP and API permissions show on the first real call.
  try {
    const r = await fetch(`${wecom.apiBase}/cgi-bin/kf/account/list?access_token=${encodeURIComponent(json.access_token)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ offset: 0, limit: 100 }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const list = (await r.json()) as { errcode?: number; errmsg?: string; account_list?: { open_kfid: string; name?: string }[] };
    const code = Number(list.errcode ?? 0);
    if (code !== 0) {
      const advice = setupAdvice(code, String(list.errmsg ?? ''));
      const from = /from ip: ([0-9a-fA-F.:]+)/.exec(String(list.errmsg ?? ''))?.[1];
      add({ name: '微信客服 API', ok: false, detail: `${advice.meaning}${from ? ` (from ip ${from})` : ''}`, fix: advice.fix });
      return;
    }
    const accounts = list.account_list ?? [];
    add({ name: '微信客服 API', ok: true, detail: `kf/account/list answered: ${accounts.length} 客服账号${accounts.length ? ` (${accounts.map((a) => a.name ?? a.open_kfid).join('、')})` : ''}` });
  } catch (err) {
    add({ name: '微信客服 API', ok: false, detail: `kf/account/list: no answer (${(err as Error).message})`, fix: 'try again; if it persists, check outbound HTTPS to the WeCom API host' });
  }
}

function checkClock(dateHeader: string | null, localMs: number): Check {
  const remote = dateHeader ? Date.parse(dateHeader) : NaN;
  if (!Number.isFinite(remote)) {
    return { name: 'clock', ok: false, detail: 'the WeCom API host sent no Date header to compare with', fix: 'run chrony or systemd-timesyncd (NTP)' };
  }
  const skew = Math.round((localMs - remote) / 1000);
  if (Math.abs(skew) > MAX_SKEW_SECONDS) {
    return { name: 'clock', ok: false, detail: `this server's clock is ${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} WeCom's`, fix: 'enable NTP (`timedatectl set-ntp true`, or chrony): callbacks more than 600 s off are refused as replays' };
  }
  return { name: 'clock', ok: true, detail: `within ${Math.max(1, Math.abs(skew))} s of WeCom's clock` };
}

async function checkRedis(url: string, add: (c: Check) => void): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3000, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const pong = await redis.ping();
    add({ name: 'Redis', ok: pong === 'PONG', detail: `REDIS_URL answered ${pong}` });
  } catch (err) {
    add({ name: 'Redis', ok: false, detail: `REDIS_URL: ${(err as Error).message}`, fix: 'check REDIS_URL and that Redis accepts connections from here (or unset it: instances then find work by polling)' });
  } finally {
    redis.disconnect();
  }
}

export function formatChecklist(checks: Check[]): string {
  const lines = checks.map((c) => `${c.ok ? '✔' : '✘'} ${c.name}: ${c.detail}${!c.ok && c.fix ? `\n    fix: ${c.fix}` : ''}`);
  const failed = checks.filter((c) => !c.ok).length;
  lines.push('', failed ? `${failed} check(s) failed.` : 'All checks passed.');
  return lines.join('\n') + '\n';
}

export async function doctorCommand(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const checks = await runDoctor(env);
  process.stdout.write(formatChecklist(checks));
  return checks.every((c) => c.ok) ? 0 : 1;
}
