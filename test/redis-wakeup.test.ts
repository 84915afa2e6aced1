/**
 * Scaled-out mode: PostgreSQL + Redis. One instance only takes callbacks (no workers), the other only
 * works, with polls far too slow to matter: the customer's reply arrives because the first instance's
 * notify woke the second through Redis. Also the signal itself, and a clear error without Redis.
 */
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createWeReply, type WeReply } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { RedisWakeup } from '../src/jobs/redis-wakeup.js';
import { startStack, TEST_DATABASE_URL, weReplyEnv, type Stack } from './stack.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SLOW_POLL_MS = 10 * 60_000;
const silent = pino({ level: 'silent' });

describe('Redis wake-up signal', () => {
  it('wakes a waiter in another instance, not itself twice, and only on its own channel', async () => {
    const ns = `t${Date.now()}`;
    const a = new RedisWakeup(REDIS_URL, ns, silent);
    const b = new RedisWakeup(REDIS_URL, ns, silent);
    const other = new RedisWakeup(REDIS_URL, `${ns}-other`, silent);
    await Promise.all([a.start(), b.start(), other.start()]);
    try {
      let otherWoken = false;
      void other.wait('outbox', SLOW_POLL_MS).then(() => (otherWoken = true));
      const woken = b.wait('outbox', SLOW_POLL_MS).then(() => 'woken');
      a.notify('outbox');
      expect(await woken).toBe('woken');
      // The notifier's own waiter is woken locally (once), the other deployment's not at all.
      await expect(a.wait('outbox', SLOW_POLL_MS)).resolves.toBeUndefined();
      await b.wait('jobs', 200); // a round trip through Redis for anything in flight
      expect(otherWoken).toBe(false);
    } finally {
      await Promise.all([a.close(), b.close(), other.close()]);
    }
  });

  it('refuses to start with a clear error when Redis cannot be reached', async () => {
    const s = await startStack('sqlite');
    try {
      const config = loadConfig(weReplyEnv(s.mock, { PORT: '0', WEREPLY_DATA_DIR: `${s.dataDir}/other`, REDIS_URL: 'redis://:secret@127.0.0.1:1' }));
      await expect(createWeReply(config, { logger: silent })).rejects.toThrow(/cannot reach Redis at REDIS_URL \(redis:\/\/:\*\*\*@127\.0\.0\.1:1\/?\)/);
    } finally {
      await s.close();
    }
  });
});

describe('two instances on PostgreSQL with Redis', () => {
  let s: Stack;
  let worker: WeReply | undefined;
  afterAll(async () => {
    await worker?.close();
    await s?.close();
  });

  it('a callback taken by one instance is pulled and answered by the other at once', async () => {
    // Instance 1 takes callbacks and the API only; instance 2 works, polling only every 10 minutes.
    s = await startStack('postgres', { env: { REDIS_URL }, wereply: { workers: false } });
    worker = await createWeReply(loadConfig(weReplyEnv(s.mock, { PORT: '0', WEREPLY_DATA_DIR: s.dataDir, DATABASE_URL: TEST_DATABASE_URL, REDIS_URL })), {
      logger: silent,
      pgSchema: s.pgSchema!,
      jobs: { pollMs: SLOW_POLL_MS },
      outbox: { pollMs: SLOW_POLL_MS },
    });
    await worker.listen();
    expect((await s.api('POST', '/api/rules', { name: '退货', match: { any: ['退货'] }, reply: [{ type: 'text', text: '退货请在订单页申请' }] })).status).toBe(201);
    // Let both pollers take their first (empty) look, so only a signal can wake them now.
    await new Promise((r) => setTimeout(r, 500));

    await s.mock.customerSays({ external_userid: 'wm_redis', text: '我要退货' });
    const sent = await s.mock.waitForSent(1, 15_000, (r) => r.body.touser === 'wm_redis');
    expect((sent[0]!.body.text as { content: string }).content).toBe('退货请在订单页申请');
  });
});
