/**
 * The facts a channel's send allowance is decided from: when the customer last wrote (the newest
 * send_time of their messages) and which replies the channel accepted after that. Derived from
 * recorded times, so the answer does not depend on the order in which outcomes were recorded (a send
 * whose answer arrives after a newer customer message was pulled still counts against the allowance
 * that was open when it was accepted).
 *
 * A send counts against the allowance of the newest customer message when its call started
 * (accepted_at) surely after that message: at or after the moment WeReply pulled the message (it
 * existed at the channel by then), or `uncertaintyMs` after its send time (the channel's clock
 * resolution), whichever comes first. A send that may have been accepted before it belongs to the
 * allowance before.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from './schema.js';

export interface ConversationAllowance {
  /** Send time (ms) of the customer's newest message, null when they never wrote. */
  customerWroteAt: number | null;
  /** send_msg replies accepted surely after that message. */
  acceptedInAllowance: number;
  /** messages.id of the customer's newest stored message (0 when none): a reply that waits, waits for a newer one. */
  newestCustomerMessageId: number;
}

type Db = Kysely<Database> | Transaction<Database>;

/** Called by the outbox worker before a send and by the console before it accepts an agent message. */
export async function conversationAllowance(db: Db, conversationId: number, uncertaintyMs: number): Promise<ConversationAllowance> {
  const row = (
    await sql<{ last: number | string | null; newest: number | string | null; pulled: number | string | null }>`
      SELECT c.last_customer_msg_at AS last, m.id AS newest, m.received_at AS pulled
      FROM conversations c
      LEFT JOIN messages m ON m.id = (
        SELECT n.id FROM messages n WHERE n.conversation_id = c.id AND n.origin = 3 ORDER BY n.send_time DESC, n.id DESC LIMIT 1)
      WHERE c.id = ${conversationId}`.execute(db)
  ).rows[0];
  const last = row?.last === null || row?.last === undefined ? null : Number(row.last);
  const newestCustomerMessageId = row?.newest === null || row?.newest === undefined ? 0 : Number(row.newest);
  if (last === null) return { customerWroteAt: null, acceptedInAllowance: 0, newestCustomerMessageId };
  const pulled = row?.pulled === null || row?.pulled === undefined ? null : Number(row.pulled);
  const opensAt = pulled !== null && pulled < last + uncertaintyMs ? pulled : last + uncertaintyMs;
  const counted = (
    await sql<{ n: number | string }>`
      SELECT COUNT(*) AS n FROM outbox
      WHERE conversation_id = ${conversationId} AND accepted_at IS NOT NULL AND accepted_at >= ${opensAt} AND api = 'send_msg'`.execute(db)
  ).rows[0];
  return { customerWroteAt: last, acceptedInAllowance: Number(counted?.n ?? 0), newestCustomerMessageId };
}
