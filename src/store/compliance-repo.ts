/**
 * Compliance data: the organisation's risk-word edits (overlays on the shipped library), approvals of
 * texts with block findings, the audit log and the compliance settings.
 */
import type { Kysely, Transaction } from 'kysely';
import { maskPii } from '../compliance/pii.js';
import type { OrganisationWord } from '../compliance/library.js';
import { type ComplianceSettings, DEFAULT_COMPLIANCE_SETTINGS } from '../compliance/outbound-check.js';
import type { Database } from './schema.js';
import { bumpVersion, readSetting, readVersion, writeSetting } from './settings.js';

type Db = Kysely<Database> | Transaction<Database>;

export async function riskWordEdits(db: Db): Promise<OrganisationWord[]> {
  const rows = await db.selectFrom('risk_word_edits').select(['id', 'patch']).orderBy('created_at').orderBy('id').execute();
  return rows.map((r) => ({ ...(JSON.parse(r.patch) as Omit<OrganisationWord, 'id'>), id: r.id }));
}

/** Saves edits (whole overlays by id); callers validate first. Bumps the version every instance watches. */
export async function saveRiskWordEdits(db: Db, edits: readonly OrganisationWord[], by: string, now: number): Promise<void> {
  for (const e of edits) {
    const { id, ...patch } = e;
    const value = JSON.stringify(patch);
    await db
      .insertInto('risk_word_edits')
      .values({ id, patch: value, updated_by: by, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet({ patch: value, updated_by: by, updated_at: now }))
      .execute();
  }
  await bumpRiskWordsVersion(db);
}

export async function deleteRiskWordEdit(db: Db, id: string): Promise<boolean> {
  const res = await db.deleteFrom('risk_word_edits').where('id', '=', id).executeTakeFirst();
  const deleted = Number(res.numDeletedRows) > 0;
  if (deleted) await bumpRiskWordsVersion(db);
  return deleted;
}

export function riskWordsVersion(db: Db): Promise<string> {
  return readVersion(db, 'risk_words_version');
}

function bumpRiskWordsVersion(db: Db): Promise<void> {
  return bumpVersion(db, 'risk_words_version');
}

export async function complianceSettings(db: Db): Promise<ComplianceSettings> {
  const value = await readSetting(db, 'compliance');
  return value ? { ...DEFAULT_COMPLIANCE_SETTINGS, ...(JSON.parse(value) as Partial<ComplianceSettings>) } : DEFAULT_COMPLIANCE_SETTINGS;
}

export async function saveComplianceSettings(db: Db, settings: ComplianceSettings): Promise<void> {
  await writeSetting(db, 'compliance', JSON.stringify(settings));
  await bumpRiskWordsVersion(db);
}

/** Records that `text` may go out despite block findings on these word ids. */
export async function approveText(db: Db, textSha256: string, wordIds: readonly string[], by: string, reason: string, now: number): Promise<void> {
  await db
    .insertInto('compliance_approvals')
    .values({ text_sha256: textSha256, word_ids: JSON.stringify([...new Set(wordIds)].sort()), approved_by: by, reason, created_at: now })
    .execute();
}

/** The word ids approved for this exact text (union over its approvals). */
export async function approvedWordIds(db: Db, textSha256: string): Promise<Set<string>> {
  const rows = await db.selectFrom('compliance_approvals').select('word_ids').where('text_sha256', '=', textSha256).execute();
  return new Set(rows.flatMap((r) => JSON.parse(r.word_ids) as string[]));
}

/**
 * What an audit entry records. alerted: a message sent past WeReply (WeCom client) broke the rules, found
 * after the fact; acknowledged: someone handled that alert; taken_over / handed_to_wecom / closed: a
 * conversation moved between the desks or was ended.
 */
export const AUDIT_ACTIONS = ['blocked', 'overridden', 'confirmed', 'held', 'released', 'words_changed', 'words_imported', 'alerted', 'acknowledged', 'taken_over', 'handed_to_wecom', 'closed'] as const;
export const AUDIT_SUBJECTS = ['rule', 'material', 'handoff_settings', 'agent_message', 'outbox', 'risk_words', 'servicer_message', 'alert', 'conversation'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
export type AuditSubject = (typeof AUDIT_SUBJECTS)[number];

export interface AuditEntry {
  action: AuditAction;
  subject_type: AuditSubject;
  subject_id: string | number | null;
  actor: string;
  /** Stored with PII masked: the audit log outlives the conversation and is read by many roles. */
  text?: string | null;
  findings?: unknown[];
  reason?: string | null;
}

export async function recordAudit(db: Db, e: AuditEntry, now: number): Promise<void> {
  await db
    .insertInto('compliance_audit')
    .values({
      action: e.action,
      subject_type: e.subject_type,
      subject_id: e.subject_id === null ? null : String(e.subject_id),
      actor: e.actor,
      text: e.text ? maskPii(e.text) : null,
      findings: JSON.stringify(e.findings ?? []),
      reason: e.reason ?? null,
      created_at: now,
    })
    .execute();
}
