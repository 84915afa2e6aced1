/**
 * `wereply backup` while WeReply runs under load (another process writing), `wereply restore` into a
 * fresh data folder, WeReply started on it: every message acknowledged before the backup is there,
 * the rest is pulled again from WeCom, and the database passes PRAGMA integrity_check.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { startMockWeCom, type MockWeCom } from '../tools/mock-wecom/server.js';
import { freePort, runWeReply, startWeReply, type Child } from './child.js';
import { ADMIN_TOKEN, eventually, sleep, weReplyEnv } from './stack.js';

function read<T>(file: string, text: string): T[] {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(text).all() as T[];
  } finally {
    db.close();
  }
}

describe('backup and restore', () => {
  let mock: MockWeCom | undefined;
  const children: Child[] = [];
  const dirs: string[] = [];
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'wereply-backup-'));
    dirs.push(d);
    return d;
  };
  afterAll(async () => {
    for (const c of children) c.proc.kill('SIGKILL');
    await mock?.close();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('backs up under load, restores into a fresh data folder, and WeReply starts on it with every acknowledged message', async () => {
    const live = tmp();
    const fresh = tmp();
    const backupFile = path.join(tmp(), 'wereply-backup.sqlite');
    mock = await startMockWeCom({ callbackRetryDelayMs: 300, callbackTimeoutMs: 1000 });
    const port = await freePort();
    mock.setCallbackUrl(`http://127.0.0.1:${port}/wecom/kf/callback`);
    const env = weReplyEnv(mock, { WEREPLY_DATA_DIR: live, LOG_LEVEL: 'warn' });
    const wr = await startWeReply(env, port, live);
    children.push(wr);
    const rule = await fetch(`http://127.0.0.1:${port}/api/rules`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: '问候', match: { any: ['你好'] }, reply: [{ type: 'text', text: '您好' }] }),
    });
    expect(rule.status).toBe(201);

    let n = 0;
    let flowing = true;
    const traffic = (async () => {
      while (flowing) {
        await mock!.customerSays({ external_userid: `wm_bk_${n % 25}`, text: `你好 ${n++}` });
        await sleep(5);
      }
    })();
    const liveFile = path.join(live, 'wereply.sqlite');
    await eventually(() => read<{ n: number }>(liveFile, 'SELECT count(*) n FROM messages')[0]!.n >= 40, 20_000, 'messages flowing');

    // Acknowledged before the backup starts: stored messages and the callbacks WeReply answered.
    const storedBefore = read<{ msgid: string }>(liveFile, 'SELECT msgid FROM messages').map((r) => r.msgid);
    const ackedBefore = mock.callbacks.filter((c) => c.status === 'delivered').map((c) => `token:${c.msgToken}`);
    const backup = runWeReply(['backup', '--out', backupFile], { WEREPLY_DATA_DIR: live }, tmp());
    expect(await backup.exited).toBe(0);
    expect(backup.output()).toMatch(/integrity_check ok/);

    // Restoring over the database of a running WeReply is refused.
    const refused = runWeReply(['restore', backupFile], { WEREPLY_DATA_DIR: live }, tmp());
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toMatch(/is running on/);

    await sleep(300); // more traffic after the backup: pulled again from WeCom after the restore
    flowing = false;
    await traffic;
    wr.proc.kill('SIGTERM');
    expect(await wr.exited).toBe(0);

    const restore = runWeReply(['restore', backupFile], { WEREPLY_DATA_DIR: fresh }, tmp());
    expect(await restore.exited).toBe(0);
    const freshFile = path.join(fresh, 'wereply.sqlite');
    const restored = new Set(read<{ msgid: string }>(freshFile, 'SELECT msgid FROM messages').map((r) => r.msgid));
    for (const m of storedBefore) expect(restored.has(m)).toBe(true);
    const restoredCallbacks = new Set(read<{ event_key: string }>(freshFile, 'SELECT event_key FROM kf_callbacks').map((r) => r.event_key));
    for (const k of ackedBefore) expect(restoredCallbacks.has(k)).toBe(true);

    // WeReply on the restored database: the messages since the backup are pulled again from WeCom.
    const again = await startWeReply({ ...env, WEREPLY_DATA_DIR: fresh }, port, fresh);
    children.push(again);
    const customerMsgids = mock.messages().filter((m) => m.origin === 3).map((m) => m.msgid);
    await eventually(() => read<{ n: number }>(freshFile, 'SELECT count(*) n FROM messages WHERE origin = 3')[0]!.n === customerMsgids.length, 30_000, 'every customer message in the restored database');
    again.proc.kill('SIGTERM');
    expect(await again.exited).toBe(0);
    expect(read(freshFile, 'PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
  }, 120_000);
});
