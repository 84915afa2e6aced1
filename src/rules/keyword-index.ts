/**
 * KeywordIndex: finds every occurrence of many keywords in a message in one left-to-right pass
 * (Aho–Corasick, compiled to typed arrays). Built once per rule-set version, used on every message.
 *
 * Layout (all typed arrays, no Map/object lookups and no allocation in the scanning loop):
 * - `alpha`: Uint16Array(65536) mapping a UTF-16 code unit to a compact alphabet index; 0 means
 *   "occurs in no keyword", whose transition from every state is the root.
 * - States are numbered in BFS order (root = 0, shallow states first). The first `denseStates`
 *   states get a full DFA row, failure links already resolved, so a step is one load. With a
 *   2,300-word dictionary every state fits in the default budget.
 * - States beyond the budget (very large dictionaries only) keep sorted goto edges (CSR) plus a
 *   failure link; a miss follows failure links until it reaches a dense state.
 * - The scanning loop carries a state *code*, not a state number: a dense state's code is its row
 *   offset (`id * alphabetSize`, saving a multiply per step: measured ~10% faster), a sparse
 *   state's code is `denseStates * alphabetSize + (id - denseStates)`. Transition tables store
 *   `~code` (negative) when the target state ends at least one keyword, so the loop tests for
 *   output with a sign check on the value it already holds.
 * - Outputs are merged along dictionary suffix links at build time (CSR: `outStart`/`outKeyword`):
 *   a state lists every keyword that is a suffix of its path, so overlapping matches come for free.
 *
 * Works on UTF-16 code units, so keywords containing surrogate pairs (emoji) match as sequences.
 * Keywords must already be normalised (`normalizeKeyword`) and text normalised (`normalizeText`);
 * the index itself compares code units exactly. Empty keywords never match.
 */

import { FOLD_SLOW, FOLD_SPACE, foldTable, normalizeText } from './normalize.js';

export interface KeywordIndexOptions {
  /**
   * Most bytes the dense DFA table may use (default 16 MiB; a 2,300-word dictionary needs ~6 MB). States past the budget fall back to
   * sparse edges + failure links: slower per step, but memory stays bounded for huge dictionaries.
   */
  denseTableBytes?: number;
}

const DEFAULT_DENSE_TABLE_BYTES = 16 * 1024 * 1024;

/** In `normAlpha`: the code unit is white space / needs the reference normalisation. */
const NORM_SPACE = -1;
const NORM_SLOW = -2;

export class KeywordIndex {
  /** Number of keywords the index was built from (indexes reported are into that array). */
  readonly keywordCount: number;
  /** Number of automaton states (trie nodes, root included). */
  readonly stateCount: number;
  /** Distinct code units used by the keywords, plus 1 for "none of them". */
  readonly alphabetSize: number;
  /** States with a full DFA row (the first `denseStates` in BFS order). */
  readonly denseStates: number;

  private readonly alpha: Uint16Array;
  /** `denseStates * alphabetSize`: codes below are dense row offsets, codes at or above are sparse. */
  private readonly denseLimit: number;
  private readonly dense: Int32Array;
  private readonly fail: Int32Array;
  private readonly edgeStart: Int32Array;
  private readonly edgeKey: Int32Array;
  private readonly edgeTarget: Int32Array;
  private readonly outStart: Int32Array;
  private readonly outKeyword: Int32Array;
  /** Per-keyword stamp for de-duplicating in `matchedKeywords` without clearing a set each call. */
  private readonly seen: Uint32Array;
  private epoch = 0;
  /** Built on the first `matchedKeywordsNormalizing` call (256 KiB). */
  private normAlpha: Int32Array | undefined;

  private constructor(fields: {
    keywordCount: number;
    stateCount: number;
    alphabetSize: number;
    denseStates: number;
    alpha: Uint16Array;
    dense: Int32Array;
    fail: Int32Array;
    edgeStart: Int32Array;
    edgeKey: Int32Array;
    edgeTarget: Int32Array;
    outStart: Int32Array;
    outKeyword: Int32Array;
  }) {
    this.keywordCount = fields.keywordCount;
    this.stateCount = fields.stateCount;
    this.alphabetSize = fields.alphabetSize;
    this.denseStates = fields.denseStates;
    this.alpha = fields.alpha;
    this.denseLimit = fields.denseStates * fields.alphabetSize;
    this.dense = fields.dense;
    this.fail = fields.fail;
    this.edgeStart = fields.edgeStart;
    this.edgeKey = fields.edgeKey;
    this.edgeTarget = fields.edgeTarget;
    this.outStart = fields.outStart;
    this.outKeyword = fields.outKeyword;
    this.seen = new Uint32Array(fields.keywordCount);
  }

  /**
   * Builds the automaton once for a set of (already normalised) keywords. Duplicates are allowed
   * (several rules may share one keyword): each index is reported. Empty strings never match.
   */
  static build(keywords: readonly string[], options: KeywordIndexOptions = {}): KeywordIndex {
    // 1. Alphabet: distinct code units, most frequent first (index 0 is reserved for "none").
    const freq = new Map<number, number>();
    for (const k of keywords) {
      for (let i = 0; i < k.length; i++) {
        const c = k.charCodeAt(i);
        freq.set(c, (freq.get(c) ?? 0) + 1);
      }
    }
    if (freq.size > 0xffff) throw new RangeError('KeywordIndex: keywords use more than 65535 distinct code units');
    const alpha = new Uint16Array(65536);
    const byFreq = [...freq.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    byFreq.forEach(([c], i) => (alpha[c] = i + 1));
    const A = byFreq.length + 1;

    // 2. Trie with per-node child maps (build time only).
    const children: Array<Map<number, number>> = [new Map()];
    const ownOutputs: number[][] = [[]];
    keywords.forEach((k, ki) => {
      if (k.length === 0) return;
      let s = 0;
      for (let i = 0; i < k.length; i++) {
        const a = alpha[k.charCodeAt(i)]!;
        const node = children[s]!;
        let t = node.get(a);
        if (t === undefined) {
          t = children.length;
          node.set(a, t);
          children.push(new Map());
          ownOutputs.push([]);
        }
        s = t;
      }
      ownOutputs[s]!.push(ki);
    });
    const N = children.length;

    // 3. BFS order → new state numbers (root 0, shallow first; a failure target always precedes).
    const order = new Int32Array(N);
    const newId = new Int32Array(N);
    let head = 0;
    let tail = 1;
    while (head < tail) {
      const s = order[head++]!;
      for (const t of [...children[s]!.entries()].sort((x, y) => x[0] - y[0])) order[tail++] = t[1];
    }
    for (let i = 0; i < N; i++) newId[order[i]!] = i;
    const goto: Array<Map<number, number>> = new Array(N);
    for (let old = 0; old < N; old++) {
      const m = new Map<number, number>();
      for (const [a, t] of children[old]!) m.set(a, newId[t]!);
      goto[newId[old]!] = m;
    }

    // 4. Failure links and merged outputs (own outputs + outputs of the failure state).
    const fail = new Int32Array(N);
    const outputs: number[][] = new Array(N);
    outputs[0] = [];
    for (let s = 0; s < N; s++) {
      const own = ownOutputs[order[s]!]!;
      if (s !== 0) outputs[s] = own.length === 0 ? outputs[fail[s]!]! : own.concat(outputs[fail[s]!]!);
      for (const [a, t] of goto[s]!) {
        if (s === 0) {
          fail[t] = 0;
          continue;
        }
        let f = fail[s]!;
        while (f !== 0 && !goto[f]!.has(a)) f = fail[f]!;
        fail[t] = goto[f]!.get(a) ?? 0;
      }
    }
    const outStart = new Int32Array(N + 1);
    let totalOut = 0;
    for (let s = 0; s < N; s++) {
      outStart[s] = totalOut;
      totalOut += outputs[s]!.length;
    }
    outStart[N] = totalOut;
    const outKeyword = new Int32Array(totalOut);
    for (let s = 0; s < N; s++) outKeyword.set(outputs[s]!, outStart[s]!);

    // 5. Dense rows for the first D states (failure-resolved), sparse edges for the rest.
    const budget = options.denseTableBytes ?? DEFAULT_DENSE_TABLE_BYTES;
    const D = Math.min(N, Math.max(1, Math.floor(budget / (A * 4))));
    const code = (t: number): number => (t < D ? t * A : D * A + (t - D));
    const enc = (t: number): number => (outStart[t + 1]! > outStart[t]! ? ~code(t) : code(t));
    const dense = new Int32Array(D * A);
    for (let s = 0; s < D; s++) {
      const row = s * A;
      if (s !== 0) dense.copyWithin(row, fail[s]! * A, fail[s]! * A + A);
      for (const [a, t] of goto[s]!) dense[row + a] = enc(t);
    }
    const sparseCount = N - D;
    const edgeStart = new Int32Array(sparseCount + 1);
    let edges = 0;
    for (let s = D; s < N; s++) {
      edgeStart[s - D] = edges;
      edges += goto[s]!.size;
    }
    edgeStart[sparseCount] = edges;
    const edgeKey = new Int32Array(edges);
    const edgeTarget = new Int32Array(edges);
    for (let s = D, e = 0; s < N; s++) {
      for (const [a, t] of [...goto[s]!.entries()].sort((x, y) => x[0] - y[0])) {
        edgeKey[e] = a;
        edgeTarget[e++] = enc(t);
      }
    }

    return new KeywordIndex({
      keywordCount: keywords.length,
      stateCount: N,
      alphabetSize: A,
      denseStates: D,
      alpha,
      dense,
      fail,
      edgeStart,
      edgeKey,
      edgeTarget,
      outStart,
      outKeyword,
    });
  }

  /** Approximate bytes held by the automaton's typed arrays. */
  get memoryBytes(): number {
    return (
      this.alpha.byteLength +
      this.dense.byteLength +
      this.fail.byteLength +
      this.edgeStart.byteLength +
      this.edgeKey.byteLength +
      this.edgeTarget.byteLength +
      this.outStart.byteLength +
      this.outKeyword.byteLength +
      this.seen.byteLength +
      (this.normAlpha?.byteLength ?? 0)
    );
  }

  /** State number of a (non-negative) state code. */
  private stateOf(code: number): number {
    return code < this.denseLimit ? (code / this.alphabetSize) | 0 : code - this.denseLimit + this.denseStates;
  }

  /**
   * Encoded transition from a sparse state (code ≥ denseLimit) on alphabet index a ≠ 0: follow
   * failure links until an edge matches or a dense state answers. Only reached when the dictionary
   * is too large for the dense budget.
   */
  private sparseStep(code: number, a: number): number {
    const D = this.denseStates;
    const { edgeStart, edgeKey, edgeTarget, fail } = this;
    let s = code - this.denseLimit + D;
    for (;;) {
      let lo = edgeStart[s - D]!;
      let hi = edgeStart[s - D + 1]!;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const k = edgeKey[mid]!;
        if (k === a) return edgeTarget[mid]!;
        if (k < a) lo = mid + 1;
        else hi = mid;
      }
      s = fail[s]!;
      if (s < D) return this.dense[s * this.alphabetSize + a]!;
    }
  }

  /**
   * Calls `onMatch(keywordIndex, endOffsetExclusive)` for every occurrence of every keyword in
   * `text`, overlapping ones included, in order of end offset (UTF-16 code units).
   */
  scan(text: string, onMatch: (keyword: number, end: number) => void): void {
    const { alpha, dense, outStart, outKeyword, denseLimit } = this;
    const n = text.length;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const a = alpha[text.charCodeAt(i)]!;
      const t = s < denseLimit ? dense[s + a]! : a === 0 ? 0 : this.sparseStep(s, a);
      if (t >= 0) {
        s = t;
        continue;
      }
      s = ~t;
      const state = this.stateOf(s);
      for (let o = outStart[state]!, end = outStart[state + 1]!; o < end; o++) onMatch(outKeyword[o]!, i + 1);
    }
  }

  /**
   * Distinct indexes of keywords occurring in `text`, in order of first occurrence (a new array
   * each call; duplicates of one keyword string are each listed). The automaton pass is the same
   * as `scan`, written out again so the common case pays no callback.
   */
  matchedKeywords(text: string): number[] {
    const { alpha, dense, outStart, outKeyword, seen, denseLimit } = this;
    const found: number[] = [];
    let stamp = ++this.epoch;
    if (stamp === 0xffffffff) {
      seen.fill(0);
      this.epoch = stamp = 1;
    }
    const n = text.length;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const a = alpha[text.charCodeAt(i)]!;
      const t = s < denseLimit ? dense[s + a]! : a === 0 ? 0 : this.sparseStep(s, a);
      if (t >= 0) {
        s = t;
        continue;
      }
      s = ~t;
      const state = this.stateOf(s);
      for (let o = outStart[state]!, end = outStart[state + 1]!; o < end; o++) {
        const k = outKeyword[o]!;
        if (seen[k] !== stamp) {
          seen[k] = stamp;
          found.push(k);
        }
      }
    }
    return found;
  }

  /**
   * `matchedKeywords(normalizeText(raw))`, without building the normalised string: each code unit
   * goes through the normalisation table (`foldTable`) inside the automaton's scan, and a run of
   * white space steps the automaton once with a space (leading and trailing runs are skipped, as
   * `normalizeText` trims them). A message with a character whose normalisation
   * needs context (final sigma, İ, cased supplementary letters) is normalised the reference way first.
   */
  matchedKeywordsNormalizing(raw: string): number[] {
    const norm = (this.normAlpha ??= this.buildNormAlpha());
    const { dense, outStart, outKeyword, seen, denseLimit } = this;
    const found: number[] = [];
    let stamp = ++this.epoch;
    if (stamp === 0xffffffff) {
      seen.fill(0);
      this.epoch = stamp = 1;
    }
    const n = raw.length;
    const spaceA = this.alpha[0x20]!;
    let s = 0;
    let pendingSpace = false;
    let i = 0;
    while (i < n && norm[raw.charCodeAt(i)] === NORM_SPACE) i++; // leading white space is trimmed
    for (; i < n; i++) {
      let a = norm[raw.charCodeAt(i)]!;
      if (a < 0) {
        if (a === NORM_SPACE) {
          pendingSpace = true;
          continue;
        }
        return this.matchedKeywords(normalizeText(raw)); // NORM_SLOW
      }
      if (pendingSpace) {
        // Step on the collapsed space first, then (next iteration) on this code unit.
        pendingSpace = false;
        i--;
        a = spaceA;
      }
      const t = s < denseLimit ? dense[s + a]! : a === 0 ? 0 : this.sparseStep(s, a);
      if (t >= 0) {
        s = t;
        continue;
      }
      s = ~t;
      const state = this.stateOf(s);
      for (let o = outStart[state]!, end = outStart[state + 1]!; o < end; o++) {
        const k = outKeyword[o]!;
        if (seen[k] !== stamp) {
          seen[k] = stamp;
          found.push(k);
        }
      }
    }
    return found;
  }

  /** Raw code unit → alphabet index of its normalised form, or NORM_SPACE / NORM_SLOW: one load per code unit in the fused scan. */
  private buildNormAlpha(): Int32Array {
    const fold = foldTable();
    const t = new Int32Array(65536);
    for (let c = 0; c < 65536; c++) {
      const f = fold[c]!;
      t[c] = f === FOLD_SPACE ? NORM_SPACE : f === FOLD_SLOW ? NORM_SLOW : this.alpha[f]!;
    }
    return t;
  }

  /** True as soon as any keyword occurs in `text` (stops at the first match). */
  hasAny(text: string): boolean {
    const { alpha, dense, denseLimit } = this;
    const n = text.length;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const a = alpha[text.charCodeAt(i)]!;
      const t = s < denseLimit ? dense[s + a]! : a === 0 ? 0 : this.sparseStep(s, a);
      if (t < 0) return true;
      s = t;
    }
    return false;
  }
}
