/**
 * The faithful mock WeCom server: the 微信客服 API under /cgi-bin/ (HTTP 200 + errcode, like WeCom),
 * encrypted callbacks to WeReply with WeCom's retries, and a control API under /mock/ for tests,
 * demos and benchmarks. Built on node:http directly so that thousands of requests per second are cheap.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { buildKfEventCallback, buildUrlVerification, sendHttp, withQuery, type CallbackQuery, type HttpTry } from './callback.js';
import { aesKeyFromEncodingAESKey } from './crypto.js';
import { AppMessages, type AppMessage } from './app-message.js';
import { ERR, errmsg } from './errcodes.js';
import { checkUpload, MEDIA_TYPES, parseMultipart, sniff, type MediaType } from './media.js';
import { LoginFlow } from './login.js';
import { KfWorld, randomAlnum, type ApiResult, type KfMessage, type Media, type ServiceState } from './wecom.js';

/** media/get's Content-Type, from the bytes (as WeCom's storage would know it). */
const SNIFFED_CONTENT_TYPES: Record<ReturnType<typeof sniff>, string> = { png: 'image/png', jpeg: 'image/jpeg', mp4: 'video/mp4', amr: 'audio/amr', other: 'application/octet-stream' };

export const DEFAULT_ENCODING_AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

export interface MockWeComOptions {
  /** 0 = a random free port (default). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  corpId?: string;
  kfSecret?: string;
  /** Callback Token. */
  token?: string;
  /** 43 characters [a-zA-Z0-9]. */
  encodingAESKey?: string;
  /** WeReply's callback URL; can also be set later with setCallbackUrl(). */
  callbackUrl?: string;
  /** Known 微信客服 accounts; default ['wkMockKf0001']. */
  openKfIds?: string[];
  /** Servicers (接待人员) per open_kfid; default two per account. */
  servicers?: Record<string, string[]>;
  /** Departments added as 接待人员 per open_kfid (listed as {department_id} by kf/servicer/list). Default none. */
  servicerDepartments?: Record<string, number[]>;
  /** The corp's departments, id -> member userids, for user/simplelist. Default none. */
  departments?: Record<string, string[]>;
  /** Departments the app may view in the contact API (others: 60011). Default all. */
  visibleDepartments?: number[];
  /** Most items per sync_msg page, whatever limit is asked (WeCom may return fewer). Default 1000. */
  syncPageLimit?: number;
  /** Value of <AgentID> in callbacks; default '1000002'. */
  agentId?: string;
  /** Corp members besides the servicers and department members (e.g. supervisors): who may sign in (扫码登录) and whom app messages (message/send) can reach. */
  members?: string[];
  accessTokenTtlSeconds?: number;
  /** WeCom waits 5 s, then retries; 3 tries in total. */
  callbackRetryDelayMs?: number;
  callbackTimeoutMs?: number;
  callbackTries?: number;
  /** sync_msg calls without a valid callback token allowed per minute (real WeCom: about 10). Default 10000. */
  syncWithoutTokenPerMinute?: number;
  /** Clock in ms; default Date.now. advanceClock() adds an offset on top of it. */
  now?: () => number;
  /** Each recording list keeps at most this many entries (oldest dropped). Default 200000. */
  maxRecords?: number;
  /**
   * 企业可信IP: when set, API calls (not gettoken, as in WeCom) from any other address answer 60020
   * "not allow to access from your ip". Also settable with setAccess() or POST /mock/access.
   */
  trustedIps?: string[];
  /** APIs (paths) the app may not call: they answer 48002 "api forbidden". */
  deniedApis?: string[];
  /** The app's 可信域名 (host[:port]) sign-in redirect_uri must point to; default any. */
  loginTrustedDomains?: string[];
}

export type FaultKind = 'errcode' | 'delay' | 'drop-before' | 'drop-after' | 'http-status';

export interface Fault {
  /** Exact request path, e.g. '/cgi-bin/kf/send_msg', or '*' for every /cgi-bin/ call. */
  path: string;
  /** Answer this errcode without processing the call. */
  errcode?: number;
  /** Delay the answer (real milliseconds). */
  delayMs?: number;
  /** 'before': destroy the socket without processing; 'after': process (e.g. deliver the message), then destroy the socket unanswered. */
  drop?: 'before' | 'after';
  /** Answer with this HTTP status (and an errcode -1 body) without processing, like a failing gateway. */
  httpStatus?: number;
  /** How many matching calls fail; default 1. */
  times?: number;
  /** Programmatic only: which calls match, by their parsed JSON body. */
  match?: (body: unknown) => boolean;
  /**
   * Programmatic only: process the call (a send is accepted and counted at once, on the mock clock),
   * then hold the answer until this promise settles, like an answer delayed on its way back.
   */
  answerAfter?: Promise<unknown>;
}

export interface RequestRecord {
  /** Mock clock, ms. */
  at: number;
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  /** null when no answer was sent (drop) or the answer was not WeCom JSON. */
  errcode: number | null;
  status: number | null;
  fault?: FaultKind;
}

export interface SentRecord {
  api: 'send_msg' | 'send_msg_on_event';
  /** Mock clock, ms. */
  at: number;
  body: Record<string, unknown>;
  /** null when the call was dropped before processing. */
  errcode: number | null;
  msgid?: string;
  touser?: string;
  open_kfid?: string;
  fault?: FaultKind;
}

export interface CallbackTry extends HttpTry {
  n: number;
}

export interface CallbackDelivery {
  id: number;
  open_kfid: string;
  /** The sync_msg Token the callback carries. */
  msgToken: string;
  createTime: number;
  url: string;
  query: CallbackQuery;
  body: string;
  /** What caused it: the message or event appended to the log. */
  cause: { msgid: string; kind: string };
  tries: CallbackTry[];
  status: 'pending' | 'delivered' | 'failed' | 'cancelled';
}

export interface UrlVerificationResult {
  ok: boolean;
  expected: string;
  url: string;
  status?: number;
  body?: string;
  error?: string;
  latencyMs: number;
}

export interface InjectOptions {
  /** Default: the first configured open_kfid. */
  open_kfid?: string;
  /** Fire the callback to WeReply (default true). */
  callback?: boolean;
  /** Await the callback delivery (all tries) before returning. */
  waitCallback?: boolean;
}

export interface CustomerSaysInput extends InjectOptions {
  external_userid: string;
  /** Shorthand for msgtype 'text'. */
  text?: string;
  menu_id?: string;
  /** Default 'text'. */
  msgtype?: string;
  /** The object named after msgtype, e.g. { media_id } for image. */
  content?: Record<string, unknown>;
}

export interface ServicerSaysInput extends InjectOptions {
  external_userid: string;
  /** Default: the first servicer of the account. */
  servicer_userid?: string;
  text?: string;
  msgtype?: string;
  content?: Record<string, unknown>;
}

export interface EnterSessionInput extends InjectOptions {
  external_userid: string;
  scene?: string;
  scene_param?: string;
}

export interface PushEventInput extends InjectOptions {
  event_type: string;
  external_userid?: string;
  [field: string]: unknown;
}

export interface InjectResult {
  msgid: string;
  send_time: number;
  callback?: CallbackDelivery;
}

export interface MockWeComCredentials {
  corpId: string;
  kfSecret: string;
  token: string;
  encodingAESKey: string;
  openKfIds: string[];
  servicers: Record<string, string[]>;
  agentId: string;
}

export interface MockWeCom {
  /** Base URL, e.g. http://127.0.0.1:4000 (use as WECOM_API_BASE). */
  readonly url: string;
  readonly port: number;
  readonly credentials: MockWeComCredentials;
  readonly callbackUrl: string | undefined;
  /** Every send_msg / send_msg_on_event call received, in order, rejected ones and duplicates included. */
  readonly sent: readonly SentRecord[];
  /** Every app message (message/send) WeCom accepted, duplicates marked (enable_duplicate_check). */
  readonly appMessages: readonly AppMessage[];
  /** Every /cgi-bin/ call. */
  readonly requests: readonly RequestRecord[];
  /** Every callback delivery with its tries. */
  readonly callbacks: readonly CallbackDelivery[];
  readonly verifications: readonly UrlVerificationResult[];
  /** The mock clock, ms. */
  now(): number;

  customerSays(input: CustomerSaysInput): Promise<InjectResult>;
  /**
   * Media a customer sends (a photo, a voice note, a file): stored like WeCom stores it for 3 days;
   * use the media_id in customerSays({ msgtype: 'image', content: { media_id } }).
   */
  customerMedia(type: MediaType, data: Buffer, filename?: string): string;
  servicerSays(input: ServicerSaysInput): Promise<InjectResult>;
  enterSession(input: EnterSessionInput): Promise<InjectResult & { welcome_code?: string }>;
  pushEvent(input: PushEventInput): Promise<InjectResult>;
  /** The message log of one account as sync_msg would return it (default: first account). */
  messages(openKfId?: string): KfMessage[];

  injectFault(fault: Fault): void;
  clearFaults(): void;
  /** 企业可信IP and API permissions (undefined: leave as is; [] trustedIps: no IP restriction). */
  setAccess(access: { trustedIps?: string[]; deniedApis?: string[] }): void;
  setSessionState(openKfId: string, externalUserId: string, state: ServiceState, servicer?: string): void;
  sessionInfo(openKfId: string, externalUserId: string): ReturnType<KfWorld['contactInfo']>;
  /** Moves the mock clock forward (tokens, sessions, codes, media expire on it). */
  advanceClock(ms: number): void;
  /** Makes all access tokens invalid at once (WeCom may do so early); the next call gets 40014. */
  invalidateAccessTokens(): void;
  /** Clears messages, sessions, codes, media, recordings and faults; keeps config, clock and access tokens. */
  reset(): void;
  setCallbackUrl(url: string | undefined): void;
  /** Runs WeCom's URL verification (GET with echostr) against the callback URL. */
  verifyCallbackUrl(echoPlain?: string): Promise<UrlVerificationResult>;
  /** The sign-in flow (login.ts): codes handed out, codeFor() to skip the page. */
  readonly login: LoginFlow;

  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  /** Resolves once at least n send calls (matching `filter`) were received. */
  waitForSent(n: number, timeoutMs?: number, filter?: (r: SentRecord) => boolean): Promise<SentRecord[]>;
  /** Resolves once at least n callback deliveries have finished (delivered or failed). */
  waitForCallbacks(n: number, timeoutMs?: number): Promise<CallbackDelivery[]>;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** The /cgi-bin/ APIs the mock serves besides gettoken. */
const API_ROUTES = new Set([
  '/cgi-bin/kf/sync_msg',
  '/cgi-bin/kf/send_msg',
  '/cgi-bin/kf/send_msg_on_event',
  '/cgi-bin/kf/service_state/get',
  '/cgi-bin/kf/service_state/trans',
  '/cgi-bin/kf/account/list',
  '/cgi-bin/kf/servicer/list',
  '/cgi-bin/kf/customer/batchget',
  '/cgi-bin/user/simplelist',
  '/cgi-bin/media/upload',
  '/cgi-bin/media/get',
  '/cgi-bin/message/send',
  '/cgi-bin/auth/getuserinfo',
]);

interface ActiveFault {
  fault: Fault;
  remaining: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function asObject(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Starts the mock on 127.0.0.1 (random port by default). */
export async function startMockWeCom(opts: MockWeComOptions = {}): Promise<MockWeCom> {
  const corpId = opts.corpId ?? 'ww_mock_corp';
  const kfSecret = opts.kfSecret ?? 'mock-kf-secret';
  const token = opts.token ?? 'mockToken';
  const encodingAESKey = opts.encodingAESKey ?? DEFAULT_ENCODING_AES_KEY;
  aesKeyFromEncodingAESKey(encodingAESKey); // fail fast on a bad key
  const openKfIds = opts.openKfIds && opts.openKfIds.length > 0 ? [...opts.openKfIds] : ['wkMockKf0001'];
  const servicers: Record<string, string[]> = {};
  openKfIds.forEach((id, i) => {
    servicers[id] = opts.servicers?.[id] ?? [`mock_servicer_${i + 1}a`, `mock_servicer_${i + 1}b`];
  });
  const agentId = opts.agentId ?? '1000002';
  const retryDelayMs = opts.callbackRetryDelayMs ?? 5000;
  const callbackTimeoutMs = opts.callbackTimeoutMs ?? 5000;
  const callbackTries = Math.max(1, opts.callbackTries ?? 3);
  const maxRecords = opts.maxRecords ?? 200_000;
  const baseNow = opts.now ?? Date.now;
  let clockOffset = 0;
  const now = (): number => baseNow() + clockOffset;
  let callbackUrl = opts.callbackUrl;

  const world = new KfWorld(
    {
      corpId,
      kfSecret,
      openKfIds,
      servicers,
      servicerDepartments: opts.servicerDepartments ?? {},
      departments: opts.departments ?? {},
      ...(opts.visibleDepartments ? { visibleDepartments: opts.visibleDepartments } : {}),
      syncPageLimit: Math.max(1, Math.min(1000, opts.syncPageLimit ?? 1000)),
      accessTokenTtlSeconds: opts.accessTokenTtlSeconds ?? 7200,
      syncWithoutTokenPerMinute: opts.syncWithoutTokenPerMinute ?? 10_000,
    },
    now,
  );

  /** The corp's members: every servicer and department member, and the extra members given. */
  const extraMembers = [...(opts.members ?? [])];
  const corpMembers = () => new Set([...Object.values(servicers).flat(), ...Object.values(opts.departments ?? {}).flat(), ...extraMembers]);
  const login = new LoginFlow({
    corpId,
    agentId,
    now,
    trustedDomains: () => opts.loginTrustedDomains ?? [],
    members: () => [...corpMembers()],
  });
  const sent: SentRecord[] = [];
  const appMessages = new AppMessages(agentId, corpMembers, now);
  const requests: RequestRecord[] = [];
  const callbacks: CallbackDelivery[] = [];
  const verifications: UrlVerificationResult[] = [];
  const deliveryDone = new WeakMap<CallbackDelivery, Promise<CallbackDelivery>>();
  let faults: ActiveFault[] = [];
  let trustedIps: string[] = [...(opts.trustedIps ?? [])];
  let deniedApis = new Set<string>(opts.deniedApis ?? []);
  let callbackSeq = 0;
  let closed = false;
  const pendingTimers = new Map<NodeJS.Timeout, () => void>();
  const sockets = new Set<Socket>();

  function record<T>(list: T[], item: T): void {
    list.push(item);
    if (list.length > maxRecords) list.splice(0, Math.ceil(maxRecords / 10));
  }

  /** A wait that close() cuts short. */
  function cancellableSleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        pendingTimers.delete(t);
        resolve();
      }, ms);
      pendingTimers.set(t, resolve);
    });
  }

  // ------------------------------------------------------------------ callbacks

  async function runDelivery(d: CallbackDelivery): Promise<CallbackDelivery> {
    for (let n = 1; n <= callbackTries; n++) {
      if (closed) {
        d.status = 'cancelled';
        return d;
      }
      const t = await sendHttp('POST', withQuery(d.url, { ...d.query }), d.body, callbackTimeoutMs);
      d.tries.push({ n, ...t, body: t.body === undefined ? undefined : t.body.slice(0, 2048) });
      if (t.status === 200) {
        d.status = 'delivered';
        return d;
      }
      if (n < callbackTries) await cancellableSleep(retryDelayMs);
    }
    d.status = closed ? 'cancelled' : 'failed';
    return d;
  }

  function fireCallback(openKfId: string, cause: { msgid: string; kind: string }): CallbackDelivery | undefined {
    if (!callbackUrl || closed) return undefined;
    const msgToken = world.issueMsgToken(openKfId);
    const createTime = Math.floor(now() / 1000);
    const built = buildKfEventCallback({
      corpId,
      token,
      encodingAESKey,
      openKfId,
      msgToken,
      timestamp: String(createTime),
      createTime,
      agentId,
    });
    const d: CallbackDelivery = {
      id: ++callbackSeq,
      open_kfid: openKfId,
      msgToken,
      createTime,
      url: callbackUrl,
      query: built.query,
      body: built.body,
      cause,
      tries: [],
      status: 'pending',
    };
    record(callbacks, d);
    deliveryDone.set(d, runDelivery(d));
    return d;
  }

  async function afterInject(msg: KfMessage, kind: string, openKfId: string, o: InjectOptions): Promise<InjectResult> {
    const result: InjectResult = { msgid: msg.msgid, send_time: msg.send_time };
    if (o.callback === false) return result;
    const d = fireCallback(openKfId, { msgid: msg.msgid, kind });
    if (d) {
      result.callback = d;
      if (o.waitCallback) await deliveryDone.get(d);
    }
    return result;
  }

  function kfOf(o: InjectOptions): string {
    const id = o.open_kfid ?? openKfIds[0];
    if (!world.isKnownKf(id)) throw new Error(`unknown open_kfid ${String(id)}; known: ${openKfIds.join(', ')}`);
    return id;
  }

  function requireUser(v: unknown): string {
    if (typeof v !== 'string' || v === '') throw new Error('external_userid is required');
    return v;
  }

  function messagePart(
    input: { text?: string; msgtype?: string; content?: Record<string, unknown>; menu_id?: string },
  ): { msgtype: string; content: Record<string, unknown> } {
    const msgtype = input.msgtype ?? 'text';
    if (msgtype === 'text' && input.text !== undefined) {
      return { msgtype, content: input.menu_id ? { content: input.text, menu_id: input.menu_id } : { content: input.text } };
    }
    if (!input.content) throw new Error(`give text, or msgtype with content (the ${msgtype} object)`);
    return { msgtype, content: input.content };
  }

  const api = {
    async customerSays(input: CustomerSaysInput): Promise<InjectResult> {
      const kf = kfOf(input);
      const { msgtype, content } = messagePart(input);
      const msg = world.customerMessage(kf, requireUser(input.external_userid), msgtype, content);
      return afterInject(msg, `customer:${msgtype}`, kf, input);
    },
    async servicerSays(input: ServicerSaysInput): Promise<InjectResult> {
      const kf = kfOf(input);
      const { msgtype, content } = messagePart(input);
      const servicer = input.servicer_userid ?? servicers[kf]?.[0] ?? 'mock_servicer';
      const msg = world.servicerMessage(kf, requireUser(input.external_userid), servicer, msgtype, content);
      return afterInject(msg, `servicer:${msgtype}`, kf, input);
    },
    async enterSession(input: EnterSessionInput): Promise<InjectResult & { welcome_code?: string }> {
      const kf = kfOf(input);
      const { msg, welcome_code } = world.enterSession(kf, requireUser(input.external_userid), input.scene, input.scene_param);
      const r = await afterInject(msg, 'event:enter_session', kf, input);
      return welcome_code ? { ...r, welcome_code } : r;
    },
    async pushEvent(input: PushEventInput): Promise<InjectResult> {
      const kf = kfOf(input);
      const { open_kfid: _k, callback: _c, waitCallback: _w, ...event } = input;
      if (typeof event.event_type !== 'string' || !event.event_type) throw new Error('event_type is required');
      const msg = world.pushEvent(kf, event);
      return afterInject(msg, `event:${event.event_type}`, kf, input);
    },
  };

  // ------------------------------------------------------------------ /cgi-bin/

  function takeFault(path: string, body: unknown): Fault | undefined {
    for (const f of faults) {
      if (f.remaining <= 0) continue;
      if (f.fault.path !== '*' && f.fault.path !== path) continue;
      if (f.fault.match) {
        let hit = false;
        try {
          hit = f.fault.match(body);
        } catch {
          hit = false;
        }
        if (!hit) continue;
      }
      f.remaining -= 1;
      faults = faults.filter((x) => x.remaining > 0);
      return f.fault;
    }
    return undefined;
  }

  function dispatch(
    method: string,
    path: string,
    query: URLSearchParams,
    body: unknown,
    jsonError: boolean,
    raw: Buffer,
    contentType: string | undefined,
    tooLarge: boolean,
    clientIp: string,
  ): { status: number; result: ApiResult } {
    if (path === '/cgi-bin/gettoken') {
      return { status: 200, result: world.getToken(query.get('corpid'), query.get('corpsecret')) };
    }
    // WeCom hands out the token anywhere, then refuses API calls from outside the 企业可信IP list.
    if (trustedIps.length > 0 && !trustedIps.includes(clientIp)) {
      return { status: 200, result: { errcode: ERR.NOT_TRUSTED_IP, errmsgDetail: `not allow to access from your ip, from ip: ${clientIp}` } };
    }
    if (deniedApis.has(path)) return { status: 200, result: { errcode: ERR.API_FORBIDDEN } };

    if (!API_ROUTES.has(path)) {
      return { status: 404, result: { errcode: 404, errmsgDetail: `no such API in the mock: ${path}` } };
    }
    const tokenErr = world.checkAccessToken(query.get('access_token'));
    if (tokenErr !== 0) return { status: 200, result: { errcode: tokenErr } };
    if (path === '/cgi-bin/kf/servicer/list') {
      return { status: 200, result: world.servicerList(query.get('open_kfid') ?? asObject(body).open_kfid) };
    }
    if (path === '/cgi-bin/auth/getuserinfo') return { status: 200, result: login.getUserInfo(query.get('code')) };
    if (path === '/cgi-bin/user/simplelist') return { status: 200, result: world.userSimplelist(query.get('department_id')) };
    if (path === '/cgi-bin/media/upload') return { status: 200, result: upload(query.get('type'), raw, contentType, tooLarge) };
    if (path === '/cgi-bin/media/get') {
      // A file download when it works (headers as WeCom sends them), the usual JSON error otherwise.
      const got = world.getMedia(query.get('media_id'));
      return { status: 200, result: got.media ? { errcode: 0, file: got.media } : { errcode: got.errcode } };
    }
    if (method !== 'POST') return { status: 200, result: { errcode: ERR.INVALID_PARAM, errmsgDetail: 'this API needs POST' } };
    if (jsonError) return { status: 200, result: { errcode: ERR.INVALID_PARAM, errmsgDetail: 'Warning: wrong json format.' } };
    const b = asObject(body);
    switch (path) {
      case '/cgi-bin/kf/sync_msg':
        return { status: 200, result: world.syncMsg(b) };
      case '/cgi-bin/kf/send_msg':
        return { status: 200, result: world.sendMsg(b) };
      case '/cgi-bin/kf/send_msg_on_event':
        return { status: 200, result: world.sendMsgOnEvent(b) };
      case '/cgi-bin/kf/service_state/get':
        return { status: 200, result: world.serviceStateGet(b) };
      case '/cgi-bin/kf/service_state/trans':
        return { status: 200, result: world.serviceStateTrans(b) };
      case '/cgi-bin/kf/account/list':
        return { status: 200, result: world.accountList(b) };
      case '/cgi-bin/message/send':
        return { status: 200, result: appMessages.send(b) };
      default:
        return { status: 200, result: world.customerBatchget(b) };
    }
  }

  function upload(type: string | null, raw: Buffer, contentType: string | undefined, tooLarge: boolean): ApiResult {
    if (!type || !(MEDIA_TYPES as readonly string[]).includes(type)) {
      return { errcode: ERR.INVALID_TYPE_PARAM, errmsgDetail: `invalid type ${String(type)}; use image, voice, video or file` };
    }
    const mediaType = type as MediaType;
    if (tooLarge) return { errcode: ERR.INVALID_FILE_SIZE, errmsgDetail: 'upload too large' };
    const parts = parseMultipart(raw, contentType);
    const part = parts?.find((p) => p.name === 'media');
    if (!part || part.data.length === 0) {
      return { errcode: ERR.EMPTY_MEDIA, errmsgDetail: 'send multipart/form-data with a "media" part (with filename)' };
    }
    const check = checkUpload(mediaType, part.data);
    if (check.errcode !== 0) return { errcode: check.errcode, errmsgDetail: check.detail };
    const m = world.addMedia(mediaType, part.data.length, part.filename, part.data);
    return { errcode: 0, type: mediaType, media_id: m.media_id, created_at: String(Math.floor(m.createdAt / 1000)) };
  }

  function renderApi(result: ApiResult): string {
    const { errcode, errmsgDetail, ...rest } = result;
    return JSON.stringify({ errcode, errmsg: errmsg(errcode, errmsgDetail), ...rest });
  }

  async function handleApi(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    raw: Buffer,
    tooLarge: boolean,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const isUpload = path === '/cgi-bin/media/upload';
    let body: unknown;
    let jsonError = false;
    if (!isUpload && raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        jsonError = true;
        body = raw.toString('utf8').slice(0, 2048);
      }
    }
    const rec: RequestRecord = {
      at: now(),
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      body: isUpload ? { bytes: raw.length } : body,
      errcode: null,
      status: null,
    };
    const sendApi =
      path === '/cgi-bin/kf/send_msg' ? 'send_msg' : path === '/cgi-bin/kf/send_msg_on_event' ? 'send_msg_on_event' : undefined;
    const sentRec = (errcode: number | null, fault?: FaultKind, msgid?: unknown): void => {
      if (!sendApi) return;
      const b = asObject(body);
      const r: SentRecord = { api: sendApi, at: rec.at, body: b, errcode };
      const id = typeof msgid === 'string' ? msgid : typeof b.msgid === 'string' ? b.msgid : undefined;
      if (id !== undefined) r.msgid = id;
      if (typeof b.touser === 'string') r.touser = b.touser;
      if (typeof b.open_kfid === 'string') r.open_kfid = b.open_kfid;
      if (fault) r.fault = fault;
      record(sent, r);
    };

    const fault = path.startsWith('/cgi-bin/') ? takeFault(path, body) : undefined;
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (fault?.drop === 'before') {
      rec.fault = 'drop-before';
      record(requests, rec);
      sentRec(null, 'drop-before');
      req.socket.destroy();
      return;
    }
    let status: number;
    let result: ApiResult;
    let faultKind: FaultKind | undefined = fault?.delayMs ? 'delay' : undefined;
    if (fault?.httpStatus !== undefined) {
      faultKind = 'http-status';
      status = fault.httpStatus;
      result = { errcode: ERR.SYSTEM_BUSY };
    } else if (fault?.errcode !== undefined) {
      faultKind = 'errcode';
      status = 200;
      result = { errcode: fault.errcode };
    } else {
      ({ status, result } = dispatch(method, path, url.searchParams, body, jsonError, raw, req.headers['content-type'], tooLarge, (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '')));
    }
    if (fault?.drop === 'after') faultKind = 'drop-after';
    if (fault?.answerAfter) faultKind ??= 'delay';
    rec.errcode = result.errcode;
    rec.status = faultKind === 'drop-after' ? null : status;
    if (faultKind) rec.fault = faultKind;
    record(requests, rec);
    sentRec(result.errcode, faultKind, result.msgid);
    // Recorded (and a send counted) already: only the answer is late.
    if (fault?.answerAfter) await fault.answerAfter.catch(() => undefined);
    if (faultKind === 'drop-after') {
      req.socket.destroy();
      return;
    }
    const file = result.file as Media | undefined;
    if (file?.data) {
      const ext = file.filename?.includes('.') ? file.filename.slice(file.filename.lastIndexOf('.')) : '';
      res.writeHead(200, {
        'content-type': SNIFFED_CONTENT_TYPES[sniff(file.data)],
        'content-disposition': `attachment; filename="${file.media_id}${ext}"`,
        'cache-control': 'no-cache, must-revalidate',
        'content-length': file.data.length,
      });
      res.end(file.data);
      return;
    }
    const payload = renderApi(result);
    // The Date header from the mock clock (advanceClock), as a WeCom host with another time would send it.
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(payload), date: new Date(now()).toUTCString() });
    res.end(payload);
  }

  // ------------------------------------------------------------------ /mock/

  function json(res: http.ServerResponse, status: number, value: unknown): void {
    const payload = JSON.stringify(value);
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  }

  async function handleControl(req: http.IncomingMessage, res: http.ServerResponse, url: URL, raw: Buffer): Promise<void> {
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const q = url.searchParams;
    let body: Record<string, unknown> = {};
    if (raw.length > 0) {
      try {
        body = asObject(JSON.parse(raw.toString('utf8')));
      } catch {
        json(res, 400, { error: 'body must be JSON' });
        return;
      }
    }
    const route = `${method} ${path}`;
    switch (route) {
      case 'GET /mock':
      case 'GET /':
        json(res, 200, {
          name: 'mock-wecom',
          url: self.url,
          callbackUrl,
          credentials: self.credentials,
          clock: now(),
          counts: { sent: sent.length, requests: requests.length, callbacks: callbacks.length },
        });
        return;
      case 'GET /mock/credentials':
        json(res, 200, self.credentials);
        return;
      case 'POST /mock/customer-message':
        json(res, 200, await api.customerSays(body as unknown as CustomerSaysInput));
        return;
      case 'POST /mock/servicer-message':
        json(res, 200, await api.servicerSays(body as unknown as ServicerSaysInput));
        return;
      case 'POST /mock/enter-session':
        json(res, 200, await api.enterSession(body as unknown as EnterSessionInput));
        return;
      case 'POST /mock/event':
        json(res, 200, await api.pushEvent(body as unknown as PushEventInput));
        return;
      case 'GET /mock/messages':
        json(res, 200, self.messages(q.get('open_kfid') ?? undefined));
        return;
      case 'GET /mock/sent': {
        const touser = q.get('touser');
        const kf = q.get('open_kfid');
        const apiName = q.get('api');
        json(
          res,
          200,
          sent.filter((r) => (!touser || r.touser === touser) && (!kf || r.open_kfid === kf) && (!apiName || r.api === apiName)),
        );
        return;
      }
      case 'GET /mock/app-messages': {
        const touser = q.get('touser');
        json(res, 200, appMessages.delivered.filter((m) => !touser || m.touser.includes(touser)));
        return;
      }
      case 'GET /mock/requests': {
        const p = q.get('path');
        json(res, 200, p ? requests.filter((r) => r.path === p) : requests);
        return;
      }
      case 'GET /mock/callbacks':
        json(res, 200, callbacks);
        return;
      case 'GET /mock/faults':
        json(res, 200, faults.map((f) => ({ ...f.fault, remaining: f.remaining })));
        return;
      case 'POST /mock/faults': {
        const list = Array.isArray(body.faults) ? (body.faults as unknown[]) : [body];
        for (const f of list) self.injectFault(asObject(f) as unknown as Fault);
        json(res, 200, { ok: true, active: faults.length });
        return;
      }
      case 'POST /mock/access': {
        const ips = body.trusted_ips;
        const denied = body.denied_apis;
        self.setAccess({
          ...(Array.isArray(ips) ? { trustedIps: ips.map(String) } : {}),
          ...(Array.isArray(denied) ? { deniedApis: denied.map(String) } : {}),
        });
        json(res, 200, { trusted_ips: trustedIps, denied_apis: [...deniedApis] });
        return;
      }
      case 'DELETE /mock/faults':
      case 'POST /mock/faults/clear':
        self.clearFaults();
        json(res, 200, { ok: true });
        return;
      case 'POST /mock/session-state': {
        const state = body.state ?? body.service_state;
        if (typeof state !== 'number' || ![0, 1, 2, 3, 4].includes(state)) throw new Error('state must be 0..4');
        const kf = kfOf(body as InjectOptions);
        const user = requireUser(body.external_userid);
        self.setSessionState(kf, user, state as ServiceState, typeof body.servicer_userid === 'string' ? body.servicer_userid : undefined);
        json(res, 200, self.sessionInfo(kf, user));
        return;
      }
      case 'GET /mock/session-state': {
        const kf = kfOf({ open_kfid: q.get('open_kfid') ?? undefined });
        json(res, 200, self.sessionInfo(kf, requireUser(q.get('external_userid'))));
        return;
      }
      case 'GET /mock/clock':
        json(res, 200, { now: now(), offsetMs: clockOffset });
        return;
      case 'POST /mock/clock': {
        const ms = body.advanceMs;
        if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new Error('advanceMs must be a number >= 0');
        self.advanceClock(ms);
        json(res, 200, { now: now(), offsetMs: clockOffset });
        return;
      }
      case 'POST /mock/reset':
        self.reset();
        json(res, 200, { ok: true });
        return;
      case 'POST /mock/invalidate-tokens':
        self.invalidateAccessTokens();
        json(res, 200, { ok: true });
        return;
      case 'POST /mock/callback-url': {
        const u = body.url;
        if (u !== undefined && u !== null && typeof u !== 'string') throw new Error('url must be a string');
        self.setCallbackUrl(typeof u === 'string' && u ? u : undefined);
        json(res, 200, { callbackUrl });
        return;
      }
      case 'POST /mock/verify-url':
        json(res, 200, await self.verifyCallbackUrl(typeof body.echo === 'string' ? body.echo : undefined));
        return;
      default:
        json(res, 404, { error: `no control endpoint ${route}` });
    }
  }

  // ------------------------------------------------------------------ server

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(c);
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      const raw = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://mock');
      if (url.pathname.startsWith('/wwlogin/') || url.pathname === '/connect/oauth2/authorize') {
        const p =
          url.pathname === '/wwlogin/mock/scan'
            ? login.scan(url.searchParams)
            : url.pathname === '/wwlogin/sso/login' || url.pathname === '/connect/oauth2/authorize'
              ? login.page(url.pathname, url.searchParams)
              : { status: 404, html: 'no such page' };
        res.writeHead(p.status, p.location ? { location: p.location } : { 'content-type': 'text/html; charset=utf-8' });
        res.end(p.html ?? '');
        return;
      }
      const handler = url.pathname.startsWith('/cgi-bin/') ? handleApi(req, res, url, raw, tooLarge) : handleControl(req, res, url, raw);
      handler.catch((e: unknown) => {
        if (res.headersSent || res.destroyed) return;
        json(res, 400, { error: e instanceof Error ? e.message : String(e) });
      });
    });
  });
  server.keepAliveTimeout = 65_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host && opts.host !== '0.0.0.0' && opts.host !== '::' ? opts.host : '127.0.0.1';
  const baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const self: MockWeCom = {
    url: baseUrl,
    port,
    credentials: { corpId, kfSecret, token, encodingAESKey, openKfIds: [...openKfIds], servicers, agentId },
    get callbackUrl() {
      return callbackUrl;
    },
    sent,
    appMessages: appMessages.delivered,
    requests,
    callbacks,
    verifications,
    login,
    now,
    customerSays: api.customerSays,
    customerMedia: (type, data, filename) => world.addMedia(type, data.length, filename, data).media_id,
    servicerSays: api.servicerSays,
    enterSession: api.enterSession,
    pushEvent: api.pushEvent,
    messages: (openKfId) => world.messages(openKfId ?? (openKfIds[0] as string)),

    injectFault(fault) {
      if (!fault || typeof fault.path !== 'string' || !fault.path) throw new Error('fault.path is required');
      if (fault.drop !== undefined && fault.drop !== 'before' && fault.drop !== 'after') throw new Error("drop must be 'before' or 'after'");
      faults.push({ fault, remaining: Math.max(1, fault.times ?? 1) });
    },
    clearFaults() {
      faults = [];
    },
    setAccess(access) {
      if (access.trustedIps) trustedIps = [...access.trustedIps];
      if (access.deniedApis) deniedApis = new Set(access.deniedApis);
    },
    setSessionState(openKfId, externalUserId, state, servicer) {
      world.setSessionState(openKfId, externalUserId, state, servicer);
    },
    sessionInfo(openKfId, externalUserId) {
      return world.contactInfo(openKfId, externalUserId);
    },
    advanceClock(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new Error('advanceClock takes ms >= 0');
      clockOffset += ms;
    },
    invalidateAccessTokens() {
      world.invalidateAccessTokens();
    },
    reset() {
      world.reset();
      login.reset();
      sent.length = 0;
      appMessages.reset();
      requests.length = 0;
      callbacks.length = 0;
      verifications.length = 0;
      faults = [];
    },
    setCallbackUrl(u) {
      if (u !== undefined) new URL(u); // throws on a malformed URL
      callbackUrl = u;
    },
    async verifyCallbackUrl(echoPlain) {
      const expected = echoPlain ?? randomAlnum(19).replace(/[^0-9]/g, '7');
      if (!callbackUrl) {
        const r: UrlVerificationResult = { ok: false, expected, url: '', error: 'no callbackUrl set', latencyMs: 0 };
        record(verifications, r);
        return r;
      }
      const { query } = buildUrlVerification({ token, encodingAESKey, corpId, echoPlain: expected, timestamp: String(Math.floor(now() / 1000)) });
      const target = withQuery(callbackUrl, { ...query });
      const t = await sendHttp('GET', target, undefined, callbackTimeoutMs);
      const r: UrlVerificationResult = {
        ok: t.status === 200 && t.body === expected,
        expected,
        url: target,
        latencyMs: t.latencyMs,
      };
      if (t.status !== undefined) r.status = t.status;
      if (t.body !== undefined) r.body = t.body.slice(0, 2048);
      if (t.error !== undefined) r.error = t.error;
      record(verifications, r);
      return r;
    },

    async waitFor(predicate, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`waitFor: condition not met within ${timeoutMs} ms`);
        await sleep(5);
      }
    },
    async waitForSent(n, timeoutMs = 5000, filter) {
      const pick = (): SentRecord[] => (filter ? sent.filter(filter) : sent);
      await self.waitFor(() => pick().length >= n, timeoutMs).catch(() => {
        throw new Error(`waitForSent: ${pick().length} of ${n} send calls within ${timeoutMs} ms`);
      });
      return pick();
    },
    async waitForCallbacks(n, timeoutMs = 5000) {
      const done = (): CallbackDelivery[] => callbacks.filter((c) => c.status !== 'pending');
      await self.waitFor(() => done().length >= n, timeoutMs).catch(() => {
        throw new Error(`waitForCallbacks: ${done().length} of ${n} deliveries finished within ${timeoutMs} ms`);
      });
      return done();
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const [t, resolve] of pendingTimers) {
        clearTimeout(t);
        resolve();
      }
      pendingTimers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
  return self;
}
