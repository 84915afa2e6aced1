/**
 * Wakes idle workers when there is new work, so a reply does not wait for the next poll.
 * In-process by default; the scaled-out mode swaps in a Redis-backed signal with the same shape.
 * Workers also poll, so a lost signal only delays work, it never loses it.
 */
import { EventEmitter } from 'node:events';

export type Topic = 'jobs' | 'outbox';

export interface Wakeup {
  notify(topic: Topic): void;
  /** Resolves on the next notify(topic) or after timeoutMs, whichever comes first. */
  wait(topic: Topic, timeoutMs: number): Promise<void>;
}

export class LocalWakeup implements Wakeup {
  private readonly events = new EventEmitter();
  private readonly pending = new Set<Topic>();

  constructor() {
    this.events.setMaxListeners(0);
  }

  notify(topic: Topic): void {
    this.pending.add(topic);
    this.events.emit(topic);
  }

  wait(topic: Topic, timeoutMs: number): Promise<void> {
    // A notify that came while the worker was busy counts: don't sleep past it.
    if (this.pending.delete(topic)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.events.off(topic, done);
        this.pending.delete(topic);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.events.once(topic, done);
    });
  }
}
