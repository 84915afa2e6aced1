/**
 * The facts a channel's send allowance is decided from: when the customer last wrote (the newest
 * send_time of their messages) and which replies the channel accepted after that. Derived from
 * recorded times, so the answer does not depend on the order in which outcomes were recorded
 * (a send whose answer arrives after a newer customer message was pulled still counts against the
 * allowance that was open when it was accepted).
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from './schema.js';

export interface ConversationAllowance {
  /** Send time (ms) of the customer's newest message, null when they never wrote. */
  customerWroteAt: number | null;
  /** send_msg replies whose call started at least `uncertaintyMs` after that message. */
  acceptedInAllowance: number;
}

/** Called by the outbox worker before a send and by the console before it accepts an agent message. */
export async function conversationAllowance(db: Kysely<Database> | Transaction<Database>, conversationId: number, uncertaintyMs: number): Promise<ConversationAllowance> {
  const row = (
    await sql<{ last: number | string | null; accepted: number | string }>`
      SELECT c.last_customer_msg_at AS last,
        (SELECT COUNT(*) FROM outbox s
          WHERE s.conversation_id = c.id AND s.api = 'send_msg' AND s.accepted_at IS NOT NULL
            AND s.accepted_at >= c.last_customer_msg_at + ${uncertaintyMs}) AS accepted
      FROM conversations c WHERE c.id = ${conversationId}`.execute(db)
  ).rows[0];
  if (!row) return { customerWroteAt: null, acceptedInAllowance: 0 };
  return { customerWroteAt: row.last === null ? null : Number(row.last), acceptedInAllowance: Number(row.accepted) };
}
