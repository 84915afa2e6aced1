/**
 * Outbox leases: renewing, releasing and checking the claims of rows an OutboxWorker works on.
 * A claim is fenced by owner + lease version: `locked_by` (the worker) and `attempts` (incremented by
 * every claim), so a write about a row applies only while the claim that made it still holds it.
 */
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Store } from '../store/database.js';
import { epochMs } from '../store/whole-numbers.js';
import type { LeaseState, LeaseTiming } from './lease.js';

/** What the fencing needs of a claimed row. */
export interface LeasedRow {
  id: number;
  msgid: string;
  attempts: number;
  lease: LeaseState;
}

export class OutboxLeases {
  constructor(
    private readonly store: Store,
    private readonly workerId: string,
    private readonly timing: LeaseTiming,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {}

  /** The fencing condition (SQL): the row is still held by this claim. */
  held(row: LeasedRow) {
    return sql`id = ${row.id} AND locked_by = ${this.workerId} AND attempts = ${row.attempts} AND status = 'sending'`;
  }

  private anyHeld(rows: LeasedRow[]) {
    return sql.join(rows.map((r) => sql`(${this.held(r)})`), sql` OR `);
  }

  /**
   * The heartbeat (and the pre-call check): extends the leases of the rows being worked on in one
   * statement; a row no longer held by its claim is marked lost.
   */
  async renew(rows: LeasedRow[]): Promise<void> {
    const live = rows.filter((r) => !r.lease.lost);
    if (live.length === 0) return;
    const until = epochMs(this.now() + this.timing.leaseMs);
    const res = await this.store.write((trx) => sql<{ id: number }>`UPDATE outbox SET locked_until = ${until} WHERE ${this.anyHeld(live)} RETURNING id`.execute(trx));
    const still = new Set(res.rows.map((r) => Number(r.id)));
    for (const r of live) {
      if (still.has(Number(r.id))) r.lease.until = until;
      else {
        r.lease.lost = true;
        this.log.warn({ outbox_id: r.id, msgid: r.msgid }, 'outbox lease lost: another worker took this row over; this worker records nothing for it');
      }
    }
  }

  /** Shutdown: the rows' leases end now, so another instance takes them over at once. */
  async release(rows: LeasedRow[]): Promise<void> {
    const live = rows.filter((r) => !r.lease.lost);
    if (live.length === 0) return;
    await this.store.write((trx) => sql`UPDATE outbox SET locked_until = 0 WHERE ${this.anyHeld(live)}`.execute(trx));
    for (const r of live) r.lease.lost = true;
  }

  /**
   * Right before the call: is the row still ours for a while? Normally the claim is fresh and this
   * costs nothing; after a stall (more than half the lease gone without a renewal) it renews first,
   * and answers false when another worker has taken the row meanwhile — then nothing is sent.
   */
  async stillHeld(row: LeasedRow): Promise<boolean> {
    if (!row.lease.lost && row.lease.until - this.now() < this.timing.leaseMs / 2) await this.renew([row]);
    return !row.lease.lost;
  }
}
