/**
 * regex_rule_stats: per regex rule, how many messages it was cut off on (its own time limit) or
 * skipped for (the message's regex budget was spent), and when that last happened. Written in the
 * message's own transaction by ingestMessage, read by the rules API (regex_health).
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { SkippedRule } from '../rules/decide.js';
import type { Database } from './schema.js';

export interface RegexHealth {
  /** Messages on which one of the rule's patterns hit its time limit. */
  timeouts: number;
  /** Messages on which the rule was not evaluated: the message's regex budget was spent. */
  budget_skips: number;
  /** Last time either happened (ms). */
  last_at: number;
}

/** The regex cut-offs of one decision, one count per rule and kind. */
export function regexCutoffs(skipped: readonly SkippedRule[]): Map<number, { timeouts: number; budget_skips: number }> {
  const out = new Map<number, { timeouts: number; budget_skips: number }>();
  for (const s of skipped) {
    if (s.reason !== 'regex_timeout' && s.reason !== 'regex_budget') continue;
    const c = out.get(s.rule.id) ?? { timeouts: 0, budget_skips: 0 };
    if (s.reason === 'regex_timeout') c.timeouts = 1;
    else c.budget_skips = 1;
    out.set(s.rule.id, c);
  }
  return out;
}

/** Adds one decision's cut-offs (several instances may add at once: the upsert adds, never overwrites). */
export async function recordRegexCutoffs(trx: Transaction<Database> | Kysely<Database>, skipped: readonly SkippedRule[], now: number): Promise<void> {
  for (const [ruleId, c] of regexCutoffs(skipped)) {
    await sql`
      INSERT INTO regex_rule_stats (rule_id, timeouts, budget_skips, last_at) VALUES (${ruleId}, ${c.timeouts}, ${c.budget_skips}, ${now})
      ON CONFLICT (rule_id) DO UPDATE SET timeouts = regex_rule_stats.timeouts + excluded.timeouts,
        budget_skips = regex_rule_stats.budget_skips + excluded.budget_skips, last_at = excluded.last_at`.execute(trx);
  }
}

export async function regexHealth(db: Kysely<Database>): Promise<Map<number, RegexHealth>> {
  const rows = await db.selectFrom('regex_rule_stats').selectAll().execute();
  return new Map(rows.map((r) => [Number(r.rule_id), { timeouts: Number(r.timeouts), budget_skips: Number(r.budget_skips), last_at: Number(r.last_at) }]));
}
