/**
 * Demo data never answers real customers: demo mode has its own database file, and WeCom mode refuses
 * a database that demo mode seeded, naming `npx wereply demo-reset`, which removes the demo data and
 * keeps the rules someone created or edited.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createWeReply } from '../src/app.js';
import { seedDemo } from '../src/cli/demo-seed.js';
import { demoResetCommand } from '../src/cli/demo-reset.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { MaterialStore } from '../src/materials/material-store.js';
import { openStore } from '../src/store/database.js';
import { startMockWeCom, type MockWeCom } from '../tools/mock-wecom/server.js';
import { freePort, runWeReply, startWeReply } from './child.js';
import { ADMIN_TOKEN, eventually, weReplyEnv } from './stack.js';

const silent = pino({ level: 'silent' });

describe('demo data stays out of WeCom mode', () => {
  const dirs: string[] = [];
  const mocks: MockWeCom[] = [];
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'wereply-demo-db-'));
    dirs.push(d);
    return d;
  };
  afterAll(async () => {
    for (const m of mocks) await m.close();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('after a demo run, WeCom mode on the same data folder starts without demo rules and answers nothing with them', async () => {
    const dataDir = tmp();
    const port = await freePort();
    const demo = await startWeReply({ WEREPLY_DATA_DIR: dataDir, MOCK_WECOM_PORT: String(await freePort()), WECOM_CORP_ID: '', WECOM_KF_SECRET: '', WECOM_TOKEN: '', WECOM_ENCODING_AES_KEY: '', WEREPLY_ADMIN_TOKEN: '', HOST: '127.0.0.1' }, port, dataDir);
    const demoRules = await fetch(`http://127.0.0.1:${port}/api/rules`, { headers: { authorization: `Bearer ${/Admin token \(this run\): (\S+)/.exec(demo.output())?.[1]}` } });
    expect(((await demoRules.json()) as unknown[]).length).toBeGreaterThan(5);
    demo.proc.kill('SIGTERM');
    expect(await demo.exited).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'demo.sqlite'))).toBe(true);

    const mock = await startMockWeCom({ callbackRetryDelayMs: 200 });
    mocks.push(mock);
    const wr = await createWeReply(loadConfig(weReplyEnv(mock, { PORT: '0', WEREPLY_DATA_DIR: dataDir, WEREPLY_SQLITE_SYNC: 'NORMAL' })), { logger: silent, outbox: { pollMs: 50 } });
    try {
      const url = await wr.listen();
      mock.setCallbackUrl(`${url}/wecom/kf/callback`);
      const rules = await fetch(`${url}/api/rules`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(await rules.json()).toEqual([]);
      // 我想退货 would match the demo's 退货退款 rule; a 转人工 would meet the demo servicers.
      await mock.customerSays({ external_userid: 'wm_real_customer', text: '我想退货' });
      await eventually(async () => (await wr.store.db.selectFrom('messages').select('decision').where('external_userid', '=', 'wm_real_customer').executeTakeFirst())?.decision, 10_000, 'the message stored and decided');
      expect(await wr.store.db.selectFrom('outbox').selectAll().execute()).toEqual([]);
      expect(mock.sent).toEqual([]);
      expect(await wr.store.db.selectFrom('servicers').selectAll().where('userid', 'like', 'mock_servicer_%').execute()).toEqual([]);
    } finally {
      await wr.close();
    }
  }, 90_000);

  it('refuses a database demo mode seeded, naming demo-reset; demo-reset removes the demo data and keeps the rules someone edited', async () => {
    const dataDir = tmp();
    // A wereply.sqlite seeded by demo mode (as every demo run did before demo mode had its own file).
    const store = await openStore({ dataDir });
    await seedDemo(store.db, new MaterialStore(store.db, dataDir));
    const edited = await store.db.selectFrom('rules').select('id').where('name', '=', '物流查询').executeTakeFirstOrThrow();
    await store.db.updateTable('rules').set({ updated_at: Date.now() + 1000 }).where('id', '=', edited.id).execute();
    await store.close();

    const mock = await startMockWeCom({ callbackRetryDelayMs: 200 });
    mocks.push(mock);
    const env = weReplyEnv(mock, { PORT: '0', WEREPLY_DATA_DIR: dataDir, WEREPLY_SQLITE_SYNC: 'NORMAL' });
    const refused = await createWeReply(loadConfig(env), { logger: silent }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(ConfigError);
    expect(String((refused as Error).message)).toMatch(/seeded by demo mode/);
    expect(String((refused as Error).message)).toContain('npx wereply demo-reset');

    // The same through the CLI: exit code 1 and the message.
    const cli = runWeReply(['start'], { ...env, PORT: String(await freePort()) }, dataDir);
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toContain('npx wereply demo-reset');

    const out: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
    try {
      expect(await demoResetCommand({ WEREPLY_DATA_DIR: dataDir })).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    expect(out.join('')).toContain('物流查询');

    const wr = await createWeReply(loadConfig(env), { logger: silent, outbox: { pollMs: 50 } });
    try {
      const url = await wr.listen();
      mock.setCallbackUrl(`${url}/wecom/kf/callback`);
      expect((await wr.store.db.selectFrom('rules').select('name').execute()).map((r) => r.name)).toEqual(['物流查询']);
      expect(await wr.store.db.selectFrom('servicers').selectAll().execute()).toEqual([]);
      expect(await wr.store.db.selectFrom('routing_versions').selectAll().execute()).toEqual([]);
      await mock.customerSays({ external_userid: 'wm_real_customer', text: '我想退货' });
      await eventually(async () => (await wr.store.db.selectFrom('messages').select('decision').executeTakeFirst())?.decision, 10_000, 'the message stored and decided');
      expect(mock.sent).toEqual([]);
    } finally {
      await wr.close();
    }
  }, 90_000);
});
