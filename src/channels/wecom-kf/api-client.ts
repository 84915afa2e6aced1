/**
 * WeCom server API client for 微信客服: access token handling and the kf/media calls WeReply uses.
 * Tokens are cached in the database (shared by every instance), refreshed before expiry and at once
 * on 40014/42001, after which the call is retried one time.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';

export class WeComApiError extends Error {
  constructor(
    readonly api: string,
    readonly errcode: number,
    readonly errmsg: string,
  ) {
    super(`${api}: WeCom errcode ${errcode} ${errmsg}`);
  }
}

/** The request may or may not have reached WeCom (timeout, reset connection, unreadable answer). */
export class WeComNetworkError extends Error {
  constructor(
    readonly api: string,
    message: string,
  ) {
    super(`${api}: ${message}`);
  }
}

export interface TokenCache {
  /** expiresAt: when the token stops being used (WeCom's expiry less a safety margin). */
  get(key: string): Promise<{ token: string; expiresAt: number } | undefined>;
  put(key: string, token: string, expiresAt: number): Promise<void>;
  /** Forget a token WeCom rejected, unless another instance already replaced it. */
  invalidate(key: string, token: string): Promise<void>;
}

export interface WeComClientOptions {
  apiBase: string;
  corpId: string;
  secret: string;
  tokenCache: TokenCache;
  /** Per-call timeout (ms). */
  timeoutMs?: number;
  /** Refresh this long before the token's expiry (ms; at most a fifth of its lifetime). */
  refreshMarginMs?: number;
  now?: () => number;
  /** Every non-zero errcode, for metrics and the settings page. */
  onApiError?: (api: string, errcode: number | 'network', errmsg: string) => void;
}

/** One msg_list item of kf/sync_msg. */
export interface KfMessageItem {
  msgid: string;
  /** Absent on event items: they carry it inside `event` (as seen in real sync_msg output). */
  open_kfid?: string;
  /** Absent on event items: they carry it inside `event`. */
  external_userid?: string;
  /** Seconds. */
  send_time: number;
  /** 3 customer, 4 system event, 5 servicer in the WeCom client. */
  origin: number;
  servicer_userid?: string;
  msgtype: string;
  [field: string]: unknown;
}

/**
 * One entry of kf/servicer/list, as the official page documents it (获取接待人员列表): a member,
 * or a department added as 接待人员 — `{"department_id": N}` with no userid and no status; its
 * members are not listed one by one.
 */
export type KfServicerEntry = KfServicerMember | KfServicerDepartment;

export interface KfServicerMember {
  /** The member's userid (a third-party app gets the open_userid). */
  userid: string;
  /** 0 接待中, 1 停止接待. */
  status: number;
  /** When 停止接待: 0 停止接待, 1 暂时挂起. */
  stop_type?: number;
}

export interface KfServicerDepartment {
  /** A department whose members are 接待人员 of the account. */
  department_id: number;
}

/** user/simplelist (获取部门成员): the members of one department. */
export interface DepartmentMember {
  userid: string;
  /** Only with the admin's authorisation for some app types; may be the userid. */
  name?: string;
  /** Departments the member belongs to. */
  department?: number[];
  /** Third-party apps only. */
  open_userid?: string;
}

export interface SyncMsgResult {
  next_cursor: string;
  has_more: number;
  msg_list: KfMessageItem[];
}

const TOKEN_ERRCODES = new Set([40014, 42001]);

export class WeComClient {
  private refreshing: Promise<string> | undefined;
  private readonly now: () => number;
  private readonly tokenKey: string;

  constructor(private readonly opts: WeComClientOptions) {
    this.now = opts.now ?? Date.now;
    // One cache entry per corp and secret (a secret rotation starts a new entry).
    this.tokenKey = `wecom:${opts.corpId}:${hashSecret(opts.secret)}`;
  }

  /** A valid access token, from the shared cache or freshly fetched. */
  async accessToken(): Promise<string> {
    const cached = await this.opts.tokenCache.get(this.tokenKey);
    if (cached && cached.expiresAt > this.now()) return cached.token;
    return this.fetchToken();
  }

  /** gettoken, shared by concurrent callers of this process. Also the settings page's "test connection". */
  fetchToken(): Promise<string> {
    this.refreshing ??= (async () => {
      try {
        const url = `${this.opts.apiBase}/cgi-bin/gettoken?corpid=${encodeURIComponent(this.opts.corpId)}&corpsecret=${encodeURIComponent(this.opts.secret)}`;
        const res = await this.http('gettoken', url, undefined);
        const token = String(res.access_token);
        const lifetimeMs = Number(res.expires_in ?? 7200) * 1000;
        // Cached until shortly before WeCom's expiry: 5 minutes, or a fifth of a short lifetime.
        const margin = Math.min(this.opts.refreshMarginMs ?? 300_000, lifetimeMs / 5);
        await this.opts.tokenCache.put(this.tokenKey, token, this.now() + lifetimeMs - margin);
        return token;
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  /** POST a JSON body to /cgi-bin/<api>; refreshes the token once if WeCom says it is invalid or expired. */
  async post<T = Record<string, unknown>>(api: string, body: unknown, query: Record<string, string> = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken();
      try {
        return (await this.http(api, this.url(api, token, query), JSON.stringify(body))) as T;
      } catch (err) {
        if (err instanceof WeComApiError && TOKEN_ERRCODES.has(err.errcode) && attempt === 0) {
          await this.opts.tokenCache.invalidate(this.tokenKey, token);
          continue;
        }
        throw err;
      }
    }
  }

  /** GET /cgi-bin/<api>?query; refreshes the token once if WeCom says it is invalid or expired. */
  async get<T = Record<string, unknown>>(api: string, query: Record<string, string> = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken();
      try {
        return (await this.http(api, this.url(api, token, query), undefined)) as T;
      } catch (err) {
        if (err instanceof WeComApiError && TOKEN_ERRCODES.has(err.errcode) && attempt === 0) {
          await this.opts.tokenCache.invalidate(this.tokenKey, token);
          continue;
        }
        throw err;
      }
    }
  }

  /** POST multipart/form-data (media/upload). */
  async upload(api: string, query: Record<string, string>, form: () => FormData): Promise<Record<string, unknown>> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken();
      try {
        return await this.http(api, this.url(api, token, query), form());
      } catch (err) {
        if (err instanceof WeComApiError && TOKEN_ERRCODES.has(err.errcode) && attempt === 0) {
          await this.opts.tokenCache.invalidate(this.tokenKey, token);
          continue;
        }
        throw err;
      }
    }
  }

  syncMsg(req: { cursor?: string; token?: string; limit?: number; open_kfid: string }): Promise<SyncMsgResult> {
    return this.post<SyncMsgResult>('kf/sync_msg', req);
  }

  sendMsg(req: Record<string, unknown>): Promise<{ msgid: string }> {
    return this.post('kf/send_msg', req);
  }

  sendMsgOnEvent(req: Record<string, unknown>): Promise<{ msgid: string }> {
    return this.post('kf/send_msg_on_event', req);
  }

  /**
   * 接待人员 of a kf account: members (status 0 = 接待中, 1 = 停止接待) and departments. Entries of
   * neither shape are left out rather than passed on half-formed.
   */
  async servicerList(openKfid: string): Promise<KfServicerEntry[]> {
    const res = await this.get<{ servicer_list?: unknown }>('kf/servicer/list', { open_kfid: openKfid });
    const list = Array.isArray(res.servicer_list) ? (res.servicer_list as Record<string, unknown>[]) : [];
    const out: KfServicerEntry[] = [];
    for (const e of list) {
      if (typeof e?.userid === 'string' && e.userid) {
        out.push({ userid: e.userid, status: Number(e.status ?? 0), ...(e.stop_type !== undefined ? { stop_type: Number(e.stop_type) } : {}) });
      } else if (Number.isInteger(e?.department_id)) {
        out.push({ department_id: Number(e.department_id) });
      }
    }
    return out;
  }

  /**
   * Members of a department (通讯录 user/simplelist). WeCom answers 60011 when the app may not view the
   * department (outside its 可见范围) and 48002 when the app may not call the contact API at all.
   */
  async departmentMembers(departmentId: number): Promise<DepartmentMember[]> {
    const res = await this.get<{ userlist?: DepartmentMember[] }>('user/simplelist', { department_id: String(departmentId) });
    return (res.userlist ?? []).filter((u) => typeof u?.userid === 'string' && u.userid !== '');
  }

  /**
   * 获取访问用户身份 (GET /cgi-bin/auth/getuserinfo): who a sign-in `code` from 扫码登录 / web OAuth
   * belongs to — `userid` for a member of the corp, `openid` (and maybe external_userid) for anyone
   * else. A code works once, for 5 minutes (40029 afterwards). See sign-in.ts.
   */
  authGetUserInfo(code: string): Promise<{ userid?: string; UserId?: string; openid?: string; OpenId?: string; external_userid?: string }> {
    return this.get('auth/getuserinfo', { code });
  }

  /** Session state: 0 new, 1 bot, 2 waiting pool, 3 servicer, 4 ended. */
  serviceStateGet(openKfid: string, externalUserid: string): Promise<{ service_state: number; servicer_userid?: string }> {
    return this.post('kf/service_state/get', { open_kfid: openKfid, external_userid: externalUserid });
  }

  /**
   * Moves a session (to the pool, state 2, or to a servicer, state 3 with servicer_userid). The
   * msg_code in the answer lets send_msg_on_event tell the customer once the bot may no longer send.
   */
  serviceStateTrans(req: { open_kfid: string; external_userid: string; service_state: number; servicer_userid?: string }): Promise<{ msg_code?: string }> {
    return this.post('kf/service_state/trans', req);
  }

  async uploadMedia(type: 'image' | 'voice' | 'video' | 'file', filename: string, bytes: Buffer, mime: string): Promise<string> {
    const res = await this.upload('media/upload', { type }, () => {
      const fd = new FormData();
      fd.append('media', new Blob([bytes], { type: mime }), filename);
      return fd;
    });
    return String(res.media_id);
  }

  /**
   * media/get: the bytes of media a customer sent (media_id from sync_msg; WeCom keeps it 3 days).
   * A JSON body is WeCom's error answer (40007 once the media expired); the token is refreshed once.
   */
  async downloadMedia(mediaId: string, maxBytes = 25 * 1024 * 1024): Promise<{ bytes: Buffer; contentType: string | null }> {
    const api = 'media/get';
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken();
      let res: Response;
      let bytes: Buffer;
      try {
        // Rare and possibly large: fetch streams the body; three times the usual timeout.
        res = await fetch(this.url(api, token, { media_id: mediaId }), { signal: AbortSignal.timeout((this.opts.timeoutMs ?? 10_000) * 3) });
        const length = Number(res.headers.get('content-length') ?? 0);
        if (length > maxBytes) throw new WeComNetworkError(api, `media is ${length} bytes, more than the ${maxBytes} accepted`);
        bytes = Buffer.from(await res.arrayBuffer());
      } catch (err) {
        if (err instanceof WeComNetworkError) throw err;
        this.opts.onApiError?.(api, 'network', describeFetchError(err));
        throw new WeComNetworkError(api, describeFetchError(err));
      }
      const contentType = res.headers.get('content-type');
      if (contentType?.includes('json') || (bytes.length < 4096 && bytes.subarray(0, 12).toString() === '{"errcode":')) {
        let json: { errcode?: number; errmsg?: string } = {};
        try {
          json = JSON.parse(bytes.toString('utf8')) as typeof json;
        } catch {
          /* not JSON after all: treat as the file */
        }
        const errcode = Number(json.errcode ?? 0);
        if (errcode !== 0) {
          if (TOKEN_ERRCODES.has(errcode) && attempt === 0) {
            await this.opts.tokenCache.invalidate(this.tokenKey, token);
            continue;
          }
          this.opts.onApiError?.(api, errcode, String(json.errmsg ?? ''));
          throw new WeComApiError(api, errcode, String(json.errmsg ?? ''));
        }
      }
      return { bytes, contentType };
    }
  }

  /**
   * 发送应用消息 (message/send): a text from the self-built app (agentid) to members. WeCom's own
   * duplicate check is on, so a call repeated after an unknown outcome (timeout) is not delivered
   * twice within `duplicateCheckSeconds` (at most 4 h). All recipients invalid: errcode 81013.
   */
  async sendAppText(p: { agentId: string; touser: readonly string[]; content: string; duplicateCheckSeconds?: number }): Promise<{ invaliduser: string[]; msgid: string | null }> {
    const res = await this.post('message/send', {
      touser: p.touser.join('|'),
      msgtype: 'text',
      agentid: Number(p.agentId),
      text: { content: p.content },
      enable_duplicate_check: 1,
      duplicate_check_interval: Math.min(14_400, p.duplicateCheckSeconds ?? 14_400),
    });
    const invalid = typeof res.invaliduser === 'string' && res.invaliduser ? res.invaliduser.split('|') : [];
    return { invaliduser: invalid, msgid: typeof res.msgid === 'string' ? res.msgid : null };
  }

  private url(api: string, token: string, query: Record<string, string>): string {
    const qs = new URLSearchParams({ access_token: token, ...query });
    return `${this.opts.apiBase}/cgi-bin/${api}?${qs}`;
  }

  private async http(api: string, url: string, body: string | FormData | undefined): Promise<Record<string, unknown>> {
    const timeoutMs = this.opts.timeoutMs ?? 10_000;
    let status: number;
    let text: string;
    try {
      if (body instanceof FormData) {
        // Uploads are rare: fetch builds the multipart body.
        const res = await fetch(url, { method: 'POST', body, signal: AbortSignal.timeout(timeoutMs) });
        status = res.status;
        text = await res.text();
      } else {
        ({ status, text } = await request(url, body, timeoutMs));
      }
    } catch (err) {
      this.opts.onApiError?.(api, 'network', describeFetchError(err));
      throw new WeComNetworkError(api, describeFetchError(err));
    }
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      this.opts.onApiError?.(api, 'network', `unreadable answer (HTTP ${status})`);
      throw new WeComNetworkError(api, `unreadable answer (HTTP ${status}): ${describeFetchError(err)}`);
    }
    const errcode = Number(json.errcode ?? 0);
    if (errcode !== 0) {
      const errmsg = String(json.errmsg ?? '');
      this.opts.onApiError?.(api, errcode, errmsg);
      throw new WeComApiError(api, errcode, errmsg);
    }
    return json;
  }
}

/**
 * GET or POST JSON over a kept-alive connection. node:http rather than fetch: fetch costs several
 * times the CPU per call (streams, AbortSignal), and every reply is a call.
 */
const agents = { 'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }), 'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }) };

function request(url: string, body: string | undefined, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.request(
      u,
      {
        method: body === undefined ? 'GET' : 'POST',
        agent: agents[u.protocol as 'http:' | 'https:'],
        headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timed out'), { name: 'TimeoutError' })));
    req.on('error', reject);
    req.end(body);
  });
}

function describeFetchError(err: unknown): string {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'timed out';
  return e?.code ?? e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}

function hashSecret(secret: string): string {
  // Never store the secret itself as a key; a short digest tells secrets apart.
  return crypto.createHash('sha256').update(secret).digest('hex').slice(0, 16);
}
