/**
 * Graceful stop with two instances on PostgreSQL: the stopping instance answers callbacks 503 and
 * claims nothing new, the other takes over the work; nothing is lost and nothing sent twice. A pull
 * job held by an instance whose stop timed out is released at once, not after its lease.
 */
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createWeReply, type WeReply } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { eventually, sleep, startStack, TEST_DATABASE_URL, weReplyEnv, type Stack } from './stack.js';

const CUSTOMERS = 40;

describe('graceful stop, two instances on PostgreSQL', () => {
  const stacks: Stack[] = [];
  const others: WeReply[] = [];
  afterAll(async () => {
    for (const o of others) await o.close();
    for (const s of stacks) await s.close();
  });

  async function pair(): Promise<{ s: Stack; b: WeReply; bUrl: string }> {
    const s = await startStack('postgres', { wereply: { outbox: { pollMs: 20 } } });
    stacks.push(s);
    const b = await createWeReply(loadConfig(weReplyEnv(s.mock, { PORT: '0', WEREPLY_DATA_DIR: s.dataDir, DATABASE_URL: TEST_DATABASE_URL })), {
      logger: pino({ level: 'silent' }),
      pgSchema: s.pgSchema!,
      outbox: { pollMs: 20 },
    });
    others.push(b);
    const bUrl = await b.listen();
    const rule = await s.api('POST', '/api/rules', { name: '问候', match: { any: ['你好'] }, reply: [{ type: 'text', text: '您好' }] });
    expect(rule.status).toBe(201);
    return { s, b, bUrl };
  }

  it('the stopping instance refuses callbacks with 503 and finishes its sends; the other answers the rest; one send per msgid', async () => {
    const { s, bUrl } = await pair();
    s.mock.injectFault({ path: '/cgi-bin/kf/send_msg', delayMs: 300, times: 1_000_000 });
    let next = 0;
    const say = () => s.mock.customerSays({ external_userid: `wm_pg_${next}`, text: `你好 ${next++}` });
    while (next < CUSTOMERS / 2) await say();
    await eventually(async () => (await s.wr.store.db.selectFrom('outbox_attempts').select('id').where('outcome', '=', 'in_flight').execute()).length > 0, 10_000, 'sends in flight');

    const closing = s.wr.close({ timeoutMs: 10_000 });
    expect(s.wr.stopping).toBe(true);
    const refused = await fetch(`${s.url}/wecom/kf/callback?msg_signature=x&timestamp=1&nonce=n`, { method: 'POST', body: '<xml/>' });
    expect(refused.status).toBe(503);
    // The proxy now sends WeCom's callbacks to the other instance.
    s.mock.setCallbackUrl(`${bUrl}/wecom/kf/callback`);
    while (next < CUSTOMERS) {
      await say();
      await sleep(10);
    }
    expect(await closing).toEqual({ forced: false, inFlight: 0 });

    const b = others.at(-1)!;
    const delivered = () => new Set(s.mock.sent.filter((r) => r.errcode === 0).map((r) => r.msgid)).size;
    await eventually(() => delivered() === CUSTOMERS, 60_000, `all ${CUSTOMERS} replies`);
    await eventually(async () => (await b.store.db.selectFrom('outbox').select('id').where('status', '<>', 'sent').execute()).length === 0, 10_000, 'every outcome recorded');
    const calls = new Map<string, number>();
    for (const r of s.mock.sent) calls.set(r.msgid!, (calls.get(r.msgid!) ?? 0) + 1);
    expect([...calls.values()].filter((n) => n > 1)).toEqual([]);
    expect(await b.store.db.selectFrom('outbox_attempts').select('outcome').where('outcome', '<>', 'ok').execute()).toEqual([]);
    const messages = await b.store.db.selectFrom('messages').select('msgid').where('origin', '=', 3).execute();
    expect(messages.length).toBe(CUSTOMERS);
    // Both instances sent: the stopping one finished what it had claimed, the other took the rest.
    const workers = await b.store.db.selectFrom('outbox_attempts').select('worker').distinct().execute();
    expect(workers.length).toBe(2);
  }, 120_000);

  it('a stop that times out during a pull releases the pull job at once for the other instance', async () => {
    const { s, b } = await pair();
    // WeCom holds this instance's sync_msg for 30 s; its job lease is 30 s too.
    s.mock.injectFault({ path: '/cgi-bin/kf/sync_msg', delayMs: 30_000, times: 1 });
    await s.mock.customerSays({ external_userid: 'wm_pg_pull', text: '你好' });
    await eventually(async () => (await s.wr.store.db.selectFrom('jobs').select('locked_by').where('locked_by', 'is not', null).execute()).length > 0, 10_000, 'the pull job claimed');
    const stopped = await s.wr.close({ timeoutMs: 500 });
    expect(stopped.forced).toBe(true);
    expect(await b.store.db.selectFrom('jobs').select('locked_by').where('locked_by', 'is not', null).execute()).toEqual([]);
    // The other instance pulls it now (its poll finds the released job), not after the lease.
    await eventually(() => s.mock.sent.some((r) => r.touser === 'wm_pg_pull' && r.errcode === 0), 10_000, 'the reply sent by the other instance');
    expect((await b.store.db.selectFrom('messages').select('msgid').execute()).length).toBe(1);
  }, 60_000);
});
