/**
 * Routing data as stored: 接待人员 rows, versioned routing configurations, round-robin state.
 */
import type { Kysely, Transaction } from 'kysely';
import { DEFAULT_COMPLAINT_PHRASES, type Group, type RoutingConfig, type Servicer } from '../routing/model.js';
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
