/**
 * The in-memory 微信客服 world the mock serves: access tokens, per-account message logs,
 * sessions and their states, the 5-messages-in-48-hours quota, welcome/event codes, callback
 * tokens and uploaded media. No HTTP here: every method takes plain data and returns the
 * WeCom-shaped answer, on the mock clock.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { ERR } from './errcodes.js';
import { type MediaType } from './media.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** How long things live, as WeCom documents them. */
export const LIFETIMES = {
  msgTokenMs: 10 * MINUTE, // callback Token for sync_msg
  welcomeCodeMs: 20 * SECOND, // enter_session welcome_code
  endCodeMs: 20 * SECOND, // msg_code of a trans to state 4 (结束语)
  queueCodeMs: 48 * HOUR, // msg_code of a trans to 2 or 3 (排队提示语 / 接入提示语)
  sessionMs: 48 * HOUR, // a session lasts 48 h unless ended
  replyWindowMs: 48 * HOUR, // send_msg allowed within 48 h of the customer's last message
  syncWindowMs: 3 * DAY, // sync_msg returns the last 3 days
  mediaMs: 3 * DAY, // temporary media
} as const;

export const MAX_SENDS_PER_CUSTOMER_MESSAGE = 5;

export type Origin = 3 | 4 | 5;
export type ServiceState = 0 | 1 | 2 | 3 | 4;

/** One msg_list item exactly as sync_msg returns it. */
export interface KfMessage {
  msgid: string;
  open_kfid?: string;
  external_userid?: string;
  send_time: number;
  origin: Origin;
  servicer_userid?: string;
  msgtype: string;
  [field: string]: unknown;
}

interface LogEntry {
  seq: number;
  atMs: number;
  msg: KfMessage;
}

interface Session {
  state: ServiceState;
  servicer: string;
  startedAt: number;
  sentCode2: boolean;
  sentCode3: boolean;
}

interface Contact {
  lastCustomerAt?: number;
  sendsSinceCustomer: number;
  lastWelcomeAt?: number;
  session?: Session;
}

interface EventCode {
  open_kfid: string;
  external_userid: string;
  issuedAt: number;
  ttlMs: number;
  used: boolean;
  /** For state codes: the session state they were issued for. Welcome codes: undefined. */
  state?: ServiceState;
}

export interface Media {
  media_id: string;
  type: MediaType;
  createdAt: number;
  size: number;
  filename?: string;
  /** The bytes, for media/get. */
  data?: Buffer;
}

export interface ApiResult {
  errcode: number;
  errmsgDetail?: string;
  [field: string]: unknown;
}

export interface WorldConfig {
  corpId: string;
  kfSecret: string;
  openKfIds: string[];
  /** Servicers (接待人员) per open_kfid. */
  servicers: Record<string, string[]>;
  /** Departments added as 接待人员 per open_kfid: kf/servicer/list lists them as {department_id}. */
  servicerDepartments: Record<string, number[]>;
  /** The corp's departments: id -> member userids (user/simplelist). */
  departments: Record<string, string[]>;
  /** Departments the app may view in the contact API; undefined = all (others answer 60011). */
  visibleDepartments?: number[];
  /** Most items one sync_msg page returns, whatever the limit asked (WeCom may return fewer). */
  syncPageLimit: number;
  accessTokenTtlSeconds: number;
  syncWithoutTokenPerMinute: number;
}

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Random [0-9A-Za-z] string (rejection sampling keeps it uniform). */
export function randomAlnum(length: number): string {
  let out = '';
  while (out.length < length) {
    const bytes = randomBytes(length * 2);
    for (const b of bytes) {
      if (b < 248) out += ALNUM[b % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export function randomB64url(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

function fail(errcode: number, errmsgDetail?: string): ApiResult {
  return { errcode, errmsgDetail };
}

const MSGID_RE = /^[0-9a-zA-Z_-]*$/;

/** send_msg / send_msg_on_event msgid rule: ≤32 bytes of [0-9a-zA-Z_-]. */
export function checkOutboundMsgid(msgid: unknown): ApiResult | undefined {
  if (msgid === undefined || msgid === null || msgid === '') return undefined;
  if (typeof msgid !== 'string') return fail(ERR.INVALID_PARAM, 'msgid must be a string');
  if (Buffer.byteLength(msgid, 'utf8') > 32) return fail(ERR.INVALID_PARAM, 'msgid exceed max length');
  if (!MSGID_RE.test(msgid)) return fail(ERR.INVALID_PARAM, 'msgid contains invalid characters');
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class KfWorld {
  private readonly cfg: WorldConfig;
  private readonly now: () => number;
  /** Per-process key for cursor tags; stable across restarts so persisted cursors stay valid. */
  private readonly cursorKey: Buffer;
  /** Monotonic across reset() and (practically) across restarts, so old cursors never skip new messages. */
  private seq = Date.now() * 1000;

  private accessTokens = new Map<string, number>();
  private currentAccessToken: string | undefined;
  private logs = new Map<string, LogEntry[]>();
  private contacts = new Map<string, Contact>();
  private msgTokens = new Map<string, { open_kfid: string; issuedAt: number }>();
  private welcomeCodes = new Map<string, EventCode>();
  private stateCodes = new Map<string, EventCode>();
  private media = new Map<string, Media>();
  /** servicer userid -> on duty (接待中). */
  private servicerOnDuty = new Map<string, boolean>();
  private syncNoTokenWindow = { start: 0, count: 0 };

  constructor(cfg: WorldConfig, now: () => number) {
    this.cfg = cfg;
    this.now = now;
    this.cursorKey = Buffer.from(`${cfg.corpId}\n${cfg.kfSecret}\ncursor`);
  }

  /** Forgets messages, sessions, codes, media and callback tokens; keeps config and access tokens. */
  reset(): void {
    this.logs.clear();
    this.contacts.clear();
    this.msgTokens.clear();
    this.welcomeCodes.clear();
    this.stateCodes.clear();
    this.media.clear();
    this.servicerOnDuty.clear();
    this.syncNoTokenWindow = { start: 0, count: 0 };
  }

  // ---------------------------------------------------------------- access tokens

  /** gettoken: within its validity the same token comes back (WeCom: 有效期内重复获取返回相同结果). */
  getToken(corpid: string | null, corpsecret: string | null): ApiResult {
    if (!corpid) return fail(ERR.MISSING_CORPID);
    if (!corpsecret) return fail(ERR.MISSING_SECRET);
    if (corpid !== this.cfg.corpId) return fail(ERR.INVALID_CORPID);
    if (corpsecret !== this.cfg.kfSecret) return fail(ERR.INVALID_SECRET, 'invalid credential, corpsecret is wrong');
    const now = this.now();
    const cur = this.currentAccessToken;
    const curExp = cur ? this.accessTokens.get(cur) : undefined;
    if (cur && curExp !== undefined && curExp > now) {
      return { errcode: 0, access_token: cur, expires_in: Math.ceil((curExp - now) / 1000) };
    }
    const token = randomB64url(96);
    const ttl = this.cfg.accessTokenTtlSeconds;
    this.accessTokens.set(token, now + ttl * 1000);
    this.currentAccessToken = token;
    return { errcode: 0, access_token: token, expires_in: ttl };
  }

  /** 0 when usable, else 41001 / 40014 / 42001. */
  checkAccessToken(token: string | null): number {
    if (!token) return ERR.MISSING_ACCESS_TOKEN;
    const exp = this.accessTokens.get(token);
    if (exp === undefined) return ERR.INVALID_ACCESS_TOKEN;
    if (exp <= this.now()) return ERR.ACCESS_TOKEN_EXPIRED;
    return ERR.OK;
  }

  /** WeCom may invalidate tokens early (提前使access_token失效); the next call gets 40014. */
  invalidateAccessTokens(): void {
    this.accessTokens.clear();
    this.currentAccessToken = undefined;
  }

  // ---------------------------------------------------------------- helpers

  isKnownKf(openKfId: unknown): openKfId is string {
    return typeof openKfId === 'string' && this.cfg.openKfIds.includes(openKfId);
  }

  private contact(openKfId: string, externalUserId: string): Contact {
    const key = `${openKfId}\n${externalUserId}`;
    let c = this.contacts.get(key);
    if (!c) {
      c = { sendsSinceCustomer: 0 };
      this.contacts.set(key, c);
    }
    return c;
  }

  /** The session as it stands now: one that has run 48 h is over (state 4). */
  private liveSession(c: Contact): Session | undefined {
    const s = c.session;
    if (s && s.state !== 4 && this.now() - s.startedAt >= LIFETIMES.sessionMs) s.state = 4;
    return s;
  }

  private stateOf(c: Contact): ServiceState {
    return this.liveSession(c)?.state ?? 4;
  }

  private append(openKfId: string, msg: KfMessage): KfMessage {
    let log = this.logs.get(openKfId);
    if (!log) {
      log = [];
      this.logs.set(openKfId, log);
    }
    this.seq += 1;
    log.push({ seq: this.seq, atMs: this.now(), msg });
    return msg;
  }

  private newMsgid(): string {
    return randomAlnum(44);
  }

  /** Messages of one account (for the control API), oldest first. */
  messages(openKfId: string): KfMessage[] {
    return (this.logs.get(openKfId) ?? []).map((e) => e.msg);
  }

  // ---------------------------------------------------------------- inbound (injected by tests)

  /** A WeChat customer writes (origin 3): starts a session if none is open, resets the 5-message quota. */
  customerMessage(openKfId: string, externalUserId: string, msgtype: string, content: unknown): KfMessage {
    const now = this.now();
    const c = this.contact(openKfId, externalUserId);
    let s = this.liveSession(c);
    if (!s || s.state === 4) {
      s = { state: 0, servicer: '', startedAt: now, sentCode2: false, sentCode3: false };
      c.session = s;
    }
    c.lastCustomerAt = now;
    c.sendsSinceCustomer = 0;
    const msg: KfMessage = {
      msgid: this.newMsgid(),
      open_kfid: openKfId,
      external_userid: externalUserId,
      send_time: Math.floor(now / 1000),
      origin: 3,
      msgtype,
      [msgtype]: content,
    };
    if (s.state === 3 && s.servicer) msg.servicer_userid = s.servicer;
    return this.append(openKfId, msg);
  }

  /** A servicer writes from the WeCom client (origin 5); in an ended session that re-opens it as state 3. */
  servicerMessage(openKfId: string, externalUserId: string, servicer: string, msgtype: string, content: unknown): KfMessage {
    const c = this.contact(openKfId, externalUserId);
    const s = this.liveSession(c);
    if (!s || s.state === 4) {
      c.session = { state: 3, servicer, startedAt: this.now(), sentCode2: false, sentCode3: true };
    }
    return this.append(openKfId, {
      msgid: this.newMsgid(),
      open_kfid: openKfId,
      external_userid: externalUserId,
      send_time: Math.floor(this.now() / 1000),
      origin: 5,
      servicer_userid: servicer,
      msgtype,
      [msgtype]: content,
    });
  }

  /**
   * The customer opens the chat (enter_session). A welcome_code comes only when WeCom would give one:
   * no welcome received and no message sent by the customer in the last 48 h.
   */
  enterSession(
    openKfId: string,
    externalUserId: string,
    scene?: string,
    sceneParam?: string,
  ): { msg: KfMessage; welcome_code?: string } {
    const now = this.now();
    const c = this.contact(openKfId, externalUserId);
    const recentlyWrote = c.lastCustomerAt !== undefined && now - c.lastCustomerAt < 48 * HOUR;
    const recentlyWelcomed = c.lastWelcomeAt !== undefined && now - c.lastWelcomeAt < 48 * HOUR;
    let welcome_code: string | undefined;
    if (!recentlyWrote && !recentlyWelcomed) {
      welcome_code = randomB64url(32);
      this.welcomeCodes.set(welcome_code, {
        open_kfid: openKfId,
        external_userid: externalUserId,
        issuedAt: now,
        ttlMs: LIFETIMES.welcomeCodeMs,
        used: false,
      });
      this.pruneFront(this.welcomeCodes, (v) => now - v.issuedAt > LIFETIMES.welcomeCodeMs);
    }
    const event: Record<string, unknown> = {
      event_type: 'enter_session',
      scene: scene ?? '',
      open_kfid: openKfId,
      external_userid: externalUserId,
    };
    if (sceneParam !== undefined) event.scene_param = sceneParam;
    if (welcome_code) event.welcome_code = welcome_code;
    return { msg: this.eventMessage(openKfId, event), welcome_code };
  }

  /**
   * Any other system event (origin 4). Side effects follow what the event reports:
   * servicer_status_change sets the servicer on/off duty; session_status_change moves the session
   * (1 接入 / 2 转接 / 4 重新接入 -> state 3 with new_servicer_userid, 3 结束 -> state 4).
   */
  pushEvent(openKfId: string, event: Record<string, unknown>): KfMessage {
    const type = event.event_type;
    const user = typeof event.external_userid === 'string' ? event.external_userid : undefined;
    if (type === 'servicer_status_change' && typeof event.servicer_userid === 'string') {
      this.servicerOnDuty.set(event.servicer_userid, event.status !== 2);
    }
    if (type === 'session_status_change' && user) {
      const c = this.contact(openKfId, user);
      const s = this.liveSession(c);
      const change = Number(event.change_type);
      const newServicer = typeof event.new_servicer_userid === 'string' ? event.new_servicer_userid : '';
      if (change === 3) {
        if (s) s.state = 4;
      } else if (change === 1 || change === 2 || change === 4) {
        if (!s || s.state === 4) {
          c.session = { state: 3, servicer: newServicer, startedAt: this.now(), sentCode2: false, sentCode3: true };
        } else {
          s.state = 3;
          s.servicer = newServicer;
        }
      }
    }
    return this.eventMessage(openKfId, { open_kfid: openKfId, ...event });
  }

  private eventMessage(openKfId: string, event: Record<string, unknown>): KfMessage {
    // Event items carry open_kfid / external_userid inside `event`, not at the top level.
    return this.append(openKfId, {
      msgid: this.newMsgid(),
      send_time: Math.floor(this.now() / 1000),
      origin: 4,
      msgtype: 'event',
      event,
    });
  }

  /** A fresh callback Token (valid 10 minutes) for sync_msg. */
  issueMsgToken(openKfId: string): string {
    const now = this.now();
    const token = 'ENC' + randomAlnum(44);
    this.msgTokens.set(token, { open_kfid: openKfId, issuedAt: now });
    this.pruneFront(this.msgTokens, (v) => now - v.issuedAt > LIFETIMES.msgTokenMs);
    return token;
  }

  private pruneFront<V>(map: Map<string, V>, expired: (v: V) => boolean): void {
    if (map.size < 1024) return;
    for (const [k, v] of map) {
      if (!expired(v)) break;
      map.delete(k);
    }
  }

  // ---------------------------------------------------------------- sync_msg

  private cursorTag(openKfId: string, seq: number): string {
    return createHmac('sha256', this.cursorKey).update(`${openKfId}:${seq}`).digest('base64url').slice(0, 8);
  }

  private encodeCursor(openKfId: string, seq: number): string {
    return Buffer.from(`${seq.toString(36)}.${this.cursorTag(openKfId, seq)}`).toString('base64url');
  }

  private decodeCursor(openKfId: string, cursor: string): number | undefined {
    const text = Buffer.from(cursor, 'base64url').toString('utf8');
    const [seqPart, tag] = text.split('.');
    if (!seqPart || !tag) return undefined;
    const seq = parseInt(seqPart, 36);
    if (!Number.isSafeInteger(seq) || this.cursorTag(openKfId, seq) !== tag) return undefined;
    return seq;
  }

  syncMsg(body: Record<string, unknown>): ApiResult {
    const now = this.now();
    const { cursor, token, limit, voice_format, open_kfid } = body;
    if (!this.isKnownKf(open_kfid)) return fail(ERR.INVALID_OPEN_KFID);
    let tokenOk = false;
    if (token !== undefined && token !== '') {
      const t = typeof token === 'string' ? this.msgTokens.get(token) : undefined;
      tokenOk = !!t && t.open_kfid === open_kfid && now - t.issuedAt <= LIFETIMES.msgTokenMs;
      if (!tokenOk) {
        this.countSyncWithoutToken(now);
        return fail(ERR.INVALID_MSG_TOKEN, 'invalid msg token (expired after 10 minutes, or issued for another open_kfid)');
      }
    }
    if (!tokenOk && !this.countSyncWithoutToken(now)) {
      return fail(ERR.FREQ_LIMIT, 'api freq out of limit (sync_msg without a callback token)');
    }
    let max = 1000;
    if (limit !== undefined && limit !== null && limit !== 0) {
      if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 1000) {
        return fail(ERR.INVALID_PARAM, 'limit must be an integer in [1, 1000]');
      }
      max = limit;
    }
    max = Math.min(max, this.cfg.syncPageLimit);
    if (voice_format !== undefined && voice_format !== 0 && voice_format !== 1) {
      return fail(ERR.INVALID_PARAM, 'voice_format must be 0 or 1');
    }
    let afterSeq = -1;
    if (cursor !== undefined && cursor !== '') {
      if (typeof cursor !== 'string' || Buffer.byteLength(cursor) > 64) return fail(ERR.INVALID_PARAM, 'invalid cursor');
      const seq = this.decodeCursor(open_kfid, cursor);
      if (seq === undefined) return fail(ERR.INVALID_PARAM, 'invalid cursor');
      afterSeq = seq;
    }
    const log = this.logs.get(open_kfid) ?? [];
    // first entry with seq > afterSeq (binary search), then skip anything older than 3 days
    let lo = 0;
    let hi = log.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((log[mid] as LogEntry).seq > afterSeq) hi = mid;
      else lo = mid + 1;
    }
    let start = lo;
    const oldest = now - LIFETIMES.syncWindowMs;
    while (start < log.length && (log[start] as LogEntry).atMs < oldest) start++;
    const end = Math.min(log.length, start + max);
    const msg_list = log.slice(start, end).map((e) => e.msg);
    const lastSeq = end > start ? (log[end - 1] as LogEntry).seq : afterSeq >= 0 ? afterSeq : (log[log.length - 1]?.seq ?? this.seq);
    return {
      errcode: 0,
      next_cursor: this.encodeCursor(open_kfid, lastSeq),
      has_more: end < log.length ? 1 : 0,
      msg_list,
    };
  }

  /** Counts a sync_msg call without a valid token; false when over the per-minute limit. */
  private countSyncWithoutToken(now: number): boolean {
    const w = this.syncNoTokenWindow;
    if (now - w.start >= MINUTE) {
      w.start = now;
      w.count = 0;
    }
    w.count += 1;
    return w.count <= this.cfg.syncWithoutTokenPerMinute;
  }

  // ---------------------------------------------------------------- sending

  /** Checks the message part of send_msg / send_msg_on_event (msgtype and its object). */
  private checkContent(body: Record<string, unknown>, allowed: readonly string[]): ApiResult | undefined {
    const msgtype = body.msgtype;
    if (typeof msgtype !== 'string' || !allowed.includes(msgtype)) {
      return fail(ERR.INVALID_MSGTYPE, `invalid msgtype ${String(msgtype)}`);
    }
    const part = body[msgtype];
    switch (msgtype) {
      case 'text': {
        const content = isObject(part) ? part.content : undefined;
        if (typeof content !== 'string' || content.length === 0) return fail(ERR.EMPTY_TEXT);
        if (Buffer.byteLength(content, 'utf8') > 2048) return fail(ERR.CONTENT_TOO_LONG, 'text content exceeds 2048 bytes');
        return undefined;
      }
      case 'image':
      case 'voice':
      case 'video':
      case 'file':
        return this.checkMedia(isObject(part) ? part.media_id : undefined, msgtype === 'file' ? undefined : msgtype);
      case 'link':
      case 'miniprogram': {
        if (!isObject(part)) return fail(ERR.INVALID_PARAM, `missing ${msgtype}`);
        if (msgtype === 'link' && (typeof part.title !== 'string' || typeof part.url !== 'string')) {
          return fail(ERR.INVALID_PARAM, 'link needs title and url');
        }
        if (msgtype === 'miniprogram' && (typeof part.appid !== 'string' || typeof part.pagepath !== 'string')) {
          return fail(ERR.INVALID_PARAM, 'miniprogram needs appid and pagepath');
        }
        return this.checkMedia(part.thumb_media_id, 'image');
      }
      case 'msgmenu': {
        if (!isObject(part) || !Array.isArray(part.list)) return fail(ERR.INVALID_PARAM, 'msgmenu needs list');
        return undefined;
      }
      case 'location': {
        if (!isObject(part) || typeof part.latitude !== 'number' || typeof part.longitude !== 'number') {
          return fail(ERR.INVALID_PARAM, 'location needs numeric latitude and longitude');
        }
        return undefined;
      }
      default:
        return undefined;
    }
  }

  private checkMedia(mediaId: unknown, type: MediaType | undefined): ApiResult | undefined {
    if (typeof mediaId !== 'string' || mediaId === '') return fail(ERR.MISSING_MEDIA_ID);
    const m = this.media.get(mediaId);
    if (!m || this.now() - m.createdAt > LIFETIMES.mediaMs) return fail(ERR.INVALID_MEDIA_ID);
    if (type && m.type !== type) return fail(ERR.INVALID_MEDIA_ID, `media_id is a ${m.type}, not a ${type}`);
    return undefined;
  }

  /**
   * kf/send_msg. Allowed only in session state 0 or 1 (else 95018) and at most 5 messages within
   * 48 h of the customer's last message (else 95001). No deduplication by msgid.
   */
  sendMsg(body: Record<string, unknown>): ApiResult {
    const bad = checkOutboundMsgid(body.msgid);
    if (bad) return bad;
    if (!this.isKnownKf(body.open_kfid)) return fail(ERR.INVALID_OPEN_KFID);
    if (typeof body.touser !== 'string' || body.touser === '') return fail(ERR.INVALID_PARAM, 'touser missing');
    const badContent = this.checkContent(body, ['text', 'image', 'voice', 'video', 'file', 'link', 'miniprogram', 'msgmenu', 'location']);
    if (badContent) return badContent;
    const c = this.contact(body.open_kfid, body.touser);
    const state = this.stateOf(c);
    if (state !== 0 && state !== 1) return fail(ERR.SESSION_STATUS_INVALID, `send msg session status invalid (state ${state})`);
    const now = this.now();
    if (c.lastCustomerAt === undefined || now - c.lastCustomerAt > LIFETIMES.replyWindowMs) {
      return fail(ERR.SEND_LIMIT, 'no customer message within the last 48 hours');
    }
    if (c.sendsSinceCustomer >= MAX_SENDS_PER_CUSTOMER_MESSAGE) {
      return fail(ERR.SEND_LIMIT, 'at most 5 messages after the customer\'s last message');
    }
    c.sendsSinceCustomer += 1;
    const msgid = typeof body.msgid === 'string' && body.msgid !== '' ? body.msgid : randomAlnum(32);
    return { errcode: 0, msgid };
  }

  /** kf/send_msg_on_event: a welcome_code (20 s) or a msg_code from service_state/trans, used once. */
  sendMsgOnEvent(body: Record<string, unknown>): ApiResult {
    const bad = checkOutboundMsgid(body.msgid);
    if (bad) return bad;
    const now = this.now();
    const code = typeof body.code === 'string' ? body.code : '';
    const entry = this.welcomeCodes.get(code) ?? this.stateCodes.get(code);
    if (!entry || entry.used || now - entry.issuedAt > entry.ttlMs) {
      return fail(ERR.INVALID_WELCOME_CODE, 'invalid code: unknown, already used or expired');
    }
    const badContent = this.checkContent(body, ['text', 'msgmenu']);
    if (badContent) return badContent;
    if (entry.state !== undefined) {
      const state = this.stateOf(this.contact(entry.open_kfid, entry.external_userid));
      if (state !== entry.state) return fail(ERR.SESSION_STATUS_INVALID, 'session is no longer in the state this code was issued for');
    } else {
      this.contact(entry.open_kfid, entry.external_userid).lastWelcomeAt = now;
    }
    entry.used = true;
    const msgid = typeof body.msgid === 'string' && body.msgid !== '' ? body.msgid : randomAlnum(32);
    return { errcode: 0, msgid };
  }

  // ---------------------------------------------------------------- sessions

  serviceStateGet(body: Record<string, unknown>): ApiResult {
    if (!this.isKnownKf(body.open_kfid)) return fail(ERR.INVALID_OPEN_KFID);
    if (typeof body.external_userid !== 'string' || !body.external_userid) return fail(ERR.INVALID_PARAM, 'external_userid missing');
    const s = this.liveSession(this.contact(body.open_kfid, body.external_userid));
    const state = s?.state ?? 4;
    return { errcode: 0, service_state: state, servicer_userid: state === 3 ? (s?.servicer ?? '') : '' };
  }

  /**
   * kf/service_state/trans with WeCom's allowed transitions:
   * 0 -> 1,2,3,4; 1 -> 2,3,4; 2 -> 3,4; 3 -> 3 (another servicer),4; 4 -> none (customer must write first).
   */
  serviceStateTrans(body: Record<string, unknown>): ApiResult {
    const { open_kfid, external_userid, service_state, servicer_userid } = body;
    if (!this.isKnownKf(open_kfid)) return fail(ERR.INVALID_OPEN_KFID);
    if (typeof external_userid !== 'string' || !external_userid) return fail(ERR.INVALID_PARAM, 'external_userid missing');
    if (typeof service_state !== 'number' || ![0, 1, 2, 3, 4].includes(service_state)) {
      return fail(ERR.INVALID_PARAM, 'service_state must be 0..4');
    }
    const c = this.contact(open_kfid, external_userid);
    const s = this.liveSession(c);
    if (!s || s.state === 4) return fail(ERR.SESSION_ENDED, 'session has ended or not started; the customer must write first');
    const to = service_state as ServiceState;
    const allowed: Record<ServiceState, ServiceState[]> = { 0: [1, 2, 3, 4], 1: [2, 3, 4], 2: [3, 4], 3: [3, 4], 4: [] };
    if (!allowed[s.state].includes(to)) return fail(ERR.INVALID_STATE_TRANSITION, `cannot change service_state ${s.state} -> ${to}`);
    if (to === 3) {
      if (typeof servicer_userid !== 'string' || !this.isServicerOf(open_kfid, servicer_userid) || this.servicerOnDuty.get(servicer_userid) === false) {
        return fail(ERR.INVALID_SERVICER, 'servicer_userid is not an on-duty servicer of this account');
      }
      if (s.state === 3 && s.servicer === servicer_userid) return fail(ERR.INVALID_STATE_TRANSITION, 'already served by this servicer');
    }
    const result: ApiResult = { errcode: 0 };
    const issue = (ttlMs: number): string => {
      const code = randomB64url(32);
      this.stateCodes.set(code, { open_kfid, external_userid, issuedAt: this.now(), ttlMs, used: false, state: to });
      return code;
    };
    if (to === 2 && !s.sentCode2) {
      s.sentCode2 = true;
      result.msg_code = issue(LIFETIMES.queueCodeMs);
    } else if (to === 3 && !s.sentCode3) {
      s.sentCode3 = true;
      result.msg_code = issue(LIFETIMES.queueCodeMs);
    } else if (to === 4) {
      result.msg_code = issue(LIFETIMES.endCodeMs);
    }
    s.state = to;
    s.servicer = to === 3 ? (servicer_userid as string) : to === 4 ? s.servicer : '';
    return result;
  }

  /** Control: force a session state, bypassing the transition rules. */
  setSessionState(openKfId: string, externalUserId: string, state: ServiceState, servicer?: string): void {
    const c = this.contact(openKfId, externalUserId);
    const s = this.liveSession(c);
    if (!s || s.state === 4) {
      if (state === 4) return;
      c.session = { state, servicer: servicer ?? '', startedAt: this.now(), sentCode2: false, sentCode3: false };
      return;
    }
    s.state = state;
    s.servicer = servicer ?? (state === 3 ? s.servicer : '');
  }

  /** Control: what the mock knows about one customer of one account. */
  contactInfo(openKfId: string, externalUserId: string): {
    service_state: ServiceState;
    servicer_userid: string;
    session_started_at?: number;
    last_customer_message_at?: number;
    sends_since_customer_message: number;
  } {
    const c = this.contact(openKfId, externalUserId);
    const s = this.liveSession(c);
    return {
      service_state: s?.state ?? 4,
      servicer_userid: s?.servicer ?? '',
      session_started_at: s?.startedAt,
      last_customer_message_at: c.lastCustomerAt,
      sends_since_customer_message: c.sendsSinceCustomer,
    };
  }

  // ---------------------------------------------------------------- accounts, servicers, customers

  accountList(body: Record<string, unknown>): ApiResult {
    const offset = typeof body.offset === 'number' ? body.offset : 0;
    const limit = typeof body.limit === 'number' ? body.limit : 100;
    if (offset < 0 || limit < 1 || limit > 100) return fail(ERR.INVALID_PARAM, 'limit must be in [1, 100]');
    const account_list = this.cfg.openKfIds.slice(offset, offset + limit).map((id, i) => ({
      open_kfid: id,
      name: `Mock 客服 ${offset + i + 1}`,
      avatar: 'https://wework.qpic.cn/wwhead/mock/0',
      manage_privilege: true,
    }));
    return { errcode: 0, account_list };
  }

  /** A 接待人员 of the account: listed by userid, or a member of a department listed on it. */
  private isServicerOf(openKfId: string, userid: string): boolean {
    if ((this.cfg.servicers[openKfId] ?? []).includes(userid)) return true;
    return (this.cfg.servicerDepartments[openKfId] ?? []).some((d) => (this.cfg.departments[String(d)] ?? []).includes(userid));
  }

  /**
   * kf/servicer/list as documented: members as {userid, status} (and stop_type when 停止接待),
   * departments added as 接待人员 as {department_id} entries beside them, members not repeated.
   */
  servicerList(openKfId: unknown): ApiResult {
    if (!this.isKnownKf(openKfId)) return fail(ERR.INVALID_OPEN_KFID);
    const servicer_list: Record<string, unknown>[] = (this.cfg.servicers[openKfId] ?? []).map((userid) =>
      this.servicerOnDuty.get(userid) === false ? { userid, status: 1, stop_type: 0 } : { userid, status: 0 },
    );
    for (const department_id of this.cfg.servicerDepartments[openKfId] ?? []) servicer_list.push({ department_id });
    return { errcode: 0, servicer_list };
  }

  /**
   * user/simplelist?department_id= (通讯录 获取部门成员): the department's members. The app must be
   * allowed to view the department (应用须拥有指定部门的查看权限), else 60011; unknown department 60003.
   */
  userSimplelist(departmentId: string | null): ApiResult {
    const id = Number(departmentId);
    if (!departmentId || !Number.isInteger(id)) return fail(ERR.INVALID_PARAM, 'department_id missing');
    const members = this.cfg.departments[String(id)];
    if (!members) return fail(ERR.DEPARTMENT_NOT_FOUND);
    if (this.cfg.visibleDepartments && !this.cfg.visibleDepartments.includes(id)) return fail(ERR.NO_CONTACT_PRIVILEGE);
    return { errcode: 0, userlist: members.map((userid) => ({ userid, name: userid, department: [id] })) };
  }

  customerBatchget(body: Record<string, unknown>): ApiResult {
    const ids = body.external_userid_list;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > 100) {
      return fail(ERR.INVALID_PARAM, 'external_userid_list must hold 1..100 ids');
    }
    const known = new Set<string>();
    for (const key of this.contacts.keys()) known.add(key.slice(key.indexOf('\n') + 1));
    const customer_list: Record<string, unknown>[] = [];
    const invalid_external_userid: string[] = [];
    for (const id of ids) {
      if (typeof id === 'string' && known.has(id)) {
        customer_list.push({ external_userid: id, nickname: `客户${id.slice(-4)}`, avatar: '', gender: 0, unionid: '' });
      } else {
        invalid_external_userid.push(String(id));
      }
    }
    return { errcode: 0, customer_list, invalid_external_userid };
  }

  // ---------------------------------------------------------------- media

  addMedia(type: MediaType, size: number, filename?: string, data?: Buffer): Media {
    const m: Media = { media_id: '3' + randomB64url(48), type, createdAt: this.now(), size, filename, ...(data ? { data } : {}) };
    this.media.set(m.media_id, m);
    return m;
  }

  /** media/get: the bytes of a temporary media (3 days), or 40007. */
  getMedia(mediaId: string | null): { errcode: number; media?: Media } {
    if (!mediaId) return { errcode: ERR.MISSING_MEDIA_ID };
    const m = this.media.get(mediaId);
    if (!m || !m.data || this.now() - m.createdAt > LIFETIMES.mediaMs) return { errcode: ERR.INVALID_MEDIA_ID };
    return { errcode: 0, media: m };
  }
}
