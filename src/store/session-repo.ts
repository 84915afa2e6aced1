/**
 * Console sessions (table `sessions`): a token per sign-in, stored as its sha256, with an expiry.
 * Rotation replaces the row's token in one conditional update, so an old token stops working the
 * moment the new one is issued, and of two refreshes at once only one succeeds.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface SessionWithOperator {
  id: number;
  operator_id: number;
  expires_at: number;
  remember: boolean;
  name: string;
  role: string;
  servicer_userid: string | null;
  disabled: boolean;
}

export async function createSession(db: Kysely<Database>, s: { operatorId: number; tokenSha256: string; remember: boolean; now: number; expiresAt: number }): Promise<number> {
  const row = await db
    .insertInto('sessions')
    .values({ operator_id: s.operatorId, token_sha256: s.tokenSha256, remember: s.remember ? 1 : 0, created_at: s.now, expires_at: s.expiresAt })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/** The session a token stands for, with its operator; null if unknown. Expiry is the caller's to check. */
export async function sessionByToken(db: Kysely<Database>, tokenSha256: string): Promise<SessionWithOperator | null> {
  const r = await db
    .selectFrom('sessions as s')
    .innerJoin('operators as o', 'o.id', 's.operator_id')
    .select(['s.id', 's.operator_id', 's.expires_at', 's.remember', 'o.name', 'o.role', 'o.servicer_userid', 'o.disabled'])
    .where('s.token_sha256', '=', tokenSha256)
    .executeTakeFirst();
  if (!r) return null;
  return { id: Number(r.id), operator_id: Number(r.operator_id), expires_at: Number(r.expires_at), remember: !!Number(r.remember), name: r.name, role: r.role, servicer_userid: r.servicer_userid, disabled: !!Number(r.disabled) };
}

/** Swaps the token of session `id` from `oldSha` to `newSha` with a new expiry; false if `oldSha` was already rotated. */
export async function rotateSession(db: Kysely<Database>, id: number, oldSha: string, newSha: string, expiresAt: number): Promise<boolean> {
  const res = await db.updateTable('sessions').set({ token_sha256: newSha, expires_at: expiresAt }).where('id', '=', id).where('token_sha256', '=', oldSha).executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function deleteSession(db: Kysely<Database>, id: number): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', id).execute();
}

/** Signs an operator out everywhere (disabled). */
export async function deleteOperatorSessions(db: Kysely<Database>, operatorId: number): Promise<void> {
  await db.deleteFrom('sessions').where('operator_id', '=', operatorId).execute();
}

/** Expired sessions, removed now and then. */
export async function pruneSessions(db: Kysely<Database>, now: number): Promise<void> {
  await db.deleteFrom('sessions').where('expires_at', '<', now).execute();
}

/** Which of these sessions still exist and are not expired (for open live streams). */
export async function liveSessionIds(db: Kysely<Database>, ids: number[], now: number): Promise<Set<number>> {
  if (!ids.length) return new Set();
  const rows = await db.selectFrom('sessions').select('id').where('id', 'in', ids).where('expires_at', '>', now).execute();
  return new Set(rows.map((r) => Number(r.id)));
}

/** Role and disabled flag of these operators (for open live streams). */
export async function operatorStates(db: Kysely<Database>, ids: number[]): Promise<Map<number, { role: string; disabled: boolean }>> {
  if (!ids.length) return new Map();
  const rows = await db.selectFrom('operators').select(['id', 'role', 'disabled']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [Number(r.id), { role: r.role, disabled: !!Number(r.disabled) }]));
}
