/**
 * Runs durable jobs: claims due jobs, runs their handler, completes or reschedules them with
 * exponential backoff. Several runners (in one or several processes) share one jobs table.
 */
import type { Logger } from 'pino';
import type { Job, JobQueue } from './job-queue.js';
import { ClaimLoop, type StopOptions } from './claim-loop.js';
import { leaseTiming, type LeaseTiming } from './lease.js';
import { epochMs } from '../store/whole-numbers.js';
import type { Wakeup } from './wakeup.js';

/** The wait before retry n+1 of a failed job (jitter: random in [0, 1)). */
export function retryDelayMs(attempts: number, jitter = Math.random()): number {
  return Math.min(60_000, 500 * 2 ** attempts) * (0.5 + jitter / 2);
}

export type JobHandler = (job: Job) => Promise<void>;

export interface JobRunnerOptions {
  queue: JobQueue;
  wakeup: Wakeup;
  log: Logger;
  /** Jobs run at the same time (different keys). */
  concurrency?: number;
  /** How long a claimed job is ours without renewal, and how often running jobs renew (see lease.ts). */
  lease?: Partial<LeaseTiming>;
  pollMs?: number;
}

export class JobRunner {
  private readonly handlers = new Map<string, JobHandler>();
  private readonly loop: ClaimLoop<Job>;
  readonly lease: LeaseTiming;

  constructor(private readonly opts: JobRunnerOptions) {
    const concurrency = opts.concurrency ?? 4;
    const { leaseMs, heartbeatMs } = (this.lease = leaseTiming(opts.lease));
    this.loop = new ClaimLoop<Job>({
      topic: 'jobs',
      wakeup: opts.wakeup,
      log: opts.log,
      concurrency,
      pollMs: opts.pollMs ?? 500,
      refillAt: concurrency - 1,
      claim: async (_max, running) => {
        const job = await opts.queue.claim([...this.handlers.keys()], leaseMs, Date.now(), running);
        return job ? [job] : [];
      },
      heartbeat: { everyMs: heartbeatMs, renew: (jobs) => opts.queue.renew(jobs, leaseMs) },
      release: (jobs) => opts.queue.release(jobs),
      run: (job) => this.execute(job),
      describe: (job) => ({ job: { id: job.id, kind: job.kind, key: job.key } }),
    });
  }

  register(kind: string, handler: JobHandler): void {
    this.handlers.set(kind, handler);
  }

  start(): void {
    this.loop.start();
  }

  /** Stops claiming; waits for running jobs (or, with releaseAfterMs, releases those still running then). */
  stop(opts?: StopOptions): Promise<void> {
    return this.loop.stop(opts);
  }

  /** Releases the jobs still running (a pull is idempotent: its cursor commits with its messages). */
  releaseRunning(): Promise<void> {
    return this.loop.releaseActive();
  }

  private async execute(job: Job): Promise<void> {
    const handler = this.handlers.get(job.kind);
    try {
      if (!handler) throw new Error(`no handler for job kind ${job.kind}`);
      await handler(job);
      await this.opts.queue.complete(job);
    } catch (err) {
      const described = { id: job.id, kind: job.kind, key: job.key, attempts: job.attempts };
      const retryAt = epochMs(Date.now() + retryDelayMs(job.attempts));
      this.opts.log.warn({ err, job: described, retry_at: retryAt }, 'job failed; will retry');
      try {
        await this.opts.queue.fail(job, String((err as Error)?.message ?? err), retryAt);
      } catch (e) {
        // Never leave it locked silently: give it back so that it runs again (now, without backoff).
        try {
          await this.opts.queue.release([job]);
          this.opts.log.error({ err: e, job: described }, `recording the failure of job ${job.key} failed; released it so that it runs again`);
        } catch (e2) {
          this.opts.log.error({ err: e, release_err: e2, job: described }, `recording the failure of job ${job.key} failed and so did releasing it; it runs again when its lease ends (${this.lease.leaseMs} ms)`);
        }
      }
    }
  }
}
