/**
 * /api/alerts — messages that broke the compliance rules after they were sent (servicers answering
 * in the WeCom client, scanned after the fact): the list, the open count for the console's badge,
 * acknowledging one (audit log), who receives them as WeCom app messages, and the per-servicer
 * counts of messages sent from the WeCom client. Who runs compliance (compliance:write: supervisors,
 * admins) sees and handles alerts; PII is masked for callers without pii:view (api/pii-view.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.js';
import { acknowledgeAlert, type AlertFilter, type AlertSettings, alertSettings, getAlert, listAlerts, openAlertCount, saveAlertSettings, servicerMessageStats } from '../store/alerts-repo.js';
import { recordAudit } from '../store/compliance-repo.js';
import { ApiError } from './http-errors.js';

const riskFindingSchema = {
  type: 'object',
  properties: {
    field: { type: 'string', description: 'where in the message, e.g. text.content, link.desc' },
    id: { type: 'string' },
    word: { type: 'string' },
    matched: { type: 'string', description: 'what was written (PII masked)' },
    category: { type: 'string' },
    severity: { type: 'string', enum: ['block', 'warn'] },
    reason: { type: 'string' },
    suggestions: { type: 'array', items: { type: 'string' } },
  },
} as const;

const piiFindingSchema = {
  type: 'object',
  properties: {
    field: { type: 'string' },
    kind: { type: 'string', enum: ['mobile', 'id_card', 'bank_card', 'email', 'address'] },
    masked: { type: 'string', description: 'the personal data as written, masked' },
    held: { type: 'boolean', description: 'a kind the organisation holds back (hold_outbound_pii): raises an alert' },
  },
} as const;

/** What the after-the-fact scan found in one message (also on history items). */
export const messageFindingsSchema = {
  type: ['object', 'null'],
  properties: {
    risk: { type: 'array', items: riskFindingSchema },
    pii: { type: 'array', items: piiFindingSchema },
    alert: { type: ['string', 'null'], enum: ['block', 'pii', null], description: 'block: a block risk word; pii: held personal data; null: recorded without an alert (warn)' },
  },
} as const;

const alertSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    kind: { type: 'string', enum: ['servicer_message'], description: 'servicer_message: sent from the WeCom client, scanned after the fact' },
    severity: { type: 'string', enum: ['block', 'pii'] },
    conversation_id: { type: 'integer' },
    message_id: { type: 'integer' },
    external_userid: { type: ['string', 'null'] },
    servicer_userid: { type: ['string', 'null'], description: 'who sent it' },
    servicer_name: { type: ['string', 'null'] },
    findings: messageFindingsSchema,
    text: { type: ['string', 'null'], description: 'the message, PII masked' },
    created_at: { type: 'integer' },
    acknowledged_by: { type: ['string', 'null'] },
    acknowledged_at: { type: ['integer', 'null'] },
    ack_note: { type: ['string', 'null'] },
    notify_status: { type: 'string', enum: ['pending', 'sent', 'failed', 'no_recipients', 'not_configured'], description: 'the WeCom app message to the supervisors' },
    notify_detail: { type: ['string', 'null'] },
    notified_at: { type: ['integer', 'null'] },
  },
} as const;

const alertSettingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['notify_userids', 'notify_supervisors'],
  properties: {
    notify_userids: { type: 'array', maxItems: 100, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[0-9A-Za-z_@.\\-]+$' }, description: 'WeCom userids who receive every alert as an app message' },
    notify_supervisors: { type: 'boolean', description: 'also the operators with role supervisor linked to a servicer (their WeCom userid)' },
  },
} as const;

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const;

export async function alertRoutes(app: FastifyInstance, s: Services): Promise<void> {
  const db = s.store.db;

  app.get<{ Querystring: { status?: AlertFilter; limit?: number; offset?: number } }>(
    '/api/alerts',
    {
      config: { permission: 'compliance:write' },
      schema: {
        tags: ['alerts'],
        summary: 'Alerts, newest first: messages servicers sent from the WeCom client with block risk words or personal data the organisation holds back',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: ['open', 'acknowledged', 'all'], default: 'open' },
            limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
            offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
          },
        },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: alertSchema }, total: { type: 'integer' } } } },
      },
    },
    async (req) => listAlerts(db, req.query.status ?? 'open', req.query.limit ?? 50, req.query.offset ?? 0),
  );

  app.get(
    '/api/alerts/summary',
    {
      config: { permission: 'compliance:write' },
      schema: { tags: ['alerts'], summary: 'How many alerts are open (the console badge)', response: { 200: { type: 'object', properties: { open: { type: 'integer' } } } } },
    },
    async () => ({ open: await openAlertCount(db) }),
  );

  app.post<{ Params: { id: number }; Body: { note?: string } }>(
    '/api/alerts/:id/acknowledge',
    {
      config: { permission: 'compliance:write' },
      schema: {
        tags: ['alerts'],
        summary: 'Acknowledge an open alert (with an optional note); recorded in the audit log',
        params: idParams,
        body: { type: 'object', additionalProperties: false, properties: { note: { type: 'string', maxLength: 500 } } },
        response: { 200: alertSchema },
      },
    },
    async (req) => {
      const id = req.params.id;
      const note = req.body?.note?.trim() || null;
      const now = Date.now();
      const outcome = await s.store.write(async (trx) => {
        const alert = await getAlert(trx, id);
        if (!alert) return 'missing' as const;
        if (!(await acknowledgeAlert(trx, id, req.principal.name, note, now))) return alert;
        await recordAudit(trx, { action: 'acknowledged', subject_type: 'alert', subject_id: id, actor: req.principal.name, text: alert.text, findings: [...alert.findings.risk, ...alert.findings.pii], reason: note }, now);
        return null;
      });
      if (outcome === 'missing') throw new ApiError(404, `no alert ${id}`);
      if (outcome) throw new ApiError(409, `alert ${id} was already acknowledged by ${outcome.acknowledged_by} at ${new Date(outcome.acknowledged_at ?? 0).toISOString()}`);
      return (await getAlert(db, id))!;
    },
  );

  app.get(
    '/api/settings/alerts',
    { config: { permission: 'compliance:write' }, schema: { tags: ['alerts'], summary: 'Who receives alerts as WeCom app messages (WECOM_AGENT_ID)', response: { 200: alertSettingsSchema } } },
    async () => alertSettings(db),
  );

  app.put<{ Body: AlertSettings }>(
    '/api/settings/alerts',
    { config: { permission: 'compliance:write' }, schema: { tags: ['alerts'], summary: 'Change who receives alerts as WeCom app messages', body: alertSettingsSchema, response: { 200: alertSettingsSchema } } },
    async (req) => {
      await saveAlertSettings(db, req.body);
      return alertSettings(db);
    },
  );

  app.get<{ Querystring: { since?: number; until?: number } }>(
    '/api/analytics/servicer-messages',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['alerts'],
        summary: 'Per servicer: messages sent from the WeCom client, alerts on them, and first-response time (customer message → the servicer’s next message)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { since: { type: 'integer', minimum: 0, description: 'ms; default 7 days ago' }, until: { type: 'integer', minimum: 0, description: 'ms; default now' } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              since: { type: 'integer' },
              until: { type: 'integer' },
              servicers: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    servicer_userid: { type: 'string' },
                    servicer_name: { type: ['string', 'null'] },
                    messages: { type: 'integer' },
                    alerts: { type: 'integer' },
                    responses: { type: 'integer' },
                    median_response_ms: { type: ['number', 'null'] },
                  },
                },
              },
            },
          },
        },
      },
    },
    async (req) => {
      const until = req.query.until ?? Date.now();
      const since = req.query.since ?? until - 7 * 86400_000;
      if (since >= until) throw new ApiError(400, `since (${since}) must be before until (${until})`);
      return { since, until, servicers: await servicerMessageStats(db, since, until) };
    },
  );
}
