/**
 * The loop both workers run: claim work while there is capacity, run each item concurrently,
 * sleep on a wake-up topic (or the poll interval) when there is nothing to claim. While items run,
 * a heartbeat renews their leases (one batched renewal per beat), so a short lease is enough.
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
  /** Claims up to `max` items, never one of `running` (items this loop still runs). */
  claim(max: number, running: readonly T[]): Promise<T[]>;
  run(item: T): Promise<void>;
  describe(item: T): Record<string, unknown>;
  /** Renews the leases of the running items (called every `everyMs` while any run). */
  heartbeat?: { everyMs: number; renew(items: T[]): Promise<void> };
  /** Gives running items back (their leases end now), for `stop({ releaseAfterMs })`. */
  release?(items: T[]): Promise<void>;
}

export interface StopOptions {
  /**
   * Wait at most this long for the items in progress; then release those still running (another
   * instance may take them over at once) and return. Without it, stop waits for all of them.
   */
  releaseAfterMs?: number;
}

export class ClaimLoop<T> {
  private running = false;
  private readonly active = new Set<T>();
  /** Slots promised to items claimed elsewhere (inside another transaction) and not handed over yet. */
  private reserved = 0;
  private loop: Promise<void> | undefined;
  private beat: NodeJS.Timeout | undefined;
  private renewing = false;

  constructor(private readonly o: ClaimLoopOptions<T>) {}

  /** Items running now (the worker's fencing and tests read it). */
  get inProgress(): readonly T[] {
    return [...this.active];
  }

  /**
   * Reserves up to `max` slots for items another transaction is about to claim; answers how many.
   * Give them back with `adopt` (the items claimed) — also when fewer or none were claimed.
   */
  reserve(max: number): number {
    if (!this.running) return 0;
    const n = Math.max(0, Math.min(max, this.o.concurrency - this.active.size - this.reserved));
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

  /**
   * Stops claiming and waits for the items in progress (their leases are renewed meanwhile);
   * with `releaseAfterMs`, releases those still running after that long (see StopOptions).
   */
  async stop(opts: StopOptions = {}): Promise<void> {
    this.running = false;
    this.o.wakeup.notify(this.o.topic);
    await this.loop;
    const deadline = opts.releaseAfterMs === undefined ? Infinity : Date.now() + opts.releaseAfterMs;
    while (this.active.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await this.releaseActive();
  }

  /**
   * Gives back the items still running (a graceful shutdown out of time): another instance takes them
   * over at once instead of after their lease. Called by stop({ releaseAfterMs }) and by WeReply.close.
   */
  async releaseActive(): Promise<void> {
    if (this.active.size === 0 || !this.o.release) return;
    const left = [...this.active];
    this.stopBeat();
    try {
      await this.o.release(left);
      this.o.log.warn({ items: left.length }, `${this.o.topic}: released work still running at shutdown; another instance takes it over`);
    } catch (err) {
      this.o.log.error({ err }, `${this.o.topic}: releasing work at shutdown failed; its leases run out instead`);
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      let claimed: T[] = [];
      const free = this.o.concurrency - this.active.size - this.reserved;
      if (free > 0) {
        try {
          claimed = await this.o.claim(free, [...this.active]);
        } catch (err) {
          this.o.log.error({ err }, `claiming ${this.o.topic} work failed`);
        }
        for (const item of claimed) this.start1(item);
      }
      if (claimed.length === 0) await this.o.wakeup.wait(this.o.topic, this.o.pollMs);
    }
  }

  private start1(item: T): void {
    this.active.add(item);
    this.startBeat();
    void this.o
      .run(item)
      .catch((err) => this.o.log.error({ err, ...this.o.describe(item) }, `${this.o.topic} work failed; its lease will expire and it will be retried`))
      .finally(() => {
        this.active.delete(item);
        if (this.active.size === 0) this.stopBeat();
        if (this.active.size <= this.o.refillAt) this.o.wakeup.notify(this.o.topic);
      });
  }

  private startBeat(): void {
    const hb = this.o.heartbeat;
    if (!hb || this.beat) return;
    this.beat = setInterval(() => {
      if (this.renewing || this.active.size === 0) return;
      this.renewing = true;
      hb.renew([...this.active])
        .catch((err) => this.o.log.error({ err }, `renewing ${this.o.topic} leases failed; will try again at the next heartbeat`))
        .finally(() => (this.renewing = false));
    }, hb.everyMs);
    this.beat.unref();
  }

  private stopBeat(): void {
    clearInterval(this.beat);
    this.beat = undefined;
  }
}
