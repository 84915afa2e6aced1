/**
 * The compliance check when something that will be sent is saved (a rule's replies, a material's
 * name, the 转人工 waiting message): `block` findings refuse the save with the findings (HTTP 422)
 * unless a user with `compliance:override` gives a written reason; the override approves those exact
 * texts (the outbox then lets them through) and is recorded in the audit log. `warn` findings come
 * back with the saved object.
 */
import type { FastifyRequest } from 'fastify';
import type { FieldFinding, OutboundText } from '../compliance/outbound-check.js';
import { approveVerdict, PII_LABEL } from '../pipeline/compliance-guard.js';
import { type AuditSubject, recordAudit } from '../store/compliance-repo.js';
import type { Services } from '../services.js';
import { requirePermission } from './auth.js';
import { ApiError } from './http-errors.js';

export interface ComplianceOverride {
  reason: string;
}

export const complianceOverrideSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  description: 'save despite block findings (needs the compliance:override permission); the reason is recorded in the audit log',
  properties: { reason: { type: 'string', minLength: 4, maxLength: 500 } },
} as const;

export const findingSchema = {
  type: 'object',
  properties: {
    field: { type: 'string' },
    start: { type: 'integer' },
    end: { type: 'integer' },
    matched: { type: 'string' },
    word: { type: 'string' },
    id: { type: 'string' },
    category: { type: 'string' },
    severity: { type: 'string', enum: ['block', 'warn'] },
    reason: { type: 'string' },
    suggestions: { type: 'array', items: { type: 'string' } },
  },
} as const;

export interface GateResult {
  /** Findings the author should see but that do not stop the save (warn, and approved block findings). */
  warnings: FieldFinding[];
  /** Call after the save with the saved object's id: writes the audit record of an override. */
  saved(subjectId: string | number): Promise<void>;
}

export async function complianceGate(
  s: Services,
  req: FastifyRequest,
  subject: AuditSubject,
  subjectId: string | number | null,
  texts: readonly OutboundText[],
  override: ComplianceOverride | undefined,
): Promise<GateResult> {
  const verdict = await s.compliance.verdict(texts);
  const unapproved = new Set(verdict.needsApproval);
  const blocking = verdict.findings.filter((f) => unapproved.has(f.id));
  const warnings = verdict.findings.filter((f) => !unapproved.has(f.id));
  const allText = texts.map((t) => t.text).join('\n');
  if (!verdict.hold) return { warnings, saved: async () => {} };

  if (!override) {
    await recordAudit(s.store.db, { action: 'blocked', subject_type: subject, subject_id: subjectId, actor: req.principal.name, text: allText, findings: [...blocking, ...verdict.pii] }, Date.now());
    const details = [
      ...blocking.map((f) => ({ field: f.field, message: `「${f.matched}」(${f.category})：${f.reason}${f.suggestions.length ? `；建议改为「${f.suggestions.join('」/「')}」` : ''}` })),
      ...verdict.pii.filter((p) => unapproved.has(`pii:${p.kind}`)).map((p) => ({ field: p.field, message: `含${PII_LABEL[p.kind]}，按合规设置不外发` })),
    ];
    throw new ApiError(
      422,
      `not saved: ${verdict.reason}. Rewrite the text, or (with the compliance:override permission) save again with compliance_override.reason explaining why it is allowed`,
      details,
      { findings: blocking, needs_approval: verdict.needsApproval },
    );
  }
  requirePermission(req, 'compliance:override');
  await approveVerdict(s.store.db, texts, verdict, req.principal.name, override.reason, Date.now());
  return {
    warnings: verdict.findings,
    saved: (id) =>
      recordAudit(s.store.db, { action: 'overridden', subject_type: subject, subject_id: id, actor: req.principal.name, text: allText, findings: blocking, reason: override.reason }, Date.now()),
  };
}
