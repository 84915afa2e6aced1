/**
 * `wereply doctor` against the mock WeCom and a running WeReply: each setup mistake is reported with
 * ✘ and what to fix (40013 / 40001 at gettoken, 60020 企业可信IP and 48002 at the first API call,
 * a callback URL with other secrets, clock skew from the API host's Date header, Redis, database).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatChecklist, runDoctor, type Check } from '../src/cli/doctor.js';
import { startStack, weReplyEnv, type Stack } from './stack.js';
import { runWeReply } from './child.js';

const byName = (checks: Check[], name: string) => checks.find((c) => c.name === name);

describe('wereply doctor', () => {
  let s: Stack;
  let env: Record<string, string>;
  const dirs: string[] = [];
  beforeAll(async () => {
    s = await startStack('sqlite');
    env = weReplyEnv(s.mock, { WEREPLY_DATA_DIR: s.dataDir, WEREPLY_PUBLIC_URL: s.url, REDIS_URL: 'redis://127.0.0.1:6379' });
  });
  afterAll(async () => {
    await s?.close();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('passes every check on a working setup', async () => {
    const checks = await runDoctor(env);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.map((c) => c.name)).toEqual(['configuration', 'database', 'callback URL', 'gettoken', 'clock', '微信客服 API', 'Redis']);
    expect(formatChecklist(checks)).toMatch(/^✔ configuration/);
    expect(byName(checks, 'callback URL')!.detail).toMatch(/answered WeCom's signed verification/);
  });

  it('with WECOM_AGENT_ID: names the 可信域名 WeCom needs for 扫码登录, and fails without WEREPLY_PUBLIC_URL or over plain http', async () => {
    const { WEREPLY_PUBLIC_URL: _unset, ...withoutUrl } = env;
    const missing = byName(await runDoctor({ ...withoutUrl, WECOM_AGENT_ID: '1000002' }), 'sign-in with WeCom')!;
    expect(missing.ok).toBe(false);
    expect(missing.fix).toMatch(/WEREPLY_PUBLIC_URL/);
    const plain = byName(await runDoctor({ ...env, WECOM_AGENT_ID: '1000002' }), 'sign-in with WeCom')!;
    expect(plain.ok).toBe(false); // the stack serves http://127.0.0.1:…
    expect(plain.detail).toContain(`${new URL(s.url).host}`);
    expect(plain.fix).toMatch(/HTTPS/);
    // An https address on this machine (nothing listens there: only the callback check fails; no outside host is called).
    const https = byName(await runDoctor({ ...env, WECOM_AGENT_ID: '1000002', WEREPLY_PUBLIC_URL: 'https://127.0.0.1:9' }), 'sign-in with WeCom')!;
    expect(https).toMatchObject({ ok: true, detail: expect.stringContaining('可信域名 must be 127.0.0.1:9') });
    // Without WECOM_AGENT_ID there is no such check (sign-in with WeCom is off).
    expect(byName(await runDoctor(env), 'sign-in with WeCom')).toBeUndefined();
  });

  it('explains 40013 (CorpID) and 40001 (secret) from gettoken, and exits 1 from the CLI', async () => {
    const corp = byName(await runDoctor({ ...env, WECOM_CORP_ID: 'ww_wrong' }), 'gettoken')!;
    expect(corp.ok).toBe(false);
    expect(corp.detail).toMatch(/40013 不合法的CorpID/);
    expect(corp.fix).toMatch(/企业ID/);
    const secret = byName(await runDoctor({ ...env, WECOM_KF_SECRET: 'wrong' }), 'gettoken')!;
    expect(secret.detail).toMatch(/40001 不合法的secret参数/);
    expect(secret.fix).toMatch(/可调用接口的应用/);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wereply-doctor-'));
    dirs.push(dir);
    const cli = runWeReply(['doctor'], { ...env, WECOM_KF_SECRET: 'wrong' }, dir);
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toMatch(/✘ gettoken: 40001/);
    expect(cli.output()).toMatch(/✔ callback URL/);
  });

  it('explains 60020 (not from a 企业可信IP, with the IP WeCom saw) and 48002 (API not permitted)', async () => {
    s.mock.setAccess({ trustedIps: ['203.0.113.7'] });
    try {
      const ip = byName(await runDoctor(env), '微信客服 API')!;
      expect(ip.ok).toBe(false);
      expect(ip.detail).toMatch(/60020 .*企业可信IP.*from ip 127\.0\.0\.1/);
      expect(ip.fix).toMatch(/企业可信IP.*2022-06-20/);
    } finally {
      s.mock.setAccess({ trustedIps: [] });
    }
    s.mock.setAccess({ deniedApis: ['/cgi-bin/kf/account/list'] });
    try {
      const denied = byName(await runDoctor(env), '微信客服 API')!;
      expect(denied.detail).toMatch(/48002/);
      expect(denied.fix).toMatch(/可调用接口的应用/);
    } finally {
      s.mock.setAccess({ deniedApis: [] });
    }
  });

  it('calls the callback URL as WeCom does: other secrets than the running WeReply, or nothing listening, fail', async () => {
    const token = byName(await runDoctor({ ...env, WECOM_TOKEN: 'another-token' }), 'callback URL')!;
    expect(token.ok).toBe(false);
    expect(token.detail).toMatch(/answered 403/);
    expect(token.fix).toMatch(/WECOM_TOKEN/);
    const down = byName(await runDoctor({ ...env, WEREPLY_PUBLIC_URL: 'http://127.0.0.1:9' }), 'callback URL')!;
    expect(down.ok).toBe(false);
    expect(down.detail).toMatch(/no answer/);
    const unset = byName(await runDoctor({ ...env, WEREPLY_PUBLIC_URL: '' }), 'callback URL')!;
    expect(unset.fix).toMatch(/WEREPLY_PUBLIC_URL/);
  });

  it('reports configuration, database and Redis problems', async () => {
    const key = await runDoctor({ ...env, WECOM_ENCODING_AES_KEY: 'short' });
    expect(key).toEqual([expect.objectContaining({ name: 'configuration', ok: false, detail: expect.stringMatching(/43 characters/) })]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wereply-doctor-'));
    dirs.push(dir);
    const none = byName(await runDoctor({ ...env, WEREPLY_DATA_DIR: dir }), 'database')!;
    expect(none.ok).toBe(false);
    expect(none.detail).toMatch(/no database yet/);
    expect(fs.existsSync(path.join(dir, 'wereply.sqlite'))).toBe(false);
    // A database an older WeReply left (migrations missing): reported, not migrated by doctor.
    const old = new SQLite(path.join(dir, 'wereply.sqlite'));
    old.exec('CREATE TABLE kysely_migration (name varchar(255) PRIMARY KEY, timestamp varchar(255) NOT NULL)');
    old.close();
    const db = byName(await runDoctor({ ...env, WEREPLY_DATA_DIR: dir }), 'database')!;
    expect(db.ok).toBe(false);
    expect(db.detail).toMatch(/migration\(s\) not run yet/);
    const redis = byName(await runDoctor({ ...env, REDIS_URL: 'redis://127.0.0.1:1' }), 'Redis')!;
    expect(redis.ok).toBe(false);
  });

  it("reports clock skew against the WeCom host's Date header", async () => {
    s.mock.advanceClock(5 * 60_000);
    const clock = byName(await runDoctor(env), 'clock')!;
    expect(clock.ok).toBe(false);
    expect(clock.detail).toMatch(/behind WeCom's/);
    expect(clock.fix).toMatch(/NTP/);
  });
});
