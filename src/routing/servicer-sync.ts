/**
 * 接待人员 sync: pulls `kf/servicer/list` for every kf account WeReply knows and brings the
 * `servicers` table in line with it. Called by `POST /api/servicers/sync`, and meant to be called
 * at start and periodically.
 *
 * What WeCom says wins for membership and 接待中/停止接待; what the operator set (name, 接待上限,
 * supervisor flag, groups, shift, timezone) is kept. Safety first:
 * - a servicer listed on no account is marked departed (离职) only when every account answered
 *   (an account that failed might still list them);
 * - a servicer the operator marked departed is never re-activated by a sync, even when WeCom still
 *   lists them (removing someone from the kf account in WeCom may lag behind their leaving); they
 *   are reported in `listedButDeparted` so the operator can PATCH them back to active.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

/** The one WeCom call the sync needs (the real `WeComClient` has it). */
export interface ServicerListSource {
  /** 接待人员 of a kf account; status 0 = 接待中, 1 = 停止接待. */
  servicerList(openKfid: string): Promise<{ userid: string; status: number }[]>;
}

export interface SyncServicersProps {
  /** Accounts to pull besides those WeReply already knows (conversations, kf_cursors, servicers' own). */
  openKfids?: string[];
  /** Timezone given to servicers seen for the first time (the corp's). */
  timezone: string;
  /** 接待上限 given to servicers seen for the first time. */
  defaultCap?: number;
  now?: number;
}

export interface SyncServicersResult {
  /** Accounts pulled, in order. */
  accounts: string[];
  /** Servicers seen for the first time (created: active, 接待上限 10, receiving per their status). */
  added: string[];
  /** Existing servicers whose accounts or 接待中/停止接待 changed. */
  updated: string[];
  /** Servicers no longer listed on any account, now marked departed (离职). */
  departed: string[];
  /** Servicers WeCom still lists but the operator marked departed; left departed. */
  listedButDeparted: string[];
  /** Accounts whose list could not be pulled; while any is here, nobody is marked departed. */
  failed: { open_kfid: string; error: string }[];
}

const parseList = (json: string): string[] => {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
};

/** The kf accounts WeReply knows: those it has conversations or a sync cursor on, and those servicers were listed on. */
export async function knownKfAccounts(db: Kysely<Database>): Promise<string[]> {
  const [conversations, cursors, servicers] = await Promise.all([
    db.selectFrom('conversations').select('open_kfid').distinct().execute(),
    db.selectFrom('kf_cursors').select('open_kfid').execute(),
    db.selectFrom('servicers').select('open_kfids').execute(),
  ]);
  return [...new Set([...conversations.map((r) => r.open_kfid), ...cursors.map((r) => r.open_kfid), ...servicers.flatMap((r) => parseList(r.open_kfids))])];
}

/** Pulls every known account's 接待人员 and upserts them; answers what changed. */
export async function syncServicers(client: ServicerListSource, db: Kysely<Database>, props: SyncServicersProps): Promise<SyncServicersResult> {
  const now = props.now ?? Date.now();
  const accounts = [...new Set([...(await knownKfAccounts(db)), ...(props.openKfids ?? [])])].sort();
  const listed = new Map<string, { kfids: Set<string>; receiving: boolean }>();
  const failed: SyncServicersResult['failed'] = [];
  for (const kf of accounts) {
    try {
      for (const { userid, status } of await client.servicerList(kf)) {
        const entry = listed.get(userid) ?? { kfids: new Set<string>(), receiving: false };
        entry.kfids.add(kf);
        entry.receiving ||= status === 0;
        listed.set(userid, entry);
      }
    } catch (err) {
      failed.push({ open_kfid: kf, error: err instanceof Error ? err.message : String(err) });
    }
  }

  const result: SyncServicersResult = { accounts, added: [], updated: [], departed: [], listedButDeparted: [], failed };
  const canMarkDeparted = accounts.length > 0 && failed.length === 0;
  await db.transaction().execute(async (trx) => {
    const rows = await trx.selectFrom('servicers').selectAll().execute();
    const existing = new Map(rows.map((r) => [r.userid, r]));
    for (const [userid, { kfids, receiving }] of [...listed].sort(([a], [b]) => a.localeCompare(b))) {
      const openKfids = JSON.stringify([...kfids].sort());
      const row = existing.get(userid);
      if (!row) {
        const inserted = await trx
          .insertInto('servicers')
          .values({
            userid,
            name: userid,
            open_kfids: openKfids,
            groups: '[]',
            reception_cap: props.defaultCap ?? 10,
            supervisor: 0,
            status: 'active',
            receiving: receiving ? 1 : 0,
            timezone: props.timezone,
            shift: null,
            created_at: now,
            updated_at: now,
          })
          .onConflict((oc) => oc.column('userid').doNothing())
          .returning('userid')
          .executeTakeFirst();
        if (inserted) result.added.push(userid);
        continue;
      }
      if (row.status === 'departed') result.listedButDeparted.push(userid);
      // Accounts failed this time keep what was recorded for them.
      const kept = parseList(row.open_kfids).filter((k) => failed.some((f) => f.open_kfid === k));
      const merged = JSON.stringify([...new Set([...kfids, ...kept])].sort());
      if (merged !== row.open_kfids || !!row.receiving !== receiving) {
        await trx.updateTable('servicers').set({ open_kfids: merged, receiving: receiving ? 1 : 0, updated_at: now }).where('userid', '=', userid).execute();
        result.updated.push(userid);
      }
    }
    if (!canMarkDeparted) return;
    for (const row of rows) {
      if (listed.has(row.userid) || row.status === 'departed') continue;
      await trx.updateTable('servicers').set({ status: 'departed', receiving: 0, open_kfids: '[]', updated_at: now }).where('userid', '=', row.userid).execute();
      result.departed.push(row.userid);
    }
  });
  return result;
}
