/**
 * Configuration from environment variables (documented in README.md and .env.example).
 * Without WeCom credentials WeReply runs in demo mode: demo rules and the bundled mock WeCom.
 */
import crypto from 'node:crypto';
import path from 'node:path';

export interface WeComConfig {
  corpId: string;
  kfSecret: string;
  token: string;
  encodingAESKey: string;
  apiBase: string;
  /**
   * AgentId of the self-built app whose Secret is WECOM_KF_SECRET (WECOM_AGENT_ID): needed to sign
   * people in with WeCom (扫码登录 / web OAuth) and to send app messages (alerts to supervisors).
   */
  agentId?: string;
  /**
   * Where people's browsers are sent to sign in (WECOM_LOGIN_BASE): the 扫码登录 page
   * (/wwlogin/sso/login) and web OAuth (/connect/oauth2/authorize). Default: WeCom's own hosts
   * (login.work.weixin.qq.com, open.weixin.qq.com) with the official API base; the API base
   * itself otherwise (the mock WeCom serves both).
   */
  loginBase?: string;
}

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /**
   * The SQLite file (without DATABASE_URL): `${dataDir}/wereply.sqlite` with WeCom configured,
   * `${dataDir}/demo.sqlite` in demo mode — demo rules never land in the database real customers are answered from.
   */
  sqliteFile: string;
  databaseUrl?: string;
  /** Redis for the wake-up signal between instances (scaled-out mode, with DATABASE_URL). */
  redisUrl?: string;
  /** null in demo mode until the embedded mock WeCom is started and fills it in. */
  wecom: WeComConfig | null;
  demo: boolean;
  adminToken: string;
  /** True when the admin token was generated for this run (demo mode prints it). */
  adminTokenGenerated: boolean;
  /** The corp's timezone for active hours (IANA name). */
  timezone: string;
  sqliteSync: 'FULL' | 'NORMAL';
  /** Messages older than this when pulled are stored but not auto-answered (e.g. 3 days of history on first connect). */
  staleAfterSeconds: number;
  /** A reply waiting for the customer's next message (the channel's allowance used up) is dropped after this long. */
  allowanceMaxWaitSeconds: number;
  /** WeReply desk: an operator set 在线 counts as away this long after the console's last heartbeat (WEREPLY_PRESENCE_TIMEOUT_SECONDS, default 90). */
  presenceTimeoutSeconds: number;
  logLevel: string;
  /** How long claimed work stays one instance's without renewal (WEREPLY_LEASE_SECONDS; default in jobs/lease.ts, 5 s). */
  leaseSeconds?: number;
  /** How long a stop (SIGTERM/SIGINT) may take before WeReply exits anyway (ms). */
  shutdownTimeoutMs: number;
  /** Console sign-ins and live streams (WEREPLY_SESSION_HOURS, WEREPLY_SESSION_REMEMBER_DAYS, WEREPLY_STREAMS_PER_OPERATOR). */
  sessions: { ttlMs: number; rememberTtlMs: number; streamsPerOperator: number };
  /** Limits of the worker that parses every uploaded file (src/imports/untrusted-file.ts). */
  imports: { timeoutMs: number; memoryMb: number };
  /** Total time the regex rules may take on one message (ms); past it the remaining regex rules are skipped, and recorded. */
  regexBudgetMs: number;
  /**
   * The address people open the console at (WEREPLY_PUBLIC_URL, no trailing slash): the redirect_uri
   * of 企业微信扫码登录 is built from it. Demo mode without it: the address the browser used.
   */
  publicUrl?: string;
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const wecomVars = ['WECOM_CORP_ID', 'WECOM_KF_SECRET', 'WECOM_TOKEN', 'WECOM_ENCODING_AES_KEY'] as const;
  const present = wecomVars.filter((k) => env[k]);
  if (present.length > 0 && present.length < wecomVars.length) {
    const missing = wecomVars.filter((k) => !env[k]);
    throw new ConfigError(`incomplete WeCom configuration: ${missing.join(', ')} missing (set all four, or none for demo mode)`);
  }
  const wecom: WeComConfig | null =
    present.length === wecomVars.length
      ? {
          corpId: env.WECOM_CORP_ID!,
          kfSecret: env.WECOM_KF_SECRET!,
          token: env.WECOM_TOKEN!,
          encodingAESKey: env.WECOM_ENCODING_AES_KEY!,
          apiBase: (env.WECOM_API_BASE || 'https://qyapi.weixin.qq.com').replace(/\/+$/, ''),
          ...(env.WECOM_AGENT_ID ? { agentId: env.WECOM_AGENT_ID } : {}),
          ...(env.WECOM_LOGIN_BASE ? { loginBase: httpUrl(env, 'WECOM_LOGIN_BASE') } : {}),
        }
      : null;
  if (wecom?.agentId !== undefined && !/^\d{1,12}$/.test(wecom.agentId)) {
    throw new ConfigError(`WECOM_AGENT_ID must be the app's AgentId, a number as shown in the WeCom admin (应用管理 → the app), got "${wecom.agentId}"`);
  }
  if (wecom && !/^[a-zA-Z0-9]{43}$/.test(wecom.encodingAESKey)) {
    throw new ConfigError('WECOM_ENCODING_AES_KEY must be exactly 43 characters [a-zA-Z0-9], as shown in the WeCom admin');
  }

  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT must be a port number, got "${env.PORT}"`);
  const demo = wecom === null;
  if (!demo && !env.WEREPLY_ADMIN_TOKEN) {
    throw new ConfigError('WEREPLY_ADMIN_TOKEN is required when WeCom is configured (the admin API is otherwise open)');
  }
  const adminToken = env.WEREPLY_ADMIN_TOKEN || crypto.randomBytes(18).toString('base64url');
  const timezone = env.WEREPLY_TIMEZONE || 'Asia/Shanghai';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new ConfigError(`WEREPLY_TIMEZONE "${timezone}" is not an IANA timezone name (e.g. Asia/Shanghai)`);
  }
  const sync = (env.WEREPLY_SQLITE_SYNC || 'FULL').toUpperCase();
  if (sync !== 'FULL' && sync !== 'NORMAL') throw new ConfigError('WEREPLY_SQLITE_SYNC must be FULL or NORMAL');

  const dataDir = path.resolve(env.WEREPLY_DATA_DIR || './data');
  return {
    port,
    host: env.HOST || '0.0.0.0',
    dataDir,
    sqliteFile: path.join(dataDir, demo ? 'demo.sqlite' : 'wereply.sqlite'),
    // Demo mode always runs on its own SQLite file: demo data must not reach a shared production database.
    ...(env.DATABASE_URL && !demo ? { databaseUrl: env.DATABASE_URL } : {}),
    ...(env.REDIS_URL && !demo ? { redisUrl: env.REDIS_URL } : {}),
    wecom,
    demo,
    adminToken,
    adminTokenGenerated: !env.WEREPLY_ADMIN_TOKEN,
    timezone,
    sqliteSync: sync,
    staleAfterSeconds: Number(env.WEREPLY_STALE_AFTER_SECONDS || 6 * 3600),
    allowanceMaxWaitSeconds: positive(env, 'WEREPLY_ALLOWANCE_MAX_WAIT_SECONDS', 24 * 3600),
    presenceTimeoutSeconds: positive(env, 'WEREPLY_PRESENCE_TIMEOUT_SECONDS', 90),
    logLevel: env.LOG_LEVEL || 'info',
    shutdownTimeoutMs: positive(env, 'WEREPLY_SHUTDOWN_TIMEOUT_SECONDS', 10) * 1000,
    ...(env.WEREPLY_LEASE_SECONDS ? { leaseSeconds: positive(env, 'WEREPLY_LEASE_SECONDS', 5) } : {}),
    sessions: sessionConfig(env),
    imports: {
      timeoutMs: positive(env, 'WEREPLY_IMPORT_TIMEOUT_MS', 15_000),
      memoryMb: positive(env, 'WEREPLY_IMPORT_MEMORY_MB', 256),
    },
    regexBudgetMs: positive(env, 'WEREPLY_REGEX_BUDGET_MS', 50),
    ...(env.WEREPLY_PUBLIC_URL ? { publicUrl: httpUrl(env, 'WEREPLY_PUBLIC_URL') } : {}),
  };
}

/** Console sessions: 12 h, 30 days with 记住我, at most 5 live streams per operator (each overridable). */
function sessionConfig(env: NodeJS.ProcessEnv): Config['sessions'] {
  return {
    ttlMs: positive(env, 'WEREPLY_SESSION_HOURS', 12) * 3600_000,
    rememberTtlMs: positive(env, 'WEREPLY_SESSION_REMEMBER_DAYS', 30) * 86400_000,
    streamsPerOperator: Math.floor(positive(env, 'WEREPLY_STREAMS_PER_OPERATOR', 5)),
  };
}

/** A positive number from the environment, or the default; anything else is a configuration error. */
function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`${name} must be a positive number, got "${raw}"`);
  return n;
}

/** An http(s) base URL from the environment, without a trailing slash, path kept; anything else is a configuration error. */
function httpUrl(env: NodeJS.ProcessEnv, name: string): string {
  const raw = String(env[name]).trim();
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL such as https://wereply.example.com, got "${raw}"`);
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.search || u.hash || u.username || u.password) {
    throw new ConfigError(`${name} must be a plain http(s) URL (no query, fragment or credentials) such as https://wereply.example.com, got "${raw}"`);
  }
  return `${u.origin}${u.pathname}`.replace(/\/+$/, '');
}
