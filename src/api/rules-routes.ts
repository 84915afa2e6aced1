/**
 * /api/rules — keyword rules, the any-message reply and the welcome message.
 */
import type { FastifyInstance } from 'fastify';
import { broadKeywordWarnings } from '../rules/broad-keywords.js';
import type { ReplyItem } from '../rules/rule.js';
import { broadKeywordWarningSchema, ruleCreateSchema, ruleSchema, ruleUpdateSchema } from '../rules/rule-schema.js';
import { resolveRuleFields, type RuleFields, type RuleInput, validateRule } from '../rules/validate-rule.js';
import { deleteRule, getRule, insertRule, listRules, updateRule } from '../store/rules-repo.js';
import type { Services } from '../services.js';
import { ApiError } from './http-errors.js';

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const;
const ruleWithWarnings = {
  ...ruleSchema,
  properties: { ...ruleSchema.properties, warnings: { type: 'array', items: broadKeywordWarningSchema } },
} as const;
const errorSchema = {
  type: 'object',
  properties: { error: { type: 'string' }, details: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } } },
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

  app.get('/api/rules', { schema: { tags: ['rules'], summary: 'List rules, highest priority first', response: { 200: { type: 'array', items: ruleSchema } } } }, async () =>
    listRules(s.store.db),
  );

  app.get<{ Params: { id: number } }>('/api/rules/:id', { schema: { tags: ['rules'], params: idParams, response: { 200: ruleSchema, 404: errorSchema } } }, async (req) => {
    const rule = await getRule(s.store.db, req.params.id);
    if (!rule) throw new ApiError(404, `rule ${req.params.id} does not exist`);
    return rule;
  });

  app.post<{ Body: RuleInput }>(
    '/api/rules',
    {
      schema: {
        tags: ['rules'],
        summary: 'Create a rule; the answer lists broad-keyword warnings measured on the last 30 days of customer messages',
        body: ruleCreateSchema,
        response: { 201: ruleWithWarnings, 400: errorSchema },
      },
    },
    async (req, reply) => {
      const fields = resolveRuleFields(req.body);
      await checked(fields);
      const rule = await insertRule(s.store.db, fields, Date.now());
      s.rules.invalidate();
      const warnings = broadKeywordWarnings(fields.match, await recentCustomerTexts());
      return reply.code(201).send({ ...rule, warnings });
    },
  );

  const update = async (id: number, body: RuleInput, replace: boolean) => {
    const existing = await getRule(s.store.db, id);
    if (!existing) throw new ApiError(404, `rule ${id} does not exist`);
    const fields = resolveRuleFields(body, replace ? undefined : existing);
    await checked(fields);
    const rule = await updateRule(s.store.db, id, fields, Date.now());
    if (!rule) throw new ApiError(404, `rule ${id} does not exist`);
    s.rules.invalidate();
    return { ...rule, warnings: broadKeywordWarnings(fields.match, await recentCustomerTexts()) };
  };

  app.patch<{ Params: { id: number }; Body: RuleInput }>(
    '/api/rules/:id',
    { schema: { tags: ['rules'], summary: 'Change some fields of a rule', params: idParams, body: ruleUpdateSchema, response: { 200: ruleWithWarnings, 400: errorSchema, 404: errorSchema } } },
    async (req) => update(req.params.id, req.body, false),
  );

  app.put<{ Params: { id: number }; Body: RuleInput }>(
    '/api/rules/:id',
    { schema: { tags: ['rules'], summary: 'Replace a rule', params: idParams, body: ruleCreateSchema, response: { 200: ruleWithWarnings, 400: errorSchema, 404: errorSchema } } },
    async (req) => update(req.params.id, req.body, true),
  );

  app.delete<{ Params: { id: number } }>('/api/rules/:id', { schema: { tags: ['rules'], params: idParams, response: { 404: errorSchema } } }, async (req, reply) => {
    if (!(await deleteRule(s.store.db, req.params.id))) throw new ApiError(404, `rule ${req.params.id} does not exist`);
    s.rules.invalidate();
    return reply.code(204).send();
  });
}
