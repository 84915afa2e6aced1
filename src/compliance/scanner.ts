/**
 * RiskScanner: finds the risk words of a library in an outbound text (rule reply, welcome message,
 * scheduled or agent message) and says where they are, why they are risky and how to rewrite them.
 * Pure: built from plain `RiskWord` data, no database or HTTP. Build once per library version
 * (~0.1 s the first time in a process, for the fold table), then `scan` every text.
 *
 * How a text is matched:
 * 1. It is folded into a skeleton (`skeleton.ts`): width, case, 繁体, homoglyphs folded; spaces,
 *    symbols, zero-width characters and emoji dropped; each skeleton position remembers its
 *    original offset.
 * 2. One Aho–Corasick pass (`KeywordIndex`) finds library words AND their allow phrases.
 * 3. Context rules, in this order:
 *    - allow-list: an occurrence of a word inside an occurrence of one of that word's `allow`
 *      phrases is dropped (第一 inside 第一次; 最好 inside 最好先; 原价 inside 原价退);
 *    - negation: an occurrence right after a negation (不、非、不是、并非、没有、无法、不能、不会、不保证、
 *      不能保证、无法保证、不承诺、严禁、禁止…) is dropped: "本产品不保本", "我们无法保证100%有效", "不能根治"
 *      are the compliant way of saying it, not a claim;
 *    - ASCII boundary: a word that starts (ends) with a Latin letter or digit does not match when
 *      the skeleton has a letter or digit right before (after) it: "100%" is not found in "2100%",
 *      "top1" not in "top10";
 *    - nesting: an occurrence lying inside a longer occurrence of another word is dropped (全网最低
 *      inside 全网最低价 is reported once, as 全网最低价).
 * 4. Offsets are mapped back: `start` is the original offset of the first matched character, `end`
 *    one past the last one, so `text.slice(start, end)` is exactly what the author wrote, with any
 *    inserted spaces or symbols in between.
 */
import { KeywordIndex } from '../rules/keyword-index.js';
import type { Finding, RiskWord } from './risk-words.js';
import { originsOf, skeletonOf, skeletonText } from './skeleton.js';

/** Longest text `scan` accepts (code units); longer input is a caller error, not a silent truncation. */
export const MAX_SCAN_LENGTH = 100_000;

/**
 * Negations that turn a risk word into a disclaimer when they come right before it (skeleton text:
 * simplified, no spaces or punctuation). Matched as a suffix of the text before the word.
 */
const NEGATIONS: readonly string[] = [
  '不', '非', '无法', '没法', '没有', '并无', '不是', '并非', '绝非', '不会', '不能', '不可',
  '不保证', '不能保证', '无法保证', '没法保证', '不敢保证', '不承诺', '不做', '严禁', '禁止', '杜绝', '拒绝',
];

/** True when the skeleton `s` has a negation ending right at `start`. */
function isNegated(s: string, start: number): boolean {
  for (const neg of NEGATIONS) {
    if (start >= neg.length && s.startsWith(neg, start - neg.length)) return true;
  }
  return false;
}

function isAsciiAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a);
}

interface Pattern {
  /** Index into `entries`. */
  entry: number;
  /** True for an allow phrase of that entry, false for the entry's word itself. */
  allow: boolean;
  /** Skeleton length (code units). */
  length: number;
  /** ASCII boundary checks needed at the start / end. */
  boundaryStart: boolean;
  boundaryEnd: boolean;
}

interface Hit {
  entry: number;
  start: number;
  end: number;
  /** Preceded by a negation: dropped, but only after nesting (不是全网最低价 must not leave 最低价). */
  negated: boolean;
}

export class RiskScanner {
  /** Enabled entries, in library order. */
  readonly entries: readonly RiskWord[];
  private readonly index: KeywordIndex;
  private readonly patterns: Pattern[];
  private readonly hasAllow: boolean;

  /** Builds the matcher. Entries with `enabled: false` or an empty skeleton (e.g. "***") are ignored. */
  constructor(entries: readonly RiskWord[]) {
    const kept: RiskWord[] = [];
    const keys: string[] = [];
    const patterns: Pattern[] = [];
    let hasAllow = false;
    for (const e of entries) {
      if (e.enabled === false) continue;
      const key = skeletonOf(e.word);
      if (key === '') continue;
      const entry = kept.length;
      kept.push(e);
      const add = (k: string, allow: boolean): void => {
        keys.push(k);
        patterns.push({
          entry,
          allow,
          length: k.length,
          boundaryStart: isAsciiAlnum(k.charCodeAt(0)),
          boundaryEnd: isAsciiAlnum(k.charCodeAt(k.length - 1)),
        });
      };
      add(key, false);
      for (const phrase of e.allow ?? []) {
        const a = skeletonOf(phrase);
        // An allow phrase that does not contain the word could never apply: ignore it.
        if (a.includes(key)) {
          add(a, true);
          hasAllow = true;
        }
      }
    }
    this.entries = kept;
    this.patterns = patterns;
    this.hasAllow = hasAllow;
    this.index = KeywordIndex.build(keys);
  }

  /** Every risk word in `text`, sorted by start offset (longer first on ties). */
  scan(text: string): Finding[] {
    if (text.length > MAX_SCAN_LENGTH) {
      throw new RangeError(
        `Text to scan is ${text.length} characters long; the limit is ${MAX_SCAN_LENGTH}. Split it into several messages.`,
      );
    }
    const s = skeletonText(text);
    const hits: Hit[] = [];
    const allowed: Hit[] = [];
    const patterns = this.patterns;
    this.index.scan(s, (k, end) => {
      const p = patterns[k]!;
      const start = end - p.length;
      if (p.boundaryStart && start > 0 && isAsciiAlnum(s.charCodeAt(start - 1))) return;
      if (p.boundaryEnd && end < s.length && isAsciiAlnum(s.charCodeAt(end))) return;
      if (p.allow) allowed.push({ entry: p.entry, start, end, negated: false });
      else hits.push({ entry: p.entry, start, end, negated: isNegated(s, start) });
    });
    if (hits.length === 0) return [];
    let kept = hits;
    if (this.hasAllow && allowed.length > 0) {
      kept = kept.filter(
        (h) => !allowed.some((a) => a.entry === h.entry && a.start <= h.start && h.end <= a.end),
      );
    }
    if (kept.length > 1) {
      kept = kept.filter(
        (h) =>
          !kept.some(
            (o) => o !== h && o.start <= h.start && h.end <= o.end && o.end - o.start > h.end - h.start,
          ),
      );
      kept.sort((a, b) => a.start - b.start || b.end - a.end || a.entry - b.entry);
    }
    if (kept.some((h) => h.negated)) {
      kept = kept.filter((h) => !h.negated);
      if (kept.length === 0) return [];
    }
    // Only texts with a finding pay for mapping back (first and last skeleton position of each).
    let sorted: number[];
    if (kept.length === 1) {
      sorted = [kept[0]!.start, kept[0]!.end - 1];
    } else {
      const positions: number[] = [];
      for (const h of kept) positions.push(h.start, h.end - 1);
      sorted = positions.sort((a, b) => a - b);
    }
    const offsets = originsOf(text, sorted);
    const originOf = (k: number): number => offsets[sorted.indexOf(k)]!;
    return kept.map((h) => {
      const e = this.entries[h.entry]!;
      const start = originOf(h.start);
      const last = originOf(h.end - 1);
      const c = text.charCodeAt(last);
      const end = last + (c >= 0xd800 && c <= 0xdbff && last + 1 < text.length ? 2 : 1);
      return {
        start,
        end,
        matched: text.slice(start, end),
        word: e.word,
        id: e.id,
        category: e.category,
        severity: e.severity,
        reason: e.reason,
        suggestions: [...e.suggestions],
      };
    });
  }
}
