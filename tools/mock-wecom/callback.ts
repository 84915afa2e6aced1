/**
 * The WeCom -> WeReply side: building encrypted, signed callback requests exactly as WeCom sends them,
 * and delivering them over HTTP with WeCom's retry rule (3 tries, 5 s apart by default).
 * Pure builders are exported for benchmarks and tests.
 */
import http from 'node:http';
import https from 'node:https';
import { randomInt } from 'node:crypto';
import { encrypt, signature } from './crypto.js';

export interface CallbackQuery {
  msg_signature: string;
  timestamp: string;
  nonce: string;
}

export interface CallbackRequest {
  query: CallbackQuery;
  /** The outer XML body WeCom POSTs. */
  body: string;
  /** The base64 ciphertext inside <Encrypt>. */
  encrypted: string;
}

export interface CryptoParams {
  token: string;
  encodingAESKey: string;
  corpId: string;
  /** Seconds as a string; default: now. */
  timestamp?: string;
  /** Default: a random 9-10 digit number, like WeCom's. */
  nonce?: string;
}

/** Wraps text in CDATA, splitting any "]]>" so the section stays well-formed. */
export function cdata(text: string): string {
  return `<![CDATA[${text.split(']]>').join(']]]]><![CDATA[>')}]]>`;
}

export function randomNonce(): string {
  return String(randomInt(100_000_000, 2_147_483_647));
}

/** Encrypts any inner XML into the outer callback body and signs it. */
export function encryptCallbackXml(innerXml: string, p: CryptoParams & { agentId?: string }): CallbackRequest {
  const timestamp = p.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = p.nonce ?? randomNonce();
  const encrypted = encrypt(innerXml, p.corpId, p.encodingAESKey);
  const body =
    `<xml><ToUserName>${cdata(p.corpId)}</ToUserName><Encrypt>${cdata(encrypted)}</Encrypt>` +
    `<AgentID>${cdata(p.agentId ?? '')}</AgentID></xml>`;
  return { query: { msg_signature: signature(p.token, timestamp, nonce, encrypted), timestamp, nonce }, body, encrypted };
}

export interface KfEventCallbackParams extends CryptoParams {
  openKfId: string;
  /** The sync_msg token carried by the event (valid 10 minutes). */
  msgToken: string;
  /** Seconds; default: timestamp or now. */
  createTime?: number;
  agentId?: string;
}

/** The inner XML of a 微信客服 kf_msg_or_event callback, field for field as WeCom sends it. */
export function kfEventInnerXml(corpId: string, createTime: number, msgToken: string, openKfId: string): string {
  return (
    `<xml><ToUserName>${cdata(corpId)}</ToUserName><CreateTime>${createTime}</CreateTime>` +
    `<MsgType>${cdata('event')}</MsgType><Event>${cdata('kf_msg_or_event')}</Event>` +
    `<Token>${cdata(msgToken)}</Token><OpenKfId>${cdata(openKfId)}</OpenKfId></xml>`
  );
}

/** Builds the exact POST WeCom sends when a 微信客服 account has new messages or events. */
export function buildKfEventCallback(p: KfEventCallbackParams): CallbackRequest & { innerXml: string } {
  const timestamp = p.timestamp ?? String(Math.floor(Date.now() / 1000));
  const createTime = p.createTime ?? Number(timestamp);
  const innerXml = kfEventInnerXml(p.corpId, createTime, p.msgToken, p.openKfId);
  return { ...encryptCallbackXml(innerXml, { ...p, timestamp }), innerXml };
}

export interface UrlVerificationParams extends CryptoParams {
  /** The plaintext WeReply must answer. */
  echoPlain: string;
}

/** Builds the GET query WeCom sends to verify a callback URL. */
export function buildUrlVerification(p: UrlVerificationParams): { query: CallbackQuery & { echostr: string } } {
  const timestamp = p.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = p.nonce ?? randomNonce();
  const echostr = encrypt(p.echoPlain, p.corpId, p.encodingAESKey);
  return { query: { msg_signature: signature(p.token, timestamp, nonce, echostr), timestamp, nonce, echostr } };
}

/** Reads one field of a flat WeCom XML document (CDATA or plain text); enough for tests and demos. */
export function readXmlField(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>(?:<!\\[CDATA\\[([\\s\\S]*?)\\]\\]>|([^<]*))</${name}>`).exec(xml);
  if (!m) return undefined;
  return m[1] !== undefined ? m[1] : m[2];
}

export function withQuery(url: string, query: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  return u.toString();
}

/** One HTTP try and what it got back. */
export interface HttpTry {
  /** ms since epoch (real clock). */
  at: number;
  status?: number;
  latencyMs: number;
  body?: string;
  error?: string;
}

const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256 });

/** Sends one request and never throws: errors and timeouts come back in the result. */
export function sendHttp(
  method: 'GET' | 'POST',
  url: string,
  body: string | undefined,
  timeoutMs: number,
  contentType = 'text/xml; charset=utf-8',
): Promise<HttpTry> {
  const at = Date.now();
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: Omit<HttpTry, 'at' | 'latencyMs'>): void => {
      if (settled) return;
      settled = true;
      resolve({ at, latencyMs: Math.round((performance.now() - started) * 100) / 100, ...r });
    };
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      finish({ error: `invalid URL: ${url}` });
      return;
    }
    const lib = u.protocol === 'https:' ? https : http;
    const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
    const req = lib.request(
      u,
      {
        method,
        agent: u.protocol === 'https:' ? httpsAgent : httpAgent,
        headers: payload
          ? { 'content-type': contentType, 'content-length': payload.length, 'user-agent': 'Mozilla/5.0 (mock-wecom)' }
          : { 'user-agent': 'Mozilla/5.0 (mock-wecom)' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          const status = res.statusCode ?? 0;
          finish({ status, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (e) => finish({ status: res.statusCode, error: e.message }));
      },
    );
    const timer = setTimeout(() => {
      finish({ error: `no answer within ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      finish({ error: e.message });
    });
    req.end(payload);
  });
}
