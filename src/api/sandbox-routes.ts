/**
 * /api/simulate — the sandbox: the real decision code, nothing stored or sent.
 * /api/customers/:id — mark 测试账号 so draft rules can be tried on them before going live.
 */
import type { FastifyInstance } from 'fastify';
import { simulate, SimulateError, type SimulateInput } from '../pipeline/simulate.js';
import { replyItemSchema } from '../rules/rule-schema.js';
import type { Services } from '../services.js';
import { findingSchema } from './compliance-gate.js';
import { ApiError } from './http-errors.js';
import { replyOptionsSchema, whoIs } from './desk-routes.js';
import { replyRulesOf } from '../channels/allowances.js';
import { replyOptions } from '../pipeline/reply-options.js';

const traceSchema = {
  type: 'object',
  properties: {
    normalized_text: { type: 'string' },
    at: { type: 'string' },
    test_account: { type: 'boolean' },
    matched: {
      type: 'array',
      items: { type: 'object', properties: { rule_id: { type: 'integer' }, name: { type: 'string' }, keyword: { type: ['string', 'null'] }, kind: { type: 'string' } } },
    },
    replies: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          rule_id: { type: 'integer' },
          reply: replyItemSchema,
          compliance: {
            type: 'object',
            description: "the outbox's final check of this reply: findings, and whether it would be held",
            properties: { held: { type: 'boolean' }, reason: { type: ['string', 'null'] }, findings: { type: 'array', items: findingSchema } },
          },
        },
      },
    },
    routing: {
      type: ['object', 'null'],
      additionalProperties: true,
      description: 'routing decision: branch (tree path and conditions checked), candidates with skip reasons, chosen servicer or pool, reason',
    },
    desk: {
      type: 'object',
      description: 'where people would answer after 转人工 (per kf account / routing group), and which setting decided',
      properties: { desk: { type: 'string', enum: ['wecom', 'wereply'] }, reason: { type: 'string' } },
    },
    held_by: { type: ['string', 'null'], description: "a person holds the customer's conversation: the real pipeline sends none of these replies" },
    conversation: {
      type: ['object', 'null'],
      description: "the customer's conversation (with external_userid): its desk and what an agent could do now",
      properties: { id: { type: 'integer' }, reply_options: replyOptionsSchema },
    },
    handoff: {
      type: ['object', 'null'],
      description: '转人工 after the replies: why, and where to',
      properties: {
        reason: { type: 'string', enum: ['rule', 'phrase', 'unmatched'] },
        detail: { type: 'string' },
        rule_id: { type: 'integer' },
        route: { type: 'object', properties: { group: { type: 'string' }, servicer: { type: 'string' } } },
      },
    },
    skipped: {
      type: 'array',
      items: {
        type: 'object',
        properties: { rule: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } } }, reason: { type: 'string' }, detail: { type: 'string' } },
      },
    },
  },
} as const;

export async function sandboxRoutes(app: FastifyInstance, s: Services): Promise<void> {
  app.post<{ Body: SimulateInput }>(
    '/api/simulate',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['sandbox'],
        summary: 'Run the decision for a message without sending: matched rules, replies, skipped rules with reasons',
        body: {
          type: 'object',
          required: ['text'],
          additionalProperties: false,
          properties: {
            text: { type: 'string', maxLength: 4096 },
            external_userid: { type: 'string', minLength: 1, maxLength: 128 },
            test_account: { type: 'boolean' },
            at: { type: 'string', description: 'simulated time, ISO 8601, e.g. 2026-11-25T23:30:00+08:00' },
            event: { type: 'string', enum: ['enter_session'] },
            route: { type: 'boolean', description: 'show the routing decision even without a handoff' },
            open_kfid: { type: 'string', maxLength: 64, description: 'the kf account written to' },
          },
        },
        response: { 200: traceSchema },
      },
    },
    async (req) => {
      try {
        const trace = await simulate(s.store, s.config.timezone, s.rules, req.body);
        // What the outbox's compliance check would do with each reply.
        const replies = [];
        for (const r of trace.replies) {
          const v = await s.compliance.outbound(r.reply);
          replies.push({ ...r, compliance: { held: v.hold, reason: v.reason, findings: v.findings } });
        }
        const c = trace.conversation;
        const conversation = c ? { id: Number(c.id), reply_options: await replyOptions(s.store, c, replyRulesOf(c.channel), whoIs(req)) } : null;
        return { ...trace, replies, conversation };
      } catch (err) {
        if (err instanceof SimulateError) throw new ApiError(400, err.message, [{ field: 'at', message: err.message }]);
        throw err;
      }
    },
  );

  app.put<{ Params: { external_userid: string }; Body: { test_account?: boolean; name?: string | null; tags?: string[]; timezone?: string | null } }>(
    '/api/customers/:external_userid',
    {
      config: { permission: 'rules:write' },
      schema: {
        tags: ['customers'],
        summary: 'Set a customer as 测试账号 (draft rules fire for them), name them, or set the tags and timezone routing reads',
        params: { type: 'object', properties: { external_userid: { type: 'string', minLength: 1, maxLength: 128 } } },
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: {
            test_account: { type: 'boolean' },
            name: { type: ['string', 'null'], maxLength: 100 },
            tags: { type: 'array', maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 30 }, description: 'routing conditions can require them (region, VIP…)' },
            timezone: { type: ['string', 'null'], maxLength: 64, description: "the customer's IANA timezone (overseas customers)" },
          },
        },
      },
    },
    async (req) => {
      const now = Date.now();
      const id = req.params.external_userid;
      const tz = req.body.timezone;
      if (tz) {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: tz });
        } catch {
          throw new ApiError(400, `timezone "${tz}" is not an IANA timezone such as America/Los_Angeles`, [{ field: 'timezone', message: 'unknown timezone' }]);
        }
      }
      const tags = req.body.tags ? JSON.stringify([...new Set(req.body.tags.map((t) => t.trim()).filter(Boolean))]) : undefined;
      const set = {
        ...(req.body.test_account !== undefined ? { test_account: req.body.test_account ? 1 : 0 } : {}),
        ...(req.body.name !== undefined ? { name: req.body.name } : {}),
        ...(tags !== undefined ? { tags } : {}),
        ...(tz !== undefined ? { timezone: tz } : {}),
        updated_at: now,
      };
      await s.store.db
        .insertInto('customers')
        .values({ external_userid: id, test_account: req.body.test_account ? 1 : 0, name: req.body.name ?? null, tags: tags ?? '[]', timezone: tz ?? null, created_at: now, updated_at: now })
        .onConflict((oc) => oc.column('external_userid').doUpdateSet(set))
        .execute();
      const row = await s.store.db.selectFrom('customers').selectAll().where('external_userid', '=', id).executeTakeFirstOrThrow();
      return { external_userid: row.external_userid, test_account: !!row.test_account, name: row.name, tags: JSON.parse(row.tags) as string[], timezone: row.timezone };
    },
  );
}
