/**
 * The kf_sync job: after a kf_msg_or_event callback, pull the new messages with kf/sync_msg.
 * Each page is stored together with its decisions, outbox rows and the new cursor in one
 * transaction, so the cursor never runs ahead of what is stored; loop while has_more.
 */
import { sql, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Job } from '../../jobs/job-queue.js';
import type { Wakeup } from '../../jobs/wakeup.js';
import type { OutboxFastLane } from '../../pipeline/types.js';
import type { ComplianceGuard } from '../../pipeline/compliance-guard.js';
import { ingestMessages, type IngestProps, type IngestResult } from '../../pipeline/ingest-message.js';
import type { RuleCache } from '../../pipeline/rule-cache.js';
import type { InboundMessage } from '../../pipeline/types.js';
import type { Database } from '../../store/schema.js';
import type { Store } from '../../store/database.js';
import { WeComApiError, type WeComClient } from './api-client.js';
import { toInbound } from './messages.js';

export const KF_SYNC_JOB = 'kf_sync';

export interface KfSyncPayload {
  open_kfid: string;
  /** The callback's Token (valid 10 minutes): sync_msg without it is strictly rate-limited. */
  token?: string;
  /** When the token arrived (ms). */
  token_at?: number;
}

/** WeCom: invalid or expired sync token. */
const INVALID_SYNC_TOKEN = new Set([95007]);
const SYNC_TOKEN_TTL_MS = 10 * 60_000;
/** Messages stored per transaction. */
const INGEST_CHUNK = 50;

export interface KfSyncDeps {
  store: Store;
  client: WeComClient;
  rules: RuleCache;
  wakeup: Wakeup;
  log: Logger;
  staleAfterMs: number;
  extendLease: (job: Job) => Promise<void>;
  onIngested?: (results: IngestResult[], origins: number[]) => void;
  /** The outbox worker's fast lane: replies are claimed in the commit that stores their cause. */
  outbox?: OutboxFastLane;
  /** Scans what servicers sent from the WeCom client (origin 5) after the fact, in the ingest transaction. */
  compliance?: Pick<ComplianceGuard, 'sentScan'>;
}

/** Stores one message normally, or — when that fails — as quarantined with the error, unanswered. */
async function ingestOrQuarantine(deps: KfSyncDeps, m: InboundMessage, props: IngestProps): Promise<IngestResult> {
  const now = props.now;
  try {
    const [r] = await deps.store.write((trx) => ingestMessages(trx, [m], props));
    return r!;
  } catch (err) {
    deps.log.error({ err, msgid: m.msgid }, 'message quarantined: stored without a decision');
    const decision = JSON.stringify({ quarantined: true, error: String((err as Error)?.message ?? err).slice(0, 500) });
    await deps.store.write((trx) =>
      sql`INSERT INTO messages (msgid, conversation_id, open_kfid, external_userid, origin, msgtype, text, raw, decision, send_time, received_at)
          VALUES (${m.msgid}, 0, ${m.accountId}, ${m.customerId}, ${m.origin}, ${m.msgtype}, NULL, ${JSON.stringify(m.raw)}, ${decision}, ${m.sentAt}, ${now})
          ON CONFLICT (msgid) DO NOTHING`.execute(trx),
    );
    return { msgid: m.msgid, stored: true, conversationId: 0, decision: null, outboxIds: [] };
  }
}

export function kfSyncKey(openKfid: string): string {
  return `${KF_SYNC_JOB}:${openKfid}`;
}

export function makeKfSyncHandler(deps: KfSyncDeps) {
  return async (job: Job): Promise<void> => {
    const p = job.payload as KfSyncPayload;
    let token = p.token && (p.token_at ?? 0) + SYNC_TOKEN_TTL_MS > Date.now() ? p.token : undefined;
    const { db } = deps.store;
    for (let page = 0; ; page++) {
      if (page > 0) await deps.extendLease(job);
      const row = await db.selectFrom('kf_cursors').select('cursor').where('open_kfid', '=', p.open_kfid).executeTakeFirst();
      let res;
      try {
        res = await deps.client.syncMsg({ ...(row ? { cursor: row.cursor } : {}), ...(token ? { token } : {}), limit: 1000, open_kfid: p.open_kfid });
      } catch (err) {
        if (err instanceof WeComApiError && INVALID_SYNC_TOKEN.has(err.errcode) && token) {
          deps.log.warn({ open_kfid: p.open_kfid }, 'sync token rejected; pulling without it');
          token = undefined;
          continue;
        }
        throw err;
      }
      const messages = res.msg_list.map(toInbound);
      const rules = await deps.rules.get();
      const scan = deps.compliance && messages.some((m) => m.sentBy) ? await deps.compliance.sentScan() : {};
      // Stored in chunks so a 1,000-message page does not hold the database (and, on SQLite, the
      // event loop) for long; the cursor is committed with the last chunk. A crash between chunks
      // re-pulls the page and the stored ones are recognised by msgid.
      const results: IngestResult[] = [];
      for (let i = 0; i === 0 || i < messages.length; i += INGEST_CHUNK) {
        const chunk = messages.slice(i, i + INGEST_CHUNK);
        const last = i + INGEST_CHUNK >= messages.length;
        const now = Date.now();
        const saveCursor = async (trx: Transaction<Database>) => {
          if (!last || !res.next_cursor) return;
          await trx
            .insertInto('kf_cursors')
            .values({ open_kfid: p.open_kfid, cursor: res.next_cursor, updated_at: now })
            .onConflict((oc) => oc.column('open_kfid').doUpdateSet({ cursor: res.next_cursor, updated_at: now }))
            .execute();
        };
        let chunkResults: IngestResult[];
        // Replies this chunk causes are claimed for sending in the same commit (see OutboxFastLane).
        let reserved = -1;
        let claimed: unknown[] = [];
        try {
          chunkResults = await deps.store.write(async (trx) => {
            const r = await ingestMessages(trx, chunk, { rules, staleAfterMs: deps.staleAfterMs, now, ...scan });
            await saveCursor(trx);
            const replying = r.filter((x) => x.outboxIds.length > 0).map((x) => x.conversationId);
            if (deps.outbox && replying.length) {
              if (reserved < 0) reserved = deps.outbox.reserve(replying.length);
              claimed = await deps.outbox.claimIn(trx, reserved, replying);
            }
            return r;
          });
          if (reserved >= 0) deps.outbox!.adopt(reserved, claimed);
        } catch (err) {
          if (reserved >= 0) deps.outbox!.adopt(reserved, []);
          // One message WeReply cannot handle must not hold back every message after it (the cursor
          // would never move): store the chunk one by one and quarantine the ones that fail.
          deps.log.error({ err, open_kfid: p.open_kfid }, 'storing a chunk failed; storing its messages one by one');
          chunkResults = [];
          for (const m of chunk) chunkResults.push(await ingestOrQuarantine(deps, m, { rules, staleAfterMs: deps.staleAfterMs, now, ...scan }));
          await deps.store.write(saveCursor);
        }
        results.push(...chunkResults);
        if (chunkResults.some((r) => r.outboxIds.length)) deps.wakeup.notify('outbox');
        // An alert's app message is a job committed with it.
        if (chunkResults.some((r) => r.sent?.alert)) deps.wakeup.notify('jobs');
      }
      deps.onIngested?.(results, messages.map((m) => m.origin));
      if (!res.has_more) return;
    }
  };
}
