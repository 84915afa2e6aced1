/**
 * Durable jobs in the database (the kf_sync pulls, later scheduled sends). A job is claimed with a
 * short lease that the runner's heartbeat renews while it runs, so a crashed worker's job is taken
 * over within about a lease; jobs with the same key are coalesced, so a burst of callbacks for one kf
 * account becomes one pull that sees them all.
 *
 * Fencing: each claim writes its own token into `locked_by` (`<worker>#<n>`); renewing, completing,
 * failing and releasing only touch the row while it still carries that token, so a worker whose
 * lease ran out (and whose job another worker took) cannot delete, reschedule or unlock it.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database, JobRow } from '../store/schema.js';
import type { Store } from '../store/database.js';
import { epochMs } from '../store/whole-numbers.js';
import type { LeaseState } from './lease.js';

export interface Job<P = unknown> {
  id: number;
  kind: string;
  key: string;
  payload: P;
  attempts: number;
  /** The raw payload as claimed (to detect a newer coalesced payload). */
  rawPayload: string;
  /** This claim's token in `locked_by` (PostgreSQL; embedded mode holds jobs in memory). */
  token?: string;
  lease?: LeaseState;
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
      VALUES (${kind}, ${key}, ${json}, ${epochMs(runAt)}, 0, NULL, NULL, NULL, ${epochMs(runAt)})
      ON CONFLICT (key) DO UPDATE SET payload = excluded.payload, run_at = excluded.run_at, attempts = 0`.execute(trx);
  }

  /**
   * Embedded mode (SQLite) has one process: a job being run is held in memory instead of by a
   * written lease, which saves a commit — an fsync — on the way from callback to reply. A crash
   * holds nothing, so the job simply runs again.
   */
  private readonly runningHere = new Set<number>();

  private claims = 0;

  /** Claims one due job of the given kinds, or undefined; never one of `running` (held here already). */
  async claim(kinds: string[], leaseMs: number, now = Date.now(), running: readonly Job[] = []): Promise<Job | undefined> {
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
        .$if(running.length > 0, (q) => q.where('id', 'not in', running.map((j) => j.id)))
        .orderBy('run_at')
        .limit(1)
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (!row) return undefined;
      const token = `${this.workerId}#${++this.claims}`;
      const until = epochMs(now + leaseMs);
      await trx.updateTable('jobs').set({ locked_by: token, locked_until: until }).where('id', '=', row.id).execute();
      return { ...toJob(row), token, lease: { until, lost: false } };
    });
  }

  /** Done: delete it, unless a newer payload arrived meanwhile (then it is due again at once). */
  async complete(job: Job): Promise<void> {
    try {
      await this.store.write(async (trx) => {
        const res = await this.ours(trx.deleteFrom('jobs').where('id', '=', job.id).where('payload', '=', job.rawPayload), job).executeTakeFirst();
        if (Number(res.numDeletedRows) === 0) {
          await this.ours(trx.updateTable('jobs').set({ locked_by: null, locked_until: null }).where('id', '=', job.id), job).execute();
        }
      });
    } finally {
      this.runningHere.delete(job.id);
    }
  }

  /** Failed: run again at retryAt with the error recorded (a no-op when another worker holds it now). */
  async fail(job: Job, error: string, retryAt: number): Promise<void> {
    try {
      await this.ours(
        this.db
          .updateTable('jobs')
          .set({ locked_by: null, locked_until: null, last_error: error.slice(0, 1000), run_at: epochMs(retryAt), attempts: job.attempts + 1 })
          .where('id', '=', job.id),
        job,
      ).execute();
    } finally {
      this.runningHere.delete(job.id);
    }
  }

  /** Gives the job back unchanged (due at its run_at, usually at once): when its outcome cannot be recorded, or at shutdown. */
  async release(jobs: Job[]): Promise<void> {
    try {
      const tokens = jobs.map((j) => j.token).filter((t): t is string => t !== undefined);
      if (tokens.length) await this.db.updateTable('jobs').set({ locked_by: null, locked_until: null }).where('locked_by', 'in', tokens).execute();
    } finally {
      for (const j of jobs) this.runningHere.delete(j.id);
    }
  }

  /**
   * The heartbeat: extends the leases of running jobs in one statement; a job whose token is gone
   * (its lease ran out and another worker took it) is marked lost. Embedded mode: nothing to renew.
   */
  async renew(jobs: Job[], leaseMs: number): Promise<void> {
    const held = jobs.filter((j) => j.token !== undefined && !j.lease?.lost);
    if (this.store.engine === 'sqlite' || held.length === 0) return;
    const until = epochMs(Date.now() + leaseMs);
    const rows = await this.db
      .updateTable('jobs')
      .set({ locked_until: until })
      .where('locked_by', 'in', held.map((j) => j.token!))
      .returning('locked_by')
      .execute();
    const still = new Set(rows.map((r) => r.locked_by));
    for (const j of held) j.lease = still.has(j.token!) ? { until, lost: false } : { until: j.lease?.until ?? 0, lost: true };
  }

  /** Extends the lease of one long-running job now (between pages of a pull). */
  async extend(job: Job, leaseMs: number): Promise<void> {
    await this.renew([job], leaseMs);
  }

  /** A write that applies only while this claim still holds the job (PostgreSQL; embedded mode has one process). */
  private ours<Q extends { where(c: 'locked_by', op: '=', v: string): Q }>(q: Q, job: Job): Q {
    return this.store.engine === 'postgres' && job.token !== undefined ? q.where('locked_by', '=', job.token) : q;
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
