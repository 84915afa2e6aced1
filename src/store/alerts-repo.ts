/**
 * Alerts: messages that broke the compliance rules after they were sent (servicers in the WeCom
 * client), the WeCom app message that tells the supervisors, and their acknowledgement.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { MessageFindings } from '../compliance/servicer-scan.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** The job that sends one alert's WeCom app message (key alert_notify:<id>: one job per alert, ever). */
export const ALERT_NOTIFY_JOB = 'alert_notify';

export interface NewAlert {
  kind: 'servicer_message';
  severity: 'block' | 'pii';
  conversationId: number;
  messageId: number;
  servicerUserid: string | null;
  findings: MessageFindings;
  /** PII masked. */
  text: string | null;
}

/**
 * Writes the alert and the job that notifies about it, in the caller's transaction (the ingest's):
 * the message, its alert and the notification are committed together or not at all. A message seen
 * again raises nothing (unique per message and kind). Returns the new alert's id, or null.
 */
export async function insertAlert(trx: Db, a: NewAlert, now: number): Promise<number | null> {
  const row = (
    await sql<{ id: number }>`
      INSERT INTO alerts (kind, severity, conversation_id, message_id, servicer_userid, findings, text, created_at, notify_status)
      VALUES (${a.kind}, ${a.severity}, ${a.conversationId}, ${a.messageId}, ${a.servicerUserid}, ${JSON.stringify(a.findings)}, ${a.text}, ${now}, 'pending')
      ON CONFLICT (message_id, kind) DO NOTHING RETURNING id`.execute(trx)
  ).rows[0];
  if (!row) return null;
  const id = Number(row.id);
  // The same row JobQueue.enqueue writes; the key makes a second notification job for this alert impossible.
  await sql`
    INSERT INTO jobs (kind, key, payload, run_at, attempts, locked_by, locked_until, last_error, created_at)
    VALUES (${ALERT_NOTIFY_JOB}, ${`${ALERT_NOTIFY_JOB}:${id}`}, ${JSON.stringify({ alert_id: id })}, ${now}, 0, NULL, NULL, NULL, ${now})
    ON CONFLICT (key) DO NOTHING`.execute(trx);
  return id;
}

export interface AlertView {
  id: number;
  kind: string;
  severity: string;
  conversation_id: number;
  message_id: number;
  external_userid: string | null;
  servicer_userid: string | null;
  servicer_name: string | null;
  findings: MessageFindings;
  text: string | null;
  created_at: number;
  acknowledged_by: string | null;
  acknowledged_at: number | null;
  ack_note: string | null;
  notify_status: string;
  notify_detail: string | null;
  notified_at: number | null;
}

function baseQuery(db: Db) {
  return db
    .selectFrom('alerts as a')
    .leftJoin('servicers as sv', 'sv.userid', 'a.servicer_userid')
    .leftJoin('conversations as c', 'c.id', 'a.conversation_id')
    .select([
      'a.id',
      'a.kind',
      'a.severity',
      'a.conversation_id',
      'a.message_id',
      'c.external_userid',
      'a.servicer_userid',
      'sv.name as servicer_name',
      'a.findings',
      'a.text',
      'a.created_at',
      'a.acknowledged_by',
      'a.acknowledged_at',
      'a.ack_note',
      'a.notify_status',
      'a.notify_detail',
      'a.notified_at',
    ]);
}

type Row = Awaited<ReturnType<ReturnType<typeof baseQuery>['executeTakeFirstOrThrow']>>;

function view(r: Row): AlertView {
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: Number(r.id),
    kind: r.kind,
    severity: r.severity,
    conversation_id: Number(r.conversation_id),
    message_id: Number(r.message_id),
    external_userid: r.external_userid ?? null,
    servicer_userid: r.servicer_userid,
    servicer_name: r.servicer_name ?? null,
    findings: JSON.parse(r.findings) as MessageFindings,
    text: r.text,
    created_at: Number(r.created_at),
    acknowledged_by: r.acknowledged_by,
    acknowledged_at: n(r.acknowledged_at),
    ack_note: r.ack_note,
    notify_status: r.notify_status,
    notify_detail: r.notify_detail,
    notified_at: n(r.notified_at),
  };
}

export type AlertFilter = 'open' | 'acknowledged' | 'all';

/** Alerts newest first, with the total for paging. */
export async function listAlerts(db: Db, filter: AlertFilter, limit: number, offset: number): Promise<{ items: AlertView[]; total: number }> {
  const where = <Q extends { where: (...args: any[]) => Q }>(q: Q): Q =>
    filter === 'open' ? q.where('a.acknowledged_at', 'is', null) : filter === 'acknowledged' ? q.where('a.acknowledged_at', 'is not', null) : q;
  const rows = await where(baseQuery(db) as any)
    .orderBy('a.id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
  const total = await where(db.selectFrom('alerts as a').select((eb) => eb.fn.countAll().as('n')) as any).executeTakeFirst();
  return { items: (rows as Row[]).map(view), total: Number((total as { n?: unknown } | undefined)?.n ?? 0) };
}

export async function getAlert(db: Db, id: number): Promise<AlertView | undefined> {
  const r = await baseQuery(db).where('a.id', '=', id).executeTakeFirst();
  return r ? view(r) : undefined;
}

export async function openAlertCount(db: Db): Promise<number> {
  const r = await db.selectFrom('alerts').select((eb) => eb.fn.countAll().as('n')).where('acknowledged_at', 'is', null).executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** Marks an open alert acknowledged; false when it was acknowledged already (by someone else, at the same time). */
export async function acknowledgeAlert(db: Db, id: number, by: string, note: string | null, now: number): Promise<boolean> {
  const res = await db
    .updateTable('alerts')
    .set({ acknowledged_by: by, acknowledged_at: now, ack_note: note })
    .where('id', '=', id)
    .where('acknowledged_at', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export async function setAlertNotified(db: Db, id: number, status: 'sent' | 'failed' | 'no_recipients' | 'not_configured', detail: string | null, now: number): Promise<void> {
  await db
    .updateTable('alerts')
    .set({ notify_status: status, notify_detail: detail, notified_at: status === 'sent' ? now : null })
    .where('id', '=', id)
    .execute();
}

/** Setting key: WeCom userids who receive every alert as an app message, besides the supervisors. */
export const ALERT_RECIPIENTS_SETTING = 'alerts';

export interface AlertSettings {
  /** WeCom userids who receive every alert as an app message. */
  notify_userids: string[];
  /** Also the operators with role supervisor who are linked to a servicer (their WeCom userid). */
  notify_supervisors: boolean;
}

export const DEFAULT_ALERT_SETTINGS: AlertSettings = { notify_userids: [], notify_supervisors: true };

export async function alertSettings(db: Db): Promise<AlertSettings> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', ALERT_RECIPIENTS_SETTING).executeTakeFirst();
  return row ? { ...DEFAULT_ALERT_SETTINGS, ...(JSON.parse(row.value) as Partial<AlertSettings>) } : DEFAULT_ALERT_SETTINGS;
}

export async function saveAlertSettings(db: Db, s: AlertSettings): Promise<void> {
  const value = JSON.stringify(s);
  await db
    .insertInto('settings')
    .values({ key: ALERT_RECIPIENTS_SETTING, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}

/** Who receives an alert's app message: the configured userids and (if enabled) the supervisors' userids, once each. */
export async function alertRecipients(db: Db): Promise<string[]> {
  const s = await alertSettings(db);
  const ids = new Set(s.notify_userids);
  if (s.notify_supervisors) {
    const rows = await db.selectFrom('operators').select('servicer_userid').where('role', '=', 'supervisor').where('disabled', '=', 0).where('servicer_userid', 'is not', null).execute();
    for (const r of rows) if (r.servicer_userid) ids.add(r.servicer_userid);
  }
  return [...ids].sort();
}

export interface ServicerMessageStats {
  servicer_userid: string;
  servicer_name: string | null;
  /** Messages sent from the WeCom client in the period. */
  messages: number;
  /** Alerts raised on them. */
  alerts: number;
  /** Replies that answered a waiting customer message, and the median time they took (ms). */
  responses: number;
  median_response_ms: number | null;
}

/**
 * Per servicer: messages sent from the WeCom client in [since, until), alerts on them, and the time
 * from a customer's message to the servicer's first message after it (first-response time).
 */
export async function servicerMessageStats(db: Db, since: number, until: number): Promise<ServicerMessageStats[]> {
  const rows = await db
    .selectFrom('messages')
    .select(['conversation_id', 'origin', 'servicer_userid', 'send_time'])
    .where('send_time', '>=', since)
    .where('send_time', '<', until)
    .where('origin', 'in', [3, 5])
    .where('conversation_id', '>', 0)
    .orderBy('conversation_id')
    .orderBy('send_time')
    .orderBy('id')
    .limit(200_000)
    .execute();
  const stats = new Map<string, { messages: number; times: number[] }>();
  let conversation = -1;
  let waitingSince: number | null = null;
  for (const r of rows) {
    if (Number(r.conversation_id) !== conversation) {
      conversation = Number(r.conversation_id);
      waitingSince = null;
    }
    if (Number(r.origin) === 3) {
      waitingSince ??= Number(r.send_time);
      continue;
    }
    const who = r.servicer_userid ?? '';
    const s = stats.get(who) ?? { messages: 0, times: [] };
    s.messages++;
    if (waitingSince !== null) s.times.push(Number(r.send_time) - waitingSince);
    waitingSince = null;
    stats.set(who, s);
  }
  const alerts = await db
    .selectFrom('alerts')
    .select(['servicer_userid', (eb) => eb.fn.countAll().as('n')])
    .where('created_at', '>=', since)
    .where('created_at', '<', until)
    .groupBy('servicer_userid')
    .execute();
  const alertCount = new Map(alerts.map((a) => [a.servicer_userid ?? '', Number(a.n)]));
  const names = new Map((await db.selectFrom('servicers').select(['userid', 'name']).execute()).map((s) => [s.userid, s.name]));
  return [...stats.entries()]
    .map(([who, s]) => {
      const sorted = s.times.sort((a, b) => a - b);
      const median = sorted.length ? sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2 : null;
      return { servicer_userid: who, servicer_name: names.get(who) ?? null, messages: s.messages, alerts: alertCount.get(who) ?? 0, responses: sorted.length, median_response_ms: median };
    })
    .sort((a, b) => b.messages - a.messages || a.servicer_userid.localeCompare(b.servicer_userid));
}
