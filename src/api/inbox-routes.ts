/**
 * /api/conversations — the 会话工作台 (inbox) reads: the conversation list, one conversation's
 * history (customer messages, the bot's and agents' replies from the outbox, with their state) and
 * its assignment history, and a Server-Sent Events stream that says which conversations changed.
 *
 * Read-only over the database. Personal data (mobile numbers, ID and bank card numbers, e-mail,
 * detailed addresses) in message texts is masked unless the caller may see it (`pii:view`).
 * Conversations are named by `conversations.id` (an integer), the `:id` the reply API takes.
 */
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { maskPii } from '../compliance/pii.js';
import type { Services } from '../services.js';
import { WeComApiError, WeComNetworkError } from '../channels/wecom-kf/api-client.js';
import { downloadableMediaId } from '../materials/inbound-media.js';
import { messageFindingsSchema } from './alert-routes.js';
import { ApiError } from './http-errors.js';
import { canViewPii, maskDeep } from './pii-view.js';

/** WeCom session states (service_state) in the console's words. */
export const SERVICE_STATES: Record<number, string> = { 0: 'new', 1: 'bot', 2: 'pool', 3: 'servicer', 4: 'ended' };

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const;

const conversationSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer', description: 'conversation id: the :id of /api/conversations/:id/…' },
    channel: { type: 'string' },
    open_kfid: { type: 'string', description: 'kf account' },
    external_userid: { type: 'string' },
    customer_name: { type: ['string', 'null'] },
    test_account: { type: 'boolean' },
    servicer_userid: { type: ['string', 'null'] },
    servicer_name: { type: ['string', 'null'] },
    desk: { type: ['string', 'null'], enum: ['wecom', 'wereply', null], description: 'where people answer since the last handoff (null: never handed to a person); details: GET /api/conversations/:id/reply-options' },
    service_state: { type: ['string', 'null'], enum: ['new', 'bot', 'pool', 'servicer', 'ended', null] },
    complaint: { type: 'boolean' },
    waiting_since: { type: ['integer', 'null'] },
    last_message: {
      type: ['object', 'null'],
      properties: { text: { type: ['string', 'null'] }, msgtype: { type: 'string' }, origin: { type: 'integer' }, at: { type: 'integer' } },
    },
    last_customer_msg_at: { type: ['integer', 'null'] },
    updated_at: { type: 'integer' },
    pii_masked: { type: 'boolean' },
  },
} as const;

const timelineItemSchema = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: ['in', 'out'], description: 'in = a stored WeCom message (customer, event, servicer in the WeCom client); out = a reply from the outbox' },
    id: { type: 'integer' },
    at: { type: 'integer', description: 'ms since epoch' },
    origin: { type: ['integer', 'null'], description: 'in: 3 customer, 4 system event, 5 servicer' },
    msgtype: { type: 'string' },
    text: { type: ['string', 'null'] },
    media: { type: ['object', 'null'], additionalProperties: true, description: 'in: the media item of an image/voice/video/file message (media_id…)' },
    media_url: { type: ['string', 'null'], description: 'in: where to fetch the picture, voice note, video or file the customer sent (GET with the same token)' },
    event: { type: ['string', 'null'] },
    matched_rules: { type: 'array', items: { type: 'object', properties: { rule_id: { type: 'integer' }, name: { type: 'string' } } } },
    payload: { type: ['object', 'null'], additionalProperties: true, description: 'out: the reply item (text, image with material_id, …)' },
    by: { type: 'string', enum: ['customer', 'servicer', 'system', 'bot', 'agent'], description: 'who wrote it: agent = sent from the console (二次确认)' },
    status: { type: ['string', 'null'], description: 'out: pending | sending | retry | sent | failed | held | waiting_allowance (reason says what it waits for)' },
    reason: { type: ['string', 'null'] },
    rule_id: { type: ['integer', 'null'] },
    sent_at: { type: ['integer', 'null'] },
    sent_by: {
      type: ['object', 'null'],
      properties: { servicer_userid: { type: ['string', 'null'] }, servicer_name: { type: ['string', 'null'] } },
      description: 'in, origin 5: the servicer who sent it from the WeCom client (name from the servicers table)',
    },
    findings: { ...messageFindingsSchema, description: 'in, origin 5: what the after-the-fact compliance scan found (null: clean); alert set when it raised one' },
  },
} as const;

const assignmentSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    servicer_userid: { type: ['string', 'null'] },
    servicer_name: { type: ['string', 'null'] },
    kind: { type: 'string', description: 'assigned | pool | reassigned | refused | released' },
    reason: { type: 'string' },
    trace: { type: ['object', 'null'], additionalProperties: true },
    follow_up: { type: 'boolean' },
    created_at: { type: 'integer' },
  },
} as const;

function parseJson(s: string | null): any {
  if (!s) return null;
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}

/** Shown in the page (the rest downloads): never HTML or SVG, which could run script on this origin. */
const INLINE = /^(image\/(png|jpeg|gif|webp|bmp)|video\/mp4|audio\/(amr|mpeg|mp4|ogg|wav))$/;

const MEDIA_TYPES = new Set(['image', 'voice', 'video', 'file', 'location', 'link', 'business_card', 'miniprogram', 'channels_shop_product', 'channels_shop_order']);

export async function inboxRoutes(app: FastifyInstance, s: Services): Promise<void> {
  const db = s.store.db;
  const inboundMedia = s.inboundMedia;

  async function conversationExists(id: number): Promise<void> {
    const row = await db.selectFrom('conversations').select('id').where('id', '=', id).executeTakeFirst();
    if (!row) throw new ApiError(404, `conversation ${id} does not exist; GET /api/conversations lists them`);
  }

  app.get<{ Querystring: { limit?: number; q?: string; state?: string } }>(
    '/api/conversations',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['inbox'],
        summary: 'Conversations, most recently active first, with the last message, customer and the servicer holding them (PII masked without pii:view)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
            q: { type: 'string', maxLength: 100, description: 'customer id or name contains' },
            state: { type: 'string', enum: ['new', 'bot', 'pool', 'servicer', 'ended'] },
          },
        },
        response: { 200: { type: 'array', items: conversationSchema } },
      },
    },
    async (req) => {
      const mask = !canViewPii(req);
      let q = db
        .selectFrom('conversations as c')
        .leftJoin('customers as cu', 'cu.external_userid', 'c.external_userid')
        .leftJoin('servicers as sv', 'sv.userid', 'c.servicer_userid')
        .select([
          'c.id',
          'c.channel',
          'c.open_kfid',
          'c.external_userid',
          'cu.name as customer_name',
          'cu.test_account',
          'c.servicer_userid',
          'sv.name as servicer_name',
          'c.service_state',
          'c.desk',
          'c.complaint',
          'c.waiting_since',
          'c.last_customer_msg_at',
          'c.updated_at',
        ])
        .orderBy('c.updated_at', 'desc')
        .orderBy('c.id', 'desc')
        .limit(req.query.limit ?? 100);
      if (req.query.q) {
        const like = `%${req.query.q.replace(/[%_\\]/g, (m) => `\\${m}`)}%`;
        // ESCAPE spelled out: SQLite has no default escape character (PostgreSQL's is the backslash).
        const contains = (col: string) => sql<boolean>`${sql.ref(col)} LIKE ${like} ESCAPE '\\'`;
        q = q.where((eb) => eb.or([contains('c.external_userid'), contains('cu.name')]));
      }
      if (req.query.state) {
        const code = Number(Object.entries(SERVICE_STATES).find(([, v]) => v === req.query.state)?.[0]);
        q = code === 1 ? q.where((eb) => eb.or([eb('c.service_state', '=', 1), eb('c.service_state', 'is', null)])) : q.where('c.service_state', '=', code);
      }
      const rows = await q.execute();
      const ids = rows.map((r) => Number(r.id));
      const last = new Map<number, { text: string | null; msgtype: string; origin: number; at: number }>();
      if (ids.length) {
        const latest = db.selectFrom('messages').select((eb) => eb.fn.max('id').as('id')).where('conversation_id', 'in', ids).groupBy('conversation_id');
        const msgs = await db.selectFrom('messages').select(['conversation_id', 'text', 'msgtype', 'origin', 'received_at']).where('id', 'in', latest).execute();
        for (const m of msgs) last.set(Number(m.conversation_id), { text: m.text && mask ? maskPii(m.text) : m.text, msgtype: m.msgtype, origin: Number(m.origin), at: Number(m.received_at) });
      }
      return rows.map((r) => ({
        id: Number(r.id),
        channel: r.channel,
        open_kfid: r.open_kfid,
        external_userid: r.external_userid,
        customer_name: r.customer_name ?? null,
        test_account: !!r.test_account,
        servicer_userid: r.servicer_userid,
        servicer_name: r.servicer_name ?? null,
        desk: r.desk === 'wecom' || r.desk === 'wereply' ? r.desk : null,
        service_state: r.service_state === null ? 'bot' : (SERVICE_STATES[Number(r.service_state)] ?? null),
        complaint: !!Number(r.complaint),
        waiting_since: r.waiting_since === null ? null : Number(r.waiting_since),
        last_message: last.get(Number(r.id)) ?? null,
        last_customer_msg_at: r.last_customer_msg_at === null ? null : Number(r.last_customer_msg_at),
        updated_at: Number(r.updated_at),
        pii_masked: mask,
      }));
    },
  );

  app.get<{ Params: { id: number }; Querystring: { limit?: number } }>(
    '/api/conversations/:id/messages',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['inbox'],
        summary: "One conversation's history, oldest first: the customer's messages and every reply (bot or agent) with its outbox state (PII masked without pii:view)",
        params: idParams,
        querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 300 } } },
        response: { 200: { type: 'object', properties: { conversation_id: { type: 'integer' }, pii_masked: { type: 'boolean' }, items: { type: 'array', items: timelineItemSchema } } } },
      },
    },
    async (req) => {
      const id = req.params.id;
      await conversationExists(id);
      const mask = !canViewPii(req);
      const limit = req.query.limit ?? 300;
      const hide = (t: string | null | undefined) => (t && mask ? maskPii(t) : (t ?? null));
      const inbound = await db
        .selectFrom('messages')
        .leftJoin('servicers as sv', 'sv.userid', 'messages.servicer_userid')
        .select(['id', 'origin', 'msgtype', 'text', 'raw', 'decision', 'send_time', 'received_at', 'messages.servicer_userid', 'sv.name as servicer_name', 'findings'])
        .where('conversation_id', '=', id)
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      const outbound = await db
        .selectFrom('outbox')
        .select(['id', 'msgid', 'payload', 'status', 'reason', 'rule_id', 'created_at', 'sent_at', 'api'])
        .where('conversation_id', '=', id)
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      const items = [
        ...inbound.map((m) => {
          const raw = parseJson(m.raw) ?? {};
          const decision = parseJson(m.decision);
          const media = MEDIA_TYPES.has(m.msgtype) && raw[m.msgtype] && typeof raw[m.msgtype] === 'object' ? raw[m.msgtype] : null;
          const matched = Array.isArray(decision?.matched) ? decision.matched.map((x: { rule_id?: number; ruleId?: number; name?: string }) => ({ rule_id: Number(x.rule_id ?? x.ruleId), name: String(x.name ?? '') })) : [];
          return {
            kind: 'in' as const,
            id: Number(m.id),
            at: Number(m.send_time) || Number(m.received_at),
            origin: Number(m.origin),
            msgtype: m.msgtype,
            text: hide(m.text),
            media,
            media_url: downloadableMediaId(m.msgtype, raw) ? `/api/conversations/${id}/messages/${Number(m.id)}/media` : null,
            event: m.msgtype === 'event' ? String(raw.event?.event_type ?? '') || null : null,
            matched_rules: matched,
            payload: null,
            by: m.origin === 3 ? 'customer' : m.origin === 5 ? 'servicer' : 'system',
            status: null,
            reason: null,
            rule_id: null,
            sent_at: null,
            sent_by: m.origin === 5 ? { servicer_userid: m.servicer_userid ?? raw.servicer_userid ?? null, servicer_name: m.servicer_name ?? null } : null,
            findings: parseJson(m.findings),
          };
        }),
        ...outbound.map((o) => {
          const stored = parseJson(o.payload) ?? {};
          // A reply row holds {reply}; a 转人工 row holds {handoff, waiting_message}.
          const handoff = o.api === 'handoff';
          const raw = handoff ? { type: 'handoff', text: stored.waiting_message ?? null, handoff: stored.handoff ?? null } : (stored.reply ?? stored);
          const payload = mask ? maskDeep(raw, maskPii) : raw;
          return {
            kind: 'out' as const,
            id: Number(o.id),
            at: Number(o.created_at),
            origin: null,
            msgtype: String(payload.type ?? o.api),
            text: typeof payload.text === 'string' ? payload.text : null,
            media: null,
            event: null,
            matched_rules: [],
            payload,
            by: o.api === 'handoff' || o.rule_id !== null || o.api === 'send_msg_on_event' ? 'bot' : o.msgid.startsWith('ag') ? 'agent' : 'bot',
            status: o.status,
            reason: o.reason,
            rule_id: o.rule_id === null ? null : Number(o.rule_id),
            sent_at: o.sent_at === null ? null : Number(o.sent_at),
          };
        }),
      ].sort((a, b) => a.at - b.at || (a.kind === b.kind ? a.id - b.id : a.kind === 'in' ? -1 : 1));
      return { conversation_id: id, pii_masked: mask, items: items.slice(-limit) };
    },
  );

  app.get<{ Params: { id: number } }>(
    '/api/conversations/:id/assignments',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['inbox'],
        summary: 'Assignment history of a conversation, oldest first: assigned, pool, reassigned, refused, released, each with its reason and routing trace',
        params: idParams,
        response: { 200: { type: 'array', items: assignmentSchema } },
      },
    },
    async (req) => {
      await conversationExists(req.params.id);
      const rows = await db
        .selectFrom('assignments as a')
        .leftJoin('servicers as sv', 'sv.userid', 'a.servicer_userid')
        .select(['a.id', 'a.servicer_userid', 'sv.name as servicer_name', 'a.kind', 'a.reason', 'a.trace', 'a.follow_up', 'a.created_at'])
        .where('a.conversation_id', '=', req.params.id)
        .orderBy('a.id', 'asc')
        .execute();
      return rows.map((r) => ({
        id: Number(r.id),
        servicer_userid: r.servicer_userid,
        servicer_name: r.servicer_name ?? null,
        kind: r.kind,
        reason: r.reason,
        trace: parseJson(r.trace),
        follow_up: !!Number(r.follow_up),
        created_at: Number(r.created_at),
      }));
    },
  );

  app.get<{ Params: { id: number; messageId: number } }>(
    '/api/conversations/:id/messages/:messageId/media',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['inbox'],
        summary:
          'The picture, voice note, video or file a customer sent: downloaded from WeCom (media/get) on first view and kept, since WeCom keeps it only 3 days. Type from the bytes; pictures, audio and video inline, anything else as a download',
        params: { type: 'object', required: ['id', 'messageId'], properties: { id: { type: 'integer', minimum: 1 }, messageId: { type: 'integer', minimum: 1 } } },
      },
    },
    async (req, reply) => {
      const m = await db.selectFrom('messages').select(['msgid', 'msgtype', 'raw']).where('id', '=', req.params.messageId).where('conversation_id', '=', req.params.id).executeTakeFirst();
      if (!m) throw new ApiError(404, `conversation ${req.params.id} has no message ${req.params.messageId}`);
      const mediaId = downloadableMediaId(m.msgtype, parseJson(m.raw));
      if (!mediaId) throw new ApiError(404, `message ${req.params.messageId} is a ${m.msgtype} message, with nothing to download`);
      let media = await inboundMedia.get(m.msgid);
      if (!media) {
        if (!s.wecom) throw new ApiError(503, 'WeCom is not configured, so the media cannot be fetched');
        try {
          media = await inboundMedia.put(m.msgid, (await s.wecom.downloadMedia(mediaId)).bytes);
        } catch (err) {
          if (err instanceof WeComApiError && err.errcode === 40007) throw new ApiError(410, 'WeCom no longer has this media: it keeps what customers send for 3 days, and it was not opened in time');
          if (err instanceof WeComApiError || err instanceof WeComNetworkError) throw new ApiError(502, `could not fetch the media from WeCom: ${err.message}`);
          throw err;
        }
      }
      const inline = INLINE.test(media.mime);
      const name = `${m.msgtype}-${req.params.messageId}${media.ext ? `.${media.ext}` : ''}`;
      return reply
        .header('content-type', inline ? media.mime : media.mime === 'application/pdf' ? 'application/pdf' : 'application/octet-stream')
        .header('content-disposition', `${inline ? 'inline' : 'attachment'}; filename="${name}"`)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'private, max-age=86400')
        .send(media.bytes);
    },
  );

  // ------------------------------------------------------------ live updates (SSE)

  /** Open event streams, ended when the server closes (a stream would otherwise keep close() waiting). */
  const streams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...streams]) end();
  });

  /**
   * Where the data stands: the newest message, outbox row, send, assignment and conversation change,
   * and how many replies are unfinished (a reply that fails or is held changes that count). Each is
   * an index lookup, so the feed costs the same however large the tables grow.
   */
  async function marks() {
    const [m, o, sent, open, a, c] = await Promise.all([
      db.selectFrom('messages').select((eb) => eb.fn.max('id').as('v')).executeTakeFirst(),
      db.selectFrom('outbox').select((eb) => eb.fn.max('id').as('v')).executeTakeFirst(),
      db.selectFrom('outbox').select((eb) => eb.fn.max('sent_at').as('v')).executeTakeFirst(),
      db.selectFrom('outbox').select((eb) => eb.fn.countAll().as('v')).where('status', 'in', ['pending', 'retry', 'sending']).executeTakeFirst(),
      db.selectFrom('assignments').select((eb) => eb.fn.max('id').as('v')).executeTakeFirst(),
      db.selectFrom('conversations').select((eb) => eb.fn.max('updated_at').as('v')).executeTakeFirst(),
    ]);
    return {
      message: Number(m?.v ?? 0),
      outboxId: Number(o?.v ?? 0),
      outboxSent: Number(sent?.v ?? 0),
      outboxOpen: Number(open?.v ?? 0),
      assignment: Number(a?.v ?? 0),
      conversation: Number(c?.v ?? 0),
    };
  }
  type Marks = Awaited<ReturnType<typeof marks>>;
  const same = (x: Marks, y: Marks) => (Object.keys(x) as (keyof Marks)[]).every((k) => x[k] === y[k]);

  /** The conversations touched since `since`. */
  async function changedSince(since: Marks): Promise<number[]> {
    const ids = new Set<number>();
    const add = (rows: { v: unknown }[]) => rows.forEach((r) => ids.add(Number(r.v)));
    add(await db.selectFrom('messages').select('conversation_id as v').where('id', '>', since.message).where('conversation_id', '>', 0).execute());
    add(await db.selectFrom('assignments').select('conversation_id as v').where('id', '>', since.assignment).execute());
    add(await db.selectFrom('conversations').select('id as v').where('updated_at', '>', since.conversation).execute());
    add(await db.selectFrom('outbox').select('conversation_id as v').where('id', '>', since.outboxId).execute());
    add(await db.selectFrom('outbox').select('conversation_id as v').where('sent_at', '>', since.outboxSent).execute());
    return [...ids].filter((x) => x > 0).sort((a, b) => a - b);
  }

  /**
   * One poller per process, however many inboxes are open: it looks once a second while someone
   * listens and tells every open stream which conversations changed.
   */
  const listeners = new Set<(event: string) => void>();
  let last: Marks | undefined;
  let feed: NodeJS.Timeout | undefined;
  let busy = false;
  let ticks = 0;
  async function tick(): Promise<void> {
    if (busy) return;
    busy = true;
    try {
      const now = await marks();
      if (last && !same(now, last)) {
        const ids = await changedSince(last);
        const event = `event: change\ndata: ${JSON.stringify({ conversation_ids: ids, at: Date.now() })}\n\n`;
        for (const l of listeners) l(event);
      } else if (++ticks % 15 === 0) {
        for (const l of listeners) l(': keep-alive\n\n');
      }
      last = now;
    } catch (err) {
      app.log.warn({ err }, 'inbox event stream: reading changes failed');
    } finally {
      busy = false;
    }
  }
  function listen(l: (event: string) => void): () => void {
    listeners.add(l);
    feed ??= setInterval(() => void tick(), 1000);
    return () => {
      listeners.delete(l);
      if (listeners.size === 0 && feed) {
        clearInterval(feed);
        feed = undefined;
        last = undefined;
      }
    };
  }

  app.get(
    '/api/conversations/events',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['inbox'],
        summary: 'Server-Sent Events: `event: change` with {"conversation_ids": [...]} whenever conversations get messages, replies, state or assignment changes',
        description:
          'text/event-stream; checks about once a second. A client that cannot set the Authorization header on EventSource reads the stream with fetch(). ' +
          'A `ready` event is sent first; a comment line every 15 s keeps proxies from closing the stream.',
      },
    },
    async (req, reply) => {
      // At most WEREPLY_STREAMS_PER_OPERATOR open per operator; ended when they are disabled or change role.
      let unlisten = () => {};
      const res = reply.raw;
      const lease = s.streams.open(req.principal, (reason) => {
        if (!res.writableEnded) res.write(`event: revoked\ndata: ${JSON.stringify({ reason, at: Date.now() })}\n\n`);
        end();
      });
      if (!lease.ok) {
        throw new ApiError(429, `you already have ${lease.open} live update streams open (the limit is ${lease.cap} per operator): close other console tabs or windows, then reload`);
      }
      const end = () => {
        unlisten();
        lease.close();
        streams.delete(end);
        if (!res.writableEnded) res.end();
      };
      reply.hijack();
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      streams.add(end);
      req.raw.on('close', end);
      if (!last) last = await marks(); // changes from now on
      if (res.writableEnded) return;
      res.write(`retry: 3000\nevent: ready\ndata: ${JSON.stringify({ at: Date.now() })}\n\n`);
      unlisten = listen((event) => res.write(event));
    },
  );
}
