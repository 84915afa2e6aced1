/**
 * Agent messages with 二次确认, and releasing a message the outbox held.
 *
 * POST /api/conversations/:id/messages answers the compliance findings and a confirmation token; the
 * message goes to the outbox only when confirmed with that token (a clean message goes at once when
 * the organisation allows it). Block findings can only be confirmed by someone with
 * `compliance:override`, with a written reason; everything is recorded in the audit log.
 */
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Transaction } from 'kysely';
import { outboundTexts } from '../compliance/outbound-check.js';
import { replyRulesOf } from '../channels/allowances.js';
import { replyOptions } from '../pipeline/reply-options.js';
import { approveVerdict, textSha256, type Verdict } from '../pipeline/compliance-guard.js';
import { enqueue } from '../pipeline/ingest-message.js';
import { MAX_TEXT_BYTES, type MessageItem } from '../rules/rule.js';
import { recordAudit } from '../store/compliance-repo.js';
import type { Database } from '../store/schema.js';
import type { Services } from '../services.js';
import { requirePermission } from './auth.js';
import { findingSchema } from './compliance-gate.js';
import { whoIs } from './desk-routes.js';
import { ApiError } from './http-errors.js';
import { maskDeep, piiMaskerFor } from './pii-view.js';

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const;
const piiSchema = { type: 'object', properties: { field: { type: 'string' }, kind: { type: 'string' }, start: { type: 'integer' }, end: { type: 'integer' } } } as const;
const sendAnswer = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['needs_confirmation', 'queued'] },
    agent_message_id: { type: 'integer' },
    outbox_id: { type: 'integer' },
    confirmation_token: { type: 'string', description: 'send it back to /messages/confirm to send the message' },
    expires_at: { type: 'integer' },
    findings: { type: 'array', items: findingSchema },
    pii: { type: 'array', items: piiSchema },
    needs_override: { type: 'boolean', description: 'block findings: confirming needs compliance:override and override_reason' },
    hold_reason: { type: ['string', 'null'] },
  },
} as const;

/** WeCom msgid for an agent message: stable for the row, ≤32 bytes of [0-9a-zA-Z_-]. */
function agentMsgid(id: number, createdAt: number): string {
  return `ag${id}-${createdAt.toString(36)}`;
}

export async function conversationRoutes(app: FastifyInstance, s: Services): Promise<void> {
  /**
   * Refused up front, with the reason and a reason_code, whenever the channel would refuse the message
   * (session state 2/3/4, window or allowance used up) or another WeReply agent holds the conversation:
   * never "queued" followed by a failure. Asked again at 二次确认 (the state may have changed meanwhile).
   */
  async function conversationOrFail(id: number, req: FastifyRequest) {
    const c = await s.store.db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst();
    if (!c) throw new ApiError(404, `conversation ${id} does not exist`);
    const options = await replyOptions(s.store, c, replyRulesOf(c.channel), whoIs(req));
    if (!options.can_reply) throw new ApiError(409, `not sent: ${options.reason}`, undefined, { reason_code: options.reason_code });
    return c;
  }

  async function toOutbox(trx: Transaction<Database>, conversationId: number, agentMessageId: number, createdAt: number, text: string): Promise<number> {
    const now = Date.now();
    const reply: MessageItem = { type: 'text', text };
    const outboxId = await enqueue(trx, { conversationId, api: 'send_msg', msgid: agentMsgid(agentMessageId, createdAt), payload: { reply }, priority: 5, sourceMsgid: null, ruleId: null, now });
    await trx.updateTable('agent_messages').set({ status: 'confirmed', outbox_id: outboxId }).where('id', '=', agentMessageId).execute();
    return outboxId;
  }

  function shape(verdict: Verdict, req: FastifyRequest) {
    const mask = piiMaskerFor(req);
    return { findings: verdict.findings, pii: verdict.pii, needs_override: verdict.hold, hold_reason: verdict.reason ? mask(verdict.reason) : null };
  }

  app.post<{ Params: { id: number }; Body: { text: string } }>(
    '/api/conversations/:id/messages',
    {
      config: { permission: 'conversations:reply' },
      schema: {
        tags: ['conversations'],
        summary: 'An agent message (二次确认): answers the findings and a confirmation token; sent at once only when clean and the organisation allows it',
        params: idParams,
        body: { type: 'object', additionalProperties: false, required: ['text'], properties: { text: { type: 'string', minLength: 1, maxLength: 2048 } } },
        response: { 200: sendAnswer, 202: sendAnswer },
      },
    },
    async (req, reply) => {
      const text = req.body.text;
      if (text.trim() === '') throw new ApiError(400, 'the message is empty', [{ field: 'text', message: 'is empty' }]);
      if (Buffer.byteLength(text) > MAX_TEXT_BYTES) throw new ApiError(400, `the message is ${Buffer.byteLength(text)} bytes; WeCom accepts at most ${MAX_TEXT_BYTES} bytes (about 680 Chinese characters)`, [{ field: 'text', message: 'too long' }]);
      const conv = await conversationOrFail(req.params.id, req);
      const verdict = await s.compliance.verdict(outboundTexts([{ type: 'text', text }]));
      const { settings } = await s.compliance.get();
      const now = Date.now();
      const clean = verdict.findings.length === 0 && !verdict.hold;
      const token = crypto.randomBytes(24).toString('base64url');
      const expiresAt = now + settings.confirmation_ttl_seconds * 1000;
      const sendNow = clean && settings.send_clean_agent_messages_immediately;
      const result = await s.store.write(async (trx) => {
        const row = await trx
          .insertInto('agent_messages')
          .values({ conversation_id: Number(conv.id), author: req.principal.name, text, findings: JSON.stringify(verdict.findings), token_sha256: textSha256(token), status: 'pending', outbox_id: null, created_at: now, expires_at: expiresAt })
          .returning('id')
          .executeTakeFirstOrThrow();
        const id = Number(row.id);
        return { id, outboxId: sendNow ? await toOutbox(trx, Number(conv.id), id, now, text) : null };
      });
      if (result.outboxId !== null) {
        s.wakeup.notify('outbox');
        return reply.code(202).send({ status: 'queued', agent_message_id: result.id, outbox_id: result.outboxId, ...shape(verdict, req) });
      }
      return reply.code(200).send({ status: 'needs_confirmation', agent_message_id: result.id, confirmation_token: token, expires_at: expiresAt, ...shape(verdict, req) });
    },
  );

  app.post<{ Params: { id: number }; Body: { confirmation_token: string; override_reason?: string } }>(
    '/api/conversations/:id/messages/confirm',
    {
      config: { permission: 'conversations:reply' },
      schema: {
        tags: ['conversations'],
        summary: '二次确认: send the message the token stands for (block findings need compliance:override and override_reason)',
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['confirmation_token'],
          properties: { confirmation_token: { type: 'string', minLength: 10, maxLength: 100 }, override_reason: { type: 'string', minLength: 4, maxLength: 500 } },
        },
        response: { 202: sendAnswer },
      },
    },
    async (req, reply) => {
      const msg = await s.store.db.selectFrom('agent_messages').selectAll().where('token_sha256', '=', textSha256(req.body.confirmation_token)).executeTakeFirst();
      if (!msg || Number(msg.conversation_id) !== req.params.id) throw new ApiError(404, 'unknown confirmation token for this conversation: send the message again to get a new one');
      if (msg.status === 'confirmed') return reply.code(202).send({ status: 'queued', agent_message_id: Number(msg.id), outbox_id: Number(msg.outbox_id), findings: JSON.parse(msg.findings) });
      if (msg.author !== req.principal.name) throw new ApiError(403, `only ${msg.author}, who wrote the message, can confirm it`);
      if (Date.now() > Number(msg.expires_at)) throw new ApiError(410, 'the confirmation expired: send the message again');
      await conversationOrFail(req.params.id, req);
      // Checked again: the library may have changed since the findings were shown.
      const texts = outboundTexts([{ type: 'text', text: msg.text }]);
      const verdict = await s.compliance.verdict(texts);
      if (verdict.hold) {
        if (!req.body.override_reason) {
          throw new ApiError(422, `not sent: ${verdict.reason}. Rewrite the message, or (with the compliance:override permission) confirm with override_reason`, undefined, { ...shape(verdict, req) });
        }
        requirePermission(req, 'compliance:override');
      }
      const now = Date.now();
      const outboxId = await s.store.write(async (trx) => {
        // Claimed by a conditional update: of two confirms at once, the second waits for the first's
        // row lock (PostgreSQL) or transaction (SQLite), finds it confirmed and answers its outbox id.
        const claimed = await trx.updateTable('agent_messages').set({ status: 'confirming' }).where('id', '=', msg.id).where('status', '=', 'pending').executeTakeFirst();
        if (Number(claimed.numUpdatedRows) === 0) {
          const done = await trx.selectFrom('agent_messages').select('outbox_id').where('id', '=', msg.id).executeTakeFirstOrThrow();
          return Number(done.outbox_id);
        }
        if (verdict.hold) await approveVerdict(trx, texts, verdict, req.principal.name, req.body.override_reason!, now);
        const id = await toOutbox(trx, Number(msg.conversation_id), Number(msg.id), Number(msg.created_at), msg.text);
        const findings = [...verdict.findings, ...verdict.pii];
        await recordAudit(trx, { action: 'confirmed', subject_type: 'agent_message', subject_id: Number(msg.id), actor: req.principal.name, text: msg.text, findings }, now);
        if (verdict.hold) await recordAudit(trx, { action: 'overridden', subject_type: 'agent_message', subject_id: Number(msg.id), actor: req.principal.name, text: msg.text, findings, reason: req.body.override_reason ?? null }, now);
        return id;
      });
      s.wakeup.notify('outbox');
      return reply.code(202).send({ status: 'queued', agent_message_id: Number(msg.id), outbox_id: outboxId, ...shape(verdict, req) });
    },
  );

  app.post<{ Params: { id: number }; Body: { reason: string } }>(
    '/api/outbox/:id/release',
    {
      config: { permission: 'compliance:override' },
      schema: {
        tags: ['status'],
        summary: 'Send a message the compliance check held, with a written reason (needs compliance:override; recorded in the audit log)',
        params: idParams,
        body: { type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: { type: 'string', minLength: 4, maxLength: 500 } } },
      },
    },
    async (req) => {
      const row = await s.store.db.selectFrom('outbox').selectAll().where('id', '=', req.params.id).executeTakeFirst();
      if (!row) throw new ApiError(404, `outbox row ${req.params.id} does not exist`);
      if (row.status !== 'held') throw new ApiError(409, `outbox row ${req.params.id} is ${row.status}, not held`);
      const reply = (JSON.parse(row.payload) as { reply: MessageItem }).reply;
      const texts = outboundTexts([reply]);
      const verdict = await s.compliance.verdict(texts);
      const now = Date.now();
      await s.store.write(async (trx) => {
        await approveVerdict(trx, texts, verdict, req.principal.name, req.body.reason, now);
        await trx.updateTable('outbox').set({ status: 'pending', reason: null, next_attempt_at: now }).where('id', '=', row.id).where('status', '=', 'held').execute();
        await recordAudit(trx, { action: 'released', subject_type: 'outbox', subject_id: Number(row.id), actor: req.principal.name, text: texts.map((t) => t.text).join('\n'), findings: verdict.findings, reason: req.body.reason }, now);
      });
      s.wakeup.notify('outbox');
      return { id: Number(row.id), status: 'pending', payload: maskDeep({ reply }, piiMaskerFor(req)) };
    },
  );
}
