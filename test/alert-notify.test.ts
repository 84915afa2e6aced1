/**
 * An alert's WeCom app message (message/send) is a job committed with the alert: it survives a
 * restart, is retried while WeCom is busy, is never delivered twice (an answer lost on the way
 * back is repeated under WeCom's duplicate check), and a refusal that no retry can fix (81013:
 * no recipient the app can reach) is recorded on the alert instead of retried forever.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createWeReply, type WeReply } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { startMockWeCom, type MockWeCom } from '../tools/mock-wecom/server.js';
import { ADMIN_TOKEN, eventually, weReplyEnv } from './stack.js';

const KF = 'wkMockKf0001';

describe('alert app messages (sqlite)', () => {
  let mock: MockWeCom;
  let wr: WeReply | undefined;
  let url = '';
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wereply-alerts-'));
  afterAll(async () => {
    await wr?.close();
    await mock?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async (env: Record<string, string> = {}) => {
    const config = loadConfig(weReplyEnv(mock, { PORT: '0', WEREPLY_DATA_DIR: dataDir, WEREPLY_SQLITE_SYNC: 'NORMAL', WECOM_AGENT_ID: '1000002', ...env }));
    wr = await createWeReply(config, { logger: pino({ level: 'silent' }), jobs: { pollMs: 50 } });
    url = await wr.listen();
    mock.setCallbackUrl(`${url}/wecom/kf/callback`);
  };
  const api = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(url + p, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return res.json() as Promise<any>;
  };
  const alertFor = (user: string) => eventually(async () => (await api('GET', '/api/alerts?status=all')).items.find((a: any) => a.external_userid === user), 10_000, `the alert for ${user}`);
  const risky = async (user: string) => {
    await mock.customerSays({ external_userid: user, text: '你好' });
    mock.setSessionState(KF, user, 3, mock.credentials.servicers[KF]![0]!);
    await mock.servicerSays({ external_userid: user, text: '我们保证提分' });
    return alertFor(user);
  };

  it('survives a restart while WeCom is busy, then is delivered once', async () => {
    mock = await startMockWeCom({ callbackRetryDelayMs: 300, members: ['sup_wang'] });
    await start();
    await api('PUT', '/api/settings/alerts', { notify_userids: ['sup_wang'], notify_supervisors: true });
    mock.injectFault({ path: '/cgi-bin/message/send', errcode: -1, times: 1000 });
    const alert = await risky('wm_restart');
    await mock.waitFor(() => mock.requests.filter((r) => r.path === '/cgi-bin/message/send').length >= 2, 10_000);
    expect((await api('GET', '/api/alerts?status=all')).items[0].notify_status).toBe('pending');
    await wr!.close();
    wr = undefined;
    mock.clearFaults();
    await start();
    await mock.waitFor(() => mock.appMessages.length >= 1, 15_000);
    await eventually(async () => (await api('GET', '/api/alerts?status=all')).items.find((a: any) => a.id === alert.id)?.notify_status === 'sent', 10_000, 'sent');
    expect(mock.appMessages.filter((m) => m.content.includes(`#${alert.id}`))).toHaveLength(1);
    expect(mock.appMessages[0]!.touser).toEqual(['sup_wang']);
  });

  it('an answer lost on the way back is repeated under WeCom’s duplicate check: the supervisor gets it once', async () => {
    const before = mock.appMessages.length;
    mock.injectFault({ path: '/cgi-bin/message/send', drop: 'after', times: 1 });
    const alert = await risky('wm_lost_answer');
    await eventually(async () => (await api('GET', '/api/alerts?status=all')).items.find((a: any) => a.id === alert.id)?.notify_status === 'sent', 15_000, 'sent');
    const calls = mock.appMessages.slice(before).filter((m) => m.content.includes(`#${alert.id}`));
    expect(calls.length).toBe(2);
    expect(calls.filter((m) => !m.duplicate)).toHaveLength(1);
  });

  it('81013 (no recipient the app can reach) is recorded on the alert, not retried', async () => {
    await api('PUT', '/api/settings/alerts', { notify_userids: ['not_a_member'], notify_supervisors: false });
    const alert = await risky('wm_nobody');
    const done = await eventually(async () => {
      const a = (await api('GET', '/api/alerts?status=all')).items.find((x: any) => x.id === alert.id);
      return a?.notify_status === 'failed' ? a : null;
    }, 10_000, 'failed');
    expect(done.notify_detail).toMatch(/81013/);
    const job = await wr!.store.db.selectFrom('jobs').selectAll().where('key', '=', `alert_notify:${alert.id}`).executeTakeFirst();
    expect(job).toBeUndefined();
  });

  it('without WECOM_AGENT_ID the alert says no app message can be sent', async () => {
    await wr!.close();
    await start({ WECOM_AGENT_ID: '' });
    await api('PUT', '/api/settings/alerts', { notify_userids: ['sup_wang'], notify_supervisors: true });
    const alert = await risky('wm_noagent');
    const a = await eventually(async () => {
      const x = (await api('GET', '/api/alerts?status=all')).items.find((y: any) => y.id === alert.id);
      return x?.notify_status === 'not_configured' ? x : null;
    }, 10_000, 'not_configured');
    expect(a.notify_detail).toMatch(/WECOM_AGENT_ID/);
  });
});
