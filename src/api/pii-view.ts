/**
 * PII in API answers and exports: masked (138****5678) for roles without `pii:view`; the stored
 * originals stay intact for those with it.
 *
 * One function, `maskAnswer`, is applied to every JSON answer of the server (a preSerialization
 * hook, `installPiiMasking`): every string in the answer is masked — message texts of every type
 * (location name/address, link title/desc/url, mini-program title, business cards, menus, file
 * names, channels-shop cards…), audit reasons, rule reply texts, customer names, outbox payloads,
 * error messages — except identifiers (keys ending in `id`/`ids`, tokens, hashes), which are opaque
 * codes a client must get back unchanged. A route does not have to remember to mask.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { maskPii } from '../compliance/pii.js';

export type Masker = (text: string) => string;

/** The masker of a caller who may see PII: nothing changes. */
export const SHOW_PII: Masker = (t) => t;

export function piiMaskerFor(req: FastifyRequest): Masker {
  return req.principal?.permissions.has('pii:view') ? SHOW_PII : (t) => maskPii(t);
}

export function canViewPii(req: FastifyRequest): boolean {
  return !!req.principal?.permissions.has('pii:view');
}

/**
 * Keys whose values are identifiers (msgid, external_userid, open_kfid, media_id, confirmation
 * tokens, sha256 hashes, WeCom cursors): left as they are so clients can use them.
 */
const IDENTIFIER_KEY = /(?:id|ids|_token|^token|sha256|^cursor|^next_cursor|^etag)$/i;

/** Objects that are wholly the customer's: a shared contact card (its userid is often a phone number). */
const WHOLLY_PERSONAL = new Set(['business_card']);

/** Coordinates of a shared location, made coarse (about 1 km) for roles without pii:view. */
const COORDINATES = new Set(['latitude', 'longitude']);

/**
 * Masks every string of a JSON value (an API answer, a message item, a decision), deeply.
 * Identifier keys are left alone, except inside a business card.
 */
export function maskAnswer<T>(value: T, mask: Masker = maskPii): T {
  if (mask === SHOW_PII) return value;
  return walk(value, mask, undefined, false) as T;
}

function walk(value: unknown, mask: Masker, key: string | undefined, personal: boolean): unknown {
  if (typeof value === 'string') return !personal && key !== undefined && IDENTIFIER_KEY.test(key) ? value : personal ? maskWhole(value, mask) : mask(value);
  if (typeof value === 'number') return key !== undefined && COORDINATES.has(key) ? Math.round(value * 100) / 100 : value;
  if (Array.isArray(value)) return value.map((v) => walk(v, mask, key, personal));
  if (value && typeof value === 'object') {
    if (value instanceof Date || Buffer.isBuffer(value)) return value;
    const out: Record<string, unknown> = {};
    // An inbox item names its type (msgtype) and carries the typed object as `media`.
    const typed = WHOLLY_PERSONAL.has(String((value as { msgtype?: unknown }).msgtype ?? ''));
    for (const [k, v] of Object.entries(value)) out[k] = walk(v, mask, k, personal || WHOLLY_PERSONAL.has(k) || (typed && k === 'media'));
    return out;
  }
  return value;
}

/** A business card's contents: PII masked, and what is left of a long identifier shown only at its ends. */
function maskWhole(value: string, mask: Masker): string {
  const masked = mask(value);
  if (masked !== value || value.length <= 4) return masked;
  return `${value.slice(0, 2)}${'*'.repeat(Math.min(6, value.length - 4))}${value.slice(-2)}`;
}

/** @deprecated kept for callers that mask a part of an answer; the hook masks whole answers anyway. */
export function maskDeep<T>(value: T, mask: Masker): T {
  return maskAnswer(value, mask);
}

/**
 * Masks every JSON answer for callers without `pii:view` (installed once on the root instance,
 * after installAuthorization). Answers that are not objects (CSV, files, SSE) mask themselves.
 */
export function installPiiMasking(app: FastifyInstance): void {
  app.addHook('preSerialization', async (req, _reply, payload) => {
    if (!req.principal || req.principal.permissions.has('pii:view')) return payload;
    if (!payload || typeof payload !== 'object') return payload;
    return maskAnswer(payload);
  });
}
