/**
 * Sign-in bookkeeping (tables `sign_in_failures`, `sign_in_tickets`, operators' password columns):
 * failed-attempt counts for the lockout, and one-use tickets taken with a single DELETE … RETURNING,
 * so of two requests with the same ticket only one gets it.
 */
import type { Kysely } from 'kysely';
import type { FailureCount } from '../operators/sign-in-throttle.js';
import type { Database } from './schema.js';

export interface SignInOperator {
  id: number;
  name: string;
  role: string;
  disabled: boolean;
  servicer_userid: string | null;
  password_hash: string | null;
}

const operatorColumns = ['id', 'name', 'role', 'disabled', 'servicer_userid', 'password_hash'] as const;

function toOperator(r: { id: number; name: string; role: string; disabled: number; servicer_userid: string | null; password_hash: string | null }): SignInOperator {
  return { id: Number(r.id), name: r.name, role: r.role, disabled: !!Number(r.disabled), servicer_userid: r.servicer_userid, password_hash: r.password_hash };
}

/** The operator signing in by name (as typed: exact name first, else the folded name). */
export async function operatorByName(db: Kysely<Database>, name: string, nameKey: string): Promise<SignInOperator | null> {
  const exact = await db.selectFrom('operators').select(operatorColumns).where('name', '=', name).executeTakeFirst();
  if (exact) return toOperator(exact);
  const folded = await db.selectFrom('operators').select(operatorColumns).where('name_key', '=', nameKey).executeTakeFirst();
  return folded ? toOperator(folded) : null;
}

export async function operatorById(db: Kysely<Database>, id: number): Promise<SignInOperator | null> {
  const r = await db.selectFrom('operators').select(operatorColumns).where('id', '=', id).executeTakeFirst();
  return r ? toOperator(r) : null;
}

/** Operators linked to this WeCom member (servicer_userid); more than one is a set-up mistake the caller reports. */
export async function operatorsByWecomUserid(db: Kysely<Database>, userid: string): Promise<SignInOperator[]> {
  const rows = await db.selectFrom('operators').select(operatorColumns).where('servicer_userid', '=', userid).orderBy('id').execute();
  return rows.map(toOperator);
}

/** Sets (or with null clears) an operator's password hash; false if there is no such operator. */
export async function setPasswordHash(db: Kysely<Database>, id: number, hash: string | null, now: number): Promise<boolean> {
  const res = await db.updateTable('operators').set({ password_hash: hash, password_set_at: hash ? now : null }).where('id', '=', id).executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** Signs an operator out everywhere but `keepSessionId` (their own password change keeps the session it was made in). */
export async function deleteOtherSessions(db: Kysely<Database>, operatorId: number, keepSessionId: number | null): Promise<number[]> {
  let q = db.deleteFrom('sessions').where('operator_id', '=', operatorId);
  if (keepSessionId != null) q = q.where('id', '!=', keepSessionId);
  const rows = await q.returning('id').execute();
  return rows.map((r) => Number(r.id));
}

export async function failureCounts(db: Kysely<Database>, keys: string[]): Promise<Map<string, FailureCount>> {
  const rows = await db.selectFrom('sign_in_failures').selectAll().where('key', 'in', keys).execute();
  return new Map(rows.map((r) => [r.key, { fails: Number(r.fails), lockedUntil: Number(r.locked_until), lastAt: Number(r.last_at) }]));
}

export async function putFailureCount(db: Kysely<Database>, key: string, c: FailureCount): Promise<void> {
  const v = { fails: c.fails, locked_until: c.lockedUntil, last_at: c.lastAt };
  await db.insertInto('sign_in_failures').values({ key, ...v }).onConflict((oc) => oc.column('key').doUpdateSet(v)).execute();
  // Counts nobody added to for a day are forgotten anyway (sign-in-throttle.ts): a spray of names leaves no pile.
  await db.deleteFrom('sign_in_failures').where('last_at', '<', c.lastAt - 24 * 3600_000).where('locked_until', '<', c.lastAt).execute();
}

export async function clearFailureCount(db: Kysely<Database>, key: string): Promise<void> {
  await db.deleteFrom('sign_in_failures').where('key', '=', key).execute();
}

export type TicketKind = 'wecom_state' | 'exchange';

export async function putTicket(
  db: Kysely<Database>,
  t: { ticketSha256: string; kind: TicketKind; operatorId?: number | null; remember: boolean; browserSha256?: string | null; now: number; expiresAt: number },
): Promise<void> {
  await db
    .insertInto('sign_in_tickets')
    .values({ ticket_sha256: t.ticketSha256, kind: t.kind, operator_id: t.operatorId ?? null, remember: t.remember ? 1 : 0, browser_sha256: t.browserSha256 ?? null, created_at: t.now, expires_at: t.expiresAt })
    .execute();
  // Tickets nobody came back for are removed now and then.
  await db.deleteFrom('sign_in_tickets').where('expires_at', '<', t.now - 3600_000).execute();
}

/** Takes a ticket (it is gone afterwards, whatever the caller decides); null if unknown, used or expired. */
export async function takeTicket(db: Kysely<Database>, ticketSha256: string, kind: TicketKind, now: number): Promise<{ operatorId: number | null; remember: boolean; browserSha256: string | null } | null> {
  const r = await db.deleteFrom('sign_in_tickets').where('ticket_sha256', '=', ticketSha256).where('kind', '=', kind).returningAll().executeTakeFirst();
  if (!r || Number(r.expires_at) <= now) return null;
  return { operatorId: r.operator_id == null ? null : Number(r.operator_id), remember: !!Number(r.remember), browserSha256: r.browser_sha256 };
}
