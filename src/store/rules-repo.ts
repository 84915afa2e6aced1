/**
 * Rules as stored rows ⇄ the Rule model.
 */
import type { Kysely } from 'kysely';
import { DEFAULT_HANDOFF, type HandoffSettings, type Rule } from '../rules/rule.js';
import type { RuleFields } from '../rules/validate-rule.js';
import type { Database, RuleRow } from './schema.js';
import { bumpVersion, readSetting, readVersion, writeSetting } from './settings.js';

export function ruleFromRow(row: RuleRow): Rule {
  return {
    id: Number(row.id),
    name: row.name,
    kind: row.kind as Rule['kind'],
    match: row.match ? JSON.parse(row.match) : null,
    reply: JSON.parse(row.reply),
    priority: Number(row.priority),
    stop: !!row.stop,
    active_hours: row.active_hours ? JSON.parse(row.active_hours) : null,
    cooldown_seconds: row.cooldown_seconds === null ? null : Number(row.cooldown_seconds),
    enabled: !!row.enabled,
    status: row.status as Rule['status'],
    hit_count: Number(row.hit_count),
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
  };
}

function toColumns(f: RuleFields) {
  return {
    name: f.name,
    kind: f.kind,
    match: f.match ? JSON.stringify(f.match) : null,
    reply: JSON.stringify(f.reply),
    priority: f.priority,
    stop: f.stop ? 1 : 0,
    active_hours: f.active_hours ? JSON.stringify(f.active_hours) : null,
    cooldown_seconds: f.cooldown_seconds,
    enabled: f.enabled ? 1 : 0,
    status: f.status,
  };
}

export async function listRules(db: Kysely<Database>): Promise<Rule[]> {
  const rows = await db.selectFrom('rules').selectAll().orderBy('priority', 'desc').orderBy('id').execute();
  return rows.map(ruleFromRow);
}

export async function getRule(db: Kysely<Database>, id: number): Promise<Rule | undefined> {
  const row = await db.selectFrom('rules').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? ruleFromRow(row) : undefined;
}

export async function insertRule(db: Kysely<Database>, f: RuleFields, now: number): Promise<Rule> {
  const row = await db
    .insertInto('rules')
    .values({ ...toColumns(f), hit_count: 0, created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
  await bumpRulesVersion(db);
  return ruleFromRow(row);
}

export async function updateRule(db: Kysely<Database>, id: number, f: RuleFields, now: number): Promise<Rule | undefined> {
  const row = await db
    .updateTable('rules')
    .set({ ...toColumns(f), updated_at: now })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (row) await bumpRulesVersion(db);
  return row ? ruleFromRow(row) : undefined;
}

export async function deleteRule(db: Kysely<Database>, id: number): Promise<boolean> {
  const res = await db.deleteFrom('rules').where('id', '=', id).executeTakeFirst();
  const deleted = Number(res.numDeletedRows) > 0;
  if (deleted) await bumpRulesVersion(db);
  return deleted;
}

/** Every instance reloads its compiled rules when this number changes. */
export function rulesVersion(db: Kysely<Database>): Promise<string> {
  return readVersion(db, 'rules_version');
}

/** 转人工 settings: phrases, after how many unmatched messages, the waiting message. */
export async function handoffSettings(db: Kysely<Database>): Promise<HandoffSettings> {
  const value = await readSetting(db, 'handoff');
  return value ? { ...DEFAULT_HANDOFF, ...(JSON.parse(value) as Partial<HandoffSettings>) } : DEFAULT_HANDOFF;
}

export async function saveHandoffSettings(db: Kysely<Database>, settings: HandoffSettings): Promise<void> {
  await writeSetting(db, 'handoff', JSON.stringify(settings));
  await bumpRulesVersion(db);
}

function bumpRulesVersion(db: Kysely<Database>): Promise<void> {
  return bumpVersion(db, 'rules_version');
}
