/**
 * /api/rules — keyword rules, the any-message reply and the welcome message.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { broadKeywordWarnings } from '../rules/broad-keywords.js';
import type { ReplyItem } from '../rules/rule.js';
import { broadKeywordWarningSchema, ruleCreateSchema, ruleSchema, ruleUpdateSchema } from '../rules/rule-schema.js';
import { resolveRuleFields, type RuleFields, type RuleInput, validateRule } from '../rules/validate-rule.js';
import { deleteRule, getRule, insertRule, listRules, updateRule } from '../store/rules-repo.js';
import type { Services } from '../services.js';
import { regexHealth } from '../store/regex-stats-repo.js';
import { outboundTexts } from '../compliance/outbound-check.js';
import { type ComplianceOverride, complianceGate, complianceOverrideSchema, findingSchema } from './compliance-gate.js';
import { ApiError } from './http-errors.js';

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const;
const ruleWithWarnings = {
  ...ruleSchema,
  properties: {
    ...ruleSchema.properties,
    warnings: { type: 'array', items: broadKeywordWarningSchema },
    compliance_warnings: { type: 'array', items: findingSchema, description: 'warn-level risk words in the replies (and block-level ones an admin approved)' },
  },
} as const;
const withOverride = <T extends { properties: object }>(schema: T) => ({ ...schema, properties: { ...schema.properties, compliance_override: complianceOverrideSchema } });
const ruleCreateBody = withOverride(ruleCreateSchema);
const ruleUpdateBody = withOverride(ruleUpdateSchema);
type RuleBody = RuleInput & { compliance_override?: ComplianceOverride };
const errorSchema = {
  type: 'object',
  properties: {
    error: { type: 'string' },
    details: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
    findings: { type: 'array', items: findingSchema, description: '422: the block-level risk words that refused the save' },
    needs_approval: { type: 'array', items: { type: 'string' } },
  },
} as const;

const THIRTY_DAYS_MS = 30 * 86400_000;
const WARNING_SAMPLE = 20_000;

export async function rulesRoutes(app: FastifyInstance, s: Services): Promise<void> {
  async function checked(fields: RuleFields): Promise<void> {
    const ids = fields.reply.flatMap((r: ReplyItem) => ('material_id' in r ? [r.material_id] : 'thumb_material_id' in r ? [r.thumb_material_id] : []));
    const existing = await s.materials.existingIds(ids);
    const errors = validateRule(fields, (id) => existing.has(id));
    if (errors.length) throw new ApiError(400, `invalid rule: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, errors);
  }

  /** The customers' own messages of the last 30 days, to measure how broad a keyword is. */
  async function recentCustomerTexts(): Promise<string[]> {
    const rows = await s.store.db
      .selectFrom('messages')
      .select('text')
      .where('origin', '=', 3)
      .where('text', 'is not', null)
      .where('received_at', '>=', Date.now() - THIRTY_DAYS_MS)
      .orderBy('id', 'desc')
      .limit(WARNING_SAMPLE)
      .execute();
    return rows.map((r) => r.text ?? '');
  }

  app.get('/api/rules', { config: { permission: 'read' }, schema: { tags: ['rules'], summary: 'List rules, highest priority first', response: { 200: { type: 'array', items: ruleSchema } } } }, async () => {
    const health = await regexHealth(s.store.db);
    return (await listRules(s.store.db)).map((r) => ({ ...r, regex_health: health.get(r.id) ?? null }));
  });

  app.get<{ Params: { id: number } }>('/api/rules/:id', { config: { permission: 'read' }, schema: { tags: ['rules'], params: idParams, response: { 200: ruleSchema, 404: errorSchema } } }, async (req) => {
    const rule = await getRule(s.store.db, req.params.id);
    if (!rule) throw new ApiError(404, `rule ${req.params.id} does not exist`);
    return { ...rule, regex_health: (await regexHealth(s.store.db)).get(rule.id) ?? null };
  });

  app.post<{ Body: RuleBody }>(
    '/api/rules',
    {
      config: { permission: 'rules:write' },
      schema: {
        tags: ['rules'],
        summary: 'Create a rule; the answer lists broad-keyword warnings measured on the last 30 days of customer messages',
        body: ruleCreateBody,
        response: { 201: ruleWithWarnings, 400: errorSchema, 422: errorSchema },
      },
    },
    async (req, reply) => {
      const { compliance_override: override, ...input } = req.body;
      const fields = resolveRuleFields(input);
      await checked(fields);
      const gate = await complianceGate(s, req, 'rule', null, outboundTexts(fields.reply), override);
      const rule = await insertRule(s.store.db, fields, Date.now());
      await gate.saved(rule.id);
      s.rules.invalidate();
      const warnings = broadKeywordWarnings(fields.match, await recentCustomerTexts());
      return reply.code(201).send({ ...rule, warnings, compliance_warnings: gate.warnings });
    },
  );

  const update = async (req: FastifyRequest, id: number, body: RuleBody, replace: boolean) => {
    const existing = await getRule(s.store.db, id);
    if (!existing) throw new ApiError(404, `rule ${id} does not exist`);
    const { compliance_override: override, ...input } = body;
    const fields = resolveRuleFields(input, replace ? undefined : existing);
    await checked(fields);
    const gate = await complianceGate(s, req, 'rule', id, outboundTexts(fields.reply), override);
    const rule = await updateRule(s.store.db, id, fields, Date.now());
    if (!rule) throw new ApiError(404, `rule ${id} does not exist`);
    await gate.saved(id);
    s.rules.invalidate();
    return { ...rule, warnings: broadKeywordWarnings(fields.match, await recentCustomerTexts()), compliance_warnings: gate.warnings };
  };

  app.patch<{ Params: { id: number }; Body: RuleBody }>(
    '/api/rules/:id',
    { config: { permission: 'rules:write' }, schema: { tags: ['rules'], summary: 'Change some fields of a rule', params: idParams, body: ruleUpdateBody, response: { 200: ruleWithWarnings, 400: errorSchema, 404: errorSchema, 422: errorSchema } } },
    async (req) => update(req, req.params.id, req.body, false),
  );

  app.put<{ Params: { id: number }; Body: RuleBody }>(
    '/api/rules/:id',
    { config: { permission: 'rules:write' }, schema: { tags: ['rules'], summary: 'Replace a rule', params: idParams, body: ruleCreateBody, response: { 200: ruleWithWarnings, 400: errorSchema, 404: errorSchema, 422: errorSchema } } },
    async (req) => update(req, req.params.id, req.body, true),
  );

  app.delete<{ Params: { id: number } }>('/api/rules/:id', { config: { permission: 'rules:write' }, schema: { tags: ['rules'], params: idParams, response: { 404: errorSchema } } }, async (req, reply) => {
    if (!(await deleteRule(s.store.db, req.params.id))) throw new ApiError(404, `rule ${req.params.id} does not exist`);
    s.rules.invalidate();
    return reply.code(204).send();
  });
}
