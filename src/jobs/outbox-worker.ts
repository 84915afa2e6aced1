/**
 * The outbox worker: sends each reply once, in conversation order, surviving crashes.
 *
 * - A row is claimed (status 'sending', attempt recorded 'in_flight') and committed BEFORE the call.
 * - The call's outcome is recorded right after. Only a row still 'sending' when its worker died
 *   (the outcome unknown) is called again — with the same msgid — once its lease runs out
 *   (at once on start-up in embedded mode, where no other process can hold it).
 * - Per conversation only the earliest unfinished row is eligible, so replies keep the order of the
 *   customer's messages; a row waiting for a retry holds back the later ones.
 * - Retryable failures back off exponentially with jitter; final ones end in 'failed' with the reason.
 * - A reply the channel does not allow now (微信客服: 5 messages within 48 h of the customer's last
 *   message, asked of the channel before the call, or refused by WeCom with 95001) waits in
 *   'waiting_allowance' with the reason, holding back the later replies of its conversation, until a
 *   newer customer message opens a new allowance; it is dropped, with the reason recorded, once it has
 *   waited longer than `maxAllowanceWaitMs`.
 * - Leases are short and renewed by a heartbeat while the row is worked on (the call in flight
 *   included), so a killed instance's rows are taken over within about a lease. Every write about a
 *   claimed row is fenced by the claim (locked_by + attempts, the lease version): a worker whose lease
 *   ran out and whose row another worker took records nothing, and one that finds its lease nearly
 *   gone before calling WeCom renews it first — or, when it is taken, does not call at all.
 *   The one case fencing cannot close is a call already in flight when its worker's lease lapses
 *   (the process killed, or stalled for longer than the lease): the next worker repeats it with the
 *   same msgid, exactly like a crash between the call and its recording (attempt outcome 'unknown').
 */
import { sql, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { ChannelSender, OutboxFastLane, SendResult, TransferResult } from '../pipeline/types.js';
import type { MessageItem } from '../rules/rule.js';
import { replyMsgid } from '../pipeline/outbox-ids.js';
import { assignConversation } from '../pipeline/assign-conversation.js';
import { enqueue, type EventPayload, type HandoffPayload, WELCOME_CODE_TTL_MS } from '../pipeline/ingest-message.js';
import { outboundTexts } from '../compliance/outbound-check.js';
import type { ComplianceGuard, Verdict } from '../pipeline/compliance-guard.js';
import { recordAudit } from '../store/compliance-repo.js';
import { conversationAllowance } from '../store/allowance-repo.js';
import type { Store } from '../store/database.js';
import type { Database, OutboxRow } from '../store/schema.js';
import { ClaimLoop, type StopOptions } from './claim-loop.js';
import { leaseTiming, type LeaseState, type LeaseTiming } from './lease.js';
import { OutboxLeases } from './outbox-lease.js';
import { epochMs } from '../store/whole-numbers.js';
import type { Wakeup } from './wakeup.js';

/** Default for how long a reply may wait for the customer to open a new allowance (WEREPLY_ALLOWANCE_MAX_WAIT_SECONDS). */
export const DEFAULT_ALLOWANCE_MAX_WAIT_MS = 24 * 3600_000;

export interface OutboxHooks {
  onSent?(row: OutboxRow, latencyMs: number): void;
  onFailed?(row: OutboxRow, reason: string): void;
  onHeld?(row: OutboxRow, reason: string): void;
  /** The channel allows no more messages until the customer writes again: the reply waits. */
  onWaiting?(row: OutboxRow, reason: string): void;
}

export interface OutboxWorkerOptions {
  store: Store;
  /** The corp's timezone (routing's shift times, the expected-wait message). */
  timezone: string;
  workerId: string;
  senders: Record<string, ChannelSender>;
  wakeup: Wakeup;
  log: Logger;
  hooks?: OutboxHooks;
  /** The final compliance check: a message with unapproved block findings (or held PII) is held, not sent. */
  compliance?: ComplianceGuard;
  /** Sends in flight at once (each to a different conversation). */
  concurrency?: number;
  /** How long a claimed row is ours without renewal, and how often rows being worked on renew (see lease.ts). */
  lease?: Partial<LeaseTiming>;
  pollMs?: number;
  maxAttempts?: number;
  /** A reply that waited for the customer's next message (waiting_allowance) longer than this since it was enqueued is dropped. */
  maxAllowanceWaitMs?: number;
  /** WeReply desk: how long after the last heartbeat an operator still counts as present. */
  presenceTimeoutMs?: number;
  now?: () => number;
}

type ClaimedRow = OutboxRow & { channel: string; open_kfid: string; external_userid: string; lease: LeaseState };

/** What a send that did not go out now waits for: a customer message stored after this one (messages.id). */
interface WaitFor {
  newestCustomerMessageId: number;
}

export class OutboxWorker {
  private readonly now: () => number;
  private readonly loop: ClaimLoop<ClaimedRow>;
  readonly lease: LeaseTiming;
  private readonly leases: OutboxLeases;

  constructor(private readonly opts: OutboxWorkerOptions) {
    this.now = opts.now ?? Date.now;
    this.lease = leaseTiming(opts.lease);
    this.leases = new OutboxLeases(opts.store, opts.workerId, this.lease, this.now, opts.log);
    const concurrency = opts.concurrency ?? 32;
    this.loop = new ClaimLoop<ClaimedRow>({
      topic: 'outbox',
      wakeup: opts.wakeup,
      log: opts.log,
      concurrency,
      // Retries that come due are found by this poll; new rows wake the worker at once.
      pollMs: opts.pollMs ?? 200,
      // Refill in batches rather than one claim per finished send.
      refillAt: concurrency / 2,
      claim: (max, running) => this.opts.store.write((trx) => this.claimIn(trx, max, undefined, running)),
      run: (row) => this.process(row),
      describe: (row) => ({ outbox_id: row.id }),
      heartbeat: { everyMs: this.lease.heartbeatMs, renew: (rows) => this.leases.renew(rows) },
      release: (rows) => this.leases.release(rows),
    });
  }

  /**
   * Embedded mode only: rows left 'sending' by a process that died can be taken at once
   * (their calls' outcomes are unknown and will be repeated once with the same msgid).
   */
  async releaseOrphans(): Promise<number> {
    const res = await this.opts.store.db.updateTable('outbox').set({ locked_until: 0 }).where('status', '=', 'sending').executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  start(): void {
    this.loop.start();
  }

  /**
   * Stops claiming and waits for the sends in progress (their leases renewed meanwhile). With
   * `releaseAfterMs` (graceful shutdown), rows still being worked on after that long are released:
   * another instance takes them over at once — a call still in flight then is repeated with the same
   * msgid (the ambiguous case, as after a crash).
   */
  stop(opts?: StopOptions): Promise<void> {
    return this.loop.stop(opts);
  }

  /** Sends (and handoffs) running now. */
  inFlight(): number {
    return this.loop.inProgress.length;
  }

  /** Claims up to `limit` eligible rows: at most one per conversation, the earliest unfinished one. */
  claim(limit: number): Promise<ClaimedRow[]> {
    return this.opts.store.write((trx) => this.claimIn(trx, limit, undefined, this.loop.inProgress));
  }

  /**
   * The fast lane: the pull job claims the replies it just enqueued inside its own transaction, so
   * they are committed already claimed (attempt recorded, as crash safety needs) and go to WeCom
   * without another commit first. `reserve` → `claimIn` (in the transaction) → `adopt` after it
   * committed (with [] when it did not: the reservation is freed either way).
   */
  get fastLane(): OutboxFastLane<ClaimedRow> {
    return {
      reserve: (max) => this.loop.reserve(max),
      claimIn: (trx, limit, conversationIds) => this.claimIn(trx, limit, conversationIds),
      adopt: (reserved, rows) => this.loop.adopt(reserved, rows),
    };
  }

  private async claimIn(trx: Transaction<Database>, limit: number, conversationIds?: readonly number[], running: readonly ClaimedRow[] = this.loop.inProgress): Promise<ClaimedRow[]> {
    if (limit <= 0 || conversationIds?.length === 0) return [];
    const now = this.now();
    const leaseUntil = epochMs(now + this.lease.leaseMs);
    // A row this worker is still working on is never claimed again here, lease or not. One parameter
    // (a JSON or array value), so the statement's text — and SQLite's cached statement — stays the same.
    const runningIds = running.map((r) => Number(r.id));
    const notRunning = !runningIds.length
      ? sql``
      : this.opts.store.engine === 'postgres'
        ? sql`AND NOT (o.id = ANY(${runningIds}::bigint[]))`
        : sql`AND o.id NOT IN (SELECT value FROM json_each(${JSON.stringify(runningIds)}))`;
    const skipLocked = this.opts.store.engine === 'postgres' ? sql`FOR UPDATE OF o SKIP LOCKED` : sql``;
    const only = conversationIds ? sql`AND o.conversation_id IN (${sql.join([...new Set(conversationIds)])})` : sql``;
    const picked = await sql<{ id: number; status: string }>`
      SELECT o.id, o.status FROM outbox o
      WHERE o.status IN ('pending', 'retry', 'sending')
        AND ((o.status <> 'sending' AND o.next_attempt_at <= ${now}) OR (o.status = 'sending' AND o.locked_until < ${now}))
        ${only}
        ${notRunning}
        AND NOT EXISTS (
          SELECT 1 FROM outbox p
          WHERE p.conversation_id = o.conversation_id AND p.id < o.id AND p.status IN ('pending', 'retry', 'sending'))
        AND NOT EXISTS (
          SELECT 1 FROM outbox w WHERE w.conversation_id = o.conversation_id AND w.id < o.id AND w.status = 'waiting_allowance')
      ORDER BY o.priority DESC, o.id
      LIMIT ${limit}
      ${skipLocked}`.execute(trx);
    const waiting = await this.pickWaiting(trx, limit - picked.rows.length, now, only, skipLocked);
    const ids = [...waiting, ...picked.rows.map((r) => Number(r.id))];
    if (ids.length === 0) return [];
    const orphaned = picked.rows.filter((r) => r.status === 'sending').map((r) => Number(r.id));
    if (orphaned.length) {
      // Their worker died mid-call: WeCom may or may not have delivered them.
      await trx
        .updateTable('outbox_attempts')
        .set({ outcome: 'unknown', finished_at: now, error: 'worker stopped before the answer was recorded' })
        .where('outbox_id', 'in', orphaned)
        .where('outcome', '=', 'in_flight')
        .execute();
    }
    await trx
      .updateTable('outbox')
      .set((eb) => ({ status: 'sending', locked_by: this.opts.workerId, locked_until: leaseUntil, attempts: eb('attempts', '+', 1) }))
      .where('id', 'in', ids)
      .execute();
    await trx
      .insertInto('outbox_attempts')
      .values(ids.map((id) => ({ outbox_id: id, started_at: now, finished_at: null, outcome: 'in_flight', errcode: null, error: null, worker: this.opts.workerId })))
      .execute();
    const rows = await trx
      .selectFrom('outbox as o')
      .innerJoin('conversations as c', 'c.id', 'o.conversation_id')
      .selectAll('o')
      .select(['c.channel', 'c.open_kfid', 'c.external_userid'])
      .where('o.id', 'in', ids)
      .orderBy('o.priority', 'desc')
      .orderBy('o.id')
      .execute();
    return rows.map((r) => ({ ...r, lease: { until: leaseUntil, lost: false } })) as ClaimedRow[];
  }

  /**
   * Replies waiting for the allowance that may go now: a customer message was stored since they began to wait
   * (a new allowance is open), or they have waited too long (to be dropped). Only a conversation's
   * earliest unfinished reply, so they keep their place in its order.
   */
  private async pickWaiting(trx: Transaction<Database>, limit: number, now: number, only: ReturnType<typeof sql>, skipLocked: ReturnType<typeof sql>): Promise<number[]> {
    if (limit <= 0) return [];
    const staleBefore = now - this.maxAllowanceWaitMs;
    const picked = await sql<{ id: number }>`
      SELECT o.id FROM outbox o
      WHERE o.status = 'waiting_allowance'
        ${only}
        AND (o.created_at < ${staleBefore} OR EXISTS (
          SELECT 1 FROM messages m WHERE m.conversation_id = o.conversation_id AND m.id > o.allowance_after AND m.origin = 3))
        AND NOT EXISTS (
          SELECT 1 FROM outbox p
          WHERE p.conversation_id = o.conversation_id AND p.id < o.id AND p.status IN ('pending', 'retry', 'sending'))
        AND NOT EXISTS (
          SELECT 1 FROM outbox w WHERE w.conversation_id = o.conversation_id AND w.id < o.id AND w.status = 'waiting_allowance')
      ORDER BY o.id
      LIMIT ${limit}
      ${skipLocked}`.execute(trx);
    return picked.rows.map((r) => Number(r.id));
  }

  private get maxAllowanceWaitMs(): number {
    return this.opts.maxAllowanceWaitMs ?? DEFAULT_ALLOWANCE_MAX_WAIT_MS;
  }

  private async process(row: ClaimedRow): Promise<void> {
    const sender = this.opts.senders[row.channel];
    if (!sender) return this.finish(row, { kind: 'failed', reason: `no sender for channel ${row.channel}` }, false);
    if (row.api === 'handoff') return this.processHandoff(row, sender);

    const payload = JSON.parse(row.payload) as { reply: MessageItem } | EventPayload;
    const event = row.api === 'send_msg_on_event' ? (payload as EventPayload) : undefined;
    const now = this.now();

    // Limits WeCom enforces: don't call at all when the answer can only be a refusal.
    if (event) {
      if (event.code_kind === 'welcome' && now - Number(row.caused_at) > WELCOME_CODE_TTL_MS) {
        return this.finish(row, { kind: 'failed', reason: 'welcome code expired: WeCom accepts send_msg_on_event only within 20 s of enter_session' }, false);
      }
    }
    // The channel's allowance after the customer's last message ("may I send now?"), from recorded facts.
    let waitFor: WaitFor | undefined;
    if (!event && sender.allowance) {
      const facts = await conversationAllowance(this.opts.store.db, Number(row.conversation_id), sender.allowance.uncertaintyMs);
      waitFor = { newestCustomerMessageId: facts.newestCustomerMessageId };
      const answer = sender.allowance.maySend({ now, customerWroteAt: facts.customerWroteAt, acceptedInAllowance: facts.acceptedInAllowance });
      if (!answer.ok) return this.finish(row, { kind: 'wait', reason: answer.reason }, false, undefined, waitFor);
      if (row.allowance_after !== null && now - Number(row.created_at) > this.maxAllowanceWaitMs) {
        // A new allowance is open, but the reply waited so long it would arrive out of context.
        return this.finish(row, { kind: 'failed', reason: `dropped: waited for the customer to write again longer than ${formatAge(this.maxAllowanceWaitMs)} (WEREPLY_ALLOWANCE_MAX_WAIT_SECONDS)` }, false);
      }
    }

    if (this.opts.compliance) {
      let verdict: Verdict;
      try {
        verdict = await this.opts.compliance.outbound(payload.reply);
      } catch (err) {
        // Nothing unchecked goes out: the row waits for a retry (the database read may have failed).
        return this.finish(row, { kind: 'retry', reason: `compliance check failed: ${String((err as Error)?.message ?? err)}` }, false);
      }
      if (verdict.hold) return this.hold(row, verdict, payload.reply);
    }

    if (!(await this.leases.stillHeld(row))) return;
    const callStartedAt = this.now();
    const result = await guarded(() =>
      sender.send({
        outboxId: Number(row.id),
        channel: row.channel,
        accountId: row.open_kfid,
        customerId: row.external_userid,
        msgid: row.msgid,
        mode: event ? 'event' : 'send',
        ...(event ? { eventCode: event.code } : {}),
        reply: payload.reply,
      }),
    );
    await this.finish(row, result, true, undefined, waitFor, callStartedAt);
  }

  /**
   * 转人工: routing chooses the servicer (or the waiting pool) and WeCom moves the session; the
   * message to the customer goes out afterwards with the msg_code WeCom returns, as its own row.
   */
  private async processHandoff(row: ClaimedRow, sender: ChannelSender): Promise<void> {
    if (!sender.transfer) return this.finish(row, { kind: 'failed', reason: `channel ${row.channel} cannot hand conversations to a person` }, false);
    const transfer = sender.transfer.bind(sender);
    if (!(await this.leases.stillHeld(row))) return;
    const result: TransferResult = await guarded(() =>
      assignConversation(
        { store: this.opts.store, timezone: this.opts.timezone, transfer, now: this.now, ...(this.opts.presenceTimeoutMs ? { presenceTimeoutMs: this.opts.presenceTimeoutMs } : {}) },
        { id: Number(row.conversation_id), outboxId: Number(row.id), channel: row.channel, accountId: row.open_kfid, customerId: row.external_userid },
        JSON.parse(row.payload) as HandoffPayload,
      ),
    );
    await this.finish(row, result, true, result.kind === 'sent' ? result.followUp : undefined);
  }

  /** Held by the compliance check: stays in the outbox with the reason until someone releases it. */
  private async hold(row: ClaimedRow, verdict: Verdict, reply: MessageItem): Promise<void> {
    const now = this.now();
    const reason = verdict.reason ?? '合规拦截';
    await this.opts.store.write(async (trx) => {
      const owned = await sql`
        UPDATE outbox SET status = 'held', reason = ${reason}, locked_by = NULL, locked_until = NULL
        WHERE ${this.leases.held(row)}`.execute(trx);
      if (Number(owned.numAffectedRows ?? 0) === 0) return;
      await sql`
        UPDATE outbox_attempts SET finished_at = ${now}, outcome = 'skipped', error = ${reason}
        WHERE outbox_id = ${row.id} AND outcome = 'in_flight'`.execute(trx);
      const text = outboundTexts([reply]).map((t) => t.text).join('\n');
      await recordAudit(trx, { action: 'held', subject_type: 'outbox', subject_id: Number(row.id), actor: 'outbox', text, findings: [...verdict.findings, ...verdict.pii], reason }, now);
    });
    this.opts.hooks?.onHeld?.(row, reason);
    this.opts.log.warn({ outbox_id: row.id, msgid: row.msgid, needs_approval: verdict.needsApproval }, 'outbox message held by the compliance check');
  }

  /**
   * Records an attempt's outcome. `waitFor`: the customer message a 'wait' waits to be followed by
   * (the newest one stored before the call, so one pulled during the call makes the reply due at once). `callStartedAt`: when the call began, which is when the channel
   * accepted it as far as its allowance goes.
   */
  private async finish(row: ClaimedRow, result: SendResult, called: boolean, followUp?: TransferResult['followUp'], waitFor?: WaitFor, callStartedAt?: number): Promise<void> {
    const now = this.now();
    const maxAttempts = this.opts.maxAttempts ?? 10;
    const attempts = Number(row.attempts);
    let status: 'sent' | 'retry' | 'failed' | 'waiting_allowance';
    let reason: string | null = null;
    let next = Number(row.next_attempt_at);
    let allowanceAfter = row.allowance_after === null ? null : Number(row.allowance_after);
    if (result.kind === 'sent') {
      status = 'sent';
    } else if (result.kind === 'wait') {
      const waited = now - Number(row.created_at);
      if (waited > this.maxAllowanceWaitMs) {
        status = 'failed';
        reason = `dropped after waiting ${formatAge(waited)} for the customer to write again (longer than ${formatAge(this.maxAllowanceWaitMs)}, WEREPLY_ALLOWANCE_MAX_WAIT_SECONDS): ${result.reason}`;
      } else {
        status = 'waiting_allowance';
        reason = result.reason;
        allowanceAfter = waitFor?.newestCustomerMessageId ?? 0;
      }
    } else if (result.kind === 'retry' && attempts < maxAttempts) {
      status = 'retry';
      reason = result.reason;
      // Exponential backoff with jitter: 1 s, 2 s, 4 s … capped at 5 min.
      const base = Math.min(300_000, 1000 * 2 ** (attempts - 1));
      next = epochMs(now + base * (0.5 + Math.random() / 2));
    } else {
      status = 'failed';
      reason = result.kind === 'retry' ? `gave up after ${attempts} attempts: ${result.reason}` : result.reason;
    }
    const errcode = result.kind === 'sent' ? null : (result.errcode ?? null);

    const outcome = !called ? 'skipped' : result.kind === 'sent' ? 'ok' : 'error';
    const acceptedAt = status === 'sent' && row.api === 'send_msg' ? (callStartedAt ?? now) : null;
    // Once per send: the sql tag rather than the query builder (a third of the cost).
    await this.opts.store.write(async (trx) => {
      const owned = await sql`
        UPDATE outbox SET status = ${status}, reason = ${reason}, last_errcode = ${errcode}, next_attempt_at = ${next},
          locked_by = NULL, locked_until = NULL, sent_at = ${status === 'sent' ? now : null},
          accepted_at = ${acceptedAt}, allowance_after = ${allowanceAfter}
        WHERE ${this.leases.held(row)}`.execute(trx);
      if (Number(owned.numAffectedRows ?? 0) === 0) {
        // Our lease ran out and another worker took the row over: it repeats the call with the same msgid.
        row.lease.lost = true;
        this.opts.log.warn({ outbox_id: row.id, msgid: row.msgid, outcome: status }, 'outbox lease lost before the outcome was recorded; the worker that took the row over decides it');
        return;
      }
      await sql`
        UPDATE outbox_attempts SET finished_at = ${now}, outcome = ${outcome}, errcode = ${errcode}, error = ${reason}
        WHERE outbox_id = ${row.id} AND outcome = 'in_flight'`.execute(trx);
      if (followUp) {
        // Recorded with the transfer's outcome, so the msg_code cannot be lost between the two.
        const payload: EventPayload = { reply: followUp.message, code: followUp.code, code_kind: 'msg_code' };
        await enqueue(trx, { conversationId: Number(row.conversation_id), api: 'send_msg_on_event', msgid: replyMsgid(row.msgid, 0), payload, priority: 10, sourceMsgid: row.source_msgid, ruleId: row.rule_id === null ? null : Number(row.rule_id), now });
      }
    });
    if (row.lease.lost) return;
    if (followUp) this.opts.wakeup.notify('outbox');
    if (status === 'sent') this.opts.hooks?.onSent?.(row, now - Number(row.caused_at));
    else if (status === 'failed') this.opts.hooks?.onFailed?.(row, reason ?? '');
    else if (status === 'waiting_allowance') this.opts.hooks?.onWaiting?.(row, reason ?? '');
    if (status !== 'sent') this.opts.log[status === 'failed' ? 'warn' : 'info']({ outbox_id: row.id, msgid: row.msgid, status, reason }, 'outbox send not completed');
  }
}

/** A sender that throws (a bug, not an answer from WeCom) is tried again later, like a network error. */
async function guarded<R extends SendResult>(call: () => Promise<R>): Promise<R | SendResult> {
  try {
    return await call();
  } catch (err) {
    return { kind: 'retry', reason: `sender error: ${String((err as Error)?.message ?? err)}` };
  }
}

/** 90 s, 25 min, 30 h: an age in the unit a person reads. */
function formatAge(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 2 * 3600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3600_000)} h`;
}
