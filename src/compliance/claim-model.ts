/**
 * The claim model: a small statistical classifier that generalises beyond the word lists and phrase
 * patterns. Character bigrams of each sentence's skeleton (the same folded text the word
 * library matches: simplified, lower-case, no spaces or punctuation, evasions folded), hashed into
 * 2^16 buckets, scored by a logistic regression trained at build time (`claim-model-train.ts`) on the
 * tuning set and the dev set's tune half. A sentence whose probability of being a risky claim reaches
 * the threshold (chosen from out-of-fold scores on that same tuning material, never on dev/check or the
 * held-out sets) is reported as a `warn` finding — never `block` — with the family a second
 * (softmax) model picks and the n-grams that weighed most as evidence, so the agent sees why.
 *
 * Cost: one multiply-and-lookup per character pair of a sentence, in a 256 KiB Float32Array; no
 * allocation unless a sentence is flagged. (Bigrams alone were chosen by measurement: out of fold on the
 * tuning material they caught more at the same false-positive rate than bigrams + trigrams or trigrams,
 * and cost half as much.)
 */
import { decodeClaimModel, type ClaimModelData } from './claim-model-codec.js';

export const HASH_BITS = 16;
const HASH_SHIFT = 32 - HASH_BITS;

/** Sentence ends kept by the skeleton: a sentence is scored on its own. */
export function isSentenceEnd(c: number): boolean {
  return c === 0x3002 || c === 0xff01 || c === 0xff1f || c === 0xff1b || c === 0x21 || c === 0x3f || c === 0x3b;
}

/** Shortest sentence (skeleton code units) the model scores. */
export const MIN_SENTENCE = 4;

/** Character classes for the one-pass scan: ordinary, a number, a sentence end. */
const NUMBER = 1;
const SENTENCE_END = 2;
const CLASS = new Uint8Array(0x10000);
for (const c of '0123456789二三四五六七八九十两几') CLASS[c.charCodeAt(0)] = NUMBER;
for (const c of '。！？；!?;') CLASS[c.charCodeAt(0)] = SENTENCE_END;

/** Numbers generalise: ASCII digits and the Chinese numerals 二…十/两/几 count as one symbol ('0'). */
const NUMERAL = new Uint8Array(0x10000);
for (const c of '0123456789二三四五六七八九十两几') NUMERAL[c.charCodeAt(0)] = 1;
export function featureCode(c: number): number {
  return NUMERAL[c] === 1 ? 0x30 : c;
}

/** Bucket of the bigram (a, b). */
export function bigramBucket(a: number, b: number): number {
  return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77) ^ 0x27d4eb2f) >>> HASH_SHIFT;
}

/** Calls `f(bucket, start)` for every feature (character bigram) of the sentence s[from, to) (skeleton positions). */
export function forEachFeature(s: string, from: number, to: number, f: (bucket: number, start: number) => void): void {
  let b = -1;
  for (let i = from; i < to; i++) {
    const c = featureCode(s.charCodeAt(i));
    if (b >= 0) f(bigramBucket(b, c), i - 1);
    b = c;
  }
}

export interface ClaimVerdict {
  /** Probability that the sentence is a risky claim. */
  probability: number;
  /** Family picked by the category model. */
  category: string;
  /** Skeleton spans [start, end) of the n-grams that weighed most towards "risky", strongest first. */
  evidence: Array<[number, number]>;
}

export class ClaimModel {
  readonly threshold: number;
  readonly categories: readonly string[];
  private readonly bias: number;
  private readonly weights: Float32Array;
  private readonly categoryBias: Float32Array;
  /** categoryWeights[bucket * K + k]. */
  private readonly categoryWeights: Float32Array;
  /** The decision in logit space: probability ≥ threshold ⇔ score ≥ logitThreshold. */
  private readonly logitThreshold: number;

  constructor(data: ClaimModelData) {
    const m = decodeClaimModel(data);
    this.threshold = data.threshold;
    this.categories = data.categories;
    this.bias = data.bias;
    this.weights = m.weights;
    this.categoryBias = Float32Array.from(data.categoryBias);
    this.categoryWeights = m.categoryWeights;
    this.logitThreshold = Math.log(data.threshold / (1 - data.threshold));
  }

  /** The logit of the sentence s[from, to) (hot path: no allocation). */
  score(s: string, from: number, to: number): number {
    const w = this.weights;
    let z = this.bias;
    let b = s.charCodeAt(from);
    if (NUMERAL[b] === 1) b = 0x30;
    for (let i = from + 1; i < to; i++) {
      let c = s.charCodeAt(i);
      if (NUMERAL[c] === 1) c = 0x30;
      z += w[(Math.imul(b, 0x9e3779b1) ^ Math.imul(c, 0x85ebca77) ^ 0x27d4eb2f) >>> HASH_SHIFT]!;
      b = c;
    }
    return z;
  }

  /**
   * Scores every sentence of skeleton `s` (at least `MIN_SENTENCE` long) in one pass and calls
   * `onFlag(from, to, logit)` for each one that reaches the threshold (hot path: one table lookup per
   * character for its class, one per character pair for its weight; no allocation).
   */
  scanSentences(s: string, onFlag: (from: number, to: number, logit: number) => void): void {
    const w = this.weights;
    const t = this.logitThreshold;
    const bias = this.bias;
    const n = s.length;
    let z = bias;
    let b = -1;
    let from = 0;
    for (let i = 0; i < n; i++) {
      let c = s.charCodeAt(i);
      const k = CLASS[c]!;
      if (k === SENTENCE_END) {
        if (i - from >= MIN_SENTENCE && z >= t) onFlag(from, i, z);
        z = bias;
        b = -1;
        from = i + 1;
        continue;
      }
      if (k === NUMBER) c = 0x30;
      if (b >= 0) z += w[(Math.imul(b, 0x9e3779b1) ^ Math.imul(c, 0x85ebca77) ^ 0x27d4eb2f) >>> HASH_SHIFT]!;
      b = c;
    }
    if (n - from >= MIN_SENTENCE && z >= t) onFlag(from, n, z);
  }

  /** True when the logit reaches the threshold. */
  flags(logit: number): boolean {
    return logit >= this.logitThreshold;
  }

  /** Full verdict for a sentence already flagged: family and evidence (allocates; rare). */
  explain(s: string, from: number, to: number, logit: number): ClaimVerdict {
    const K = this.categories.length;
    const z = Float64Array.from(this.categoryBias);
    const contributions: Array<{ w: number; start: number; length: number }> = [];
    forEachFeature(s, from, to, (bucket, start) => {
      const w = this.weights[bucket]!;
      if (w > 0) contributions.push({ w, start, length: 2 });
      for (let k = 0; k < K; k++) z[k]! += this.categoryWeights[bucket * K + k]!;
    });
    let best = 0;
    for (let k = 1; k < K; k++) if (z[k]! > z[best]!) best = k;
    contributions.sort((x, y) => y.w - x.w || x.start - y.start);
    const evidence: Array<[number, number]> = [];
    for (const c of contributions) {
      // Overlapping bigrams say the same thing: keep distinct spans.
      if (evidence.some(([s0, e0]) => c.start < e0 && s0 < c.start + c.length)) continue;
      evidence.push([c.start, c.start + c.length]);
      if (evidence.length === 3) break;
    }
    return { probability: 1 / (1 + Math.exp(-logit)), category: this.categories[best]!, evidence };
  }
}
