/**
 * Durable jobs in the database (the kf_sync pulls, later scheduled sends). A job is claimed with a
 * lease, so a crashed worker's job is taken over when the lease runs out; jobs with the same key are
 * coalesced, so a burst of callbacks for one kf account becomes one pull that sees them all.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database, JobRow } from '../store/schema.js';
import type { Store } from '../store/database.js';

export interface Job<P = unknown> {
  id: number;
  kind: string;
  key: string;
  payload: P;
  attempts: number;
  /** The raw payload as claimed (to detect a newer coalesced payload). */
  rawPayload: string;
}

export class JobQueue {
  private readonly db: Kysely<Database>;

  constructor(
    private readonly store: Store,
    private readonly workerId: string,
  ) {
    this.db = store.db;
  }

  /**
   * Inserts the job, or replaces the payload of the pending job with the same key (the newer
   * callback token wins). A job being run keeps running and is run again after, with this payload.
   */
  async enqueue(trx: Kysely<Database> | Transaction<Database>, kind: string, key: string, payload: unknown, runAt: number): Promise<void> {
    const json = JSON.stringify(payload);
    // Runs once per callback: the sql tag, not the builder (a third of the cost).
    await sql`
      INSERT INTO jobs (kind, key, payload, run_at, attempts, locked_by, locked_until, last_error, created_at)
      VALUES (${kind}, ${key}, ${json}, ${runAt}, 0, NULL, NULL, NULL, ${runAt})
      ON CONFLICT (key) DO UPDATE SET payload = excluded.payload, run_at = excluded.run_at, attempts = 0`.execute(trx);
  }

  /**
   * Embedded mode (SQLite) has one process: a job being run is held in memory instead of by a
   * written lease, which saves a commit — an fsync — on the way from callback to reply. A crash
   * holds nothing, so the job simply runs again.
   */
  private readonly runningHere = new Set<number>();

  /** Claims one due job of the given kinds, or undefined. */
  async claim(kinds: string[], leaseMs: number, now = Date.now()): Promise<Job | undefined> {
    if (this.store.engine === 'sqlite') {
      const rows = await this.db
        .selectFrom('jobs')
        .selectAll()
        .where('kind', 'in', kinds)
        .where('run_at', '<=', now)
        .orderBy('run_at')
        .limit(this.runningHere.size + 1)
        .execute();
      const row = rows.find((r) => !this.runningHere.has(Number(r.id)));
      if (!row) return undefined;
      this.runningHere.add(Number(row.id));
      return toJob(row);
    }
    return this.store.write(async (trx) => {
      const row = await trx
        .selectFrom('jobs')
        .selectAll()
        .where('kind', 'in', kinds)
        .where('run_at', '<=', now)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
        .orderBy('run_at')
        .limit(1)
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (!row) return undefined;
      await trx.updateTable('jobs').set({ locked_by: this.workerId, locked_until: now + leaseMs }).where('id', '=', row.id).execute();
      return toJob(row);
    });
  }

  /** Done: delete it, unless a newer payload arrived meanwhile (then it is due again at once). */
  async complete(job: Job): Promise<void> {
    try {
      await this.store.write(async (trx) => {
        const res = await trx.deleteFrom('jobs').where('id', '=', job.id).where('payload', '=', job.rawPayload).executeTakeFirst();
        if (Number(res.numDeletedRows) === 0) {
          await trx.updateTable('jobs').set({ locked_by: null, locked_until: null }).where('id', '=', job.id).execute();
        }
      });
    } finally {
      this.runningHere.delete(job.id);
    }
  }

  /** Failed: run again at retryAt with the error recorded. */
  async fail(job: Job, error: string, retryAt: number): Promise<void> {
    try {
      await this.db
        .updateTable('jobs')
        .set({ locked_by: null, locked_until: null, last_error: error.slice(0, 1000), run_at: retryAt, attempts: job.attempts + 1 })
        .where('id', '=', job.id)
        .execute();
    } finally {
      this.runningHere.delete(job.id);
    }
  }

  /** Extends the lease of a long-running job (embedded mode holds it in memory: nothing to extend). */
  async extend(job: Job, leaseMs: number): Promise<void> {
    if (this.store.engine === 'sqlite') return;
    await this.db.updateTable('jobs').set({ locked_until: Date.now() + leaseMs }).where('id', '=', job.id).where('locked_by', '=', this.workerId).execute();
  }

  /**
   * Graceful shutdown that timed out: the jobs this worker claimed are given back so another
   * instance pulls now instead of after the lease (a pull is idempotent: cursor and messages commit together).
   */
  async releaseHeld(): Promise<number> {
    this.runningHere.clear();
    if (this.store.engine === 'sqlite') return 0;
    const res = await this.db.updateTable('jobs').set({ locked_by: null, locked_until: null }).where('locked_by', '=', this.workerId).executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  /** Embedded mode only: jobs held by a process that died are free again at once. */
  async releaseOrphans(): Promise<number> {
    const res = await this.db.updateTable('jobs').set({ locked_by: null, locked_until: null }).where('locked_until', 'is not', null).executeTakeFirst();
    return Number(res.numUpdatedRows);
  }
}

function toJob(row: JobRow): Job {
  return { id: Number(row.id), kind: row.kind, key: row.key, payload: JSON.parse(row.payload), attempts: Number(row.attempts), rawPayload: row.payload };
}
