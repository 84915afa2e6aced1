/**
 * The desk configuration (the 'desks' setting), operators' presence, and WeReply's own waiting
 * queue (conversations of the WeReply desk that nobody present could take yet).
 */
import type { Kysely, Transaction } from 'kysely';
import { DEFAULT_DESK_CONFIG, type DeskConfig, isPresent } from '../routing/desk.js';
import type { Database } from './schema.js';
import { readSetting, writeSetting } from './settings.js';

type Db = Kysely<Database> | Transaction<Database>;

const DESKS_KEY = 'desks';

export async function readDesks(db: Db): Promise<DeskConfig> {
  const raw = await readSetting(db, DESKS_KEY);
  if (!raw) return DEFAULT_DESK_CONFIG;
  const saved = JSON.parse(raw) as Partial<DeskConfig>;
  return { accounts: saved.accounts ?? {}, groups: saved.groups ?? {}, default: saved.default ?? 'wecom' };
}

export async function writeDesks(db: Db, config: DeskConfig): Promise<void> {
  await writeSetting(db, DESKS_KEY, JSON.stringify(config));
}

export interface PresenceRow {
  operatorId: number;
  name: string;
  servicerUserid: string | null;
  presence: string;
  seenAt: number | null;
}

export async function operatorPresence(db: Db, operatorId: number): Promise<PresenceRow | undefined> {
  const r = await db.selectFrom('operators').select(['id', 'name', 'servicer_userid', 'presence', 'presence_seen_at']).where('id', '=', operatorId).executeTakeFirst();
  return r && { operatorId: Number(r.id), name: r.name, servicerUserid: r.servicer_userid, presence: r.presence, seenAt: r.presence_seen_at === null ? null : Number(r.presence_seen_at) };
}

/** Sets 在线 / 离开; going online counts as a heartbeat. */
export async function setPresence(db: Db, operatorId: number, presence: 'online' | 'away', now: number): Promise<void> {
  await db.updateTable('operators').set({ presence, presence_seen_at: now }).where('id', '=', operatorId).execute();
}

/** The console is open: the operator's presence stays fresh. */
export async function recordHeartbeat(db: Db, operatorId: number, now: number): Promise<void> {
  await db.updateTable('operators').set({ presence_seen_at: now }).where('id', '=', operatorId).execute();
}

/** Servicer userids linked to an operator who is present now (online, heartbeat within the timeout). */
export async function presentServicers(db: Db, now: number, timeoutMs: number): Promise<Set<string>> {
  const rows = await db
    .selectFrom('operators')
    .select(['servicer_userid', 'presence', 'presence_seen_at'])
    .where('servicer_userid', 'is not', null)
    .where('disabled', '=', 0)
    .where('presence', '=', 'online')
    .execute();
  return new Set(rows.filter((r) => isPresent(r.presence, r.presence_seen_at === null ? null : Number(r.presence_seen_at), now, timeoutMs)).map((r) => r.servicer_userid!));
}

/** The operator linked to a servicer (for showing who holds a conversation). */
export async function operatorOfServicer(db: Db, servicerUserid: string): Promise<{ id: number; name: string } | undefined> {
  const r = await db.selectFrom('operators').select(['id', 'name']).where('servicer_userid', '=', servicerUserid).where('disabled', '=', 0).orderBy('id').limit(1).executeTakeFirst();
  return r && { id: Number(r.id), name: r.name };
}

/** Conversations waiting in WeReply's own queue (desk 'wereply', nobody holding), in arrival order. */
export async function waitingAtDesk(db: Db, openKfid: string | null, limit: number): Promise<{ id: number; openKfid: string }[]> {
  let q = db.selectFrom('conversations').select(['id', 'open_kfid']).where('desk', '=', 'wereply').where('servicer_userid', 'is', null).where('waiting_since', 'is not', null);
  if (openKfid !== null) q = q.where('open_kfid', '=', openKfid);
  const rows = await q.orderBy('waiting_since').orderBy('id').limit(limit).execute();
  return rows.map((r) => ({ id: Number(r.id), openKfid: r.open_kfid }));
}

/** The oldest waiting conversation of every kf account that has one (offered when an agent comes online). */
export async function oldestWaitingPerAccount(db: Db): Promise<number[]> {
  const accounts = await db.selectFrom('conversations').select('open_kfid').distinct().where('desk', '=', 'wereply').where('servicer_userid', 'is', null).where('waiting_since', 'is not', null).execute();
  const ids: number[] = [];
  for (const a of accounts) {
    const [first] = await waitingAtDesk(db, a.open_kfid, 1);
    if (first) ids.push(first.id);
  }
  return ids;
}
