/**
 * Keyword matching benchmark: WeReply's KeywordIndex against mint-filter (an Aho–Corasick
 * library) and a single RegExp alternation, measured in the same process on the same inputs.
 *
 * Task, identical for every implementation: for each message, find the dictionary words present.
 * Inputs: `makeDictionary(2300)` and `makeMessages(n)` from ./corpus.ts. Messages are normalised
 * once up front (`normalizeText`, as the pipeline does once per message for all rules), so the
 * timed rows compare matching only; one extra row times KeywordIndex *with* normalisation included,
 * still against mint-filter on pre-normalised text (mint lower-cases internally on its own).
 *
 * Each implementation is warmed up, then rounds are interleaved (A B C, A B C, …) so machine noise
 * hits all alike; the median round is reported. Before timing, every implementation's word sets are
 * compared with a brute-force `includes` reference on a sample, and differences are printed.
 *
 * Run: `npx tsc -p tsconfig.build.json && node dist/bench/keyword-matching.js [messages]`
 */
import { Mint } from 'mint-filter';
import { pathToFileURL } from 'node:url';
import { KeywordIndex } from '../src/rules/keyword-index.js';
import { normalizeText } from '../src/rules/normalize.js';
import { compileUserRegex, testWithTimeLimit } from '../src/rules/safe-regex.js';
import { makeDictionary, makeMessages } from './corpus.js';

export interface KeywordBenchRow {
  impl: string;
  /** Median over rounds of message characters (UTF-16 code units) processed per second. */
  charsPerSec: number;
  ratioToMintFilter: number;
  /** Share of sample messages where the found word set equals the brute-force reference. */
  agreement: number;
}

export interface KeywordBenchResult {
  name: string;
  results: KeywordBenchRow[];
  /** Target ratio of KeywordIndex to mint-filter. */
  target: number;
  messages: number;
  chars: number;
  dictionary: number;
  /** KeywordIndex build time and size, for the record. */
  index: { buildMs: number; states: number; memoryBytes: number };
  /** Cost per call of regex rules (µs) on the same messages: plain RegExp, the vm guard, SafeRegex. */
  regexOverhead: Array<{ what: string; microsPerCall: number }>;
  warnings: string[];
}

interface Impl {
  impl: string;
  /** The timed call; returns something derived from the result so it cannot be optimised away. */
  run: (text: string) => number;
  /** Found words as a set of strings (verification only, untimed). */
  words: (text: string) => Set<string>;
  /** Timed on raw (not pre-normalised) messages. */
  raw?: boolean;
}

const TARGET_RATIO = 5;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function runKeywordMatchingBench(opts: { messages?: number; rounds?: number; log?: (line: string) => void } = {}): Promise<KeywordBenchResult> {
  const log = opts.log ?? (() => {});
  const dictionary = makeDictionary(2300);
  // Flat strings, as the pipeline gets them from JSON.parse of a sync_msg page: makeMessages builds
  // them with `+=` (V8 cons strings, which every charCodeAt pays an extra indirection for).
  const raw = JSON.parse(JSON.stringify(makeMessages(opts.messages ?? 100_000, 7, dictionary))) as string[];
  const normalized = raw.map(normalizeText);
  const chars = normalized.reduce((n, m) => n + m.length, 0);
  const rawChars = raw.reduce((n, m) => n + m.length, 0);

  const t0 = performance.now();
  const index = KeywordIndex.build(dictionary);
  const buildMs = performance.now() - t0;
  const mint = new Mint(dictionary);
  const alternation = new RegExp([...dictionary].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g');

  const impls: Impl[] = [
    {
      impl: 'WeReply KeywordIndex',
      run: (t) => index.matchedKeywords(t).length,
      words: (t) => new Set(index.matchedKeywords(t).map((i) => dictionary[i]!)),
    },
    {
      impl: 'mint-filter 4 (filter, replace:false)',
      run: (t) => mint.filter(t, { replace: false }).words.length,
      words: (t) => new Set(mint.filter(t, { replace: false }).words),
    },
    {
      impl: 'RegExp alternation (global match)',
      run: (t) => t.match(alternation)?.length ?? 0,
      words: (t) => new Set(t.match(alternation) ?? []),
    },
    {
      impl: 'WeReply normalizeText + KeywordIndex',
      run: (t) => index.matchedKeywords(normalizeText(t)).length,
      words: (t) => new Set(index.matchedKeywords(normalizeText(t)).map((i) => dictionary[i]!)),
      raw: true,
    },
    {
      impl: 'WeReply KeywordIndex.matchedKeywordsNormalizing (fused)',
      run: (t) => index.matchedKeywordsNormalizing(t).length,
      words: (t) => new Set(index.matchedKeywordsNormalizing(t).map((i) => dictionary[i]!)),
      raw: true,
    },
    {
      impl: 'WeReply normalizeText alone',
      run: (t) => normalizeText(t).length,
      words: (t) => new Set(dictionary.filter((w) => normalizeText(t).includes(w))),
      raw: true,
    },
  ];

  // Honesty check: same answers as brute force on a sample?
  const warnings: string[] = [];
  const sample = Math.min(3000, raw.length);
  const agreement = new Map<string, number>();
  for (const impl of impls) {
    let same = 0;
    let example = '';
    for (let i = 0; i < sample; i++) {
      const text = normalized[i]!;
      const expected = new Set(dictionary.filter((w) => text.includes(w)));
      const got = impl.words(impl.raw ? raw[i]! : text);
      const equal = got.size === expected.size && [...got].every((w) => expected.has(w));
      if (equal) same++;
      else if (!example) {
        const missing = [...expected].filter((w) => !got.has(w));
        const extra = [...got].filter((w) => !expected.has(w));
        example = `${JSON.stringify(text)}: missing ${JSON.stringify(missing)}${extra.length ? `, extra ${JSON.stringify(extra)}` : ''}`;
      }
    }
    agreement.set(impl.impl, same / sample);
    if (same !== sample) {
      warnings.push(`${impl.impl} disagrees with brute force on ${sample - same}/${sample} sample messages, e.g. ${example}`);
    }
  }

  const rounds = opts.rounds ?? 9;
  const rates = new Map<string, number[]>(impls.map((i) => [i.impl, []]));
  const timeOnce = (impl: Impl): number => {
    const input = impl.raw ? raw : normalized;
    const start = performance.now();
    let sink = 0;
    for (let i = 0; i < input.length; i++) sink += impl.run(input[i]!);
    const ms = performance.now() - start;
    if (sink < 0) log('impossible');
    return ((impl.raw ? rawChars : chars) / ms) * 1000;
  };
  for (const impl of impls) for (let w = 0; w < 2; w++) timeOnce(impl); // warm-up (JIT, caches)
  for (let r = 0; r < rounds; r++) for (const impl of impls) rates.get(impl.impl)!.push(timeOnce(impl));

  const regexOverhead = measureRegexOverhead(normalized.slice(0, 20_000));

  const mintRate = median(rates.get(impls[1]!.impl)!);
  const results = impls.map((impl) => {
    const charsPerSec = median(rates.get(impl.impl)!);
    return { impl: impl.impl, charsPerSec, ratioToMintFilter: charsPerSec / mintRate, agreement: agreement.get(impl.impl)! };
  });
  return {
    name: 'keyword-matching',
    results,
    target: TARGET_RATIO,
    messages: raw.length,
    chars,
    dictionary: dictionary.length,
    index: { buildMs, states: index.stateCount, memoryBytes: index.memoryBytes },
    regexOverhead,
    warnings,
  };
}

/** µs per call over `messages`, cycling; one warm-up pass over a few hundred first. */
function microsPerCall(messages: readonly string[], calls: number, f: (text: string) => unknown): number {
  for (let i = 0; i < Math.min(300, calls); i++) f(messages[i % messages.length]!);
  const start = performance.now();
  for (let i = 0; i < calls; i++) f(messages[i % messages.length]!);
  return ((performance.now() - start) / calls) * 1000;
}

/**
 * What the regex time limit costs: a plain RegExp.test, the same call inside the vm guard
 * (what every call would cost if all went through it), and SafeRegex.test, which runs directly
 * when its step bound allows, skips when no required literal is present, and otherwise uses the vm.
 */
function measureRegexOverhead(messages: readonly string[]): Array<{ what: string; microsPerCall: number }> {
  const out: Array<{ what: string; microsPerCall: number }> = [];
  const plain = /退(货|款)/iu;
  out.push({ what: 'RegExp.test /退(货|款)/iu (no limit)', microsPerCall: microsPerCall(messages, 200_000, (t) => plain.test(t)) });
  out.push({ what: 'vm guard with timeout, same regex', microsPerCall: microsPerCall(messages, 2_000, (t) => testWithTimeLimit(plain, t, 20)) });
  for (const pattern of ['退(货|款)', '^\\d{11}$', '订单.{0,4}\\d{6,}', '(退货|退款)+']) {
    const compiled = compileUserRegex(pattern, 'iu');
    if (!compiled.ok) continue;
    const re = compiled.regex;
    let skipped = 0;
    let direct = 0;
    for (const m of messages) {
      if (re.requiredLiterals !== null && !re.requiredLiterals.some((l) => m.includes(l))) skipped++;
      else if (m.length <= re.directMaxLength) direct++;
    }
    const share = (x: number) => `${Math.round((x / messages.length) * 100)}%`;
    out.push({
      what: `SafeRegex.test /${pattern}/iu (skip ${share(skipped)}, direct ${share(direct)}, vm ${share(messages.length - skipped - direct)})`,
      microsPerCall: microsPerCall(messages, 20_000, (t) => re.test(t)),
    });
  }
  return out;
}

function printTable(r: KeywordBenchResult): void {
  console.log(
    `keyword matching: ${r.dictionary} dictionary words, ${r.messages.toLocaleString('en')} messages, ` +
      `${r.chars.toLocaleString('en')} chars (normalised); KeywordIndex: ${r.index.states} states, ` +
      `${(r.index.memoryBytes / 1048576).toFixed(1)} MiB, built in ${r.index.buildMs.toFixed(1)} ms`,
  );
  const rows = r.results.map((x) => [
    x.impl,
    `${(x.charsPerSec / 1e6).toFixed(1)} M`,
    `${x.ratioToMintFilter.toFixed(2)}x`,
    `${(x.agreement * 100).toFixed(1)}%`,
  ]);
  const head = ['implementation', 'chars/s', 'vs mint-filter', 'agrees w/ brute force'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
  console.log('regex rules, cost per call on the same messages:');
  for (const x of r.regexOverhead) console.log(`  ${x.what.padEnd(72)} ${x.microsPerCall.toFixed(3).padStart(9)} µs`);
  const ours = r.results[0]!;
  console.log(`target: KeywordIndex ≥${r.target}x mint-filter → ${ours.ratioToMintFilter >= r.target ? 'met' : 'NOT met'} (${ours.ratioToMintFilter.toFixed(2)}x)`);
  for (const w of r.warnings) console.log(`WARNING: ${w}`);
  if (r.warnings.length) {
    console.log(
      'note: mint-filter reports a word only when its automaton state itself is a word end (no dictionary-suffix links), so a word ' +
        'ending inside a longer partial match is missed; the RegExp alternation finds leftmost non-overlapping matches only. ' +
        'Both therefore do slightly less work than a complete matcher.',
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = process.argv[2] ? Number(process.argv[2]) : undefined;
  printTable(await runKeywordMatchingBench({ messages: n }));
}
