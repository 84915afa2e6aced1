/**
 * The compliance stage of the pipeline: the organisation's scanner (shipped library + its edits),
 * rebuilt when the words change (at once here, within `checkEveryMs` in other instances), and the
 * verdicts the API and the outbox act on.
 */
import crypto from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { organisationLibrary } from '../compliance/library.js';
import { SHIPPED_RISK_WORDS } from '../compliance/library/shipped.js';
import { checkTexts, type CheckResult, type ComplianceSettings, describeFindings, type FieldFinding, type OutboundText, outboundTexts, type PiiHit } from '../compliance/outbound-check.js';
import type { RiskWord } from '../compliance/risk-words.js';
import { describeMessageFindings, type MessageFindings, scanSentMessage } from '../compliance/servicer-scan.js';
import { RiskScanner } from '../compliance/scanner.js';
import type { ReplyItem } from '../rules/rule.js';
import { approvedWordIds, approveText, complianceSettings, riskWordEdits, riskWordsVersion } from '../store/compliance-repo.js';
import type { Database } from '../store/schema.js';
import { VersionedCache } from './versioned-cache.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface ComplianceState {
  library: RiskWord[];
  scanner: RiskScanner;
  settings: ComplianceSettings;
}

export const PII_LABEL: Record<string, string> = { mobile: '手机号', id_card: '身份证号', bank_card: '银行卡号', email: '邮箱', address: '详细地址' };

export function textSha256(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

/** What may not go out as is: unapproved block findings, and PII the organisation holds back. */
export interface Verdict {
  hold: boolean;
  /** Why, in words the operator reads in the outbox / inbox. */
  reason: string | null;
  findings: FieldFinding[];
  pii: PiiHit[];
  /** Ids (risk-word ids and "pii:<kind>") an override of this text must cover. */
  needsApproval: string[];
}

export class ComplianceGuard {
  private readonly cache: VersionedCache<ComplianceState>;

  constructor(
    private readonly db: Kysely<Database>,
    checkEveryMs = 1000,
  ) {
    this.cache = new VersionedCache(
      () => riskWordsVersion(db),
      async () => {
        const library = organisationLibrary(SHIPPED_RISK_WORDS, await riskWordEdits(db));
        return { library, scanner: new RiskScanner(library), settings: await complianceSettings(db) };
      },
      checkEveryMs,
    );
  }

  get(): Promise<ComplianceState> {
    return this.cache.get();
  }

  /** Called by the compliance API after a change in this instance. */
  invalidate(): void {
    this.cache.invalidate();
  }

  async check(texts: readonly OutboundText[]): Promise<CheckResult> {
    return checkTexts((await this.get()).scanner, texts);
  }

  /**
   * The verdict on texts about to be saved or sent. Approvals (admin overrides) are per exact text;
   * they are looked up only when there is something to approve, so clean texts cost one scan.
   */
  async verdict(texts: readonly OutboundText[], db: Db = this.db): Promise<Verdict> {
    const state = await this.get();
    const result = checkTexts(state.scanner, texts);
    const heldPii = result.pii.filter((p) => state.settings.hold_outbound_pii.includes(p.kind));
    if (result.blocking.length === 0 && heldPii.length === 0) return { hold: false, reason: null, findings: result.findings, pii: result.pii, needsApproval: [] };

    const unapproved: FieldFinding[] = [];
    const unapprovedPii: PiiHit[] = [];
    for (const t of texts) {
      const blocking = result.blocking.filter((f) => f.field === t.field);
      const pii = heldPii.filter((p) => p.field === t.field);
      if (!blocking.length && !pii.length) continue;
      const approved = await approvedWordIds(db, textSha256(t.text));
      unapproved.push(...blocking.filter((f) => !approved.has(f.id)));
      unapprovedPii.push(...pii.filter((p) => !approved.has(`pii:${p.kind}`)));
    }
    const needsApproval = [...new Set([...unapproved.map((f) => f.id), ...unapprovedPii.map((p) => `pii:${p.kind}`)])];
    const reasons: string[] = [];
    if (unapproved.length) reasons.push(`含禁用词 ${describeFindings(unapproved)}`);
    if (unapprovedPii.length) reasons.push(`含个人信息（${[...new Set(unapprovedPii.map((p) => PII_LABEL[p.kind]))].join('、')}），按合规设置不外发`);
    return { hold: needsApproval.length > 0, reason: reasons.length ? `合规拦截：${reasons.join('；')}` : null, findings: result.findings, pii: result.pii, needsApproval };
  }

  /**
   * The after-the-fact scan of messages sent past WeReply (servicers in the WeCom client), with the
   * words and settings of now, for ingestMessages (IngestProps.scanSent / describeSent).
   */
  async sentScan(): Promise<{ scanSent: (texts: readonly OutboundText[]) => MessageFindings | null; describeSent: (f: MessageFindings) => string }> {
    const { scanner, settings } = await this.get();
    return { scanSent: (texts) => scanSentMessage(scanner, settings, texts), describeSent: (f) => describeMessageFindings(f, (k) => PII_LABEL[k] ?? k) };
  }

  /** The outbox's final check of one message item. */
  async outbound(item: ReplyItem, db: Db = this.db): Promise<Verdict> {
    return this.verdict(outboundTexts([item]), db);
  }
}

/**
 * An override (a written reason from someone allowed to give it): each text is approved for exactly
 * the findings the verdict held it for, so the outbox lets that wording through from now on.
 */
export async function approveVerdict(db: Db, texts: readonly OutboundText[], verdict: Verdict, by: string, reason: string, now: number): Promise<void> {
  const needed = new Set(verdict.needsApproval);
  for (const t of texts) {
    const ids = [
      ...verdict.findings.filter((f) => f.field === t.field && needed.has(f.id)).map((f) => f.id),
      ...verdict.pii.filter((p) => p.field === t.field && needed.has(`pii:${p.kind}`)).map((p) => `pii:${p.kind}`),
    ];
    if (ids.length) await approveText(db, textSha256(t.text), ids, by, reason, now);
  }
}
