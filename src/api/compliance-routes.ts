/**
 * /api/compliance — scan a text, the organisation's risk-word library (shipped entries with its
 * edits, its own words), the compliance settings and the audit log.
 */
import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { type OrganisationWord, validateRiskWords } from '../compliance/library.js';
import { SHIPPED_RISK_WORDS } from '../compliance/library/shipped.js';
import { type ComplianceSettings, complianceSettingsSchema } from '../compliance/outbound-check.js';
import { findPii, maskPii } from '../compliance/pii.js';
import { RISK_CATEGORIES, type RiskWord } from '../compliance/risk-words.js';
import { MAX_SCAN_LENGTH } from '../compliance/scanner.js';
import { complianceSettings, deleteRiskWordEdit, recordAudit, riskWordEdits, saveComplianceSettings, saveRiskWordEdits } from '../store/compliance-repo.js';
import type { Services } from '../services.js';
import { findingSchema } from './compliance-gate.js';
import { ApiError } from './http-errors.js';
import { piiMaskerFor } from './pii-view.js';

const SHIPPED_BY_ID = new Map(SHIPPED_RISK_WORDS.map((w) => [w.id, w]));

const riskWordProperties = {
  word: { type: 'string', minLength: 1, maxLength: 50 },
  category: { type: 'string', minLength: 1, maxLength: 30, description: `one of ${RISK_CATEGORIES.join('、')} or your own` },
  severity: { type: 'string', enum: ['block', 'warn'] },
  reason: { type: 'string', minLength: 1, maxLength: 300 },
  suggestions: { type: 'array', maxItems: 20, items: { type: 'string', minLength: 1, maxLength: 100 } },
  allow: { type: 'array', maxItems: 50, items: { type: 'string', minLength: 1, maxLength: 100 }, description: 'phrases containing the word in which it is harmless' },
  enabled: { type: 'boolean' },
} as const;

const riskWordSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    ...riskWordProperties,
    origin: { type: 'string', enum: ['shipped', 'shipped_edited', 'own'] },
  },
} as const;

const scanAnswer = {
  type: 'object',
  properties: {
    findings: { type: 'array', items: findingSchema },
    masked: { type: 'string', description: 'the text with phone/ID/bank card numbers, e-mail and detailed addresses masked' },
    pii: { type: 'array', items: { type: 'object', properties: { kind: { type: 'string' }, start: { type: 'integer' }, end: { type: 'integer' } } } },
  },
} as const;

type WordBody = Partial<Omit<RiskWord, 'id'>>;

export async function complianceRoutes(app: FastifyInstance, s: Services): Promise<void> {
  app.post<{ Body: { text: string } }>(
    '/api/compliance/scan',
    {
      schema: {
        tags: ['compliance'],
        summary: 'Risk words (with reason and rewrites; offsets into the text as sent) and PII in a text',
        body: { type: 'object', additionalProperties: false, required: ['text'], properties: { text: { type: 'string', maxLength: MAX_SCAN_LENGTH } } },
        response: { 200: scanAnswer },
      },
    },
    async (req) => {
      const { scanner } = await s.compliance.get();
      const findings = scanner.scan(req.body.text);
      return { findings, masked: maskPii(req.body.text), pii: findPii(req.body.text).map(({ kind, start, end }) => ({ kind, start, end })) };
    },
  );

  /** The library as the organisation sees it: every shipped entry (edited or not) and its own words. */
  async function libraryView(): Promise<(RiskWord & { origin: string })[]> {
    const edits = new Map((await riskWordEdits(s.store.db)).map((e) => [e.id, e]));
    const { library } = await s.compliance.get();
    return library.map((w) => ({ ...w, enabled: w.enabled !== false, origin: SHIPPED_BY_ID.has(w.id) ? (edits.has(w.id) ? 'shipped_edited' : 'shipped') : 'own' }));
  }

  app.get<{ Querystring: { q?: string; category?: string; severity?: string; origin?: string } }>(
    '/api/compliance/words',
    {
      schema: {
        tags: ['compliance'],
        summary: 'The risk-word library: shipped entries (with your edits) and your own words',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { q: { type: 'string' }, category: { type: 'string' }, severity: { type: 'string', enum: ['block', 'warn'] }, origin: { type: 'string', enum: ['shipped', 'shipped_edited', 'own'] } },
        },
        response: { 200: { type: 'array', items: riskWordSchema } },
      },
    },
    async (req) => {
      s.compliance.invalidate();
      const { q, category, severity, origin } = req.query;
      return (await libraryView()).filter(
        (w) => (!q || w.word.includes(q) || w.reason.includes(q)) && (!category || w.category === category) && (!severity || w.severity === severity) && (!origin || w.origin === origin),
      );
    },
  );

  app.post<{ Body: WordBody }>(
    '/api/compliance/words',
    {
      schema: {
        tags: ['compliance'],
        summary: "Add one of your organisation's own risk words",
        body: { type: 'object', additionalProperties: false, required: ['word', 'category', 'severity', 'reason'], properties: riskWordProperties },
        response: { 201: riskWordSchema },
      },
    },
    async (req, reply) => {
      const row: RiskWord = { suggestions: [], ...req.body, id: `own:${crypto.randomUUID()}` } as RiskWord;
      row.word = row.word.trim();
      await checkRows([row], (await s.compliance.get()).library);
      await saveRiskWordEdits(s.store.db, [row], req.principal.name, Date.now());
      await recordAudit(s.store.db, { action: 'words_changed', subject_type: 'risk_words', subject_id: row.id, actor: req.principal.name, text: row.word, reason: 'added' }, Date.now());
      s.compliance.invalidate();
      return reply.code(201).send((await libraryView()).find((w) => w.id === row.id));
    },
  );

  app.patch<{ Params: { id: string }; Body: WordBody }>(
    '/api/compliance/words/:id',
    {
      schema: {
        tags: ['compliance'],
        summary: 'Edit or disable (enabled: false) a word; for a shipped entry only your changes are kept, so later releases still update the rest',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
        body: { type: 'object', additionalProperties: false, minProperties: 1, properties: riskWordProperties },
        response: { 200: riskWordSchema },
      },
    },
    async (req) => {
      const id = req.params.id;
      const edits = await riskWordEdits(s.store.db);
      const shipped = SHIPPED_BY_ID.get(id);
      const current = edits.find((e) => e.id === id);
      if (!shipped && !current) throw new ApiError(404, `risk word ${id} does not exist`);
      const patch: OrganisationWord = { ...(current ?? { id }), ...req.body, id };
      if (patch.word !== undefined) patch.word = patch.word.trim();
      const merged = { ...(shipped ?? {}), ...patch } as RiskWord;
      const { library } = await s.compliance.get();
      await checkRows([merged], library.filter((w) => w.id !== id));
      await saveRiskWordEdits(s.store.db, [patch], req.principal.name, Date.now());
      await recordAudit(s.store.db, { action: 'words_changed', subject_type: 'risk_words', subject_id: id, actor: req.principal.name, text: merged.word, reason: `edited: ${Object.keys(req.body).join(', ')}` }, Date.now());
      s.compliance.invalidate();
      return (await libraryView()).find((w) => w.id === id);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/compliance/words/:id',
    {
      schema: {
        tags: ['compliance'],
        summary: 'Delete your own word, or drop your edits of a shipped entry (it returns to the shipped version; to switch it off use PATCH enabled=false)',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
      },
    },
    async (req, reply) => {
      if (!(await deleteRiskWordEdit(s.store.db, req.params.id))) {
        throw new ApiError(404, SHIPPED_BY_ID.has(req.params.id) ? `shipped entry ${req.params.id} has no edits to drop; shipped entries are disabled with PATCH {"enabled": false}` : `risk word ${req.params.id} does not exist`);
      }
      await recordAudit(s.store.db, { action: 'words_changed', subject_type: 'risk_words', subject_id: req.params.id, actor: req.principal.name, reason: SHIPPED_BY_ID.has(req.params.id) ? 'edits dropped' : 'deleted' }, Date.now());
      s.compliance.invalidate();
      return reply.code(204).send();
    },
  );

  app.get('/api/compliance/settings', { schema: { tags: ['compliance'], summary: 'Compliance policy: 二次确认 for clean agent messages, PII the outbox holds back', response: { 200: complianceSettingsSchema } } }, async () =>
    complianceSettings(s.store.db),
  );

  app.put<{ Body: ComplianceSettings }>(
    '/api/compliance/settings',
    { schema: { tags: ['compliance'], summary: 'Change the compliance policy', body: complianceSettingsSchema, response: { 200: complianceSettingsSchema } } },
    async (req) => {
      await saveComplianceSettings(s.store.db, req.body);
      s.compliance.invalidate();
      return req.body;
    },
  );

  app.get<{ Querystring: { action?: string; subject_type?: string; subject_id?: string; before_id?: number; limit?: number } }>(
    '/api/compliance/audit',
    {
      schema: {
        tags: ['compliance'],
        summary: 'Compliance decisions, newest first: blocked saves, overrides with their reason, confirmed agent messages, held and released outbox rows, word changes',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            action: { type: 'string', enum: ['blocked', 'overridden', 'confirmed', 'held', 'released', 'words_changed', 'words_imported'] },
            subject_type: { type: 'string', enum: ['rule', 'material', 'handoff_settings', 'agent_message', 'outbox', 'risk_words'] },
            subject_id: { type: 'string' },
            before_id: { type: 'integer', minimum: 1, description: 'page: entries older than this id' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
          },
        },
      },
    },
    async (req) => {
      const { action, subject_type, subject_id, before_id, limit } = req.query;
      let q = s.store.db.selectFrom('compliance_audit').selectAll().orderBy('id', 'desc').limit(limit ?? 100);
      if (action) q = q.where('action', '=', action);
      if (subject_type) q = q.where('subject_type', '=', subject_type);
      if (subject_id) q = q.where('subject_id', '=', subject_id);
      if (before_id) q = q.where('id', '<', before_id);
      const mask = piiMaskerFor(req);
      return (await q.execute()).map((r) => ({ ...r, id: Number(r.id), created_at: Number(r.created_at), text: r.text === null ? null : mask(r.text), findings: JSON.parse(r.findings) }));
    },
  );

  /** Rows about to be saved: the library's rules (validateRiskWords), as field errors. */
  async function checkRows(rows: Partial<RiskWord>[], existing: readonly RiskWord[]): Promise<void> {
    const errors = validateRiskWords(rows, existing);
    if (errors.length) throw new ApiError(400, `invalid risk word: ${errors.map((e) => e.message).join(' ')}`, errors.map((e) => ({ field: e.field, message: e.message })));
  }
}
