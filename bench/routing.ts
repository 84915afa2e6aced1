/**
 * Routing benchmark: how many routing decisions per second `routeConversation` makes on a realistic
 * configuration, against the plain keyword-rule decision (`RuleSet.decide`) on the same texts, in the
 * same process on the same machine.
 *
 * Configuration (seeded, deterministic): 200 servicers (接待上限 3–10, ~10% supervisors, ~30% with a
 * shift — mostly Asia/Shanghai, a few America/Los_Angeles —, ~3% departed, ~5% 停止接待), 30 groups
 * (5–15 members, round_robin / least_busy / sticky, about a third with business hours), a routing
 * tree of 38 nodes (product lines by keyword sets → regions by kf account / customer timezone /
 * region words → groups, night branches by time of day), a duty fallback, random open sessions per
 * servicer (updated as the bench assigns: each assignment opens a session, the one opened 150
 * assignments earlier closes). Contexts: `makeMessages` texts with product and region words mixed in, random kf
 * accounts, times spread over one week, ~10% complaints. The returned round-robin states are fed
 * back as the pipeline stores them.
 *
 * Baseline: `new RuleSet(~200 keyword rules, 'Asia/Shanghai').decide(...)` on the same texts and times.
 * Each side is warmed up, then rounds are interleaved (routing, keyword, routing, keyword …); the
 * median round is reported.
 *
 * Run: `npm run build && node dist/bench/routing.js [--decisions N] [--rounds N]`
 */
import type { Group, Load, RoutingContext, RoutingNode, RoutingTree, Servicer, Strategy, Target, TimeRange, Weekday, WeeklySchedule } from '../src/routing/model.js';
import type { RoundRobinState } from '../src/routing/round-robin.js';
import { routeConversation } from '../src/routing/route.js';
import { RuleSet } from '../src/rules/decide.js';
import type { Rule } from '../src/rules/rule.js';
import { makeDictionary, makeMessages, mulberry32 } from './corpus.js';
import { fmt, isMain, machineLine, numberArg, pct, printTable } from './lib.js';

export interface RoutingBenchRow {
  impl: string;
  /** Median over rounds. */
  decisionsPerSec: number;
  microsPerDecision: number;
}

export interface RoutingSanity {
  /** Shares of routing decisions (one full pass over the contexts). */
  chosen: number;
  pool: number;
  fallbackUsed: number;
  byComplaintStage: number;
  byTargetStage: number;
  byFallbackStage: number;
  noBranch: number;
  followUp: number;
  /** Distinct servicers chosen at least once in the pass. */
  distinctChosen: number;
  /** Tree nodes that matched at least once (leaf or inner). */
  nodesReached: number;
  /** Shares of keyword decisions with at least one rule matched / a handoff. */
  keywordMatched: number;
  keywordHandoff: number;
}

export interface RoutingBenchResult {
  name: 'routing';
  results: RoutingBenchRow[];
  /** routing decisions/s ÷ keyword decisions/s. */
  ratio: number;
  decisions: number;
  rounds: number;
  config: { servicers: number; groups: number; treeNodes: number; rules: number; kfAccounts: number };
  sanity: RoutingSanity;
  warnings: string[];
}

type Rng = () => number;
const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)]!;
const int = (rng: Rng, min: number, max: number) => min + Math.floor(rng() * (max - min + 1));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

// ------------------------------------------------------------------------------------ configuration

const WORKDAYS: Weekday[] = [1, 2, 3, 4, 5];
const ALL_DAYS: Weekday[] = [1, 2, 3, 4, 5, 6, 7];

function schedule(timezone: string, days: readonly Weekday[], ranges: TimeRange[], extra: Partial<WeeklySchedule> = {}): WeeklySchedule {
  const weekly: WeeklySchedule['weekly'] = {};
  for (const d of days) weekly[d] = ranges;
  return { timezone, weekly, ...extra };
}

/** Servicer shifts people really have: office hours, long days, evenings, night shift, weekends; a few in Los Angeles. */
function randomShift(rng: Rng): WeeklySchedule {
  const r = rng();
  if (r < 0.12) return schedule('America/Los_Angeles', WORKDAYS, [{ start: '09:00', end: '17:00' }]);
  if (r < 0.4) return schedule('Asia/Shanghai', WORKDAYS, [{ start: '09:00', end: '12:00' }, { start: '13:30', end: '18:00' }], { holidays: ['2026-11-27'] });
  if (r < 0.6) return schedule('Asia/Shanghai', ALL_DAYS, [{ start: '10:00', end: '22:00' }]);
  if (r < 0.75) return schedule('Asia/Shanghai', [3, 4, 5, 6, 7], [{ start: '14:00', end: '23:00' }]);
  if (r < 0.88) return schedule('Asia/Shanghai', ALL_DAYS, [{ start: '22:00', end: '08:00' }]);
  return schedule('Asia/Shanghai', [6, 7], [{ start: '09:00', end: '21:00' }], { extraWorkdays: [{ date: '2026-11-28', like: 1 }] });
}

const KF_ACCOUNTS = ['kf_sh', 'kf_hz', 'kf_nj', 'kf_gz', 'kf_sz', 'kf_bj', 'kf_tj', 'kf_cd', 'kf_global', 'kf_edu'] as const;

/** Product lines: keyword sets the tree branches on (mixed into the texts so branches vary). */
const PRODUCT_LINES = [
  { id: 'digital', name: '数码', words: ['手机', '耳机', '充电器', '平板', '电脑', 'iphone', 'ipad', 'airpods', '数据线'] },
  { id: 'appliance', name: '家电', words: ['冰箱', '空调', '洗衣机', '电视', '台灯', '安装'] },
  { id: 'beauty', name: '美妆母婴', words: ['面膜', '口红', '奶粉', '尿裤', '护肤'] },
  { id: 'edu', name: '教育', words: ['雅思', '托福', '考研', '网课', '课程', '老师', '作业'] },
  { id: 'aftersales', name: '售后', words: ['退款', '退货', '换货', '发票', '维修', '保修'] },
] as const;
const REGION_WORDS = { north: ['北京', '天津', '石家庄'], other: ['成都', '重庆', '西安'] } as const;
const FOREIGN_TIMEZONES = ['America/Los_Angeles', 'America/New_York', 'Europe/London', 'Asia/Tokyo'] as const;

interface Setup {
  servicers: Servicer[];
  groups: Group[];
  tree: RoutingTree;
  dutyFallback: Target;
  load: Load;
  treeNodes: number;
}

function countNodes(nodes: readonly RoutingNode[]): number {
  return nodes.reduce((n, node) => n + 1 + ('children' in node.then ? countNodes(node.then.children) : 0), 0);
}

function makeSetup(seed: number): Setup {
  const rng = mulberry32(seed);
  const servicers: Servicer[] = [];
  for (let i = 1; i <= 200; i++) {
    const shift = rng() < 0.3 ? randomShift(rng) : undefined;
    servicers.push({
      userid: `u${String(i).padStart(3, '0')}`,
      name: `客服${i}`,
      groups: [],
      receptionCap: int(rng, 3, 10),
      supervisor: rng() < 0.1,
      status: rng() < 0.03 ? 'departed' : 'active',
      receiving: rng() >= 0.05,
      timezone: shift?.timezone ?? 'Asia/Shanghai',
      ...(shift && { shift }),
    });
  }
  const strategies: Strategy[] = ['round_robin', 'least_busy', 'sticky'];
  const groups: Group[] = [];
  for (let g = 1; g <= 30; g++) {
    const members = new Set<string>();
    const size = int(rng, 5, 15);
    while (members.size < size) members.add(pick(rng, servicers).userid);
    const r = rng();
    const shift =
      r < 0.15
        ? schedule('Asia/Shanghai', WORKDAYS, [{ start: '09:00', end: '18:00' }], { holidays: ['2026-11-27'] })
        : r < 0.3
          ? schedule('Asia/Shanghai', ALL_DAYS, [{ start: '08:00', end: '23:00' }])
          : undefined;
    groups.push({
      id: `g${String(g).padStart(2, '0')}`,
      name: `接待组${g}`,
      members: [...members],
      strategy: strategies[g % 3]!,
      ...(shift && { shift }),
      ...(rng() < 0.4 && { supervisorCap: int(rng, 1, 3) }),
    });
  }
  // The night-duty group (g30) is always on duty: it is the duty fallback.
  const night = groups[29]!;
  delete night.shift;
  night.name = '夜间值班';
  const byId = new Map(servicers.map((s) => [s.userid, s]));
  for (const g of groups) for (const u of g.members) byId.get(u)!.groups.push(g.id);

  // Tree: VIP first, then per product line: overseas / 华东 / 华南 / 华北 / 西部 / night / default; then a catch-all.
  let gi = 0;
  const nextGroup = (): Target => ({ group: groups[gi++ % 29]!.id });
  const nodes: RoutingNode[] = [{ id: 'vip', name: 'VIP 客户', when: { customerTags: { any: ['vip', 'svip'] } }, then: nextGroup() }];
  for (const line of PRODUCT_LINES) {
    const children: RoutingNode[] = [
      { id: `${line.id}-overseas`, name: '海外', when: { customerTimezones: [...FOREIGN_TIMEZONES] }, then: nextGroup() },
      { id: `${line.id}-east`, name: '华东', when: { kfAccounts: ['kf_sh', 'kf_hz', 'kf_nj'] }, then: nextGroup() },
      { id: `${line.id}-south`, name: '华南', when: { kfAccounts: ['kf_gz', 'kf_sz'] }, then: nextGroup() },
      { id: `${line.id}-north`, name: '华北', when: { keywords: { any: [...REGION_WORDS.north] } }, then: nextGroup() },
      { id: `${line.id}-night`, name: '夜间', when: { timeOfDay: { ranges: [{ start: '22:00', end: '08:00' }] } }, then: { group: night.id } },
      { id: `${line.id}-default`, name: '其他地区', when: {}, then: { group: groups[gi++ % 29]!.id, strategy: 'least_busy' } },
    ];
    const when = line.id === 'aftersales' ? { keywords: { any: [...line.words], none: ['发票抬头'] } } : { keywords: { any: [...line.words] } };
    nodes.push({ id: line.id, name: line.name, when, then: { children } });
  }
  nodes.push({ id: 'weekend', name: '周末', when: { timeOfDay: { ranges: [{ start: '00:00', end: '23:59' }], weekdays: [6, 7] } }, then: nextGroup() });
  nodes.push({ id: 'default', name: '默认', when: {}, then: nextGroup() });
  const tree: RoutingTree = { timezone: 'Asia/Shanghai', nodes };

  const load: Load = { open: {}, openComplaints: {} };
  for (const s of servicers) {
    // Mostly below the cap, ~15% full.
    const open = rng() < 0.15 ? s.receptionCap : int(rng, 0, s.receptionCap - 1);
    load.open[s.userid] = open;
    if (s.supervisor) load.openComplaints![s.userid] = int(rng, 0, Math.min(open, 1));
  }
  return { servicers, groups, tree, dutyFallback: { group: night.id }, load, treeNodes: countNodes(nodes) };
}

// ------------------------------------------------------------------------------------ contexts

/** Sessions opened by the bench that stay open at once (on top of the initial random load); older ones close. */
const IN_FLIGHT = 150;

const COMPLAINTS = ['我要投诉你们', '再不处理就给差评', '我要去12315举报', '要曝光你们', '维权到底'] as const;

function makeContexts(n: number, seed: number, servicers: readonly Servicer[]): RoutingContext[] {
  const rng = mulberry32(seed);
  const texts = makeMessages(n, seed, makeDictionary());
  const weekStart = Date.UTC(2026, 10, 22, 16, 0); // Monday 2026-11-23 00:00 in Asia/Shanghai
  const week = 7 * 24 * 3600 * 1000;
  const out: RoutingContext[] = [];
  for (let i = 0; i < n; i++) {
    let text = texts[i]!;
    if (rng() < 0.65) {
      const line = pick(rng, PRODUCT_LINES);
      text = rng() < 0.5 ? `${pick(rng, line.words)}${text}` : `${text}，${pick(rng, line.words)}的问题`;
    }
    if (rng() < 0.2) text = `我在${pick(rng, rng() < 0.5 ? REGION_WORDS.north : REGION_WORDS.other)}，${text}`;
    const complaint = rng() < 0.1;
    if (complaint) text = `${text}${pick(rng, COMPLAINTS)}`;
    const tags = rng() < 0.05 ? ['vip'] : rng() < 0.3 ? ['老客户'] : [];
    out.push({
      text,
      kfAccount: pick(rng, KF_ACCOUNTS),
      channel: rng() < 0.7 ? 'wechat' : pick(rng, ['mini_program', 'h5', 'video_channel']),
      customerTags: tags,
      ...(rng() < 0.08 && { customerTimezone: pick(rng, FOREIGN_TIMEZONES) }),
      at: weekStart + Math.floor(rng() * week),
      ...(complaint && { complaint: true }),
      ...(rng() < 0.3 && { lastServicer: pick(rng, servicers).userid }),
    });
  }
  return out;
}

// ------------------------------------------------------------------------------------ baseline rules

const REPLY_SNIPPETS = ['您好，', '亲，', '感谢咨询，', '收到，'] as const;

/** ~200 keyword rules as operators write them: 1–4 `any` words, some `all`/`none`, priorities, a few handoffs and active hours. */
function makeRules(n: number, seed: number): Rule[] {
  const rng = mulberry32(seed);
  const dict = makeDictionary(2300);
  const productWords = PRODUCT_LINES.flatMap((l) => l.words);
  const rules: Rule[] = [];
  for (let id = 1; id <= n; id++) {
    const anyWords = Array.from({ length: int(rng, 1, 4) }, () => (rng() < 0.25 ? pick(rng, productWords) : pick(rng, dict)));
    const r = rng();
    const match =
      r < 0.7
        ? { any: anyWords }
        : r < 0.85
          ? { all: [pick(rng, productWords), pick(rng, dict)] }
          : r < 0.95
            ? { any: anyWords, none: [pick(rng, dict)] }
            : { exact: [pick(rng, dict)], any: anyWords };
    const handoff = rng() < 0.05;
    rules.push({
      id,
      name: `规则${id}：${anyWords[0]}`,
      kind: 'keyword',
      match,
      reply: [{ type: 'text', text: `${pick(rng, REPLY_SNIPPETS)}关于「${anyWords[0]}」的说明请查看帮助中心。` }, ...(handoff ? [{ type: 'handoff' as const }] : [])],
      priority: int(rng, 0, 100),
      stop: rng() < 0.3,
      active_hours: rng() < 0.1 ? { weekdays: [1, 2, 3, 4, 5], ranges: [{ start: '09:00', end: '21:00' }], invert: rng() < 0.3 } : null,
      cooldown_seconds: null,
      enabled: rng() >= 0.03,
      status: 'live',
      hit_count: 0,
      created_at: 0,
      updated_at: 0,
    });
  }
  rules.push({
    id: n + 1, name: '收到消息回复', kind: 'any_message', match: null, reply: [{ type: 'text', text: '您好，客服稍后回复您。' }],
    priority: 0, stop: false, active_hours: null, cooldown_seconds: 600, enabled: true, status: 'live', hit_count: 0, created_at: 0, updated_at: 0,
  });
  return rules;
}

// ------------------------------------------------------------------------------------ the benchmark

export async function runRoutingBench(opts: { decisions?: number; rounds?: number; log?: (line: string) => void } = {}): Promise<RoutingBenchResult> {
  const log = opts.log ?? (() => {});
  const decisions = opts.decisions ?? 20_000;
  const rounds = opts.rounds ?? 7;
  const setup = makeSetup(20261125);
  const contexts = makeContexts(decisions, 11, setup.servicers);
  const rules = makeRules(200, 4242);
  const ruleSet = new RuleSet(rules, 'Asia/Shanghai');
  const warnings: string[] = [];
  log(`config: ${setup.servicers.length} servicers, ${setup.groups.length} groups, ${setup.treeNodes} tree nodes, ${rules.length} keyword rules, ${fmt(decisions)} decisions per round`);

  const counts = { chosen: 0, pool: 0, fallbackUsed: 0, complaint: 0, target: 0, fallback: 0, noBranch: 0, followUp: 0 };
  const chosenSet = new Set<string>();
  const nodesReached = new Set<string>();

  /** One pass over the contexts; round-robin states fed back as the pipeline stores them. */
  const routingPass = (collect: boolean): number => {
    const roundRobin: Record<string, RoundRobinState> = {};
    const load: Load = { open: { ...setup.load.open }, openComplaints: { ...setup.load.openComplaints } };
    // Sessions this pass opened, oldest first; the oldest closes once IN_FLIGHT are open (steady state).
    const ring: ({ userid: string; complaint: boolean } | null)[] = new Array<{ userid: string; complaint: boolean } | null>(IN_FLIGHT).fill(null);
    let sink = 0;
    let k = 0;
    for (const ctx of contexts) {
      const d = routeConversation({ tree: setup.tree, groups: setup.groups, servicers: setup.servicers, load, roundRobin, ctx, dutyFallback: setup.dutyFallback });
      Object.assign(roundRobin, d.roundRobin);
      sink += d.candidates.length;
      const closing = ring[k];
      if (closing) {
        load.open[closing.userid]!--;
        if (closing.complaint) load.openComplaints![closing.userid]!--;
      }
      ring[k] = d.chosen === null ? null : { userid: d.chosen, complaint: ctx.complaint === true };
      k = (k + 1) % IN_FLIGHT;
      if (d.chosen !== null) {
        load.open[d.chosen] = (load.open[d.chosen] ?? 0) + 1;
        if (ctx.complaint) load.openComplaints![d.chosen] = (load.openComplaints![d.chosen] ?? 0) + 1;
      }
      if (collect) {
        if (d.chosen !== null) {
          counts.chosen++;
          chosenSet.add(d.chosen);
        }
        if (d.pool) counts.pool++;
        if (d.fallbackUsed) counts.fallbackUsed++;
        if (d.followUp) counts.followUp++;
        if (d.chosenBy) counts[d.chosenBy.stage]++;
        if (!d.branch.target) counts.noBranch++;
        for (const p of d.branch.path) nodesReached.add(p.id);
      }
    }
    return sink;
  };
  let kwMatched = 0;
  let kwHandoff = 0;
  const keywordPass = (collect: boolean): number => {
    let sink = 0;
    for (const ctx of contexts) {
      const d = ruleSet.decide({ text: ctx.text, testAccount: false, at: ctx.at, lastAnyReplyAt: null, unmatchedStreak: 0 });
      sink += d.replies.length;
      if (collect) {
        if (d.matched.length > 0 && !d.unmatched) kwMatched++;
        if (d.handoff) kwHandoff++;
      }
    }
    return sink;
  };

  // Warm-up (and the sanity counts, untimed).
  routingPass(true);
  keywordPass(true);
  routingPass(false);
  keywordPass(false);

  const routingRates: number[] = [];
  const keywordRates: number[] = [];
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    let t0 = performance.now();
    sink += routingPass(false);
    routingRates.push(decisions / ((performance.now() - t0) / 1000));
    t0 = performance.now();
    sink += keywordPass(false);
    keywordRates.push(decisions / ((performance.now() - t0) / 1000));
  }
  if (sink === 0) warnings.push('sink is 0: decisions produced no candidates and no replies');

  const routing = median(routingRates);
  const keyword = median(keywordRates);
  const sanity: RoutingSanity = {
    chosen: counts.chosen / decisions,
    pool: counts.pool / decisions,
    fallbackUsed: counts.fallbackUsed / decisions,
    byComplaintStage: counts.complaint / decisions,
    byTargetStage: counts.target / decisions,
    byFallbackStage: counts.fallback / decisions,
    noBranch: counts.noBranch / decisions,
    followUp: counts.followUp / decisions,
    distinctChosen: chosenSet.size,
    nodesReached: nodesReached.size,
    keywordMatched: kwMatched / decisions,
    keywordHandoff: kwHandoff / decisions,
  };
  if (sanity.chosen < 0.5) warnings.push(`only ${pct(sanity.chosen)} of routing decisions chose someone`);
  if (sanity.nodesReached < setup.treeNodes / 2) warnings.push(`only ${sanity.nodesReached} of ${setup.treeNodes} tree nodes were reached`);
  for (const w of warnings) log(`WARNING: ${w}`);

  return {
    name: 'routing',
    results: [
      { impl: 'WeReply routeConversation', decisionsPerSec: routing, microsPerDecision: 1e6 / routing },
      { impl: 'RuleSet.decide (keyword rules)', decisionsPerSec: keyword, microsPerDecision: 1e6 / keyword },
    ],
    ratio: routing / keyword,
    decisions,
    rounds,
    config: { servicers: setup.servicers.length, groups: setup.groups.length, treeNodes: setup.treeNodes, rules: rules.length, kfAccounts: KF_ACCOUNTS.length },
    sanity,
    warnings,
  };
}

/** The sanity line: the bench visibly does real work. */
export function sanityLine(r: RoutingBenchResult): string {
  const s = r.sanity;
  return (
    `chose someone ${pct(s.chosen, 1)} (complaint→supervisor ${pct(s.byComplaintStage, 1)}, target ${pct(s.byTargetStage, 1)}, fallback ${pct(s.byFallbackStage, 1)}), ` +
    `pool ${pct(s.pool, 1)}, fallback used ${pct(s.fallbackUsed, 1)}, follow-up ${pct(s.followUp, 1)}, no branch ${pct(s.noBranch, 1)}; ` +
    `${s.distinctChosen} distinct servicers, ${s.nodesReached}/${r.config.treeNodes} tree nodes reached; keyword rules matched ${pct(s.keywordMatched, 1)}, handoff ${pct(s.keywordHandoff, 1)}`
  );
}

if (isMain(import.meta.url)) {
  (async () => {
    console.log(await machineLine());
    const decisions = numberArg('decisions');
    const rounds = numberArg('rounds');
    const r = await runRoutingBench({ ...(decisions && { decisions }), ...(rounds && { rounds }), log: (line) => console.log(line) });
    printTable(
      ['implementation', 'decisions/s (median)', 'µs/decision'],
      r.results.map((row) => [row.impl, fmt(row.decisionsPerSec), fmt(row.microsPerDecision, 2)]),
    );
    console.log(`ratio routing/keyword: ${r.ratio.toFixed(3)}x (${r.rounds} rounds of ${fmt(r.decisions)} decisions)`);
    console.log(`sanity: ${sanityLine(r)}`);
  })().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
