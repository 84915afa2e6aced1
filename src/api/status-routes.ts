/**
 * What happened: the outbox (every reply with its state and reason), recent messages with the
 * decision taken, /healthz and /metrics.
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.js';
import { formatCsv, guardFormula } from '../compliance/csv.js';
import { canViewPii, maskDeep, piiMaskerFor } from './pii-view.js';

/** waiting_allowance: the channel allows no more messages until the customer writes again; the reason says why. */
const OUTBOX_STATUSES = ['pending', 'sending', 'retry', 'sent', 'failed', 'held', 'waiting_allowance'] as const;

export async function statusRoutes(app: FastifyInstance, s: Services): Promise<void> {
  app.get<{ Querystring: { status?: string; external_userid?: string; limit?: number } }>(
    '/api/outbox',
    {
      config: { permission: 'read' },
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
        .select(['o.id', 'o.msgid', 'o.api', 'o.status', 'o.attempts', 'o.reason', 'o.last_errcode', 'o.rule_id', 'o.source_msgid', 'o.payload', 'o.created_at', 'o.sent_at', 'o.accepted_at', 'o.next_attempt_at', 'c.open_kfid', 'c.external_userid'])
        .orderBy('o.id', 'desc')
        .limit(req.query.limit ?? 100);
      if (req.query.status) q = q.where('o.status', '=', req.query.status);
      if (req.query.external_userid) q = q.where('c.external_userid', '=', req.query.external_userid);
      const rows = await q.execute();
      const mask = piiMaskerFor(req);
      return rows.map((r) => ({ ...r, reason: r.reason === null ? null : mask(r.reason), payload: maskDeep(JSON.parse(r.payload), mask) }));
    },
  );

  app.get<{ Querystring: { external_userid?: string; limit?: number } }>(
    '/api/messages',
    {
      config: { permission: 'read' },
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
      const mask = piiMaskerFor(req);
      return rows.map((r) => ({ ...r, text: r.text === null ? null : mask(r.text), decision: r.decision ? maskDeep(JSON.parse(r.decision), mask) : null }));
    },
  );

  app.get<{ Querystring: { external_userid?: string; since?: number; until?: number; limit?: number } }>(
    '/api/messages/export',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['status'],
        summary: 'Messages as CSV (UTF-8 with BOM, opens in Excel/WPS), oldest first; PII masked unless you have pii:view',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            external_userid: { type: 'string' },
            since: { type: 'integer', description: 'received at or after (ms)' },
            until: { type: 'integer', description: 'received before (ms)' },
            limit: { type: 'integer', minimum: 1, maximum: 100000, default: 10000 },
          },
        },
      },
    },
    async (req, reply) => {
      let q = s.store.db
        .selectFrom('messages')
        .select(['id', 'msgid', 'open_kfid', 'external_userid', 'origin', 'msgtype', 'text', 'send_time', 'received_at'])
        .orderBy('id')
        .limit(req.query.limit ?? 10000);
      if (req.query.external_userid) q = q.where('external_userid', '=', req.query.external_userid);
      if (req.query.since !== undefined) q = q.where('received_at', '>=', req.query.since);
      if (req.query.until !== undefined) q = q.where('received_at', '<', req.query.until);
      const mask = piiMaskerFor(req);
      const rows: string[][] = [['id', 'msgid', 'open_kfid', 'external_userid', 'origin', 'msgtype', 'text', 'send_time', 'received_at']];
      for (const r of await q.execute()) {
        const text = r.text === null ? '' : mask(r.text);
        // Every cell guarded: ids come from WeCom, but nothing from outside is trusted in a spreadsheet.
        rows.push([String(r.id), r.msgid, r.open_kfid, r.external_userid, String(r.origin), r.msgtype, text, new Date(Number(r.send_time)).toISOString(), new Date(Number(r.received_at)).toISOString()].map(guardFormula));
      }
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="messages${canViewPii(req) ? '' : '-masked'}.csv"`)
        .send('\uFEFF' + formatCsv(rows));
    },
  );
}

export async function healthRoutes(app: FastifyInstance, s: Services): Promise<void> {
  app.get('/healthz', { config: { public: true }, schema: { tags: ['status'], summary: '200 once WeReply can take callbacks' } }, async (_req, reply) => {
    if (!s.ready()) return reply.code(503).send({ status: 'starting' });
    try {
      await s.store.db.selectFrom('settings').select('key').limit(1).execute();
    } catch (err) {
      return reply.code(503).send({ status: 'database unavailable', error: String((err as Error).message) });
    }
    return { status: 'ok', engine: s.store.engine, wecom: s.config.wecom ? 'configured' : 'not configured' };
  });

  app.get('/metrics', { config: { public: true }, schema: { tags: ['status'], summary: 'Prometheus metrics' } }, async (_req, reply) => {
    const body = await s.metrics.registry.metrics();
    return reply.type(s.metrics.registry.contentType).send(body);
  });
}
