/**
 * On PostgreSQL a pull that fails (WeCom -1 / 45009, a dropped connection, a failed gettoken) is
 * rescheduled by its backoff and retried within about a second — not left locked until its lease
 * runs out (a fractional retry time used to be refused by the bigint column, so the failure was never
 * recorded). Also: when recording a failure itself fails, the job is released, not left locked.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobQueue } from '../src/jobs/job-queue.js';
import { JobRunner, retryDelayMs } from '../src/jobs/job-runner.js';
import { LocalWakeup } from '../src/jobs/wakeup.js';
import type { Fault } from '../tools/mock-wecom/server.js';
import { eventually, startStack, type Stack } from './stack.js';

const JOBS_POLL_MS = 50;
/** A local pull and its handling on a busy 2-core machine, far below any lease. */
const PROCESSING_ALLOWANCE_MS = 1000;

describe('a failed pull on PostgreSQL', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack('postgres', { wereply: { jobs: { pollMs: JOBS_POLL_MS } } });
    expect((await s.api('POST', '/api/rules', { name: '你好', match: { any: ['你好'] }, reply: [{ type: 'text', text: '您好' }] })).status).toBe(201);
  });
  afterAll(async () => s?.close());

  const cases: { name: string; fault: Fault; before?: () => void }[] = [
    { name: 'errcode -1 (system busy)', fault: { path: '/cgi-bin/kf/sync_msg', errcode: -1 } },
    { name: 'errcode 45009 (frequency)', fault: { path: '/cgi-bin/kf/sync_msg', errcode: 45009 } },
    { name: 'a dropped connection', fault: { path: '/cgi-bin/kf/sync_msg', drop: 'before' } },
    { name: 'a failed gettoken', fault: { path: '/cgi-bin/gettoken', errcode: -1 }, before: () => s.mock.invalidateAccessTokens() },
  ];
  for (const [i, c] of cases.entries()) {
    it(`is retried by its backoff after ${c.name}`, async () => {
      const customer = `wm_retry_${i}`;
      c.before?.();
      s.mock.injectFault(c.fault);
      const from = s.mock.requests.length;
      await s.mock.customerSays({ external_userid: customer, text: '你好' });
      await s.mock.waitForSent(1, 10_000, (r) => r.touser === customer && r.errcode === 0);

      const calls = s.mock.requests.slice(from).filter((r) => r.path === c.fault.path);
      const failed = calls.findIndex((r) => r.fault !== undefined || (r.errcode !== null && r.errcode !== 0));
      expect(failed).toBeGreaterThanOrEqual(0);
      const retried = calls[failed + 1];
      expect(retried, 'the pull was tried again').toBeDefined();
      // The retry came from the recorded backoff (first retry), not from a lease running out.
      expect(retried!.at - calls[failed]!.at).toBeLessThan(retryDelayMs(0, 1) + JOBS_POLL_MS + PROCESSING_ALLOWANCE_MS);
      // Recorded: nothing of this account's pull is left locked or pending.
      await eventually(async () => (await s.wr.store.db.selectFrom('jobs').selectAll().execute()).length === 0, 5000, 'the pull job finished');
    });
  }

  it('releases a job whose failure could not be recorded, so it runs again at once', async () => {
    const queue = new JobQueue(s.wr.store, 'test-worker');
    const failing = Object.assign(Object.create(queue) as JobQueue, {
      fail: async () => {
        throw new Error('database refused the write');
      },
    });
    const errors: string[] = [];
    const log = pino({ level: 'error' }, { write: (line: string) => errors.push(JSON.parse(line).msg) });
    const runner = new JobRunner({ queue: failing, wakeup: new LocalWakeup(), log, pollMs: JOBS_POLL_MS });
    let runs = 0;
    const ranTwice = new Promise<void>((resolve) =>
      runner.register('test_flaky', async () => {
        runs++;
        if (runs === 1) throw new Error('first run fails');
        resolve();
      }),
    );
    await queue.enqueue(s.wr.store.db, 'test_flaky', 'test_flaky:1', {}, Date.now());
    runner.start();
    try {
      await ranTwice;
    } finally {
      await runner.stop();
    }
    expect(errors.some((m) => /recording the failure .* failed; released/.test(m))).toBe(true);
  });
});
