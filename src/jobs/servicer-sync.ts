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
 *
 * Departments: kf/servicer/list may answer `{"department_id": N}` entries beside the members. Each
 * is expanded to its members with the contact API (user/simplelist) where the app may view it.
 * Where it may not (60011, outside the app's 可见范围; 48002, no contact API permission) or the call
 * fails, the department is recorded as not expanded with the reason (`departments` in the answer,
 * kept for the console); its members may still be 接待人员, so nobody recorded on that account is
 * marked departed until it can be expanded. Department members carry no 接待中/停止接待 in the list:
 * a new one starts receiving, an existing one keeps what servicer_status_change last said.
 */
import type { Kysely } from 'kysely';
import { saveServicerDepartments, type DepartmentExpansion } from '../store/routing-repo.js';
import type { Database } from '../store/schema.js';

/** One kf/servicer/list entry: a member with their status, or a department added as 接待人员. */
export type ServicerEntry = { userid: string; status: number } | { department_id: number };

/** The WeCom calls the sync needs (the real `WeComClient` has them). */
export interface ServicerListSource {
  /** 接待人员 of a kf account: members (status 0 = 接待中, 1 = 停止接待) and departments. */
  servicerList(openKfid: string): Promise<ServicerEntry[]>;
  /** Members of a department (contact API); absent: departments cannot be expanded. */
  departmentMembers?(departmentId: number): Promise<{ userid: string }[]>;
}

export type { DepartmentExpansion };

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
  /** Departments listed as 接待人员, by id: expanded to their members, or not, and why. */
  departments: DepartmentExpansion[];
}

/** Why a department could not be expanded, in words that say what to do. */
function whyNotExpanded(departmentId: number, err: unknown): string {
  const errcode = (err as { errcode?: unknown })?.errcode;
  const said = err instanceof Error ? err.message : String(err);
  if (errcode === 60011) {
    return `WeCom answered 60011: the app may not view department ${departmentId} (outside its 可见范围 / visible range). Add the department to the app's 可见范围 in the WeCom admin console, or add its members as 接待人员 one by one; until then its members are not synced and nobody on its accounts is marked 离职.`;
  }
  if (errcode === 48002) {
    return `WeCom answered 48002: the app may not call the contact API (user/simplelist), so department ${departmentId} cannot be expanded. Give the app 通讯录 read access (or a 可见范围 covering the department), or add its members as 接待人员 one by one; until then nobody on its accounts is marked 离职.`;
  }
  if (errcode === 60003) return `WeCom answered 60003: department ${departmentId} does not exist (any more); remove it from the kf account's 接待人员 in WeCom.`;
  return `department ${departmentId} could not be expanded (${said}); the next sync tries again, and meanwhile nobody on its accounts is marked 离职.`;
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
  const listed = new Map<string, { kfids: Set<string>; receiving: boolean | undefined }>();
  const failed: SyncServicersResult['failed'] = [];
  const list = (userid: string, kf: string, receiving: boolean | undefined) => {
    const entry = listed.get(userid) ?? { kfids: new Set<string>(), receiving: undefined };
    entry.kfids.add(kf);
    // A status from WeCom wins over none (department members have none); 接待中 on any account wins.
    if (receiving !== undefined) entry.receiving = (entry.receiving ?? false) || receiving;
    listed.set(userid, entry);
  };
  const departmentAccounts = new Map<number, Set<string>>();
  for (const kf of accounts) {
    try {
      for (const e of await client.servicerList(kf)) {
        if ('department_id' in e) {
          departmentAccounts.set(e.department_id, (departmentAccounts.get(e.department_id) ?? new Set()).add(kf));
          continue;
        }
        list(e.userid, kf, e.status === 0);
      }
    } catch (err) {
      failed.push({ open_kfid: kf, error: err instanceof Error ? err.message : String(err) });
    }
  }
  const departments: DepartmentExpansion[] = [];
  for (const [departmentId, kfs] of [...departmentAccounts].sort(([a], [b]) => a - b)) {
    const open_kfids = [...kfs].sort();
    try {
      if (!client.departmentMembers) throw new Error('this WeCom client cannot read department members');
      const members = [...new Set((await client.departmentMembers(departmentId)).map((m) => m.userid))].sort();
      for (const userid of members) for (const kf of open_kfids) list(userid, kf, undefined);
      departments.push({ department_id: departmentId, open_kfids, expanded: true, members });
    } catch (err) {
      departments.push({ department_id: departmentId, open_kfids, expanded: false, members: [], reason: whyNotExpanded(departmentId, err) });
    }
  }
  // Accounts whose 接待人员 are not fully known this time: what was recorded for them is kept.
  const unknownAccounts = new Set([...failed.map((f) => f.open_kfid), ...departments.filter((d) => !d.expanded).flatMap((d) => d.open_kfids)]);

  const result: SyncServicersResult = { accounts, added: [], updated: [], departed: [], listedButDeparted: [], failed, departments };
  const canMarkDeparted = accounts.length > 0 && failed.length === 0;
  await db.transaction().execute(async (trx) => {
    const rows = await trx.selectFrom('servicers').selectAll().execute();
    const existing = new Map(rows.map((r) => [r.userid, r]));
    for (const [userid, { kfids, receiving: listedReceiving }] of [...listed].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const openKfids = JSON.stringify([...kfids].sort());
      const row = existing.get(userid);
      // Department members come without a status: a new one starts receiving, others keep theirs.
      const receiving = listedReceiving ?? (row ? !!row.receiving : true);
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
      const kept = parseList(row.open_kfids).filter((k) => unknownAccounts.has(k));
      const merged = JSON.stringify([...new Set([...kfids, ...kept])].sort());
      if (merged !== row.open_kfids || !!row.receiving !== receiving) {
        await trx.updateTable('servicers').set({ open_kfids: merged, receiving: receiving ? 1 : 0, updated_at: now }).where('userid', '=', userid).execute();
        result.updated.push(userid);
      }
    }
    await saveServicerDepartments(trx, departments, now);
    if (!canMarkDeparted) return;
    const pulled = new Set(accounts);
    for (const row of rows) {
      if (listed.has(row.userid) || row.status === 'departed') continue;
      const recorded = parseList(row.open_kfids);
      // Recorded on an account with a department not expanded: they may be in it.
      if (recorded.some((k) => unknownAccounts.has(k))) continue;
      // Recorded (while the lists were being pulled) on an account this sync did not pull: not judged now.
      if (recorded.some((k) => !pulled.has(k))) continue;
      await trx.updateTable('servicers').set({ status: 'departed', receiving: 0, open_kfids: '[]', updated_at: now }).where('userid', '=', row.userid).execute();
      result.departed.push(row.userid);
    }
  });
  return result;
}
