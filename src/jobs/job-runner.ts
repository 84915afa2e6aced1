/**
 * Runs durable jobs: claims due jobs, runs their handler, completes or reschedules them with
 * exponential backoff. Several runners (in one or several processes) share one jobs table.
 */
import type { Logger } from 'pino';
import type { Job, JobQueue } from './job-queue.js';
import { ClaimLoop } from './claim-loop.js';
import type { Wakeup } from './wakeup.js';

export type JobHandler = (job: Job) => Promise<void>;

export interface JobRunnerOptions {
  queue: JobQueue;
  wakeup: Wakeup;
  log: Logger;
  /** Jobs run at the same time (different keys). */
  concurrency?: number;
  leaseMs?: number;
  pollMs?: number;
}

export class JobRunner {
  private readonly handlers = new Map<string, JobHandler>();
  private readonly loop: ClaimLoop<Job>;

  constructor(private readonly opts: JobRunnerOptions) {
    const concurrency = opts.concurrency ?? 4;
    const leaseMs = opts.leaseMs ?? 60_000;
    this.loop = new ClaimLoop<Job>({
      topic: 'jobs',
      wakeup: opts.wakeup,
      log: opts.log,
      concurrency,
      pollMs: opts.pollMs ?? 500,
      refillAt: concurrency - 1,
      claim: async () => {
        const job = await opts.queue.claim([...this.handlers.keys()], leaseMs);
        return job ? [job] : [];
      },
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

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async execute(job: Job): Promise<void> {
    const handler = this.handlers.get(job.kind);
    try {
      if (!handler) throw new Error(`no handler for job kind ${job.kind}`);
      await handler(job);
      await this.opts.queue.complete(job);
    } catch (err) {
      const delay = Math.min(60_000, 500 * 2 ** job.attempts) * (0.5 + Math.random() / 2);
      this.opts.log.warn({ err, job: { id: job.id, kind: job.kind, key: job.key, attempts: job.attempts } }, 'job failed; will retry');
      try {
        await this.opts.queue.fail(job, String((err as Error)?.message ?? err), Date.now() + delay);
      } catch (e) {
        this.opts.log.error({ err: e }, 'recording a job failure failed');
      }
    }
  }
}
