/**
 * Routing data as stored: 接待人员 rows, versioned routing configurations, round-robin state.
 */
import type { Kysely, Transaction } from 'kysely';
import { DEFAULT_COMPLAINT_PHRASES, type Group, type Load, type RoutingConfig, type Servicer } from '../routing/model.js';
import type { RoundRobinState } from '../routing/round-robin.js';
import type { Database, ServicerTable } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface RoutingVersion {
  version: number;
  config: RoutingConfig;
  author: string;
  note: string | null;
  created_at: number;
}

export function defaultRoutingConfig(timezone: string): RoutingConfig {
  return { groups: [], tree: { timezone, nodes: [] }, complaintPhrases: DEFAULT_COMPLAINT_PHRASES };
}

/** The routing configuration in force: the newest version (version 0 = nothing saved yet). */
export async function currentRouting(db: Db, timezone: string): Promise<RoutingVersion> {
  const row = await db.selectFrom('routing_versions').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirst();
  if (!row) return { version: 0, config: defaultRoutingConfig(timezone), author: 'default', note: null, created_at: 0 };
  return { version: Number(row.id), config: JSON.parse(row.config), author: row.author, note: row.note, created_at: Number(row.created_at) };
}

/** Saves a new version and puts every servicer's `groups` in step with the groups' members. */
export async function saveRouting(db: Db, config: RoutingConfig, author: string, note: string | null, now = Date.now()): Promise<RoutingVersion> {
  const row = await db.insertInto('routing_versions').values({ config: JSON.stringify(config), author, note, created_at: now }).returning('id').executeTakeFirstOrThrow();
  await syncServicerGroups(db, config.groups, now);
  return { version: Number(row.id), config, author, note, created_at: now };
}

async function syncServicerGroups(db: Db, groups: readonly Group[], now: number): Promise<void> {
  const rows = await db.selectFrom('servicers').select(['userid', 'groups']).execute();
  for (const r of rows) {
    const groupsJson = JSON.stringify(groups.filter((g) => g.members.includes(r.userid)).map((g) => g.id));
    if (groupsJson !== r.groups) await db.updateTable('servicers').set({ groups: groupsJson, updated_at: now }).where('userid', '=', r.userid).execute();
  }
}

export async function routingVersions(db: Db, limit = 50): Promise<RoutingVersion[]> {
  const rows = await db.selectFrom('routing_versions').selectAll().orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => ({ version: Number(r.id), config: JSON.parse(r.config), author: r.author, note: r.note, created_at: Number(r.created_at) }));
}

export function servicerFromRow(r: ServicerTable): Servicer & { openKfids: string[] } {
  return {
    userid: r.userid,
    name: r.name,
    groups: JSON.parse(r.groups),
    receptionCap: Number(r.reception_cap),
    supervisor: !!r.supervisor,
    status: r.status === 'departed' ? 'departed' : 'active',
    receiving: !!r.receiving,
    timezone: r.timezone,
    ...(r.shift ? { shift: JSON.parse(r.shift) } : {}),
    openKfids: JSON.parse(r.open_kfids),
  };
}

export async function listServicers(db: Db): Promise<(Servicer & { openKfids: string[] })[]> {
  const rows = await db.selectFrom('servicers').selectAll().orderBy('userid').execute();
  return rows.map(servicerFromRow);
}

export async function roundRobinStates(db: Db): Promise<Record<string, RoundRobinState>> {
  const rows = await db.selectFrom('routing_state').selectAll().where('key', 'like', 'rr:%').execute();
  return Object.fromEntries(rows.map((r) => [r.key.slice(3), JSON.parse(r.value) as RoundRobinState]));
}

export async function saveRoundRobinStates(db: Db, states: Record<string, RoundRobinState>, now = Date.now()): Promise<void> {
  for (const [group, state] of Object.entries(states)) {
    const value = JSON.stringify(state);
    await db
      .insertInto('routing_state')
      .values({ key: `rr:${group}`, value, updated_at: now })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now }))
      .execute();
  }
}

/**
 * Serialises assignments: the first statement of an assignment's transaction. It writes one row
 * (`lock:assign` in routing_state), so on PostgreSQL the row stays locked until the transaction
 * ends and a second instance's assignment waits here, then reads what the first one committed
 * (READ COMMITTED takes a new snapshot per statement). On SQLite the write takes the database's
 * write lock (and the group commit runs writes one after the other in any case). Every read that
 * decides who gets the conversation (load, rotation) comes after this statement.
 */
export async function lockAssignments(trx: Transaction<Database>, now: number): Promise<void> {
  await trx
    .insertInto('routing_state')
    .values({ key: 'lock:assign', value: '{}', updated_at: now })
    .onConflict((oc) => oc.column('key').doUpdateSet({ updated_at: now }))
    .execute();
}

/**
 * Open sessions per servicer now, reservations included. `except`: a conversation being routed
 * again (a reassignment) does not count against the servicer it is leaving.
 */
export async function openSessionLoad(db: Db, except?: number): Promise<Load> {
  let q = db
    .selectFrom('conversations')
    .select(['servicer_userid', (eb) => eb.fn.countAll<number>().as('open'), (eb) => eb.fn.sum<number>('complaint').as('complaints')])
    // A slot is held by a WeCom session with a servicer (state 3) or by a WeReply agent holding the conversation (desk 'wereply').
    .where((eb) => eb.or([eb('service_state', '=', 3), eb('desk', '=', 'wereply')]))
    .where('servicer_userid', 'is not', null);
  if (except !== undefined) q = q.where('id', '!=', except);
  const rows = await q.groupBy('servicer_userid').execute();
  const load: Load = { open: {}, openComplaints: {} };
  for (const r of rows) {
    load.open[r.servicer_userid!] = Number(r.open);
    load.openComplaints![r.servicer_userid!] = Number(r.complaints ?? 0);
  }
  return load;
}

/** Takes a slot of the servicer's 接待上限 for the conversation (inside the assignment's locked transaction). */
export async function reserveSlot(trx: Transaction<Database>, conversationId: number, userid: string, complaint: boolean, now: number, desk: 'wecom' | 'wereply' = 'wecom'): Promise<void> {
  // WeReply desk: the session stays where it is (the API's state 0/1); the holder takes the slot.
  const state = desk === 'wecom' ? { service_state: 3 } : {};
  await trx.updateTable('conversations').set({ servicer_userid: userid, ...state, desk, complaint: complaint ? 1 : 0, updated_at: now }).where('id', '=', conversationId).execute();
}

/** A department listed as 接待人员 (kf/servicer/list), as the last servicer sync found it. */
export interface DepartmentExpansion {
  department_id: number;
  /** The kf accounts it is 接待人员 of. */
  open_kfids: string[];
  /** Its members were read with the contact API and synced as servicers. */
  expanded: boolean;
  /** Member userids (empty when not expanded). */
  members: string[];
  /** Why it was not expanded and what to do (60011 outside the app's 可见范围, 48002 no contact API permission…). */
  reason?: string;
}

const DEPARTMENTS_KEY = 'servicer-departments';

export async function saveServicerDepartments(db: Db, departments: readonly DepartmentExpansion[], now = Date.now()): Promise<void> {
  const value = JSON.stringify(departments);
  await db
    .insertInto('routing_state')
    .values({ key: DEPARTMENTS_KEY, value, updated_at: now })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now }))
    .execute();
}

/** The departments the last servicer sync found (none before the first sync). */
export async function servicerDepartments(db: Db): Promise<DepartmentExpansion[]> {
  const row = await db.selectFrom('routing_state').select('value').where('key', '=', DEPARTMENTS_KEY).executeTakeFirst();
  return row ? (JSON.parse(row.value) as DepartmentExpansion[]) : [];
}
