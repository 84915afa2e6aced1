/**
 * The after-the-fact check of a message a servicer already sent from the WeCom client (WeCom offers
 * no hook to stop it): the same scanner and PII detection the outbound guard uses, over every text of
 * the message, and whether it raises an alert. Pure: the scanner and the settings are handed in.
 *
 * What raises an alert, as for the outbound guard's hold: a `block` risk word, or personal data of a
 * kind the organisation holds back (`hold_outbound_pii`). `warn` findings (and PII the organisation
 * lets go out) are recorded on the message and shown in its history, without an alert.
 */
import { checkTexts, type ComplianceSettings, type OutboundText } from './outbound-check.js';
import { maskPii, type PiiKind } from './pii.js';
import type { RiskCategory, RiskSeverity } from './risk-words.js';
import type { RiskScanner } from './scanner.js';

/** A risk-word finding as stored and shown: what was written, PII masked. */
export interface StoredRiskFinding {
  field: string;
  id: string;
  word: string;
  /** What the servicer wrote, PII masked. */
  matched: string;
  category: RiskCategory;
  severity: RiskSeverity;
  reason: string;
  suggestions: string[];
}

export interface StoredPiiFinding {
  field: string;
  kind: PiiKind;
  /** The personal data as written, masked (138****5678): the finding never repeats it in full. */
  masked: string;
  /** The organisation holds this kind back (hold_outbound_pii): it raises an alert. */
  held: boolean;
}

/** What the scan found in one message (messages.findings, alerts.findings). */
export interface MessageFindings {
  risk: StoredRiskFinding[];
  pii: StoredPiiFinding[];
  /** block: a block risk word; pii: held personal data only; null: recorded, no alert. */
  alert: 'block' | 'pii' | null;
}

/** Scans the texts of one sent message; null when there is nothing to record. */
export function scanSentMessage(scanner: RiskScanner, settings: ComplianceSettings, texts: readonly OutboundText[]): MessageFindings | null {
  const result = checkTexts(scanner, texts);
  if (result.findings.length === 0 && result.pii.length === 0) return null;
  const byField = new Map(texts.map((t) => [t.field, t.text]));
  const held = new Set<PiiKind>(settings.hold_outbound_pii);
  const risk = result.findings.map((f) => ({
    field: f.field,
    id: f.id,
    word: f.word,
    matched: maskPii(f.matched),
    category: f.category,
    severity: f.severity,
    reason: f.reason,
    suggestions: f.suggestions,
  }));
  const pii = result.pii.map((p) => ({ field: p.field, kind: p.kind, masked: maskPii((byField.get(p.field) ?? '').slice(p.start, p.end)), held: held.has(p.kind) }));
  const alert = result.blocking.length > 0 ? 'block' : pii.some((p) => p.held) ? 'pii' : null;
  return { risk, pii, alert };
}

/** One line for people (audit reason, app message): the block words and held personal data found. */
export function describeMessageFindings(f: MessageFindings, piiLabel: (kind: PiiKind) => string): string {
  const parts: string[] = [];
  const words = [...new Map(f.risk.filter((r) => r.severity === 'block').map((r) => [r.id, r])).values()];
  if (words.length) parts.push(`禁用词 ${words.map((w) => `「${w.matched}」(${w.category})`).join('、')}`);
  const pii = [...new Set(f.pii.filter((p) => p.held).map((p) => `${piiLabel(p.kind)} ${p.masked}`))];
  if (pii.length) parts.push(`个人信息 ${pii.join('、')}`);
  return parts.join('；');
}
