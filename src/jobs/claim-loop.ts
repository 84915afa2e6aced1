/**
 * The loop both workers run: claim work while there is capacity, run each item concurrently,
 * sleep on a wake-up topic (or the poll interval) when there is nothing to claim.
 */
import type { Logger } from 'pino';
import type { Topic, Wakeup } from './wakeup.js';

export interface ClaimLoopOptions<T> {
  topic: Topic;
  wakeup: Wakeup;
  log: Logger;
  /** Items run at the same time. */
  concurrency: number;
  pollMs: number;
  /** A finished item wakes the loop only when this many or fewer are still running (batch refills). */
  refillAt: number;
  claim(max: number): Promise<T[]>;
  run(item: T): Promise<void>;
  describe(item: T): Record<string, unknown>;
}

export class ClaimLoop<T> {
  private running = false;
  private active = 0;
  /** Slots promised to items claimed elsewhere (inside another transaction) and not handed over yet. */
  private reserved = 0;
  private loop: Promise<void> | undefined;

  constructor(private readonly o: ClaimLoopOptions<T>) {}

  /**
   * Reserves up to `max` slots for items another transaction is about to claim; answers how many.
   * Give them back with `adopt` (the items claimed) — also when fewer or none were claimed.
   */
  reserve(max: number): number {
    if (!this.running) return 0;
    const n = Math.max(0, Math.min(max, this.o.concurrency - this.active - this.reserved));
    this.reserved += n;
    return n;
  }

  /** Runs items claimed elsewhere in the slots reserved for them (the rest of the reservation is freed). */
  adopt(reservedSlots: number, items: T[]): void {
    this.reserved -= reservedSlots;
    for (const item of items) this.start1(item);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Items running now (graceful shutdown reports what it left in flight). */
  get inProgress(): number {
    return this.active;
  }

  /** Stops claiming (at once, before the first await) and waits for the items in progress. */
  async stop(): Promise<void> {
    this.running = false;
    this.o.wakeup.notify(this.o.topic);
    await this.loop;
    while (this.active > 0) await new Promise((r) => setTimeout(r, 10));
  }

  private async run(): Promise<void> {
    while (this.running) {
      let claimed: T[] = [];
      if (this.active + this.reserved < this.o.concurrency) {
        try {
          claimed = await this.o.claim(this.o.concurrency - this.active - this.reserved);
        } catch (err) {
          this.o.log.error({ err }, `claiming ${this.o.topic} work failed`);
        }
        for (const item of claimed) this.start1(item);
      }
      if (claimed.length === 0) await this.o.wakeup.wait(this.o.topic, this.o.pollMs);
    }
  }

  private start1(item: T): void {
    this.active++;
    void this.o
      .run(item)
      .catch((err) => this.o.log.error({ err, ...this.o.describe(item) }, `${this.o.topic} work failed; its lease will expire and it will be retried`))
      .finally(() => {
        this.active--;
        if (this.active <= this.o.refillAt) this.o.wakeup.notify(this.o.topic);
      });
  }
}
