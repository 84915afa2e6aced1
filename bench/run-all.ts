/**
 * Runs every benchmark in sequence — (a) keyword matching, (b) callback ingest, (c) reply latency,
 * (d) routing decisions, (e) compliance scan —
 * prints one summary of the ratios against their same-run baselines and the targets, and writes
 * everything to bench/results/latest.json (git-ignored; the README cites the numbers).
 *
 *   npm run bench        (= npm run build && node dist/bench/run-all.js)
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCallbackIngestBench, type IngestReport } from './callback-ingest.js';
import { printComplianceTable, runComplianceScanBench, type ComplianceBenchResult } from './compliance-scan.js';
import { runKeywordMatchingBench, type KeywordBenchResult } from './keyword-matching.js';
import { fmt, isMain, pct, printTable, repoRoot } from './lib.js';
import { runReplyLatencyBench, type ReplyLatencyReport } from './reply-latency.js';
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

export async function runAll(): Promise<void> {
  const started = Date.now();
  const root = repoRoot();
  const measured = gitState(root);
  console.log('\n== keyword matching: KeywordIndex vs mint-filter on the same messages');
  const keyword: KeywordBenchResult = await runKeywordMatchingBench({ log: (line) => console.log(`   ${line}`) });
  const ingest: IngestReport = await runCallbackIngestBench();
  const latency: ReplyLatencyReport = await runReplyLatencyBench();
  console.log('\n== routing: routeConversation vs RuleSet.decide (keyword rules) on the same texts');
  const routing: RoutingBenchResult = await runRoutingBench({ log: (line) => console.log(`   ${line}`) });
  console.log(`   sanity: ${sanityLine(routing)}`);
  console.log('\n== compliance scan: RiskScanner (full shipped library) vs mint-filter on the same words and messages');
  const compliance: ComplianceBenchResult = await runComplianceScanBench({ log: (line) => console.log(`   ${line}`) });
  printComplianceTable(compliance, (line) => console.log(`   ${line}`));

  // ---------------------------------------------------------------- summary
  const rows: string[][] = [];
  for (const r of keyword.results) {
    // The target is about WeReply's matcher alone (not the rows with normalisation or other libraries).
    const targeted = r.impl === 'WeReply KeywordIndex';
    rows.push([
      `(a) keyword matching: ${r.impl}`,
      'chars/s',
      fmt(r.charsPerSec),
      'mint-filter',
      `${r.ratioToMintFilter.toFixed(2)}x`,
      targeted ? `≥${keyword.target}x` : '',
      targeted ? (r.ratioToMintFilter >= keyword.target ? 'met' : 'NOT met') : '',
    ]);
  }
  for (const r of ingest.results) {
    rows.push([
      `(b) callback ingest, sync=${r.sync}`,
      'req/s',
      `${fmt(r.wereply.rps)} vs ${fmt(r.baseline.rps)}`,
      'insert-only Fastify',
      pct(r.ratio),
      `≥${pct(r.target)}`,
      `${r.ratio >= r.target ? 'met' : 'NOT met'}; rows ${fmt(r.wereply.rowsAdded)} / 2xx ${fmt(r.wereply.responses2xx)}${r.honest ? '' : ' MISMATCH'}`,
    ]);
  }
  const base = latency.results.find((c) => c.sync === null);
  for (const c of latency.results) {
    if (c.sync === null) continue;
    rows.push([
      `(c) reply latency ${latency.rate}/s, sync=${c.sync}`,
      'p50 / p99 ms',
      `${c.latencyIsLowerBound ? '≥' : ''}${fmt(c.latencyMs.p50, 1)} / ${c.latencyIsLowerBound ? '≥' : ''}${fmt(c.latencyMs.p99, 1)} vs ${fmt(base?.latencyMs.p50, 1)} / ${fmt(base?.latencyMs.p99, 1)}`,
      'no-DB receiver',
      `${c.ratioP50?.toFixed(1) ?? '—'}x / ${c.ratioP99?.toFixed(1) ?? '—'}x`,
      `p99 ≤ ${c.targetP99Ms} ms`,
      `${c.meetsTarget ? 'met' : 'NOT met'}; ${fmt(c.replies)} replies, ${fmt(c.missing)} missing`,
    ]);
  }
  const [route, rule] = routing.results;
  rows.push([
    `(d) routing: ${routing.config.servicers} servicers, ${routing.config.groups} groups, ${routing.config.treeNodes} nodes`,
    'decisions/s',
    `${fmt(route?.decisionsPerSec)} vs ${fmt(rule?.decisionsPerSec)}`,
    'RuleSet.decide',
    `${routing.ratio.toFixed(3)}x`,
    '',
    `chose ${pct(routing.sanity.chosen)}, pool ${pct(routing.sanity.pool)}, fallback ${pct(routing.sanity.fallbackUsed)}`,
  ]);
  for (const s of compliance.sets) {
    // The target is about the realistic mix; clean-only and finding-heavy bracket it.
    const targeted = s.set === 'mixed';
    rows.push([
      `(e) compliance scan, ${s.set} (${compliance.words} words)`,
      'messages/s',
      `${fmt(s.wereply.messagesPerSec)} vs ${fmt(s.mintFilter.messagesPerSec)}`,
      'mint-filter',
      `${s.ratio.toFixed(2)}x`,
      targeted ? `≥${compliance.target}x` : '',
      `${targeted ? (s.ratio >= compliance.target ? 'met; ' : 'NOT met; ') : ''}flagged ${fmt(s.wereply.messagesWithFindings)} vs ${fmt(s.mintFilter.messagesWithFindings)} msgs${compliance.warnings.length ? '; WARNINGS' : ''}`,
    ]);
  }
  {
    const c = compliance.outboxCheck;
    const replyP99 = latency.results.find((r) => r.impl === 'wereply-NORMAL')?.latencyMs.p99;
    rows.push([
      '(e′) outbox final compliance check per message',
      'µs',
      `p50 ${c.p50.toFixed(0)}, p99 ${c.p99.toFixed(0)}`,
      'reply p99 (c, NORMAL)',
      typeof replyP99 === 'number' ? `${((c.p99 / 1000 / replyP99) * 100).toFixed(1)} %` : '',
      '',
      `${fmt(c.count)} msgs, ${fmt(c.held)} held`,
    ]);
  }
  console.log(`\n== summary (${os.cpus().length} cores, Node ${process.version}, ${Math.round((Date.now() - started) / 1000)} s)`);
  printTable(['benchmark', 'measure', 'WeReply (vs baseline)', 'baseline', 'ratio', 'target', 'result'], rows);

  // ---------------------------------------------------------------- JSON
  const outDir = path.join(root, 'bench', 'results');
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, 'latest.json');
  const doc = {
    date: new Date().toISOString(),
    ...measured,
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? null, memGb: Math.round(os.totalmem() / 2 ** 30), platform: `${os.platform()} ${os.release()}`, node: process.version },
    benchmarks: { keywordMatching: keyword, callbackIngest: ingest, replyLatency: latency, routing, complianceScan: compliance },
  };
  fs.writeFileSync(file, JSON.stringify(doc, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  console.log(`\nwrote ${path.relative(process.cwd(), file) || file}`);
}

if (isMain(import.meta.url)) {
  runAll().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
