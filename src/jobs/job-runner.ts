/**
 * Runs durable jobs: claims due jobs, runs their handler, completes or reschedules them with
 * exponential backoff. Several runners (in one or several processes) share one jobs table.
 */
import type { Logger } from 'pino';
import type { Job, JobQueue } from './job-queue.js';
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
  private running = false;
  private active = 0;
  private loop: Promise<void> | undefined;

  constructor(private readonly opts: JobRunnerOptions) {}

  register(kind: string, handler: JobHandler): void {
    this.handlers.set(kind, handler);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.opts.wakeup.notify('jobs');
    await this.loop;
    while (this.active > 0) await new Promise((r) => setTimeout(r, 10));
  }

  private async run(): Promise<void> {
    const kinds = [...this.handlers.keys()];
    const concurrency = this.opts.concurrency ?? 4;
    const leaseMs = this.opts.leaseMs ?? 60_000;
    while (this.running) {
      let claimed = false;
      if (this.active < concurrency) {
        try {
          const job = await this.opts.queue.claim(kinds, leaseMs);
          if (job) {
            claimed = true;
            this.active++;
            void this.execute(job).finally(() => {
              this.active--;
              this.opts.wakeup.notify('jobs');
            });
          }
        } catch (err) {
          this.opts.log.error({ err }, 'claiming a job failed');
        }
      }
      if (!claimed) await this.opts.wakeup.wait('jobs', this.opts.pollMs ?? 500);
    }
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
