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
import { AUDIT_ACTIONS, AUDIT_SUBJECTS, complianceSettings, deleteRiskWordEdit, recordAudit, riskWordEdits, saveComplianceSettings, saveRiskWordEdits } from '../store/compliance-repo.js';
import type { Services } from '../services.js';
import { findingSchema } from './compliance-gate.js';
import { ApiError } from './http-errors.js';
import { piiMaskerFor } from './pii-view.js';
import { serializeWordFile, WORD_FILE_LIMITS, type WordFileRow } from '../compliance/word-file.js';
import { UntrustedFileError } from '../imports/untrusted-file.js';
import { refuseFile } from './untrusted-upload.js';

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

const WORD_FIELDS = ['word', 'category', 'severity', 'reason', 'suggestions', 'allow', 'enabled'] as const;
const norm = (w: Partial<RiskWord>, k: (typeof WORD_FIELDS)[number]) => JSON.stringify(k === 'enabled' ? w.enabled !== false : k === 'allow' || k === 'suggestions' ? (w[k] ?? []) : w[k]);

/** The fields of `edited` that differ from the shipped entry. */
function diff(shipped: RiskWord, edited: RiskWord): Omit<OrganisationWord, 'id'> {
  const out: Record<string, unknown> = {};
  for (const k of WORD_FIELDS) if (norm(shipped, k) !== norm(edited, k)) out[k] = edited[k];
  return out;
}

function sameWord(a: RiskWord, b: RiskWord): boolean {
  return WORD_FIELDS.every((k) => norm(a, k) === norm(b, k));
}

export async function complianceRoutes(app: FastifyInstance, s: Services): Promise<void> {
  app.post<{ Body: { text: string } }>(
    '/api/compliance/scan',
    {
      config: { permission: 'read' },
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
      config: { permission: 'read' },
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
      config: { permission: 'compliance:write' },
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
      config: { permission: 'compliance:write' },
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
      config: { permission: 'compliance:write' },
      schema: {
        tags: ['compliance'],
        summary: 'Delete your own word, or drop your edits of a shipped entry (it returns to the shipped version; to switch it off use PATCH enabled=false)',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
      },
    },
    async (req, reply) => {
      const word = (await s.compliance.get()).library.find((w) => w.id === req.params.id)?.word ?? null;
      if (!(await deleteRiskWordEdit(s.store.db, req.params.id))) {
        throw new ApiError(404, SHIPPED_BY_ID.has(req.params.id) ? `shipped entry ${req.params.id} has no edits to drop; shipped entries are disabled with PATCH {"enabled": false}` : `risk word ${req.params.id} does not exist`);
      }
      await recordAudit(s.store.db, { action: 'words_changed', subject_type: 'risk_words', subject_id: req.params.id, actor: req.principal.name, text: word, reason: SHIPPED_BY_ID.has(req.params.id) ? 'edits dropped' : 'deleted' }, Date.now());
      s.compliance.invalidate();
      return reply.code(204).send();
    },
  );

  app.get<{ Querystring: { format?: 'csv' | 'xlsx'; encoding?: 'utf-8' | 'gbk'; headers?: 'zh' | 'en'; origin?: 'all' | 'own' | 'edited' } }>(
    '/api/compliance/words/export',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['compliance'],
        summary: 'The library as a file to edit in Excel/WPS and import again: CSV (UTF-8 with BOM, or GBK) or XLSX; ids keep edits attached to their entries',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            format: { type: 'string', enum: ['csv', 'xlsx'], default: 'xlsx' },
            encoding: { type: 'string', enum: ['utf-8', 'gbk'], default: 'utf-8', description: 'CSV only' },
            headers: { type: 'string', enum: ['zh', 'en'], default: 'zh' },
            origin: { type: 'string', enum: ['all', 'own', 'edited'], default: 'all', description: 'own: only your words; edited: your words and the shipped entries you changed' },
          },
        },
      },
    },
    async (req, reply) => {
      const { format = 'xlsx', encoding = 'utf-8', headers = 'zh', origin = 'all' } = req.query;
      const words = (await libraryView()).filter((w) => origin === 'all' || w.origin === 'own' || (origin === 'edited' && w.origin === 'shipped_edited'));
      const bytes = await serializeWordFile(
        words.map(({ origin: _o, ...w }) => w),
        format,
        { encoding, headers },
      );
      const name = `risk-words-${new Date().toISOString().slice(0, 10)}.${format}`;
      return reply
        .header('content-type', format === 'csv' ? `text/csv; charset=${encoding === 'gbk' ? 'gb18030' : 'utf-8'}` : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(Buffer.from(bytes));
    },
  );

  app.post<{ Querystring: { dry_run?: boolean } }>(
    '/api/compliance/words/import',
    {
      config: { permission: 'compliance:write' },
      schema: {
        tags: ['compliance'],
        summary:
          'Import words from CSV (UTF-8 or GBK) or XLSX (multipart field "file"). Rows with an id update that entry (for shipped ones only the changed fields are kept), rows without one add your own words. Any problem: nothing changes and every problem is listed by row and column',
        consumes: ['multipart/form-data'],
        querystring: { type: 'object', additionalProperties: false, properties: { dry_run: { type: 'boolean', default: false, description: 'check only, change nothing' } } },
      },
    },
    async (req) => {
      if (!req.isMultipart()) throw new ApiError(415, 'send the file as multipart/form-data in a field named "file"');
      let file: { name: string; bytes: Buffer } | undefined;
      for await (const part of req.parts({ limits: { fileSize: WORD_FILE_LIMITS.maxBytes + 1, files: 1 } })) {
        if (part.type !== 'file') continue;
        const bytes = await part.toBuffer();
        if (part.file.truncated) throw new ApiError(413, `"${part.filename}" is larger than ${WORD_FILE_LIMITS.maxBytes / 1024 / 1024} MB; split the list into several files`, [{ field: 'file', message: 'too large' }]);
        file = { name: part.filename || 'words.csv', bytes };
      }
      if (!file) throw new ApiError(400, 'no file in the upload: use a form field named "file"', [{ field: 'file', message: 'is required' }]);

      const { library } = await s.compliance.get();
      // Parsed in a worker with time and memory limits: a hostile workbook must not stop the event loop.
      const parsed = await s.imports.parse('risk-words', { bytes: file.bytes, filename: file.name, options: { existing: library } }).catch(refuseFile);
      if (parsed.tooLarge) refuseFile(new UntrustedFileError('too_large', parsed.errors[0]?.message ?? `"${file.name}" is too large`));
      const byId = new Map(library.map((w) => [w.id, w]));
      const errors = [...parsed.errors];
      for (const r of parsed.rows) {
        if (r.id !== undefined && r.id !== '' && !byId.has(r.id)) errors.push({ row: r.row, field: 'id', message: `Row ${r.row}: there is no entry with id "${r.id}"; leave the id empty to add a new word.` });
      }
      if (errors.length) {
        throw new ApiError(400, `nothing imported: ${parsed.errorCount + errors.length - parsed.errors.length} problem(s) in "${file.name}"`, errors.map((e) => ({ field: e.row ? `row ${e.row}.${e.field}` : e.field, message: e.message })), {
          errors: errors.sort((a, b) => a.row - b.row),
          encoding: parsed.encoding,
        });
      }
      const edits: OrganisationWord[] = [];
      /** Shipped entries the file puts back exactly as shipped: their edits are dropped. */
      const resets: string[] = [];
      let added = 0;
      let updated = 0;
      let unchanged = 0;
      for (const r of parsed.rows) {
        const fields = wordFields(r);
        const current = r.id ? byId.get(r.id) : undefined;
        if (!current) {
          edits.push({ suggestions: [], ...fields, id: `own:${crypto.randomUUID()}` });
          added++;
          continue;
        }
        const shipped = SHIPPED_BY_ID.get(current.id);
        // A shipped entry keeps only what differs from the shipped version, so a later release still updates the rest.
        const patch = shipped ? diff(shipped, { ...current, ...fields }) : { ...current, ...fields };
        if (sameWord(current, { ...current, ...fields })) {
          unchanged++;
          continue;
        }
        if (shipped && Object.keys(patch).length === 0) resets.push(current.id);
        else edits.push({ ...patch, id: current.id });
        updated++;
      }
      if (!req.query.dry_run && (edits.length || resets.length)) {
        await s.store.write(async (trx) => {
          await saveRiskWordEdits(trx, edits, req.principal.name, Date.now());
          for (const id of resets) await deleteRiskWordEdit(trx, id);
          await recordAudit(trx, { action: 'words_imported', subject_type: 'risk_words', subject_id: null, actor: req.principal.name, text: file.name, reason: `${added} added, ${updated} updated (${parsed.encoding})` }, Date.now());
        });
        s.compliance.invalidate();
      }
      return { dry_run: !!req.query.dry_run, encoding: parsed.encoding, rows: parsed.rows.length, added, updated, unchanged };
    },
  );

  app.get('/api/compliance/settings', { config: { permission: 'read' }, schema: { tags: ['compliance'], summary: 'Compliance policy: 二次确认 for clean agent messages, PII the outbox holds back', response: { 200: complianceSettingsSchema } } }, async () =>
    complianceSettings(s.store.db),
  );

  app.put<{ Body: ComplianceSettings }>(
    '/api/compliance/settings',
    { config: { permission: 'settings:write' }, schema: { tags: ['compliance'], summary: 'Change the compliance policy', body: complianceSettingsSchema, response: { 200: complianceSettingsSchema } } },
    async (req) => {
      await saveComplianceSettings(s.store.db, req.body);
      s.compliance.invalidate();
      return req.body;
    },
  );

  app.get<{ Querystring: { action?: string; subject_type?: string; subject_id?: string; before_id?: number; limit?: number } }>(
    '/api/compliance/audit',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['compliance'],
        summary: 'Compliance decisions, newest first: blocked saves, overrides with their reason, confirmed agent messages, held and released outbox rows, word changes',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            action: { type: 'string', enum: [...AUDIT_ACTIONS] },
            subject_type: { type: 'string', enum: [...AUDIT_SUBJECTS] },
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

  function wordFields(r: WordFileRow): Partial<RiskWord> {
    const out: Partial<RiskWord> = {};
    for (const k of ['word', 'category', 'severity', 'reason', 'suggestions', 'allow', 'enabled'] as const) if (r[k] !== undefined) (out as Record<string, unknown>)[k] = r[k];
    return out;
  }

  /** Rows about to be saved: the library's rules (validateRiskWords), as field errors. */
  async function checkRows(rows: Partial<RiskWord>[], existing: readonly RiskWord[]): Promise<void> {
    const errors = validateRiskWords(rows, existing);
    if (errors.length) throw new ApiError(400, `invalid risk word: ${errors.map((e) => e.message).join(' ')}`, errors.map((e) => ({ field: e.field, message: e.message })));
  }
}
