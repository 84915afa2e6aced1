/**
 * The check every outbound word passes: which texts of a reply the customer will read, their risk-word
 * findings (with the field each is in) and the PII they contain, and the verdict (send / confirm /
 * hold). Pure: the scanner and the organisation's settings are handed in. Called when a rule,
 * material or setting is saved, when an agent writes a message, and by the outbox before each send.
 */
import type { MenuItem, ReplyItem } from '../rules/rule.js';
import { findPii, type PiiKind, PII_KINDS } from './pii.js';
import type { Finding } from './risk-words.js';
import type { RiskScanner } from './scanner.js';

/** A text the customer reads, and where it sits (e.g. "reply[0].text", "reply[2].items[1].content"). */
export interface OutboundText {
  field: string;
  text: string;
}

export interface FieldFinding extends Finding {
  field: string;
}

export interface PiiHit {
  field: string;
  kind: PiiKind;
  start: number;
  end: number;
}

/** The organisation's compliance policy (settings key "compliance"). */
export interface ComplianceSettings {
  /** Agent messages without any finding are sent at once; otherwise every agent message waits for 二次确认. */
  send_clean_agent_messages_immediately: boolean;
  /**
   * PII rule: outbound messages containing these kinds of personal data (e.g. a customer's mobile
   * number pasted into a reply) are held in the outbox instead of sent. Empty: PII may go out.
   */
  hold_outbound_pii: PiiKind[];
  /** How long a 二次确认 token stays valid. */
  confirmation_ttl_seconds: number;
}

export const DEFAULT_COMPLIANCE_SETTINGS: ComplianceSettings = {
  send_clean_agent_messages_immediately: true,
  hold_outbound_pii: [],
  confirmation_ttl_seconds: 600,
};

export const complianceSettingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['send_clean_agent_messages_immediately', 'hold_outbound_pii', 'confirmation_ttl_seconds'],
  properties: {
    send_clean_agent_messages_immediately: { type: 'boolean', description: 'clean agent messages go out without 二次确认' },
    hold_outbound_pii: { type: 'array', uniqueItems: true, items: { type: 'string', enum: [...PII_KINDS] }, description: 'hold outbound messages containing these kinds of PII' },
    confirmation_ttl_seconds: { type: 'integer', minimum: 30, maximum: 86400 },
  },
} as const;

/** The texts of reply items a customer will read (materials' names are checked when uploaded). */
export function outboundTexts(items: readonly ReplyItem[], prefix = 'reply'): OutboundText[] {
  const out: OutboundText[] = [];
  items.forEach((item, i) => {
    const at = `${prefix}[${i}]`;
    switch (item.type) {
      case 'text':
        out.push({ field: `${at}.text`, text: item.text });
        break;
      case 'link':
        out.push({ field: `${at}.title`, text: item.title });
        if (item.desc) out.push({ field: `${at}.desc`, text: item.desc });
        break;
      case 'miniprogram':
        out.push({ field: `${at}.title`, text: item.title });
        break;
      case 'menu':
        if (item.head) out.push({ field: `${at}.head`, text: item.head });
        item.items.forEach((m: MenuItem, j) => out.push({ field: `${at}.items[${j}].content`, text: m.content }));
        if (item.tail) out.push({ field: `${at}.tail`, text: item.tail });
        break;
      default:
        break;
    }
  });
  return out;
}

export interface CheckResult {
  findings: FieldFinding[];
  /** Findings with severity block. */
  blocking: FieldFinding[];
  pii: PiiHit[];
}

export function checkTexts(scanner: RiskScanner, texts: readonly OutboundText[]): CheckResult {
  const findings: FieldFinding[] = [];
  const pii: PiiHit[] = [];
  for (const t of texts) {
    for (const f of scanner.scan(t.text)) findings.push({ field: t.field, ...f });
    for (const p of findPii(t.text)) pii.push({ field: t.field, kind: p.kind, start: p.start, end: p.end });
  }
  return { findings, blocking: findings.filter((f) => f.severity === 'block'), pii };
}

/** One line a person understands, e.g. 含禁用词「最优惠」(绝对化用语)：《广告法》…；建议改为「优惠力度大」 */
export function describeFindings(findings: readonly Finding[]): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const f of findings) {
    if (seen.has(f.id)) continue;
    seen.add(f.id);
    const advice = f.suggestions.length ? `；建议改为「${f.suggestions.slice(0, 2).join('」或「')}」` : '';
    parts.push(`「${f.matched}」(${f.category})：${f.reason}${advice}`);
  }
  return parts.join('；');
}
