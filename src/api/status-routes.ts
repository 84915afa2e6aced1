/**
 * What happened: the outbox (every reply with its state and reason), recent messages with the
 * decision taken, /healthz and /metrics.
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.js';

const OUTBOX_STATUSES = ['pending', 'sending', 'retry', 'sent', 'failed', 'held'] as const;

export async function statusRoutes(app: FastifyInstance, s: Services): Promise<void> {
  app.get<{ Querystring: { status?: string; external_userid?: string; limit?: number } }>(
    '/api/outbox',
    {
      schema: {
        tags: ['status'],
        summary: 'Replies in the outbox, newest first, with their state, attempts and the reason of a failure',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: [...OUTBOX_STATUSES] },
            external_userid: { type: 'string' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
          },
        },
      },
    },
    async (req) => {
      let q = s.store.db
        .selectFrom('outbox as o')
        .innerJoin('conversations as c', 'c.id', 'o.conversation_id')
        .select(['o.id', 'o.msgid', 'o.api', 'o.status', 'o.attempts', 'o.reason', 'o.last_errcode', 'o.rule_id', 'o.source_msgid', 'o.payload', 'o.created_at', 'o.sent_at', 'o.next_attempt_at', 'c.open_kfid', 'c.external_userid'])
        .orderBy('o.id', 'desc')
        .limit(req.query.limit ?? 100);
      if (req.query.status) q = q.where('o.status', '=', req.query.status);
      if (req.query.external_userid) q = q.where('c.external_userid', '=', req.query.external_userid);
      const rows = await q.execute();
      return rows.map((r) => ({ ...r, payload: JSON.parse(r.payload) }));
    },
  );

  app.get<{ Querystring: { external_userid?: string; limit?: number } }>(
    '/api/messages',
    {
      schema: {
        tags: ['status'],
        summary: 'Stored messages, newest first, with the decision taken for each',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { external_userid: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
        },
      },
    },
    async (req) => {
      let q = s.store.db
        .selectFrom('messages')
        .select(['id', 'msgid', 'open_kfid', 'external_userid', 'origin', 'msgtype', 'text', 'decision', 'send_time', 'received_at'])
        .orderBy('id', 'desc')
        .limit(req.query.limit ?? 100);
      if (req.query.external_userid) q = q.where('external_userid', '=', req.query.external_userid);
      const rows = await q.execute();
      return rows.map((r) => ({ ...r, decision: r.decision ? JSON.parse(r.decision) : null }));
    },
  );
}

export async function healthRoutes(app: FastifyInstance, s: Services): Promise<void> {
  app.get('/healthz', { schema: { tags: ['status'], summary: '200 once WeReply can take callbacks' } }, async (_req, reply) => {
    if (!s.ready()) return reply.code(503).send({ status: 'starting' });
    try {
      await s.store.db.selectFrom('settings').select('key').limit(1).execute();
    } catch (err) {
      return reply.code(503).send({ status: 'database unavailable', error: String((err as Error).message) });
    }
    return { status: 'ok', engine: s.store.engine, wecom: s.config.wecom ? 'configured' : 'not configured' };
  });

  app.get('/metrics', { schema: { tags: ['status'], summary: 'Prometheus metrics' } }, async (_req, reply) => {
    const body = await s.metrics.registry.metrics();
    return reply.type(s.metrics.registry.contentType).send(body);
  });
}
