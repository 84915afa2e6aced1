/**
 * /wecom/kf/callback — the URL configured in the WeCom admin for 微信客服.
 * GET: URL verification (answer the decrypted echostr exactly).
 * POST: verify, decrypt, record the kf_msg_or_event durably with its pull job, then acknowledge.
 * The messages themselves are pulled by the kf_sync job, outside WeCom's 5-second window.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { sql } from 'kysely';
import type { JobQueue } from '../../jobs/job-queue.js';
import type { Wakeup } from '../../jobs/wakeup.js';
import type { Store } from '../../store/database.js';
import { CallbackCryptoError, type CallbackCrypto } from './crypto.js';
import { KF_SYNC_JOB, kfSyncKey, type KfSyncPayload } from './sync.js';
import { parseFlatXml, XmlError } from './xml.js';

export interface KfCallbackOptions {
  crypto: CallbackCrypto;
  store: Store;
  jobs: JobQueue;
  wakeup: Wakeup;
  /** Callbacks whose timestamp is further than this from now are refused as replays (seconds). */
  maxClockSkewSeconds?: number;
  /** Largest accepted POST body (bytes); WeCom's are well under 4 KB. */
  bodyLimit?: number;
  onCallback?: (result: 'accepted' | 'duplicate' | 'rejected') => void;
}

const querySchema = {
  type: 'object',
  required: ['msg_signature', 'timestamp', 'nonce'],
  properties: {
    msg_signature: { type: 'string', minLength: 1, maxLength: 128 },
    timestamp: { type: 'string', pattern: '^[0-9]{1,12}$' },
    nonce: { type: 'string', minLength: 1, maxLength: 128 },
    echostr: { type: 'string', minLength: 1, maxLength: 4096 },
  },
} as const;

interface CallbackQuery {
  msg_signature: string;
  timestamp: string;
  nonce: string;
  echostr?: string;
}

export async function kfCallbackRoutes(app: FastifyInstance, opts: KfCallbackOptions): Promise<void> {
  const skew = opts.maxClockSkewSeconds ?? 600;
  const reject = (reply: FastifyReply, status: number, error: string) => {
    opts.onCallback?.('rejected');
    return reply.code(status).type('application/json').send({ error });
  };
  /** The replay window, the same for URL verification (GET) and callbacks (POST). */
  const outsideClockWindow = (reply: FastifyReply, timestamp: string) =>
    Math.abs(Date.now() / 1000 - Number(timestamp)) > skew
      ? reject(reply, 403, `timestamp ${timestamp} is more than ${skew}s away from now: refused as a replayed or delayed callback (check this server's clock if WeCom's own calls are refused)`)
      : undefined;

  // WeCom posts text/xml; accept any content type here (encapsulated to this plugin).
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: opts.bodyLimit ?? 64 * 1024 }, (_req, body, done) => done(null, body));

  app.get<{ Querystring: CallbackQuery }>(
    '/wecom/kf/callback',
    { config: { public: true }, schema: { querystring: { ...querySchema, required: [...querySchema.required, 'echostr'] } } },
    async (req, reply) => {
      const { msg_signature, timestamp, nonce } = req.query;
      const stale = outsideClockWindow(reply, timestamp);
      if (stale) return stale;
      // echostr is base64: a '+' that arrived un-encoded has been decoded to a space.
      const echostr = req.query.echostr!.replace(/ /g, '+');
      if (!opts.crypto.verifySignature(msg_signature, timestamp, nonce, echostr)) {
        return reject(reply, 403, 'msg_signature does not match: check that WECOM_TOKEN equals the Token in the WeCom admin');
      }
      try {
        const plain = opts.crypto.decrypt(echostr);
        return reply.type('text/plain; charset=utf-8').send(plain);
      } catch (err) {
        if (err instanceof CallbackCryptoError) return reject(reply, err.status, `${err.message}: check WECOM_ENCODING_AES_KEY and WECOM_CORP_ID`);
        throw err;
      }
    },
  );

  app.post<{ Querystring: CallbackQuery; Body: string }>(
    '/wecom/kf/callback',
    { config: { public: true }, schema: { querystring: querySchema }, bodyLimit: opts.bodyLimit ?? 64 * 1024 },
    async (req, reply) => {
      const { msg_signature, timestamp, nonce } = req.query;
      const stale = outsideClockWindow(reply, timestamp);
      if (stale) return stale;
      const body = typeof req.body === 'string' ? req.body : '';
      if (!body) return reject(reply, 400, 'empty body: expected <xml><Encrypt>…</Encrypt></xml>');
      let encrypted: string | undefined;
      try {
        encrypted = parseFlatXml(body).Encrypt;
      } catch (err) {
        if (err instanceof XmlError) return reject(reply, 400, err.message);
        throw err;
      }
      if (!encrypted) return reject(reply, 400, 'the XML body has no <Encrypt> element');
      if (!opts.crypto.verifySignature(msg_signature, timestamp, nonce, encrypted)) {
        return reject(reply, 403, 'msg_signature does not match the body: refused');
      }
      let event: Record<string, string>;
      try {
        event = parseFlatXml(opts.crypto.decrypt(encrypted));
      } catch (err) {
        if (err instanceof CallbackCryptoError) return reject(reply, err.status, err.message);
        if (err instanceof XmlError) return reject(reply, 400, `decrypted message: ${err.message}`);
        throw err;
      }
      if (event.MsgType !== 'event' || event.Event !== 'kf_msg_or_event') {
        return reject(reply, 400, `unsupported callback: MsgType=${event.MsgType ?? '?'} Event=${event.Event ?? '?'}; this URL takes 微信客服 kf_msg_or_event callbacks`);
      }
      const openKfid = event.OpenKfId;
      const createTime = Number(event.CreateTime);
      if (!openKfid || !Number.isFinite(createTime)) return reject(reply, 400, 'kf_msg_or_event without OpenKfId or CreateTime');
      const now = Date.now();
      const eventKey = event.Token ? `token:${event.Token}` : `kf:${openKfid}:${createTime}`;

      // Stored durably, with the pull job, before WeCom hears "success".
      const isNew = await opts.store.write(async (trx) => {
        // Hot path: the sql tag costs a third of the query builder per statement (bench/callback-ingest).
        const inserted = await sql<{ id: number }>`
          INSERT INTO kf_callbacks (event_key, open_kfid, sync_token, create_time, received_at)
          VALUES (${eventKey}, ${openKfid}, ${event.Token ?? null}, ${createTime}, ${now})
          ON CONFLICT (event_key) DO NOTHING RETURNING id`.execute(trx);
        if (inserted.rows.length === 0) return false;
        const payload: KfSyncPayload = { open_kfid: openKfid, ...(event.Token ? { token: event.Token, token_at: now } : {}) };
        await opts.jobs.enqueue(trx, KF_SYNC_JOB, kfSyncKey(openKfid), payload, now);
        return true;
      });
      opts.onCallback?.(isNew ? 'accepted' : 'duplicate');
      if (isNew) opts.wakeup.notify('jobs');
      return reply.type('text/plain').send('success');
    },
  );
}
