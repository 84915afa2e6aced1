/**
 * Test harness: a mock WeCom plus a WeReply instance wired to it, on SQLite (a temp folder) or
 * PostgreSQL (a fresh schema in the `test` database), over real HTTP and real crypto.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { createWeReply, type CreateOptions, type WeReply } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { startMockWeCom, type MockWeCom, type MockWeComOptions } from '../tools/mock-wecom/server.js';

export type Engine = 'sqlite' | 'postgres';
export const ENGINES: Engine[] = ['sqlite', 'postgres'];
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const ADMIN_TOKEN = 'test-admin-token';

export interface Stack {
  mock: MockWeCom;
  wr: WeReply;
  url: string;
  dataDir: string;
  pgSchema?: string;
  /** A call to WeReply's API, with the admin token unless another is given. */
  api<T = any>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

export interface StackOptions {
  mock?: MockWeComOptions;
  wereply?: CreateOptions;
  env?: Record<string, string>;
}

/** The environment that points a WeReply at this mock WeCom (as a user's .env would). */
export function weReplyEnv(mock: MockWeCom, extra: Record<string, string>): Record<string, string> {
  return {
    HOST: '127.0.0.1',
    WECOM_CORP_ID: mock.credentials.corpId,
    WECOM_KF_SECRET: mock.credentials.kfSecret,
    WECOM_TOKEN: mock.credentials.token,
    WECOM_ENCODING_AES_KEY: mock.credentials.encodingAESKey,
    WECOM_API_BASE: mock.url,
    WEREPLY_ADMIN_TOKEN: ADMIN_TOKEN,
    ...extra,
  };
}

export async function startStack(engine: Engine, opts: StackOptions = {}): Promise<Stack> {
  const mock = await startMockWeCom({ callbackRetryDelayMs: 300, callbackTimeoutMs: 2000, ...opts.mock });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wereply-test-'));
  const pgSchema = engine === 'postgres' ? `t_${crypto.randomBytes(6).toString('hex')}` : undefined;
  const config = loadConfig(
    weReplyEnv(mock, {
      PORT: '0',
      WEREPLY_DATA_DIR: dataDir,
      WEREPLY_SQLITE_SYNC: 'NORMAL',
      ...(engine === 'postgres' ? { DATABASE_URL: TEST_DATABASE_URL } : {}),
      ...opts.env,
    }),
  );
  const wr = await createWeReply(config, {
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    ...(pgSchema ? { pgSchema } : {}),
    outbox: { pollMs: 50, ...opts.wereply?.outbox },
    ...opts.wereply,
  });
  const url = await wr.listen();
  mock.setCallbackUrl(`${url}/wecom/kf/callback`);
  return {
    mock,
    wr,
    url,
    dataDir,
    ...(pgSchema ? { pgSchema } : {}),
    async api(method, p, body, token = ADMIN_TOKEN) {
      const isForm = body instanceof FormData;
      const res = await fetch(url + p, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined && !isForm ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: isForm ? body : JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      let parsed: any = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed };
    },
    async close() {
      await wr.close();
      await mock.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
      if (pgSchema) await dropSchema(pgSchema);
    },
  };
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/** Polls until `fn` returns a truthy value. */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
