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
import { ClaimModel } from './claim-model.js';
import { CLAIM_MODEL_DATA } from './library/claim-model-data.js';

/**
 * Id of the library entry that switches the claim model on (`claim-model.ts`): organisations switch it
 * off or reword its reason like any entry; its severity is always `warn` (a statistical verdict never
 * blocks a send).
 */
export const CLAIM_MODEL_ID = 'model:claims';

let sharedModel: ClaimModel | undefined;
/** The trained model, decoded once per process. */
function claimModel(): ClaimModel {
  return (sharedModel ??= new ClaimModel(CLAIM_MODEL_DATA));
}

/** Longest text `scan` accepts (code units); longer input is a caller error, not a silent truncation. */
export const MAX_SCAN_LENGTH = 100_000;

/**
 * Negations that turn a risk word into a disclaimer when they come right before it (skeleton text:
 * simplified, no spaces or punctuation). Matched as a suffix of the text before the word.
 */
const NEGATIONS: readonly string[] = [
  '不', '非', '无法', '没法', '没有', '并无', '不是', '并非', '绝非', '不会', '不能', '不可',
  '不保证', '不能保证', '无法保证', '没法保证', '不敢保证', '不承诺', '不做', '严禁', '禁止', '杜绝', '拒绝', '不具有', '不具备', '并不具有', '没有任何', '无任何', '不含', '不涉及', '不属于', '不提供', '不销售', '不出售', '不卖', '不接受', '不开展', '不从事',
  '不能代替', '不能替代', '不可代替', '不可替代', '无法代替', '无法替代', '不能取代', '不等于',
  // the term quoted from the customer, not claimed: 您说的那个全网最低价…
  '您说的', '您说的那个', '您说的这个', '您提到的', '您问的', '您问的那个', '你说的', '你说的那个', '你提到的', '客户说的', '顾客说的',
];

/**
 * What, right after a risk word, says it is being named as forbidden rather than claimed
 * ("好评返现是违规的，我们不做", "保本属于违规宣传"): such an occurrence is dropped like a negated one.
 */
const DISCLAIMERS_AFTER: readonly string[] = ['是违规', '是违法', '属于违规', '属于违法', '是不允许', '是不被允许', '是禁止', '是被禁止', '是广告法禁止', '违反广告法', '违规的', '违法的', '都是违规', '都是违法', '我们不做', '我们是不做', '我们从不做', '我们不搞', '我们是不搞', '我们不支持', '我们是不支持', '是不做的', '是不可以', '仅供参考', '我们做不到', '是做不到', '我们不能承诺', '我们无法承诺', '我们不敢保证',
  // the term named as something said, not claimed: "保证录取"这种话我们不能承诺
  '这种话', '这样的话', '我们没有开', '我们没开', '我们不提供', '我们没有提供', '我们不卖', '我们没有卖', '我们没有这', '是别人的', '是别人说', '是他们说', '是网上说', '是谣传', '是假的', '这类话', '之类的话', '这些话', '这种说法', '这类说法', '这样的说法', '这种承诺', '这类承诺', '这种宣传', '这类宣传', '这种词', '这类词', '这样的词', '这个词', '这种字眼', '这类字眼'];

/** The disclaimers by their first code unit: most hits are followed by none of these and cost one lookup. */
const DISCLAIMERS_BY_FIRST = new Map<number, string[]>();
for (const d of DISCLAIMERS_AFTER) {
  const c = d.charCodeAt(0);
  DISCLAIMERS_BY_FIRST.set(c, [...(DISCLAIMERS_BY_FIRST.get(c) ?? []), d]);
}

/** True when the skeleton `s` continues at `end` with a disclaimer. */
function isDisclaimed(s: string, end: number): boolean {
  if (end >= s.length) return false;
  const ds = DISCLAIMERS_BY_FIRST.get(s.charCodeAt(end));
  if (ds === undefined) return false;
  for (const d of ds) if (s.startsWith(d, end)) return true;
  return false;
}

/** True when skeleton positions `end` (a finding's end) and `start` (the next one's start) are adjacent or joined by 和/或/及/与. */
function isJoined(s: string, end: number, start: number): boolean {
  if (start === end) return true;
  if (start < end || start - end > 2) return false;
  const between = s.slice(end, start);
  return between === '和' || between === '或' || between === '及' || between === '与' || between === '或者' || between === '以及' || between === '也不';
}

/** True when the original text has a clause break (，, ：…) between skeleton positions `last` and `next`. */
function commaBetween(text: string, last: number, next: number): boolean {
  const [a, b] = originsOf(text, [last, next]);
  return /[，,：:、;\n]/.test(text.slice(a! + 1, b!)) && !/^[、]+$/.test(text.slice(a! + 1, b!).replace(/\s/g, ''));
}

/**
 * Negation scope of the claim model, which reads bigrams and cannot see that "不保证录取或提分" denies what
 * it names: a flagged sentence with one of these (the negations of two characters or more, not 不/非 alone,
 * which are parts of claims such as 不瘦退款 or 稳赚不赔) ending at or before the end of its first evidence bigram is a
 * disclaimer and is not reported.
 */
const MODEL_NEGATIONS: readonly string[] = [...NEGATIONS.filter((n) => n.length >= 2), '不要求', '不会要求', '不强制', '不用这', '不用“'];

function negatedBefore(s: string, from: number, at: number): boolean {
  const head = s.slice(from, at);
  for (const n of MODEL_NEGATIONS) if (head.includes(n)) return true;
  return false;
}

/** The negations by their last code unit: a hit whose preceding unit ends none of them costs one lookup. */
const NEGATIONS_BY_LAST = new Map<number, string[]>();
for (const n of NEGATIONS) {
  const c = n.charCodeAt(n.length - 1);
  NEGATIONS_BY_LAST.set(c, [...(NEGATIONS_BY_LAST.get(c) ?? []), n]);
}

/** True when the skeleton `s` has a negation ending right at `start`. */
function isNegated(s: string, start: number): boolean {
  if (start === 0) return false;
  const negs = NEGATIONS_BY_LAST.get(s.charCodeAt(start - 1));
  if (negs === undefined) return false;
  for (const neg of negs) {
    if (start >= neg.length && s.startsWith(neg, start - neg.length)) return true;
  }
  return false;
}

function isAsciiAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a);
}

/** Context of a pattern entry (`before`/`after` compiled once, shared by all its anchors). */
interface Context {
  /** Sticky lookbehind at the anchor's start: the cheap test, one attempt per hit. */
  before: RegExp | undefined;
  /** The same expression anchored at the end of a slice: where the context starts (leftmost), run only on success. */
  beforeSpan: RegExp | undefined;
  after: RegExp | undefined;
  /** `beforeEnds` as code units, or undefined when any character may end the context. */
  beforeEnds: Set<number> | undefined;
}

/** How far back (skeleton code units) the start of a matched `before` context is looked for. */
const BEFORE_REACH = 32;

/**
 * Compiles a context expression of a library entry, naming the entry when it is not valid. Both are
 * run in place on the whole skeleton, one attempt per anchor hit, no copying: `after` as a sticky
 * expression at the anchor's end; `before` as a sticky empty match at the anchor's start whose
 * lookbehind captures the context (so its length is where the finding starts). A context never
 * crosses a sentence end because no pattern's expression matches 。！？； (the shipped ones are
 * written so; `[^。！？；]` where they allow any character).
 */
function compileContext(e: RiskWord, source: string | undefined, edge: '$' | '^'): RegExp | undefined {
  if (source === undefined || source === '') return undefined;
  const body = edge === '$' ? source.replace(/\$$/, '') : source.replace(/^\^/, '');
  try {
    return edge === '$' ? new RegExp(`(?<=${body})`, 'uy') : new RegExp(body, 'uy');
  } catch (err) {
    throw new Error(`Risk word ${e.id}: its ${edge === '$' ? 'before' : 'after'} pattern is not a valid regular expression (${(err as Error).message}); fix the pattern.`);
  }
}

/** `patternFlags` bits. */
const ALLOW = 1;
const PLAIN = 2;

interface Pattern {
  /** Index into `entries`. */
  entry: number;
  /** Context that must surround the occurrence (pattern entries only). */
  context: Context | undefined;
  /** True for an allow phrase of that entry, false for the entry's word itself. */
  allow: boolean;
  /** Skeleton length (code units). */
  length: number;
  /** ASCII boundary checks needed at the start / end. */
  boundaryStart: boolean;
  boundaryEnd: boolean;
}

export class RiskScanner {
  /** Enabled entries, in library order. */
  readonly entries: readonly RiskWord[];
  private readonly index: KeywordIndex;
  private readonly patterns: Pattern[];
  /**
   * The hot fields of `patterns` as flat arrays (the automaton reports thousands of distinct patterns, and
   * reading one small typed-array slot is cheaper than touching a scattered object): skeleton length,
   * entry, and flags (PLAIN: a word with no context and no ASCII boundary to check, the common case).
   */
  private readonly patternLength: Int32Array;
  private readonly patternEntry: Int32Array;
  private readonly patternFlags: Uint8Array;
  /** Each entry's suggestions, frozen once, shared by its findings (no copy per finding). */
  private readonly suggestionsOf: string[][];
  private readonly hasAllow: boolean;
  /**
   * Scratch for one `scan` call (scan is synchronous and never re-entered, so one set per scanner):
   * the skeleton being scanned, and the word hits and allow-phrase hits of the automaton pass as
   * parallel arrays (entry, skeleton start, skeleton end; `hitNegated`: preceded by a negation,
   * dropped, but only after nesting, so 不是全网最低价 does not leave 最低价 behind). A text
   * without hits allocates nothing beyond its skeleton.
   */
  private skeleton = '';
  private hitCount = 0;
  private hitEntry: number[] = [];
  private hitStart: number[] = [];
  private hitEnd: number[] = [];
  private hitNegated: boolean[] = [];
  private allowCount = 0;
  private allowEntry: number[] = [];
  private allowStart: number[] = [];
  private allowEnd: number[] = [];
  /** The automaton callback, bound once rather than a new closure per `scan` call. */
  private readonly onMatch: (pattern: number, end: number) => void;
  /** The claim model and its library entry, when the library has that entry enabled. */
  private readonly model: ClaimModel | undefined;
  private readonly modelEntry: RiskWord | undefined;

  /** Builds the matcher. Entries with `enabled: false` or an empty skeleton (e.g. "***") are ignored. */
  constructor(entries: readonly RiskWord[]) {
    const kept: RiskWord[] = [];
    const keys: string[] = [];
    const patterns: Pattern[] = [];
    let hasAllow = false;
    let modelEntry: RiskWord | undefined;
    for (const e of entries) {
      if (e.enabled === false) continue;
      if (e.id === CLAIM_MODEL_ID) {
        modelEntry = e;
        continue;
      }
      const anchors = (e.anchors ?? [e.word]).map(skeletonOf).filter((k) => k !== '');
      if (anchors.length === 0) continue;
      const key = anchors[0]!;
      const entry = kept.length;
      kept.push(e);
      const context: Context | undefined =
        e.before !== undefined || e.after !== undefined
          ? {
              before: compileContext(e, e.before, '$'),
              beforeSpan: e.before === undefined || e.before === '' ? undefined : new RegExp(`(?:${e.before.replace(/\$$/, '')})$`, 'u'),
              after: compileContext(e, e.after, '^'),
              beforeEnds: e.beforeEnds === undefined ? undefined : new Set([...skeletonOf(e.beforeEnds)].map((c) => c.charCodeAt(0))),
            }
          : undefined;
      const add = (k: string, allow: boolean): void => {
        keys.push(k);
        patterns.push({
          entry,
          context: allow ? undefined : context,
          allow,
          length: k.length,
          boundaryStart: isAsciiAlnum(k.charCodeAt(0)),
          boundaryEnd: isAsciiAlnum(k.charCodeAt(k.length - 1)),
        });
      };
      for (const k of new Set(anchors)) add(k, false);
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
    this.patternLength = Int32Array.from(patterns, (p) => p.length);
    this.patternEntry = Int32Array.from(patterns, (p) => p.entry);
    this.patternFlags = Uint8Array.from(patterns, (p) =>
      (p.allow ? ALLOW : 0) | (p.context === undefined && !p.boundaryStart && !p.boundaryEnd ? PLAIN : 0),
    );
    // The model entry's suggestions sit after the entries'.
    this.suggestionsOf = [...kept, ...(modelEntry === undefined ? [] : [modelEntry])].map((e) => Object.freeze(e.suggestions.slice()) as string[]);
    this.hasAllow = hasAllow;
    this.index = KeywordIndex.build(keys);
    this.onMatch = (k, end) => this.record(k, end);
    this.modelEntry = modelEntry;
    this.model = modelEntry === undefined ? undefined : claimModel();
  }

  /**
   * The claim model's findings for the sentences of skeleton `s` with no rule finding (`covered`: skeleton
   * [start, end) of the rule findings kept): one `warn` finding per flagged sentence, spanning its
   * strongest evidence bigrams. Scoring costs one table lookup per character pair.
   */
  private modelFindings(text: string, s: string, covered: number[]): Finding[] {
    const model = this.model!;
    let out: Finding[] | undefined;
    model.scanSentences(s, (from, to, z) => {
      for (let k = 0; k < covered.length; k += 2) if (covered[k]! < to && from < covered[k + 1]!) return;
      const v = model.explain(s, from, to, z);
      if (v.evidence.length === 0 || negatedBefore(s, from, Math.min(...v.evidence.map(([, b]) => b)))) return;
      const first = Math.min(...v.evidence.map(([a]) => a));
      const last = Math.max(...v.evidence.map(([, b]) => b)) - 1;
      const positions = [...new Set([first, last, ...v.evidence.flatMap(([a, b]) => [a, b - 1])])].sort((a, b) => a - b);
      const offsets = originsOf(text, positions);
      const at = (k: number) => offsets[positions.indexOf(k)]!;
      const endOf = (k: number) => {
        const o = at(k);
        const c = text.charCodeAt(o);
        return o + (c >= 0xd800 && c <= 0xdbff && o + 1 < text.length ? 2 : 1);
      };
      const start = at(first);
      const end = endOf(last);
      const evidence = v.evidence.map(([a, b]) => text.slice(at(a), endOf(b - 1)));
      const e = this.modelEntry!;
      (out ??= []).push({
        start,
        end,
        matched: text.slice(start, end),
        word: `${e.word}：${v.category}`,
        id: e.id,
        category: v.category,
        severity: 'warn',
        reason: `${e.reason}（像${v.category}，把握 ${(v.probability * 100).toFixed(0)}%，依据：${evidence.map((x) => `「${x}」`).join('')}）`,
        suggestions: this.suggestionsOf[this.entries.length]!,
      });
    });
    return out ?? [];
  }

  /** Called by the automaton for every pattern occurrence in `this.skeleton` (boundary rule applied here). */
  private record(k: number, matchEnd: number): void {
    const flags = this.patternFlags[k]!;
    if (flags === PLAIN) {
      // A plain word: no context, no boundary, not an allow phrase.
      const s = this.skeleton;
      const start = matchEnd - this.patternLength[k]!;
      const i = this.hitCount++;
      this.hitEntry[i] = this.patternEntry[k]!;
      this.hitStart[i] = start;
      this.hitEnd[i] = matchEnd;
      this.hitNegated[i] = isNegated(s, start) || isDisclaimed(s, matchEnd);
      return;
    }
    let end = matchEnd;
    const s = this.skeleton;
    const p = this.patterns[k]!;
    let start = end - p.length;
    // A pattern's own context decides what may touch an anchor on the side it reads (cctv-1上榜).
    if (p.boundaryStart && p.context?.before === undefined && start > 0 && isAsciiAlnum(s.charCodeAt(start - 1))) return;
    if (p.boundaryEnd && p.context?.after === undefined && end < s.length && isAsciiAlnum(s.charCodeAt(end))) return;
    if (p.context !== undefined) {
      const { before, after } = p.context;
      if (before !== undefined) {
        const ends = p.context.beforeEnds;
        if (ends !== undefined && (start === 0 || !ends.has(s.charCodeAt(start - 1)))) return;
        before.lastIndex = start;
        if (!before.test(s)) return;
        // Lookbehind captures are not leftmost-longest, so the span comes from the forward expression.
        const m = p.context.beforeSpan!.exec(s.slice(Math.max(0, start - BEFORE_REACH), start));
        if (m !== null) start -= m[0].length;
      }
      if (after !== undefined) {
        after.lastIndex = end;
        const m = after.exec(s);
        if (m === null) return;
        end += m[0].length;
      }
    }
    if (p.allow) {
      const i = this.allowCount++;
      this.allowEntry[i] = p.entry;
      this.allowStart[i] = start;
      this.allowEnd[i] = end;
    } else {
      const i = this.hitCount++;
      this.hitEntry[i] = p.entry;
      this.hitStart[i] = start;
      this.hitEnd[i] = end;
      this.hitNegated[i] = isNegated(s, start) || isDisclaimed(s, end);
    }
  }

  /** Every risk word in `text`, sorted by start offset (longer first on ties). */
  scan(text: string): Finding[] {
    if (text.length > MAX_SCAN_LENGTH) {
      throw new RangeError(
        `Text to scan is ${text.length} characters long; the limit is ${MAX_SCAN_LENGTH}. Split it into several messages.`,
      );
    }
    const s = skeletonText(text);
    this.skeleton = s;
    this.hitCount = 0;
    this.allowCount = 0;
    this.index.scan(s, this.onMatch);
    this.skeleton = '';
    const hitCount = this.hitCount;
    if (hitCount === 0) return this.model === undefined ? [] : this.modelFindings(text, s, []);
    const { hitEntry: entry, hitStart: hs, hitEnd: he, hitNegated } = this;
    // Hits still standing, as indexes into the hit arrays.
    let kept: number[] = [];
    const allowCount = this.allowCount;
    if (this.hasAllow && allowCount > 0) {
      const { allowEntry, allowStart, allowEnd } = this;
      for (let h = 0; h < hitCount; h++) {
        let allowed = false;
        for (let a = 0; a < allowCount; a++) {
          if (allowEntry[a] === entry[h] && allowStart[a]! <= hs[h]! && he[h]! <= allowEnd[a]!) {
            allowed = true;
            break;
          }
        }
        if (!allowed) kept.push(h);
      }
    } else {
      for (let h = 0; h < hitCount; h++) kept.push(h);
    }
    if (kept.length > 1) {
      const all = kept;
      kept = all.filter((h) => {
        const len = he[h]! - hs[h]!;
        for (const o of all) {
          if (o === h || hs[o]! > hs[h]! || he[h]! > he[o]!) continue;
          // Inside a longer hit: reported as the longer one.
          // The same span found by two entries (a word and a pattern, or two anchors): reported once,
          // as the entry listed first (words come before patterns).
          if (he[o]! - hs[o]! > len) return false;
          if (he[o]! - hs[o]! === len && (entry[o]! < entry[h]! || (entry[o] === entry[h] && o < h))) return false;
        }
        return true;
      });
      kept.sort((a, b) => hs[a]! - hs[b]! || he[b]! - he[a]! || entry[a]! - entry[b]!);
    }
    if (kept.some((h) => hitNegated[h])) {
      // One negation covers a run of findings of the same category written one after the other
      // ("不承诺保本保收益", "不保证录取或提分"): only directly adjacent ones (or joined by 和/或/及/与),
      // since commas are dropped from the skeleton and "不保本，稳赚" must still be found.
      if (kept.length > 1) {
        const order = [...kept].sort((a, b) => hs[a]! - hs[b]!);
        let chainEnd = -1;
        let chainCategory = '';
        for (const h of order) {
          const category = this.entries[entry[h]!]!.category;
          if (hitNegated[h]) {
            chainEnd = he[h]!;
            chainCategory = category;
          } else if (chainEnd >= 0 && category === chainCategory && isJoined(s, chainEnd, hs[h]!) && !commaBetween(text, chainEnd - 1, hs[h]!)) {
            hitNegated[h] = true;
            chainEnd = he[h]!;
          }
        }
      }
      kept = kept.filter((h) => !hitNegated[h]);
    }
    if (kept.length === 0) return this.model === undefined ? [] : this.modelFindings(text, s, []);
    // Only texts with a finding pay for mapping back (first and last skeleton position of each).
    let sorted: number[];
    if (kept.length === 1) {
      sorted = [hs[kept[0]!]!, he[kept[0]!]! - 1];
    } else {
      const positions: number[] = [];
      for (const h of kept) positions.push(hs[h]!, he[h]! - 1);
      sorted = positions.sort((a, b) => a - b);
    }
    const offsets = originsOf(text, sorted);
    const originOf = (k: number): number => offsets[sorted.indexOf(k)]!;
    const findings = kept.map((h): Finding => {
      const e = this.entries[entry[h]!]!;
      const start = originOf(hs[h]!);
      const last = originOf(he[h]! - 1);
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
        suggestions: this.suggestionsOf[entry[h]!]!,
      };
    });
    if (this.model === undefined) return findings;
    const covered: number[] = [];
    for (const h of kept) covered.push(hs[h]!, he[h]!);
    const more = this.modelFindings(text, s, covered);
    if (more.length === 0) return findings;
    return [...findings, ...more].sort((a, b) => a.start - b.start || b.end - a.end);
  }
}
