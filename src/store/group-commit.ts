/**
 * Group commit for the embedded SQLite database. SQLite has one writer and, with synchronous=FULL,
 * one fsync per commit: that fsync, not the SQL, bounds how many callbacks and sends per second a
 * single file can take. Writes that arrive while a commit is in progress are collected and
 * committed together in the next transaction; each caller still resolves only after its own
 * write is durable. (PostgreSQL does its own group commit; there writes run in their own transactions.)
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

type Work<T> = (trx: Transaction<Database>) => Promise<T>;

interface Pending {
  work: Work<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

export class GroupCommit {
  private queue: Pending[] = [];
  private flushing = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly maxBatch = 256,
  ) {}

  write<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      if (!this.flushing) {
        this.flushing = true;
        // Let the writes of this tick (e.g. concurrent requests) join the first batch.
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        let results: unknown[];
        try {
          results = await this.db.transaction().execute(async (trx) => {
            const out: unknown[] = [];
            for (const p of batch) out.push(await p.work(trx));
            return out;
          });
        } catch (err) {
          if (batch.length === 1) {
            batch[0]!.reject(err);
            continue;
          }
          // One write failed and rolled the batch back: run each alone so only that one fails.
          for (const p of batch) {
            try {
              p.resolve(await this.db.transaction().execute(p.work));
            } catch (e) {
              p.reject(e);
            }
          }
          continue;
        }
        batch.forEach((p, i) => p.resolve(results[i]));
        // better-sqlite3 answers synchronously, so a run of batches is one long chain of microtasks:
        // let the event loop take sockets and timers between batches, or I/O starves under load.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.flushing = false;
      if (this.queue.length > 0) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    }
  }
}
