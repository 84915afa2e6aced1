/**
 * Runs the benchmarks — (a) keyword matching, (b) callback ingest, (c) reply latency, (d) routing
 * decisions, (e) compliance scan, (f) reply latency under load — prints every figure with its
 * same-run baseline ratio, goal and verdict, and writes everything to bench/results/latest.json
 * (git-ignored; the README cites the numbers).
 *
 *   npm run bench                          every benchmark once
 *   npm run bench -- --repeat 5            every benchmark 5 times: min / median / max per figure,
 *                                          goals judged on the median; the JSON keeps every run
 *   npm run bench -- --only c,f            only these benchmarks (letters or names: keyword, ingest,
 *                                          latency, routing, compliance, load)
 *
 * (f) compares WeReply beside two busy-loop processes with the quiet (c) figures of the same
 * repetition; run alone, it measures the quiet case itself first.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { aggregateFigures, type AggregatedFigure, type Figure } from './aggregate.js';
import { parseBenchArgs as parseArgs, type BenchArgs } from './args.js';
import { runCallbackIngestBench, type IngestReport } from './callback-ingest.js';
import { printComplianceTable, runComplianceScanBench, type ComplianceBenchResult } from './compliance-scan.js';
import { runKeywordMatchingBench, type KeywordBenchResult } from './keyword-matching.js';
import { fmt, isMain, otherCpuCores, printTable, repoRoot } from './lib.js';
import { runReplyLatencyBench, runReplyLatencyUnderLoad, type ReplyLatencyLoadReport, type ReplyLatencyReport } from './reply-latency.js';
import { runRoutingBench, sanityLine, type RoutingBenchResult } from './routing.js';

/** The commit measured, and whether src/, tools/ or bench/ had uncommitted changes (taken when the run starts). */
function gitState(root: string): { commit: string | null; uncommittedChanges: boolean | null } {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    return { commit: git('rev-parse', '--short', 'HEAD'), uncommittedChanges: git('status', '--porcelain', '--', 'src', 'tools', 'bench').length > 0 };
  } catch {
    return { commit: null, uncommittedChanges: null };
  }
}

/** What one repetition produced, by benchmark letter. */
interface RunResults {
  a?: KeywordBenchResult;
  b?: IngestReport;
  c?: ReplyLatencyReport;
  d?: RoutingBenchResult;
  e?: ComplianceBenchResult;
  f?: ReplyLatencyLoadReport;
}

type Letter = keyof RunResults;

/** `--repeat N` and `--only …` against this file's benchmarks (see args.ts). */
export function parseBenchArgs(argv: readonly string[]): BenchArgs<Letter> {
  return parseArgs(argv, BENCHES);
}

interface Bench {
  letter: Letter;
  /** Accepted by --only besides the letter. */
  name: string;
  title: string;
  run(log: (line: string) => void, sameRun: RunResults): Promise<unknown>;
}

const BENCHES: Bench[] = [
  {
    letter: 'a',
    name: 'keyword',
    title: 'keyword matching: KeywordIndex vs mint-filter on the same messages',
    run: (log) => runKeywordMatchingBench({ log: (line) => log(`   ${line}`) }),
  },
  { letter: 'b', name: 'ingest', title: 'callback ingest', run: (log) => runCallbackIngestBench({ log }) },
  { letter: 'c', name: 'latency', title: 'reply latency', run: (log) => runReplyLatencyBench({ log }) },
  {
    letter: 'd',
    name: 'routing',
    title: 'routing: routeConversation vs RuleSet.decide (keyword rules) on the same texts',
    run: async (log) => {
      const r = await runRoutingBench({ log: (line) => log(`   ${line}`) });
      log(`   sanity: ${sanityLine(r)}`);
      return r;
    },
  },
  {
    letter: 'e',
    name: 'compliance',
    title: 'compliance scan: RiskScanner (full shipped library) vs mint-filter on the same words and messages',
    run: async (log) => {
      const r = await runComplianceScanBench({ log: (line) => log(`   ${line}`) });
      printComplianceTable(r, (line) => log(`   ${line}`));
      return r;
    },
  },
  { letter: 'f', name: 'load', title: 'reply latency under load', run: (log, sameRun) => runReplyLatencyUnderLoad({ log }, sameRun.c) },
];

// ---------------------------------------------------------------------------------- figures

/** Every figure of one repetition, with goals; absolute rates and latencies are flagged as load-dependent. */
export function figuresOf(r: RunResults): Figure[] {
  const out: Figure[] = [];
  const add = (f: Figure) => out.push(f);
  if (r.a) {
    const B = '(a) keyword matching';
    for (const row of r.a.results) {
      const ours = row.impl === 'WeReply KeywordIndex';
      // Issue 12, point 3: matching with normalisation on, ≥ 50 M chars/s and ≥ 5× mint-filter without it.
      const withNorm = row.impl.startsWith('WeReply normalizeText + KeywordIndex') || row.impl.startsWith('WeReply KeywordIndex.matchedKeywordsNormalizing');
      add({ id: `a.${row.impl}.rate`, benchmark: B, label: row.impl, unit: 'chars/s', value: row.charsPerSec, dependsOnLoad: true, ...(withNorm ? { goal: { op: '>=', value: 50e6 } } : {}) });
      if (row.impl.startsWith('mint-filter') || row.impl.endsWith(' alone')) continue;
      add({
        id: `a.${row.impl}.ratio`,
        benchmark: B,
        label: `${row.impl} ÷ mint-filter`,
        unit: 'x',
        value: row.ratioToMintFilter,
        dependsOnLoad: false,
        ...(ours || withNorm ? { goal: { op: '>=', value: r.a.target } } : {}),
      });
    }
  }
  if (r.b) {
    const B = '(b) callback ingest';
    for (const x of r.b.results) {
      add({ id: `b.${x.sync}.rps`, benchmark: B, label: `WeReply req/s, sync=${x.sync}`, unit: 'req/s', value: x.wereply.rps, dependsOnLoad: true });
      add({ id: `b.${x.sync}.base`, benchmark: B, label: `insert-only Fastify req/s, sync=${x.sync}`, unit: 'req/s', value: x.baseline.rps, dependsOnLoad: true });
      add({ id: `b.${x.sync}.ratio`, benchmark: B, label: `WeReply ÷ insert-only Fastify, sync=${x.sync}`, unit: 'x', value: x.ratio, goal: { op: '>=', value: x.target }, dependsOnLoad: false });
    }
  }
  if (r.c) {
    const B = '(c) reply latency';
    for (const x of r.c.results) {
      const who = x.sync === null ? 'no-DB receiver' : `WeReply sync=${x.sync}`;
      add({ id: `c.${x.impl}.p50`, benchmark: B, label: `${who} p50`, unit: 'ms', value: x.latencyMs.p50, dependsOnLoad: true });
      add({ id: `c.${x.impl}.p99`, benchmark: B, label: `${who} p99`, unit: 'ms', value: x.latencyMs.p99, dependsOnLoad: true, ...(x.sync ? { goal: { op: '<=', value: x.targetP99Ms } } : {}) });
      add({ id: `c.${x.impl}.max`, benchmark: B, label: `${who} max`, unit: 'ms', value: x.latencyMs.max, dependsOnLoad: true });
      add({ id: `c.${x.impl}.cold99`, benchmark: B, label: `${who} cold start (first 2 s) p99`, unit: 'ms', value: x.coldStartMs.p99, dependsOnLoad: true });
      add({ id: `c.${x.impl}.missing`, benchmark: B, label: `${who} missing replies`, unit: 'replies', value: x.missing, goal: { op: '<=', value: 0 }, dependsOnLoad: false });
      if (x.ratioP99 !== null) {
        add({ id: `c.${x.impl}.ratio99`, benchmark: B, label: `${who} p99 ÷ no-DB receiver p99`, unit: 'x', value: x.ratioP99, goal: { op: '<=', value: x.targetRatioP99 }, dependsOnLoad: true });
      }
      if (x.stagesMs) {
        for (const [stage, label] of [
          ['pull', 'injected→stored'],
          ['outboxWait', 'stored→claimed'],
          ['send', 'claimed→sent'],
        ] as const) {
          add({ id: `c.${x.impl}.${stage}.p50`, benchmark: B, label: `${who} stage ${label} p50`, unit: 'ms', value: x.stagesMs[stage].p50, dependsOnLoad: true });
          add({ id: `c.${x.impl}.${stage}.p99`, benchmark: B, label: `${who} stage ${label} p99`, unit: 'ms', value: x.stagesMs[stage].p99, dependsOnLoad: true });
        }
      }
    }
  }
  if (r.d) {
    const B = '(d) routing';
    const [route, rule] = r.d.results;
    add({ id: 'd.route', benchmark: B, label: `routeConversation decisions/s (${r.d.config.servicers} servicers, ${r.d.config.treeNodes} nodes)`, unit: '/s', value: route?.decisionsPerSec ?? Number.NaN, dependsOnLoad: true });
    add({ id: 'd.rule', benchmark: B, label: 'RuleSet.decide decisions/s', unit: '/s', value: rule?.decisionsPerSec ?? Number.NaN, dependsOnLoad: true });
    add({ id: 'd.ratio', benchmark: B, label: 'routing ÷ keyword decision', unit: 'x', value: r.d.ratio, dependsOnLoad: false });
  }
  if (r.e) {
    const B = '(e) compliance scan';
    for (const s of r.e.sets) {
      add({ id: `e.${s.set}.rate`, benchmark: B, label: `RiskScanner msg/s, ${s.set}`, unit: 'msg/s', value: s.wereply.messagesPerSec, dependsOnLoad: true });
      add({ id: `e.${s.set}.ratio`, benchmark: B, label: `RiskScanner ÷ mint-filter, ${s.set}`, unit: 'x', value: s.ratio, dependsOnLoad: false, ...(s.set === 'mixed' ? { goal: { op: '>=', value: r.e.target } } : {}) });
    }
    add({ id: 'e.outbox.p99', benchmark: B, label: 'outbox final compliance check p99', unit: 'µs', value: r.e.outboxCheck.p99, dependsOnLoad: true });
  }
  if (r.f) {
    const B = '(f) reply latency under load';
    const base = r.f.baselineUnderLoad;
    add({ id: 'f.baseline.p99', benchmark: B, label: 'no-DB receiver + 2 busy processes p99 (reference)', unit: 'ms', value: base.latencyMs.p99, dependsOnLoad: true });
    for (const x of r.f.results) {
      const who = `WeReply sync=${x.sync} + 2 busy processes`;
      add({ id: `f.${x.sync}.p99`, benchmark: B, label: `${who} p99`, unit: 'ms', value: x.latencyMs.p99, dependsOnLoad: true });
      add({ id: `f.${x.sync}.max`, benchmark: B, label: `${who} max reply wait`, unit: 'ms', value: x.latencyMs.max, goal: { op: '<=', value: x.targetMaxMs }, dependsOnLoad: true });
      add({ id: `f.${x.sync}.ratio`, benchmark: B, label: `${who} p99 ÷ quiet p99`, unit: 'x', value: x.ratioToQuietP99, goal: { op: '<=', value: x.targetRatioToQuiet }, dependsOnLoad: true });
      add({ id: `f.${x.sync}.missing`, benchmark: B, label: `${who} missing replies`, unit: 'replies', value: x.missing, goal: { op: '<=', value: 0 }, dependsOnLoad: false });
    }
  }
  return out;
}

/** Honesty checks of one repetition that a figure does not show (mismatches, disagreements). */
function warningsOf(r: RunResults): string[] {
  const w: string[] = [];
  for (const x of r.a?.warnings ?? []) if (!/^(mint-filter|RegExp)/.test(x)) w.push(`(a) ${x}`);
  for (const x of r.b?.results ?? []) if (!x.honest) w.push(`(b) sync=${x.sync}: rows ${x.wereply.rowsAdded} vs 2xx ${x.wereply.responses2xx} MISMATCH`);
  for (const x of r.d?.warnings ?? []) w.push(`(d) ${x}`);
  for (const x of r.e?.warnings ?? []) w.push(`(e) ${x}`);
  return w;
}

// ---------------------------------------------------------------------------------- printing

const num = (v: number, unit: string): string => {
  if (!Number.isFinite(v)) return '—';
  if (unit === 'x') return `${v.toFixed(2)}x`;
  if (unit === 'chars/s') return `${fmt(v / 1e6, 1)} M`;
  if (unit === 'ms') return fmt(v, v >= 100 ? 0 : 1);
  return fmt(v, Math.abs(v) < 10 && v !== Math.round(v) ? 2 : 0);
};

export function printSummary(figures: readonly AggregatedFigure[], runs: number, out: (line: string) => void = console.log): void {
  const goalText = (f: AggregatedFigure) => (f.goal ? `${f.goal.op === '>=' ? '≥' : '≤'} ${num(f.goal.value, f.unit)}` : '');
  printTable(
    ['benchmark', 'figure', 'unit', 'min', 'median', 'max', 'goal', 'verdict (median)', 'load'],
    figures.map((f) => [
      f.benchmark,
      f.label,
      f.unit === 'x' ? 'ratio' : f.unit,
      num(f.spread.min, f.unit),
      num(f.spread.median, f.unit),
      num(f.spread.max, f.unit),
      goalText(f),
      f.verdict ?? '',
      f.dependsOnLoad ? 'depends' : '',
    ]),
    out,
  );
  out(
    `${runs} run${runs === 1 ? '' : 's'} per figure (min / median / max over them${runs === 1 ? ': one run, so all three are that run' : ''}); ` +
      'verdicts are judged on the median. "depends" = an absolute rate or latency (or a latency ratio) that moves with what else runs on ' +
      'the machine: compare those only within one run, and publish figures from a quiet machine.',
  );
}

// ---------------------------------------------------------------------------------- arguments

// ---------------------------------------------------------------------------------- main

function machineInfo() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? null,
    memGb: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
  };
}

const loadavg = () => os.loadavg().map((x) => Math.round(x * 100) / 100);

export async function runAll(args: BenchArgs<Letter> = { repeat: 1, only: BENCHES.map((b) => b.letter) }): Promise<void> {
  const started = Date.now();
  const root = repoRoot();
  const measured = gitState(root);
  const machine = machineInfo();
  const loadStart = loadavg();
  const otherCoresStart = await otherCpuCores();
  const log = (line: string) => console.log(line);
  const selected = BENCHES.filter((b) => args.only.includes(b.letter));
  console.log(
    `benchmarks ${selected.map((b) => b.letter).join(', ')}, ${args.repeat} run${args.repeat === 1 ? '' : 's'}; ` +
      `machine: ${machine.cpuModel ?? 'unknown CPU'}, ${machine.cpus} cores, Node ${machine.node}; load average ${loadStart.join(' / ')} (1/5/15 min)` +
      (otherCoresStart === undefined ? '' : `, other processes using ${otherCoresStart.toFixed(2)} cores`),
  );

  const runs: Array<{ run: number; startedAt: string; loadavgStart: number[]; loadavgEnd: number[]; results: RunResults; figures: Figure[]; warnings: string[] }> = [];
  for (let k = 1; k <= args.repeat; k++) {
    const results: RunResults = {};
    const runStart = { at: new Date().toISOString(), load: loadavg() };
    for (const b of selected) {
      console.log(`\n== (${b.letter}) ${b.title}${args.repeat > 1 ? ` — run ${k}/${args.repeat}` : ''}`);
      (results as Record<Letter, unknown>)[b.letter] = await b.run(log, results);
    }
    runs.push({ run: k, startedAt: runStart.at, loadavgStart: runStart.load, loadavgEnd: loadavg(), results, figures: figuresOf(results), warnings: warningsOf(results) });
  }
  const loadEnd = loadavg();
  const otherCoresEnd = await otherCpuCores();
  const figures = aggregateFigures(runs.map((r) => r.figures));

  console.log(
    `\n== summary: ${args.repeat} run${args.repeat === 1 ? '' : 's'}, ${Math.round((Date.now() - started) / 1000)} s; ${machine.cpuModel ?? 'unknown CPU'}, ${machine.cpus} cores, Node ${machine.node}; ` +
      `load average at start ${loadStart.join(' / ')}, at end ${loadEnd.join(' / ')} (1/5/15 min, the end includes the benchmarks' own work); ` +
      `other processes using ${otherCoresStart?.toFixed(2) ?? '?'} cores at the start, ${otherCoresEnd?.toFixed(2) ?? '?'} at the end`,
  );
  if ((otherCoresStart ?? 0) > 0.25 || (otherCoresEnd ?? 0) > 0.25) {
    console.log('WARNING: other processes were using the CPU: the figures marked "depends" are noisy; rerun on a quiet machine before publishing them.');
  }
  printSummary(figures, args.repeat);
  const warnings = runs.flatMap((r) => r.warnings.map((w) => `run ${r.run}: ${w}`));
  for (const w of warnings) console.log(`WARNING: ${w}`);

  // ---------------------------------------------------------------- JSON
  const outDir = path.join(root, 'bench', 'results');
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, 'latest.json');
  const doc = {
    date: new Date().toISOString(),
    ...measured,
    args,
    machine: { ...machine, loadavgStart: loadStart, loadavgEnd: loadEnd, otherCoresAtStart: otherCoresStart ?? null, otherCoresAtEnd: otherCoresEnd ?? null },
    /** min / median / max per figure over the runs; verdicts on the median. */
    summary: figures,
    /** Every run in full: each benchmark's own report and the figures taken from it. */
    runs,
  };
  fs.writeFileSync(file, JSON.stringify(doc, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  console.log(`\nwrote ${path.relative(process.cwd(), file) || file}`);
}

if (isMain(import.meta.url)) {
  let args: BenchArgs<Letter>;
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  runAll(args).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
