/**
 * 发送应用消息 (POST /cgi-bin/message/send) as the official page documents it: a self-built app
 * (agentid) sends to members (touser "a|b", toparty, totag). Recipients the app cannot reach are
 * returned in invaliduser (lower-cased) and the call still succeeds; when none is left it fails with
 * 81013; none given at all, 82001. `enable_duplicate_check: 1`: the same request JSON within
 * duplicate_check_interval seconds (default 1800, at most 4 h) is accepted but not delivered again.
 * Text content longer than 2048 bytes is cut (WeCom truncates it). Only text and markdown here.
 */
import { ERR } from './errcodes.js';
import type { ApiResult } from './wecom.js';

export interface AppMessage {
  /** Mock clock, ms. */
  at: number;
  agentid: number;
  /** Members who received it (as given, not lower-cased). */
  touser: string[];
  msgtype: string;
  content: string;
  msgid: string;
  /** The request body as sent. */
  body: Record<string, unknown>;
  /** Accepted, but not delivered: a duplicate within the interval (enable_duplicate_check). */
  duplicate: boolean;
}

const MAX_TEXT_BYTES = 2048;

function truncateUtf8(s: string, max: number): string {
  const buf = Buffer.from(s, 'utf8');
  if (buf.length <= max) return s;
  // Cut on a character boundary.
  let end = max;
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}

export class AppMessages {
  readonly delivered: AppMessage[] = [];
  private seq = 0;
  private readonly recent = new Map<string, number>();

  constructor(
    private readonly agentId: string,
    /** Members the app can reach (its 可见范围). */
    private readonly members: () => ReadonlySet<string>,
    private readonly now: () => number,
  ) {}

  send(body: Record<string, unknown>): ApiResult {
    if (body.agentid === undefined || body.agentid === null || body.agentid === '') return { errcode: ERR.MISSING_AGENTID };
    if (String(body.agentid) !== this.agentId || !/^\d+$/.test(String(body.agentid))) return { errcode: ERR.INVALID_AGENTID };
    const split = (v: unknown) => (typeof v === 'string' ? v.split('|').map((x) => x.trim()).filter(Boolean) : []);
    const users = split(body.touser);
    if (users.length === 0 && split(body.toparty).length === 0 && split(body.totag).length === 0) return { errcode: ERR.NO_RECIPIENTS };
    const msgtype = body.msgtype;
    if (msgtype !== 'text' && msgtype !== 'markdown') return { errcode: ERR.INVALID_MSGTYPE, errmsgDetail: `the mock sends msgtype text or markdown, not ${String(msgtype)}` };
    const part = body[msgtype];
    const content = part && typeof part === 'object' ? (part as { content?: unknown }).content : undefined;
    if (typeof content !== 'string' || content === '') return { errcode: ERR.EMPTY_TEXT };
    const members = this.members();
    const all = users.includes('@all');
    const reached = all ? [...members] : users.filter((u) => members.has(u) || members.has(u.toLowerCase()));
    const invalid = all ? [] : users.filter((u) => !reached.includes(u)).map((u) => u.toLowerCase());
    // toparty / totag are not modelled: with no member reached, nothing is delivered.
    if (reached.length === 0) return { errcode: ERR.ALL_RECIPIENTS_INVALID, ...(invalid.length ? { invaliduser: invalid.join('|') } : {}) };

    const now = this.now();
    let duplicate = false;
    if (Number(body.enable_duplicate_check) === 1) {
      const interval = Math.min(4 * 3600, Math.max(0, Number(body.duplicate_check_interval ?? 1800) || 1800)) * 1000;
      const key = JSON.stringify(body);
      const last = this.recent.get(key);
      duplicate = last !== undefined && now - last < interval;
      if (!duplicate) this.recent.set(key, now);
    }
    const msgid = `app_msg_${++this.seq}`;
    this.delivered.push({ at: now, agentid: Number(body.agentid), touser: reached, msgtype, content: truncateUtf8(content, MAX_TEXT_BYTES), msgid, body, duplicate });
    return { errcode: 0, invaliduser: invalid.join('|'), invalidparty: '', invalidtag: '', unlicenseduser: '', msgid };
  }

  reset(): void {
    this.delivered.length = 0;
    this.recent.clear();
  }
}
