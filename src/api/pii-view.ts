/**
 * PII in API answers and exports: masked (138****5678) for roles without `pii:view`; the stored
 * originals stay intact for those with it.
 */
import type { FastifyRequest } from 'fastify';
import { maskPii } from '../compliance/pii.js';

/** Keys whose string values are message content (identifiers such as msgid or external_userid are left alone). */
const CONTENT_KEYS = new Set(['text', 'content', 'title', 'desc', 'head', 'tail', 'name', 'masked', 'matched', 'waiting_message', 'address', 'phone', 'email']);

export type Masker = (text: string) => string;

export function piiMaskerFor(req: FastifyRequest): Masker {
  return req.principal?.permissions.has('pii:view') ? (t) => t : (t) => maskPii(t);
}

export function canViewPii(req: FastifyRequest): boolean {
  return !!req.principal?.permissions.has('pii:view');
}

/** Masks the content strings of a parsed JSON value (message items, decisions), deeply. */
export function maskDeep<T>(value: T, mask: Masker, key?: string): T {
  if (typeof value === 'string') return (key !== undefined && CONTENT_KEYS.has(key) ? mask(value) : value) as T;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, mask, key)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskDeep(v, mask, k);
    return out as T;
  }
  return value;
}
