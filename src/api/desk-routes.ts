/**
 * Where people answer (the desk) — configuration, presence and the explicit moves:
 * - GET/PUT /api/desks: per kf account 'wecom' | 'wereply' (default 'wecom') and per routing group overrides.
 * - GET/PUT /api/me/presence, POST /api/me/heartbeat: 在线 / 离开 for operators linked to a servicer;
 *   the console sends the heartbeat every ~30 s, and 在线 counts as away after
 *   WEREPLY_PRESENCE_TIMEOUT_SECONDS without one. Going online offers WeReply's queue.
 * - GET /api/conversations/:id/reply-options: desk, holder, state, allowance, what you may do now.
 * - POST /api/conversations/:id/desk {action: take_over | hand_to_wecom, servicer_userid?}, POST /api/conversations/:id/close.
 * Thin: the use cases are pipeline/reply-options.ts and pipeline/desk-actions.ts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { replyRulesOf } from '../channels/allowances.js';
import { closeConversation, DeskActionError, handToWeCom, offerDeskQueue, takeOver, type DeskActionProps } from '../pipeline/desk-actions.js';
import { replyOptions, type Who } from '../pipeline/reply-options.js';
import { DESKS, type Desk, type DeskConfig, isPresent } from '../routing/desk.js';
import { operatorPresence, readDesks, recordHeartbeat, setPresence, writeDesks } from '../store/desk-repo.js';
import { currentRouting } from '../store/routing-repo.js';
import { handoffSettings } from '../store/rules-repo.js';
import type { ConversationRow } from '../store/schema.js';
import type { Services } from '../services.js';
import { ApiError } from './http-errors.js';

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const;
const deskEnum = { type: 'string', enum: [...DESKS], description: "wecom = 企业微信客户端接待 (state 3); wereply = WeReply 接待 (API 接待, state 1)" } as const;

const desksSchema = {
  type: 'object',
  required: ['default', 'accounts', 'groups'],
  additionalProperties: false,
  properties: {
    default: deskEnum,
    accounts: { type: 'object', additionalProperties: deskEnum, description: 'per kf account (open_kfid)' },
    groups: { type: 'object', additionalProperties: deskEnum, description: 'per routing group id: overrides the account when the routing tree targets that group' },
  },
} as const;

const presenceSchema = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['online', 'away'], description: 'as the operator set it' },
    present: { type: 'boolean', description: 'counts for routing now: online and a heartbeat within timeout_seconds' },
    servicer_userid: { type: ['string', 'null'] },
    seen_at: { type: ['integer', 'null'] },
    timeout_seconds: { type: 'integer' },
    offered: { type: 'integer', description: 'waiting conversations offered to routing because you came online' },
  },
} as const;

export const replyOptionsSchema = {
  type: 'object',
  properties: {
    desk: deskEnum,
    desk_recorded: { type: 'boolean', description: 'false: nobody handed the conversation to a person yet; desk is what its kf account is configured with' },
    holder: { type: ['object', 'null'], properties: { servicer_userid: { type: 'string' }, name: { type: ['string', 'null'] }, operator_id: { type: ['integer', 'null'] } } },
    service_state: { type: ['integer', 'null'], description: "WeCom's session state as WeReply knows it: 0 未处理, 1 智能助手, 2 待接入池, 3 人工接待, 4 已结束" },
    waiting: { type: 'boolean', description: "waiting in WeReply's queue for a present agent" },
    can_reply: { type: 'boolean' },
    reason: { type: ['string', 'null'] },
    reason_code: { type: ['string', 'null'], enum: ['session_in_pool', 'session_with_servicer', 'session_ended', 'held_by_other_agent', 'customer_must_write', 'window_closed', 'allowance_used_up', 'no_permission', 'no_channel', null] },
    allowance: {
      type: ['object', 'null'],
      properties: { messages_left: { type: 'integer' }, messages_max: { type: 'integer' }, window_ends_at: { type: ['integer', 'null'] }, customer_must_write: { type: 'boolean' } },
    },
    actions: { type: 'array', items: { type: 'string', enum: ['reply', 'take_over', 'hand_to_wecom', 'close'] } },
  },
} as const;

const actionAnswer = {
  type: 'object',
  properties: {
    action: { type: 'string' },
    detail: { type: 'string' },
    service_state: { type: ['integer', 'null'] },
    servicer_userid: { type: ['string', 'null'] },
    reply_options: replyOptionsSchema,
  },
} as const;

/** The caller as the desk use cases see them. */
export function whoIs(req: FastifyRequest): Who {
  const p = req.principal;
  return { name: p.name, servicerUserid: p.servicerUserid, mayReply: p.permissions.has('conversations:reply'), mayManage: p.permissions.has('routing:write') };
}

export async function deskRoutes(app: FastifyInstance, s: Services): Promise<void> {
  const db = s.store.db;
  const timeoutMs = s.config.presenceTimeoutSeconds * 1000;

  async function conversation(id: number): Promise<ConversationRow> {
    const c = await db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst();
    if (!c) throw new ApiError(404, `conversation ${id} does not exist; GET /api/conversations lists them`);
    return c;
  }
  const optionsFor = (c: ConversationRow, req: FastifyRequest) => replyOptions(s.store, c, replyRulesOf(c.channel), whoIs(req));
  async function actionProps(c: ConversationRow): Promise<DeskActionProps> {
    const sender = s.senders[c.channel];
    return { store: s.store, transfer: sender?.transfer?.bind(sender), waitingMessage: (await handoffSettings(db)).waiting_message };
  }
  const asApiError = (err: unknown): never => {
    if (err instanceof DeskActionError) throw new ApiError(err.status, err.message, undefined, { reason_code: err.code });
    throw err;
  };

  app.get('/api/desks', { config: { permission: 'read' }, schema: { tags: ['desks'], summary: 'Where people answer after 转人工, per kf account and per routing group', response: { 200: desksSchema } } }, async () => readDesks(db));

  app.put<{ Body: DeskConfig }>(
    '/api/desks',
    { config: { permission: 'routing:write' }, schema: { tags: ['desks'], summary: 'Set the desks (per kf account, per routing group override); applies to the next handoff, recorded handoffs keep theirs', body: desksSchema, response: { 200: desksSchema } } },
    async (req) => {
      const { config } = await currentRouting(db, s.config.timezone);
      const known = new Set(config.groups.map((g) => g.id));
      const unknown = Object.keys(req.body.groups).filter((g) => !known.has(g));
      if (unknown.length) throw new ApiError(400, `unknown routing group ${unknown.join(', ')}: overrides name groups of the routing configuration (GET /api/routing)`, unknown.map((g) => ({ field: `groups.${g}`, message: 'unknown group' })));
      const badKf = Object.keys(req.body.accounts).filter((k) => !/^[0-9A-Za-z_-]{1,64}$/.test(k));
      if (badKf.length) throw new ApiError(400, `not a kf account id: ${badKf.join(', ')}`, badKf.map((k) => ({ field: `accounts.${k}`, message: 'not an open_kfid' })));
      const saved: DeskConfig = { default: req.body.default, accounts: req.body.accounts as Record<string, Desk>, groups: req.body.groups as Record<string, Desk> };
      await writeDesks(db, saved);
      return saved;
    },
  );

  async function presenceAnswer(operatorId: number, offered = 0) {
    const row = await operatorPresence(db, operatorId);
    if (!row) throw new ApiError(404, 'operator not found');
    const now = Date.now();
    return { status: row.presence === 'online' ? 'online' : 'away', present: isPresent(row.presence, row.seenAt, now, timeoutMs), servicer_userid: row.servicerUserid, seen_at: row.seenAt, timeout_seconds: Math.round(timeoutMs / 1000), offered };
  }
  function operatorOf(req: FastifyRequest): number {
    if (req.principal.operatorId === null) throw new ApiError(409, 'the admin token is no operator and has no presence: sign in as an operator linked to a servicer', undefined, { reason_code: 'no_operator' });
    return req.principal.operatorId;
  }
  /** Came online (or back from a lapsed heartbeat): the waiting conversations are offered to routing. */
  async function offerQueue(): Promise<number> {
    const waiting = (await handoffSettings(db)).waiting_message;
    const n = await s.store.write((trx) => offerDeskQueue(trx, null, waiting, 'an agent came online', Date.now()));
    if (n) s.wakeup.notify('outbox');
    return n;
  }

  app.get('/api/me/presence', { config: { permission: 'read' }, schema: { tags: ['desks'], summary: 'Your presence (在线 / 离开) for the WeReply desk', response: { 200: presenceSchema } } }, async (req) => presenceAnswer(operatorOf(req)));

  app.put<{ Body: { status: 'online' | 'away' } }>(
    '/api/me/presence',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['desks'],
        summary: 'Go online (在线: routing may give you conversations at the WeReply desk; waiting ones are offered now) or away (离开)',
        body: { type: 'object', additionalProperties: false, required: ['status'], properties: { status: { type: 'string', enum: ['online', 'away'] } } },
        response: { 200: presenceSchema },
      },
    },
    async (req) => {
      const id = operatorOf(req);
      const row = await operatorPresence(db, id);
      if (!row) throw new ApiError(404, 'operator not found');
      if (req.body.status === 'online' && !row.servicerUserid) {
        throw new ApiError(409, `${row.name} is not linked to a 接待人员 (servicer): routing can only give conversations to servicers. An admin links you in 设置 → 操作员 (servicer_userid)`, undefined, { reason_code: 'no_servicer_link' });
      }
      const now = Date.now();
      const wasPresent = isPresent(row.presence, row.seenAt, now, timeoutMs);
      await setPresence(db, id, req.body.status, now);
      const offered = req.body.status === 'online' && !wasPresent ? await offerQueue() : 0;
      return presenceAnswer(id, offered);
    },
  );

  app.post(
    '/api/me/heartbeat',
    { config: { permission: 'read' }, schema: { tags: ['desks'], summary: 'The console is open (every ~30 s): keeps 在线 counting for routing', response: { 200: presenceSchema } } },
    async (req) => {
      const id = operatorOf(req);
      const row = await operatorPresence(db, id);
      if (!row) throw new ApiError(404, 'operator not found');
      const now = Date.now();
      const back = row.presence === 'online' && !!row.servicerUserid && !isPresent(row.presence, row.seenAt, now, timeoutMs);
      await recordHeartbeat(db, id, now);
      return presenceAnswer(id, back ? await offerQueue() : 0);
    },
  );

  app.get<{ Params: { id: number } }>(
    '/api/conversations/:id/reply-options',
    {
      config: { permission: 'read' },
      schema: { tags: ['desks'], summary: 'What you can do in this conversation now: desk, holder, WeCom state, allowance (5 messages / 48 h), whether a message can go out and why not, and your actions', params: idParams, response: { 200: replyOptionsSchema } },
    },
    async (req) => optionsFor(await conversation(req.params.id), req),
  );

  app.post<{ Params: { id: number }; Body: { action: 'take_over' | 'hand_to_wecom'; servicer_userid?: string } }>(
    '/api/conversations/:id/desk',
    {
      config: { permission: 'conversations:reply' },
      schema: {
        tags: ['desks'],
        summary: 'Move the conversation between the desks: take_over (into WeReply: from the WeCom client the session ends, 3→1 being impossible) or hand_to_wecom (trans → 3, to servicer_userid or the one routing picks); audited',
        params: idParams,
        body: { type: 'object', additionalProperties: false, required: ['action'], properties: { action: { type: 'string', enum: ['take_over', 'hand_to_wecom'] }, servicer_userid: { type: 'string', minLength: 1, maxLength: 64 } } },
        response: { 200: actionAnswer },
      },
    },
    async (req) => {
      const c = await conversation(req.params.id);
      if (req.body.action === 'take_over' && req.body.servicer_userid) throw new ApiError(400, 'take_over takes no servicer_userid: you take the conversation yourself', [{ field: 'servicer_userid', message: 'only for hand_to_wecom' }]);
      const props = await actionProps(c);
      const options = await optionsFor(c, req);
      const result = await (req.body.action === 'take_over' ? takeOver(props, c, options, whoIs(req)) : handToWeCom(props, c, options, whoIs(req), req.body.servicer_userid)).catch(asApiError);
      s.wakeup.notify('outbox');
      return { ...result, reply_options: await optionsFor(await conversation(req.params.id), req) };
    },
  );

  app.post<{ Params: { id: number } }>(
    '/api/conversations/:id/close',
    {
      config: { permission: 'conversations:reply' },
      schema: { tags: ['desks'], summary: '结束会话: ends the WeCom session (trans → 4) and frees the holder’s slot (the WeReply queue gets it); audited', params: idParams, response: { 200: actionAnswer } },
    },
    async (req) => {
      const c = await conversation(req.params.id);
      const result = await closeConversation(await actionProps(c), c, await optionsFor(c, req), whoIs(req)).catch(asApiError);
      s.wakeup.notify('outbox');
      return { ...result, reply_options: await optionsFor(await conversation(req.params.id), req) };
    },
  );
}
