/**
 * Regex keyword rules (正则规则) with a time limit, so one pathological pattern or message cannot
 * stall the pipeline.
 *
 * `compileUserRegex` (called when a rule is saved and when a rule set is built) rejects:
 * - patterns over 500 characters, flags other than i/m/s/u, syntax errors (with V8's reason);
 * - patterns that are catastrophic by shape, found on a small parse tree: a repeated group whose
 *   inner quantifier can hand characters to the next repetition ('(a+)+', '(\w+\s?)+'), and
 *   alternatives under a repetition that can split the same text several ways ('(a|aa)*', '(\w|\d)+';
 *   literal alternatives are checked exactly with the Sardinas–Patterson test, so '(退货|退款)+' passes);
 * - patterns that are slow in practice: the regex runs on adversarial probes built from its own
 *   characters ('aaaa…!' at 48 and at 1,024 characters) under a hard `node:vm` time limit (100 ms),
 *   and any probe that exceeds it rejects the pattern. Exponential blow-up shows at 48 characters;
 *   cubic or worse at 1,024 ('.*a.*b': ~0.5 s there, ~26 s at 4,096). Quadratic patterns ('退.*款',
 *   '\s+$': ~6 ms at 1,024, 20–100 ms at 4,096) pass: common, useful, and on a pathological long
 *   message the runtime limit below cuts them.
 *
 * `SafeRegex.test` — the time limit on the path every message takes. Measured on Node 20
 * (see the report in the commit / bench): `vm` `runInContext` with `timeout` costs ~100–120 µs per
 * call (it starts a watchdog thread each time), a plain `RegExp.test` ~30 ns. Yet even validated
 * "simple" patterns are not cheap on long input: '/a*b/' takes ~18 ms on 4,096 'a's. So each call
 * picks one of two paths, both bounded:
 * 1. direct `RegExp.test` when a static step bound proves the call cheap: for patterns whose
 *    repetitions only repeat fixed-length, choice-free pieces ('\d+', '[a-z]{2,8}', '(\d{3}-)+'),
 *    no backreferences and no lookarounds, the backtracking paths are bounded by
 *    starts × Π(choices per quantifier / alternation) × path length. `directMaxLength` is the longest
 *    input for which that bound stays under 100,000 steps (well under 1 ms); shorter messages (most
 *    customer messages) run directly;
 * 2. everything else runs inside `vm` with the timeout (default 20 ms) and returns 'timeout' when cut.
 * Before either, required literals ('退' for '退(货|款)', one of '退货'/'退款' for '(退货|退款)+') are
 * looked up with `includes`: if none is present the answer is false without running the regex.
 * Input is capped at 4,096 code units.
 */
import vm from 'node:vm';

export const MAX_PATTERN_LENGTH = 500;
/** Messages longer than this are cut (at a code-point boundary) before a regex sees them. */
export const MAX_INPUT_LENGTH = 4096;
export const DEFAULT_TIMEOUT_MS = 20;
export const DEFAULT_PROBE_TIMEOUT_MS = 100;
/** Upper bound of backtracking steps under which a call may skip the vm guard. */
const DIRECT_STEP_BUDGET = 100_000;
/** Long validation probes: separates quadratic (accepted) from cubic-or-worse (rejected). */
const LONG_PROBE_LENGTH = 1024;
const ALLOWED_FLAGS = 'imsu';

export interface SafeRegexOptions {
  /** Time limit for one `test` call on the guarded path (default 20 ms). */
  timeoutMs?: number;
  /** Time limit for each validation probe (default 100 ms). */
  probeTimeoutMs?: number;
}

export type CompileResult = { ok: true; regex: SafeRegex } | { ok: false; error: string };

// ---------------------------------------------------------------------------------------------
// The time-limited runner.

const job: { re: RegExp | null; text: string; result: boolean } = { re: null, text: '', result: false };
let guardContext: vm.Context | null = null;
let guardScript: vm.Script | null = null;

/**
 * Runs `regex.test(text)` under a hard time limit (V8 terminates the execution from a watchdog
 * thread). Returns 'timeout' when cut off (or when the engine gave up, e.g. backtrack stack overflow).
 * Used by `SafeRegex` and by validation probes; exported for callers and tests holding a raw RegExp.
 */
export function testWithTimeLimit(regex: RegExp, text: string, timeoutMs: number): boolean | 'timeout' {
  if (guardContext === null || guardScript === null) {
    guardContext = vm.createContext({ job });
    guardScript = new vm.Script('job.result = job.re.test(job.text);');
  }
  job.re = regex;
  job.text = text;
  try {
    guardScript.runInContext(guardContext, { timeout: Math.max(1, Math.round(timeoutMs)) });
    return job.result;
  } catch {
    return 'timeout';
  } finally {
    job.re = null;
    job.text = '';
  }
}

function clipInput(text: string): string {
  if (text.length <= MAX_INPUT_LENGTH) return text;
  let end = MAX_INPUT_LENGTH;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end);
}

/** A validated user regex; `test` never runs longer than its time limit. */
export class SafeRegex {
  /** Longest input that runs directly (provably cheap); -1 when every call goes through the vm guard. */
  readonly directMaxLength: number;
  /** Every matching text contains at least one of these (checked with `includes` first), or null. */
  readonly requiredLiterals: readonly string[] | null;

  /** Use `compileUserRegex`; the constructor trusts that the pattern was validated. */
  constructor(
    readonly regex: RegExp,
    readonly timeoutMs: number,
    analysis: { directMaxLength: number; requiredLiterals: string[] | null },
  ) {
    this.directMaxLength = analysis.directMaxLength;
    this.requiredLiterals = analysis.requiredLiterals;
  }

  get source(): string {
    return this.regex.source;
  }

  get flags(): string {
    return this.regex.flags;
  }

  /**
   * Does the (first 4,096 code units of) text match? 'timeout' if it did not finish in time.
   * `limitMs` shortens the time limit for this call (what is left of a message's regex budget).
   */
  test(text: string, limitMs = this.timeoutMs): boolean | 'timeout' {
    const s = clipInput(text);
    if (this.requiredLiterals !== null && !this.requiredLiterals.some((l) => s.includes(l))) return false;
    if (s.length <= this.directMaxLength) return this.regex.test(s);
    return testWithTimeLimit(this.regex, s, Math.min(this.timeoutMs, limitMs));
  }
}

// ---------------------------------------------------------------------------------------------
// Character sets: sorted, disjoint [lo, hi] pairs of code points (code units without the u flag).

type CharSet = number[];
const MAX_CP = 0x10ffff;
const ANY: CharSet = [0, MAX_CP];
const EMPTY: CharSet = [];
const DIGIT: CharSet = [48, 57];
const WORD: CharSet = [48, 57, 65, 90, 95, 95, 97, 122];
const SPACE: CharSet = [9, 13, 32, 32, 160, 160, 5760, 5760, 8192, 8202, 8232, 8233, 8239, 8239, 8287, 8287, 12288, 12288, 65279, 65279];
const LINE_TERMINATORS: CharSet = [10, 10, 13, 13, 8232, 8233];

function normalizeSet(pairs: number[]): CharSet {
  const spans: Array<[number, number]> = [];
  for (let i = 0; i + 1 < pairs.length; i += 2) spans.push([pairs[i]!, pairs[i + 1]!]);
  spans.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [lo, hi] of spans) {
    const n = out.length;
    if (n > 0 && lo <= out[n - 1]! + 1) out[n - 1] = Math.max(out[n - 1]!, hi);
    else out.push(lo, hi);
  }
  return out;
}

const union = (a: CharSet, b: CharSet): CharSet => (a.length === 0 ? b : b.length === 0 ? a : normalizeSet([...a, ...b]));

function complement(a: CharSet): CharSet {
  const out: number[] = [];
  let next = 0;
  for (let i = 0; i < a.length; i += 2) {
    if (a[i]! > next) out.push(next, a[i]! - 1);
    next = a[i + 1]! + 1;
  }
  if (next <= MAX_CP) out.push(next, MAX_CP);
  return out;
}

function intersects(a: CharSet, b: CharSet): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i + 1]! < b[j]!) i += 2;
    else if (b[j + 1]! < a[i]!) j += 2;
    else return true;
  }
  return false;
}

function contains(a: CharSet, c: number): boolean {
  for (let i = 0; i < a.length; i += 2) if (c >= a[i]! && c <= a[i + 1]!) return true;
  return false;
}

/** With the i flag: add the other case of ASCII letters and of single characters in small ranges. */
function caseClose(a: CharSet): CharSet {
  const extra: number[] = [];
  for (let i = 0; i < a.length; i += 2) {
    const lo = a[i]!;
    const hi = a[i + 1]!;
    const span = (l: number, h: number, d: number) => {
      const x = Math.max(lo, l);
      const y = Math.min(hi, h);
      if (x <= y) extra.push(x + d, y + d);
    };
    span(65, 90, 32);
    span(97, 122, -32);
    if (hi - lo < 256 && hi >= 128) {
      for (let c = Math.max(lo, 128); c <= hi; c++) {
        for (const v of [String.fromCodePoint(c).toLowerCase(), String.fromCodePoint(c).toUpperCase()]) {
          const cp = v.codePointAt(0)!;
          if (v.length === String.fromCodePoint(cp).length && cp !== c) extra.push(cp, cp);
        }
      }
    }
  }
  return extra.length ? union(a, normalizeSet(extra)) : a;
}

// ---------------------------------------------------------------------------------------------
// Parse tree (best effort: the pattern already compiled with `new RegExp`, so this only has to
// understand valid syntax, Annex-B leniency included).

type GroupKind = 'capture' | 'group' | 'lookahead' | 'negLookahead' | 'lookbehind' | 'negLookbehind';
type Node = { start: number; end: number } & (
  | { type: 'char'; set: CharSet; literal: number | null }
  | { type: 'seq'; items: Node[] }
  | { type: 'alt'; alts: Node[] }
  | { type: 'group'; kind: GroupKind; body: Node }
  | { type: 'quant'; body: Node; min: number; max: number }
  | { type: 'assert'; what: string }
  | { type: 'backref' }
);

class Parser {
  private pos = 0;
  private readonly captureCount: number;

  constructor(
    private readonly src: string,
    private readonly unicode: boolean,
    private readonly ignoreCase: boolean,
    private readonly dotAll: boolean,
  ) {
    this.captureCount = countCaptures(src);
  }

  parse(): Node {
    const node = this.alternation();
    if (this.pos < this.src.length) throw new Error(`unexpected '${this.src[this.pos]}' at ${this.pos}`);
    return node;
  }

  private peek(o = 0): string {
    return this.src[this.pos + o] ?? '';
  }

  private alternation(): Node {
    const start = this.pos;
    const alts = [this.sequence()];
    while (this.peek() === '|') {
      this.pos++;
      alts.push(this.sequence());
    }
    return alts.length === 1 ? alts[0]! : { type: 'alt', alts, start, end: this.pos };
  }

  private sequence(): Node {
    const start = this.pos;
    const items: Node[] = [];
    while (this.pos < this.src.length && this.peek() !== '|' && this.peek() !== ')') {
      const atom = this.atom();
      items.push(this.quantifier(atom) ?? atom);
    }
    return { type: 'seq', items, start, end: this.pos };
  }

  private quantifier(body: Node): Node | null {
    let min: number;
    let max: number;
    const c = this.peek();
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos));
      if (!m) return null; // Annex B: a lone '{' is a literal
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      this.pos += m[0].length - 1;
    } else return null;
    this.pos++;
    if (this.peek() === '?') this.pos++; // lazy: same backtracking space
    return { type: 'quant', body, min, max, start: body.start, end: this.pos };
  }

  private char(cp: number, start: number): Node {
    const set = this.ignoreCase ? caseClose([cp, cp]) : [cp, cp];
    return { type: 'char', set, literal: cp, start, end: this.pos };
  }

  private set(set: CharSet, start: number): Node {
    return { type: 'char', set: this.ignoreCase ? caseClose(set) : set, literal: null, start, end: this.pos };
  }

  private atom(): Node {
    const start = this.pos;
    const c = this.peek();
    if (c === '^' || c === '$') {
      this.pos++;
      return { type: 'assert', what: c, start, end: this.pos };
    }
    if (c === '.') {
      this.pos++;
      return this.set(this.dotAll ? ANY : complement(LINE_TERMINATORS), start);
    }
    if (c === '(') return this.group();
    if (c === '[') return this.charClass();
    if (c === '\\') return this.escape(false);
    const cp = this.unicode ? this.src.codePointAt(this.pos)! : this.src.charCodeAt(this.pos);
    this.pos += cp > 0xffff ? 2 : 1;
    return this.char(cp, start);
  }

  private group(): Node {
    const start = this.pos;
    this.pos++;
    let kind: GroupKind = 'capture';
    if (this.peek() === '?') {
      const two = this.src.slice(this.pos, this.pos + 3);
      if (two.startsWith('?:')) [kind, this.pos] = ['group', this.pos + 2];
      else if (two.startsWith('?=')) [kind, this.pos] = ['lookahead', this.pos + 2];
      else if (two.startsWith('?!')) [kind, this.pos] = ['negLookahead', this.pos + 2];
      else if (two === '?<=') [kind, this.pos] = ['lookbehind', this.pos + 3];
      else if (two === '?<!') [kind, this.pos] = ['negLookbehind', this.pos + 3];
      else if (two.startsWith('?<')) this.pos = this.src.indexOf('>', this.pos) + 1;
    }
    const body = this.alternation();
    if (this.peek() !== ')') throw new Error('unterminated group');
    this.pos++;
    return { type: 'group', kind, body, start, end: this.pos };
  }

  /** One escape; inside a class `\b` is backspace and class escapes are returned as sets. */
  private escape(inClass: boolean): Node {
    const start = this.pos;
    this.pos++; // backslash
    const c = this.peek();
    this.pos++;
    switch (c) {
      case 'd':
        return this.set(DIGIT, start);
      case 'D':
        return this.set(complement(DIGIT), start);
      case 'w':
        return this.set(WORD, start);
      case 'W':
        return this.set(complement(WORD), start);
      case 's':
        return this.set(SPACE, start);
      case 'S':
        return this.set(complement(SPACE), start);
      case 'b':
        return inClass ? this.char(8, start) : { type: 'assert', what: '\\b', start, end: this.pos };
      case 'B':
        return { type: 'assert', what: '\\B', start, end: this.pos };
      case 'f':
        return this.char(12, start);
      case 'n':
        return this.char(10, start);
      case 'r':
        return this.char(13, start);
      case 't':
        return this.char(9, start);
      case 'v':
        return this.char(11, start);
      case 'c': {
        const l = this.peek();
        if (/[A-Za-z]/.test(l)) {
          this.pos++;
          return this.char(l.charCodeAt(0) % 32, start);
        }
        this.pos--; // Annex B: '\c' is a literal backslash followed by 'c'
        return this.char(92, start);
      }
      case 'x': {
        const m = /^[0-9a-fA-F]{2}/.exec(this.src.slice(this.pos));
        if (m) {
          this.pos += 2;
          return this.char(parseInt(m[0], 16), start);
        }
        return this.char(120, start);
      }
      case 'u': {
        const rest = this.src.slice(this.pos);
        const braced = this.unicode ? /^\{([0-9a-fA-F]+)\}/.exec(rest) : null;
        if (braced) {
          this.pos += braced[0].length;
          return this.char(parseInt(braced[1]!, 16), start);
        }
        const m = /^[0-9a-fA-F]{4}/.exec(rest);
        if (!m) return this.char(117, start);
        this.pos += 4;
        let cp = parseInt(m[0], 16);
        const low = /^\\u([dD][c-fC-F][0-9a-fA-F]{2})/.exec(this.src.slice(this.pos));
        if (this.unicode && cp >= 0xd800 && cp <= 0xdbff && low) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (parseInt(low[1]!, 16) - 0xdc00);
          this.pos += 6;
        }
        return this.char(cp, start);
      }
      case 'p':
      case 'P':
        if (this.unicode && this.peek() === '{') {
          this.pos = this.src.indexOf('}', this.pos) + 1;
          return this.set(ANY, start); // a Unicode property: unknown here, assume anything
        }
        return this.char(c.charCodeAt(0), start);
      case 'k':
        if (this.peek() === '<' && !inClass) {
          this.pos = this.src.indexOf('>', this.pos) + 1;
          return { type: 'backref', start, end: this.pos };
        }
        return this.char(107, start);
      default: {
        if (c >= '0' && c <= '9') {
          const m = /^\d*/.exec(this.src.slice(this.pos))!;
          const n = Number(c + m[0]);
          if (!inClass && c !== '0' && n <= this.captureCount) {
            this.pos += m[0].length;
            return { type: 'backref', start, end: this.pos };
          }
          // Legacy octal / identity escape (Annex B): some character; no need to know which.
          const oct = /^[0-7]{0,2}/.exec(this.src.slice(this.pos))!;
          if (c <= '7') {
            this.pos += oct[0].length;
            return this.char(parseInt(c + oct[0], 8), start);
          }
          return this.char(c.charCodeAt(0), start);
        }
        const cp = this.unicode ? this.src.codePointAt(this.pos - 1)! : c.charCodeAt(0);
        if (cp > 0xffff) this.pos++;
        return this.char(cp, start);
      }
    }
  }

  private classAtom(): { set: CharSet; single: number | null } {
    if (this.peek() === '\\') {
      const n = this.escape(true);
      if (n.type === 'char') return { set: n.set, single: n.literal };
      return { set: EMPTY, single: null };
    }
    const cp = this.unicode ? this.src.codePointAt(this.pos)! : this.src.charCodeAt(this.pos);
    this.pos += cp > 0xffff ? 2 : 1;
    return { set: [cp, cp], single: cp };
  }

  private charClass(): Node {
    const start = this.pos;
    this.pos++;
    let negate = false;
    if (this.peek() === '^') {
      negate = true;
      this.pos++;
    }
    let pairs: number[] = [];
    while (this.pos < this.src.length && this.peek() !== ']') {
      const a = this.classAtom();
      if (this.peek() === '-' && this.src[this.pos + 1] !== ']' && this.pos + 1 < this.src.length) {
        this.pos++;
        const b = this.classAtom();
        if (a.single !== null && b.single !== null) {
          pairs.push(a.single, b.single);
          continue;
        }
        pairs = pairs.concat(a.set, [45, 45], b.set);
        continue;
      }
      pairs = pairs.concat(a.set);
    }
    this.pos++; // ']'
    let set = normalizeSet(pairs);
    if (this.ignoreCase) set = caseClose(set);
    if (negate) set = complement(set);
    return { type: 'char', set, literal: null, start, end: this.pos };
  }
}

function countCaptures(src: string): number {
  let n = 0;
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(' && (src[i + 1] !== '?' || (src[i + 2] === '<' && src[i + 3] !== '=' && src[i + 3] !== '!'))) n++;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Analysis.

const isLookaround = (k: GroupKind) => k !== 'capture' && k !== 'group';

function nullable(n: Node): boolean {
  switch (n.type) {
    case 'char':
      return false;
    case 'seq':
      return n.items.every(nullable);
    case 'alt':
      return n.alts.some(nullable);
    case 'group':
      return isLookaround(n.kind) || nullable(n.body);
    case 'quant':
      return n.min === 0 || nullable(n.body);
    default:
      return true;
  }
}

/** Characters a match of `n` can start with (`fromEnd`: end with). */
function edge(n: Node, fromEnd: boolean): CharSet {
  switch (n.type) {
    case 'char':
      return n.set;
    case 'seq': {
      let out: CharSet = EMPTY;
      const items = fromEnd ? [...n.items].reverse() : n.items;
      for (const item of items) {
        out = union(out, edge(item, fromEnd));
        if (!nullable(item)) break;
      }
      return out;
    }
    case 'alt':
      return n.alts.reduce<CharSet>((acc, a) => union(acc, edge(a, fromEnd)), EMPTY);
    case 'group':
      return isLookaround(n.kind) ? EMPTY : edge(n.body, fromEnd);
    case 'quant':
      return n.max === 0 ? EMPTY : edge(n.body, fromEnd);
    case 'backref':
      return ANY;
    default:
      return EMPTY;
  }
}

/** Every character a match of `n` may consume. */
function allChars(n: Node): CharSet {
  switch (n.type) {
    case 'char':
      return n.set;
    case 'seq':
      return n.items.reduce<CharSet>((acc, x) => union(acc, allChars(x)), EMPTY);
    case 'alt':
      return n.alts.reduce<CharSet>((acc, x) => union(acc, allChars(x)), EMPTY);
    case 'group':
    case 'quant':
      return allChars(n.body);
    default:
      return EMPTY;
  }
}

/** The one string `n` matches (case-folded to lower case under i), or null. */
function literalOf(n: Node, ignoreCase: boolean): string | null {
  switch (n.type) {
    case 'char':
      if (n.literal === null) return null;
      return ignoreCase ? String.fromCodePoint(n.literal).toLowerCase() : String.fromCodePoint(n.literal);
    case 'seq': {
      let s = '';
      for (const item of n.items) {
        const l = literalOf(item, ignoreCase);
        if (l === null) return null;
        s += l;
      }
      return s;
    }
    case 'alt':
      return n.alts.length === 1 ? literalOf(n.alts[0]!, ignoreCase) : null;
    case 'group':
      return isLookaround(n.kind) ? null : literalOf(n.body, ignoreCase);
    case 'quant': {
      if (n.min !== n.max || n.min > 64) return null;
      const l = literalOf(n.body, ignoreCase);
      return l === null ? null : l.repeat(n.min);
    }
    default:
      return null;
  }
}

/** Sardinas–Patterson: can a concatenation of these words be split in two different ways? */
function isUniquelyDecodable(words: readonly string[]): boolean {
  const code = new Set(words);
  if (code.size !== words.length || code.has('')) return false;
  const danglingOf = (xs: Iterable<string>, ys: Iterable<string>): Set<string> => {
    const out = new Set<string>();
    for (const x of xs) for (const y of ys) if (x !== y && y.startsWith(x)) out.add(y.slice(x.length));
    return out;
  };
  let current = danglingOf(code, code);
  const seen = new Set<string>();
  while (current.size > 0) {
    for (const s of current) if (code.has(s)) return false;
    const next = new Set<string>();
    for (const s of [...danglingOf(code, current), ...danglingOf(current, code)]) {
      if (!seen.has(s)) {
        seen.add(s);
        next.add(s);
      }
    }
    current = next;
  }
  return true;
}

interface Inner {
  node: Node;
  /** Everything after it inside the repeated body can match empty. */
  tailNullable: boolean;
  /** Everything before it inside the repeated body can match empty. */
  headNullable: boolean;
}

/** Quantifiers and alternations inside a repeated body, with their position flags. */
function innerParts(n: Node, tailNullable: boolean, headNullable: boolean, out: Inner[]): Inner[] {
  switch (n.type) {
    case 'seq':
      n.items.forEach((item, i) => {
        const tail = tailNullable && n.items.slice(i + 1).every(nullable);
        const head = headNullable && n.items.slice(0, i).every(nullable);
        innerParts(item, tail, head, out);
      });
      break;
    case 'alt':
      out.push({ node: n, tailNullable, headNullable });
      for (const a of n.alts) innerParts(a, tailNullable, headNullable, out);
      break;
    case 'group':
      // Lookarounds are atomic in JS: no backtracking into them from the repetition outside.
      if (!isLookaround(n.kind)) innerParts(n.body, tailNullable, headNullable, out);
      break;
    case 'quant':
      out.push({ node: n, tailNullable, headNullable });
      innerParts(n.body, tailNullable, headNullable, out);
      break;
  }
  return out;
}

function walk(n: Node, visit: (n: Node) => void): void {
  visit(n);
  if (n.type === 'seq') n.items.forEach((x) => walk(x, visit));
  else if (n.type === 'alt') n.alts.forEach((x) => walk(x, visit));
  else if (n.type === 'group' || n.type === 'quant') walk(n.body, visit);
}

/** Why the pattern's shape can backtrack exponentially, or null. */
function exponentialShape(root: Node, src: string, ignoreCase: boolean): string | null {
  let reason: string | null = null;
  walk(root, (q) => {
    if (reason !== null || q.type !== 'quant' || q.max < 2) return;
    const text = src.slice(q.start, q.end);
    const body = q.body;
    const first = edge(body, false);
    const last = edge(body, true);
    for (const inner of innerParts(body, true, true, [])) {
      const n = inner.node;
      if (n.type === 'quant' && n.max > n.min && (q.max === Infinity || (q.max >= 10 && n.max === Infinity))) {
        if (
          (inner.tailNullable && intersects(first, edge(n.body, false))) ||
          (inner.headNullable && intersects(last, edge(n.body, true)))
        ) {
          reason = `pattern may take exponential time (nested quantifier '${text}'): the inner '${src.slice(n.start, n.end)}' and the outer repetition can split the same characters in many ways; make the inner part match one way only (e.g. '(a+)+' → 'a+')`;
          return;
        }
      }
      if (n.type === 'alt' && (q.max === Infinity || q.max >= 10)) {
        const boundary = inner.tailNullable && inner.headNullable;
        const literals = n.alts.map((a) => literalOf(a, ignoreCase));
        let ambiguous: boolean;
        if (literals.every((l): l is string => l !== null)) {
          ambiguous = boundary ? !isUniquelyDecodable(literals) : new Set(literals).size !== literals.length;
        } else {
          ambiguous = false;
          for (let i = 0; i < n.alts.length && !ambiguous; i++) {
            for (let j = i + 1; j < n.alts.length && !ambiguous; j++) {
              const a = n.alts[i]!;
              const b = n.alts[j]!;
              const firstOverlap = intersects(edge(a, false), edge(b, false)) || (nullable(a) && nullable(b));
              ambiguous = firstOverlap && (boundary || intersects(edge(a, true), edge(b, true)));
            }
          }
        }
        if (ambiguous) {
          reason = `pattern may take exponential time (alternatives in '${src.slice(n.start, n.end)}' can match the same text, repeated by '${text}'); make the alternatives exclude each other (e.g. '(a|aa)*' → 'a*')`;
          return;
        }
      }
    }
  });
  return reason;
}

/** Length of the one string length `n` matches with no choice points, or -1. */
function fixedChoiceFreeLength(n: Node): number {
  switch (n.type) {
    case 'char':
      return 1;
    case 'assert':
      return 0;
    case 'seq': {
      let total = 0;
      for (const item of n.items) {
        const l = fixedChoiceFreeLength(item);
        if (l < 0) return -1;
        total += l;
      }
      return total;
    }
    case 'alt':
      return n.alts.length === 1 ? fixedChoiceFreeLength(n.alts[0]!) : -1;
    case 'group':
      return isLookaround(n.kind) ? -1 : fixedChoiceFreeLength(n.body);
    case 'quant': {
      if (n.min !== n.max) return -1;
      const l = fixedChoiceFreeLength(n.body);
      return l < 0 ? -1 : l * n.min;
    }
    default:
      return -1;
  }
}

/** Most characters one match of `n` can consume (Infinity when unbounded). */
function maxConsumed(n: Node): number {
  switch (n.type) {
    case 'char':
      return 1;
    case 'seq':
      return n.items.reduce((acc, x) => acc + maxConsumed(x), 0);
    case 'alt':
      return n.alts.reduce((acc, x) => Math.max(acc, maxConsumed(x)), 0);
    case 'group':
      return isLookaround(n.kind) ? 0 : maxConsumed(n.body);
    case 'quant':
      return n.max === 0 ? 0 : n.max * maxConsumed(n.body);
    case 'assert':
      return 0;
    default:
      return Infinity;
  }
}

/**
 * Longest input length for which a backtracking run provably stays under DIRECT_STEP_BUDGET
 * steps, or -1 if the pattern is outside the class where the bound holds.
 *
 * The class: no backreferences, no lookarounds, and every repetition (max > 1) repeats a piece
 * of fixed length with no choice inside. Then each path through the pattern visits every choice
 * point at most once, so paths per start position ≤ Π over loops (iteration counts that fit in n)
 * × Π over '?' (2) × Π over alternations (number of alternatives), each path costing at most
 * nodes + 2·min(n, most characters a match consumes) steps, times the number of start positions
 * (1 when anchored with '^').
 */
function directLengthBound(root: Node, multiline: boolean): number {
  const loops: Array<{ min: number; max: number; len: number }> = [];
  let choices = 1;
  let nodes = 0;
  let eligible = true;
  walk(root, (n) => {
    nodes++;
    if (n.type === 'backref' || (n.type === 'group' && isLookaround(n.kind))) eligible = false;
    if (n.type === 'alt') choices *= n.alts.length;
    if (n.type === 'quant') {
      if (n.max > 1) {
        const len = fixedChoiceFreeLength(n.body);
        if (len <= 0) eligible = false;
        else if (n.max > n.min) loops.push({ min: n.min, max: n.max, len });
      } else if (n.max > n.min) choices *= 2;
    }
  });
  if (!eligible) return -1;
  const anchored =
    !multiline &&
    (root.type === 'seq' ? root.items[0]?.type === 'assert' && root.items[0].what === '^' : false);
  const consumed = maxConsumed(root);
  const steps = (len: number): number => {
    let paths = choices;
    for (const l of loops) paths *= Math.max(1, Math.min(l.max, Math.floor(len / l.len)) - l.min + 1);
    return (anchored ? 1 : len + 1) * paths * (nodes + 2 * Math.min(len, consumed));
  };
  if (steps(0) > DIRECT_STEP_BUDGET) return -1;
  let lo = 0;
  let hi = MAX_INPUT_LENGTH;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (steps(mid) <= DIRECT_STEP_BUDGET) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Characters whose case never changes (safe for a case-insensitive `includes` shortcut). */
function caseless(cp: number): boolean {
  if (cp < 128) return !((cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122));
  return (
    (cp >= 0x3000 && cp <= 0x9fff) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xff01 && cp <= 0xff20) ||
    (cp >= 0xff3b && cp <= 0xff40) ||
    (cp >= 0xff5b && cp <= 0xffef) ||
    (cp >= 0x1f000 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3134f)
  );
}

/**
 * Strings of which any text matching `root` must contain at least one ('退' for '退(货|款)',
 * ['退货', '退款'] for '(退货|退款)+'), or null. Sound, not complete: when unsure, no shortcut.
 */
function requiredLiterals(root: Node, ignoreCase: boolean): string[] | null {
  const usable = (cp: number) => !ignoreCase || caseless(cp);
  // Rank: the shortest alternative decides how selective a requirement is; fewer alternatives win ties.
  const better = (a: string[] | null, b: string[] | null): string[] | null => {
    if (a === null) return b;
    if (b === null) return a;
    const la = Math.min(...a.map((x) => x.length));
    const lb = Math.min(...b.map((x) => x.length));
    return lb > la || (lb === la && b.length < a.length) ? b : a;
  };
  const visit = (n: Node): string[] | null => {
    switch (n.type) {
      case 'seq': {
        let best: string[] | null = null;
        let run = '';
        for (const item of n.items) {
          if (item.type === 'char' && item.literal !== null && usable(item.literal)) {
            run += String.fromCodePoint(item.literal);
            continue;
          }
          if (item.type === 'assert') continue; // consumes nothing: the run goes on
          if (run) best = better(best, [run]);
          run = '';
          best = better(best, visit(item));
        }
        return run ? better(best, [run]) : best;
      }
      case 'alt': {
        const any: string[] = [];
        for (const a of n.alts) {
          const r = visit(a);
          if (r === null) return null; // one alternative needs nothing: no requirement
          any.push(...r);
        }
        return any.length <= 16 ? [...new Set(any)] : null;
      }
      case 'group':
        return n.kind === 'capture' || n.kind === 'group' || n.kind === 'lookahead' || n.kind === 'lookbehind' ? visit(n.body) : null;
      case 'quant':
        return n.min >= 1 ? visit(n.body) : null;
      case 'char':
        return n.literal !== null && usable(n.literal) ? [String.fromCodePoint(n.literal)] : null;
      default:
        return null;
    }
  };
  return visit(root);
}

/** Shortest-ish string matching `n` (good enough to build probes). */
function witness(n: Node, pool: readonly number[]): string {
  switch (n.type) {
    case 'char':
      return String.fromCodePoint(representative(n.set, pool));
    case 'seq':
      return n.items.map((x) => witness(x, pool)).join('');
    case 'alt':
      return witness(n.alts[0]!, pool);
    case 'group':
      return isLookaround(n.kind) ? '' : witness(n.body, pool);
    case 'quant':
      return witness(n.body, pool).repeat(Math.min(n.min, 64));
    default:
      return '';
  }
}

function representative(set: CharSet, pool: readonly number[]): number {
  for (const c of pool) if (contains(set, c)) return c;
  for (const c of [97, 48, 32, 0x9000]) if (contains(set, c)) return c;
  const lo = set[0] ?? 97;
  return lo >= 0xd800 && lo <= 0xdfff ? 0x9000 : lo;
}

/** Adversarial inputs built from the pattern's own characters. */
function probes(root: Node): string[] {
  const pool: number[] = [];
  walk(root, (n) => {
    if (n.type === 'char' && n.literal !== null && !pool.includes(n.literal) && pool.length < 8) pool.push(n.literal);
  });
  const used = allChars(root);
  const badCandidates = [33, 0, 35, 126, 10, 90, 0xfffd, 0x7a7a];
  const bad = badCandidates.filter((c) => !contains(used, c)).slice(0, 2).map((c) => String.fromCodePoint(c));
  if (bad.length === 0) bad.push('!');
  bad.push('');
  const pumps = new Set<string>();
  walk(root, (n) => {
    if (n.type === 'quant' && n.max > 1) {
      pumps.add(witness(n.body, pool) || String.fromCodePoint(representative(edge(n.body, false), pool)));
      pumps.add(String.fromCodePoint(representative(edge(n.body, false), pool)));
    }
  });
  for (const c of pool) pumps.add(String.fromCodePoint(c));
  const prefix = literalPrefix(root);
  const pumped = (pump: string, length: number) => pump.repeat(Math.max(1, Math.floor(length / pump.length)));
  // Most telling first: short pumps (exponential blow-up shows at 48 characters), then long ones
  // (cubic or worse at 1,024), then the variants with the literal prefix / other endings.
  const out: string[] = [];
  for (const variant of [0, 1, 2]) {
    for (const length of [48, LONG_PROBE_LENGTH]) {
      for (const pump of pumps) {
        if (!pump) continue;
        const body = pumped(pump, length);
        if (variant === 0) out.push(body + bad[0]);
        else if (variant === 1 && prefix) out.push(prefix + body + bad[0]);
        else if (variant === 2) for (const b of bad.slice(1)) out.push(body + b);
      }
    }
  }
  return [...new Set(out)].slice(0, 40);
}

function literalPrefix(root: Node): string {
  const items = root.type === 'seq' ? root.items : [root];
  let s = '';
  for (const item of items) {
    if (item.type === 'assert') continue;
    if (item.type === 'char' && item.literal !== null) s += String.fromCodePoint(item.literal);
    else break;
  }
  return s;
}

// ---------------------------------------------------------------------------------------------

const cache = new Map<string, CompileResult>();
const TOO_SLOW = 'pattern is too slow';
const CACHE_LIMIT = 500;

/**
 * Validates and compiles a user's regex rule (see the module comment for what is rejected and
 * why). Results are cached per (pattern, flags, limits): rule sets are rebuilt often.
 */
export function compileUserRegex(pattern: string, flags = '', options: SafeRegexOptions = {}): CompileResult {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const probeTimeoutMs = options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const key = `${flags}\u0000${timeoutMs}\u0000${probeTimeoutMs}\u0000${pattern}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const result = compileUncached(pattern, flags, timeoutMs, probeTimeoutMs);
  // A "too slow" verdict depends on machine load at that moment: decide it again next time.
  if (result.ok || !result.error.startsWith(TOO_SLOW)) {
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(key, result);
  }
  return result;
}

function compileUncached(pattern: string, flags: string, timeoutMs: number, probeTimeoutMs: number): CompileResult {
  if (pattern.length === 0) return { ok: false, error: 'pattern is empty (it would match every message)' };
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return { ok: false, error: `pattern is ${pattern.length} characters long; the limit is ${MAX_PATTERN_LENGTH}. Split it into several rules or use keyword lists` };
  }
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i]!;
    if (!ALLOWED_FLAGS.includes(f)) {
      return { ok: false, error: `flag "${f}" is not allowed; use only i (ignore case), m (multi-line), s (dot matches newline) and u (Unicode)` };
    }
    if (flags.indexOf(f) !== i) return { ok: false, error: `flag "${f}" is given twice` };
  }
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, flags);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // V8: "Invalid regular expression: /(a/u: Unterminated group" → keep the reason.
    const reason = message.slice(message.lastIndexOf(': ') + 2) || message;
    return { ok: false, error: `invalid syntax: ${reason}` };
  }
  const unicode = flags.includes('u');
  const ignoreCase = flags.includes('i');
  let root: Node | null = null;
  try {
    root = new Parser(pattern, unicode, ignoreCase, flags.includes('s')).parse();
  } catch {
    root = null; // our parser does not know this construct: rely on the probes and the vm guard
  }
  if (root !== null) {
    const shape = exponentialShape(root, pattern, ignoreCase);
    if (shape !== null) return { ok: false, error: shape };
  }
  const probeInputs = root !== null ? probes(root) : fallbackProbes(pattern);
  for (const input of probeInputs) {
    const t0 = performance.now();
    const r = testWithTimeLimit(regex, input, probeTimeoutMs);
    if (r === 'timeout' || performance.now() - t0 > probeTimeoutMs) {
      const preview = input.length > 12 ? `${input.slice(0, 8)}…${JSON.stringify(input.slice(-1)).slice(1, -1)}` : input;
      return {
        ok: false,
        error: `${TOO_SLOW}: checking a ${input.length}-character message like "${preview}" took over ${probeTimeoutMs} ms (catastrophic backtracking); simplify it, e.g. avoid several '.*' or '+' next to each other that can match the same characters`,
      };
    }
  }
  const analysis =
    root !== null
      ? { directMaxLength: directLengthBound(root, flags.includes('m')), requiredLiterals: requiredLiterals(root, ignoreCase) }
      : { directMaxLength: -1, requiredLiterals: null };
  return { ok: true, regex: new SafeRegex(regex, timeoutMs, analysis) };
}

function fallbackProbes(pattern: string): string[] {
  const chars = [...new Set(pattern.replace(/[\\^$.*+?()[\]{}|]/g, ''))].slice(0, 6);
  if (chars.length === 0) chars.push('a');
  return chars.flatMap((c) => [c.repeat(48) + '!', c.repeat(LONG_PROBE_LENGTH) + '!']);
}
