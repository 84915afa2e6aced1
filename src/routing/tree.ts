/**
 * The routing tree (路由树): validate it when it is saved, evaluate it for a conversation.
 *
 * Semantics: nodes are tried in order; a node whose condition holds either names a target or
 * tries its children in order. A node with children matches only if one of its children does;
 * otherwise evaluation goes on with the node's next sibling (so "合同 → {华东, 华南}" falls through
 * to later nodes for a 合同 message from another region). The first target reached wins.
 *
 * Nodes nest by value (children arrays), and a tree loaded from JSON cannot share or loop nodes,
 * so there are no references to form cycles. Duplicate node ids are rejected (they would make the
 * trace and the console ambiguous), and an object graph built in code that loops is reported as a
 * cycle rather than recursing forever.
 */
import { isWithinActiveHours } from '../rules/active-hours.js';
import { KeywordIndex } from '../rules/keyword-index.js';
import { normalizeKeyword } from '../rules/normalize.js';
import type { Condition, Group, RoutingContext, RoutingNode, RoutingTree, Servicer, Target } from './model.js';
import { isTimeOfDay, isValidTimeZone } from './schedule.js';

export type ConditionName = keyof Condition;

export interface ConditionCheck {
  condition: ConditionName;
  held: boolean;
  /** What was compared, for the sandbox trace: "matched 合同", "kf account wk1 not in [wk2]". */
  detail: string;
}

export interface NodeTrace {
  nodeId: string;
  name: string;
  /** Node ids from the root to this node. */
  path: string[];
  held: boolean;
  checks: ConditionCheck[];
  /** Set when the condition held but none of the children matched (evaluation fell through). */
  fellThrough?: true;
}

export interface TreeEvaluation {
  /** The matched branch, root first; empty when nothing matched. */
  path: { id: string; name: string }[];
  target: Target | null;
  /** Every node whose condition was checked, in order. */
  trace: NodeTrace[];
}

export function isTarget(then: RoutingNode['then']): then is Target {
  return !('children' in then);
}

/** Every keyword in the tree, normalised, matched in one automaton pass per message. */
interface CompiledTree {
  index: KeywordIndex;
  words: string[];
}

// Built once per tree object (trees are replaced, not mutated, when a new version is saved).
const compiled = new WeakMap<RoutingTree, CompiledTree>();

function compile(tree: RoutingTree): CompiledTree {
  let c = compiled.get(tree);
  if (!c) {
    const words = new Set<string>();
    const visit = (nodes: readonly RoutingNode[], seen: Set<RoutingNode>) => {
      for (const node of nodes) {
        if (seen.has(node)) continue;
        const k = node.when.keywords;
        for (const w of [...(k?.any ?? []), ...(k?.all ?? []), ...(k?.none ?? [])]) words.add(normalizeKeyword(w));
        if (!isTarget(node.then)) visit(node.then.children, new Set(seen).add(node));
      }
    };
    visit(tree.nodes, new Set());
    const list = [...words].filter((w) => w.length > 0);
    c = { index: KeywordIndex.build(list), words: list };
    compiled.set(tree, c);
  }
  return c;
}

const list = (xs: readonly string[]) => `[${xs.join(', ')}]`;

function checkCondition(when: Condition, ctx: RoutingContext, matched: ReadonlySet<string>, treeTimeZone: string): ConditionCheck[] {
  const checks: ConditionCheck[] = [];
  const { keywords, kfAccounts, channels, customerTags, timeOfDay, customerTimezones } = when;
  if (keywords) {
    const has = (w: string) => matched.has(normalizeKeyword(w));
    const found = [...(keywords.any ?? []), ...(keywords.all ?? [])].filter(has);
    const missing = (keywords.all ?? []).filter((w) => !has(w));
    const forbidden = (keywords.none ?? []).filter(has);
    const held = (keywords.any === undefined || keywords.any.some(has)) && missing.length === 0 && forbidden.length === 0;
    const parts = [`matched ${list([...new Set(found)])}`];
    if (missing.length) parts.push(`missing ${list(missing)}`);
    if (forbidden.length) parts.push(`excluded by ${list(forbidden)}`);
    checks.push({ condition: 'keywords', held, detail: parts.join('; ') });
  }
  if (kfAccounts) {
    const held = kfAccounts.includes(ctx.kfAccount);
    checks.push({ condition: 'kfAccounts', held, detail: `kf account ${ctx.kfAccount} ${held ? 'in' : 'not in'} ${list(kfAccounts)}` });
  }
  if (channels) {
    const held = channels.includes(ctx.channel);
    checks.push({ condition: 'channels', held, detail: `channel ${ctx.channel} ${held ? 'in' : 'not in'} ${list(channels)}` });
  }
  if (customerTags) {
    const tags = new Set(ctx.customerTags);
    const held = (customerTags.any === undefined || customerTags.any.some((t) => tags.has(t))) && (customerTags.all ?? []).every((t) => tags.has(t));
    const wanted = [customerTags.any && `any of ${list(customerTags.any)}`, customerTags.all && `all of ${list(customerTags.all)}`].filter(Boolean).join(' and ');
    checks.push({ condition: 'customerTags', held, detail: `customer tags ${list(ctx.customerTags)} ${held ? 'have' : 'lack'} ${wanted}` });
  }
  if (timeOfDay) {
    const timeZone = timeOfDay.timezone ?? treeTimeZone;
    const held = isWithinActiveHours({ ranges: timeOfDay.ranges, weekdays: timeOfDay.weekdays, timezone: timeZone }, ctx.at, treeTimeZone);
    const ranges = timeOfDay.ranges.map((r) => `${r.start}–${r.end}`).join(', ');
    checks.push({ condition: 'timeOfDay', held, detail: `${new Date(ctx.at).toISOString()} ${held ? 'within' : 'outside'} ${ranges} (${timeZone})` });
  }
  if (customerTimezones) {
    const tz = ctx.customerTimezone;
    const held = tz !== undefined && customerTimezones.includes(tz);
    checks.push({ condition: 'customerTimezones', held, detail: `customer timezone ${tz ?? 'unknown'} ${held ? 'in' : 'not in'} ${list(customerTimezones)}` });
  }
  return checks;
}

/** Walks the tree for one conversation: the first branch that reaches a target, and why. */
export function evaluateTree(tree: RoutingTree, ctx: RoutingContext): TreeEvaluation {
  const { index, words } = compile(tree);
  const matched = new Set(index.matchedKeywordsNormalizing(ctx.text).map((i) => words[i]!));
  const trace: NodeTrace[] = [];
  const walk = (nodes: readonly RoutingNode[], path: RoutingNode[]): { path: RoutingNode[]; target: Target } | null => {
    for (const node of nodes) {
      if (path.includes(node)) continue; // a looping object graph (validateTree reports it)
      const checks = checkCondition(node.when, ctx, matched, tree.timezone);
      const held = checks.every((c) => c.held);
      const entry: NodeTrace = { nodeId: node.id, name: node.name, path: [...path, node].map((n) => n.id), held, checks };
      trace.push(entry);
      if (!held) continue;
      if (isTarget(node.then)) return { path: [...path, node], target: node.then };
      const found = walk(node.then.children, [...path, node]);
      if (found) return found;
      entry.fellThrough = true;
    }
    return null;
  };
  const found = walk(tree.nodes, []);
  return { path: found?.path.map((n) => ({ id: n.id, name: n.name })) ?? [], target: found?.target ?? null, trace };
}

export type TreeProblemKind =
  | 'duplicate_node_id'
  | 'cycle'
  | 'unknown_group'
  | 'unknown_servicer'
  | 'departed_servicer'
  | 'unknown_member'
  | 'duplicate_member'
  | 'empty_group'
  | 'no_children'
  | 'empty_list'
  | 'invalid_time'
  | 'invalid_timezone'
  | 'never_holds'
  | 'unreachable';

export interface TreeProblem {
  kind: TreeProblemKind;
  /** The node at fault; "" for a problem with the tree itself (its timezone). */
  nodeId: string;
  /** Names from the root, "合同 › 华东"; "" for the tree itself. */
  path: string;
  /** What is wrong and what to do, in one sentence. */
  message: string;
}

/** Constraints inherited from ancestors: a child can only be reached when all of them hold. */
interface Inherited {
  kfAccounts: ReadonlySet<string> | null;
  channels: ReadonlySet<string> | null;
  customerTimezones: ReadonlySet<string> | null;
  /** Normalised keywords some ancestor forbids. */
  noneWords: ReadonlySet<string>;
}

function isEmptyCondition(when: Condition): boolean {
  return Object.values(when).every((v) => v === undefined);
}

/** Matches every conversation that reaches it: no condition, and a target or an always-matching child. */
function alwaysMatches(node: RoutingNode, seen: Set<RoutingNode> = new Set()): boolean {
  if (seen.has(node) || !isEmptyCondition(node.when)) return false;
  return isTarget(node.then) || node.then.children.some((c) => alwaysMatches(c, new Set(seen).add(node)));
}

/**
 * Problems that make a tree unsafe to save, each naming the node (by path) and what to fix:
 * unknown or departed targets, groups with nobody able to receive, nodes that can never be reached
 * (after an unconditional sibling, or a condition that contradicts its ancestors or itself),
 * empty lists, malformed times and timezones, duplicate ids and loops. An empty array means the tree is valid.
 */
export function validateTree(tree: RoutingTree, groups: readonly Group[], servicers: readonly Servicer[]): TreeProblem[] {
  const problems: TreeProblem[] = [];
  const groupById = new Map(groups.map((g) => [g.id, g]));
  const servicerById = new Map(servicers.map((s) => [s.userid, s]));
  const ids = new Set<string>();

  const visit = (nodes: readonly RoutingNode[], ancestors: RoutingNode[], inherited: Inherited) => {
    let shadowedBy: RoutingNode | null = null;
    for (const node of nodes) {
      const chain = [...ancestors, node];
      const path = chain.map((n) => n.name).join(' › ');
      const report = (kind: TreeProblemKind, message: string) => problems.push({ kind, nodeId: node.id, path, message: `${path}: ${message}` });
      if (ancestors.includes(node)) {
        report('cycle', 'this node contains itself; a node can only appear once in the tree.');
        continue;
      }
      if (ids.has(node.id)) report('duplicate_node_id', `node id "${node.id}" is used twice; give every node its own id.`);
      ids.add(node.id);
      if (shadowedBy) report('unreachable', `never reached: the earlier node "${shadowedBy.name}" has no condition and matches everything; move this node above it or add a condition to it.`);
      if (alwaysMatches(node) && !shadowedBy) shadowedBy = node;

      const next = checkNodeCondition(node.when, inherited, report);
      if (isTarget(node.then)) checkTarget(node.then, groupById, servicerById, report);
      else if (node.then.children.length === 0) report('no_children', 'has no children and no target; add a child or a target.');
      else visit(node.then.children, chain, next);
    }
  };
  if (!isValidTimeZone(tree.timezone)) {
    problems.push({ kind: 'invalid_timezone', nodeId: '', path: '', message: `the tree's timezone "${tree.timezone}" is not an IANA timezone such as Asia/Shanghai.` });
  }
  visit(tree.nodes, [], { kfAccounts: null, channels: null, customerTimezones: null, noneWords: new Set() });
  return problems;
}

type Report = (kind: TreeProblemKind, message: string) => void;

/** Checks one condition on its own and against its ancestors; returns what its children inherit. */
function checkNodeCondition(when: Condition, inherited: Inherited, report: Report): Inherited {
  const narrow = (field: 'kfAccounts' | 'channels' | 'customerTimezones', label: string): ReadonlySet<string> | null => {
    const values = when[field];
    const outer = inherited[field];
    if (values === undefined) return outer;
    if (values.length === 0) {
      report('empty_list', `the ${label} list is empty, so this node matches nothing; remove the condition to match any ${label}.`);
      return new Set();
    }
    if (outer === null) return new Set(values);
    const outside = values.filter((v) => !outer.has(v));
    if (outside.length === values.length) report('never_holds', `can never match: none of its ${label}s ${list(values)} is among its parent's ${list([...outer])}.`);
    else if (outside.length) report('never_holds', `the ${label}s ${list(outside)} are excluded by its parent (${list([...outer])}); remove them.`);
    return new Set(values.filter((v) => outer.has(v)));
  };
  const next: Inherited = {
    kfAccounts: narrow('kfAccounts', 'kf account'),
    channels: narrow('channels', 'channel'),
    customerTimezones: narrow('customerTimezones', 'customer timezone'),
    noneWords: inherited.noneWords,
  };

  const badZones = (when.customerTimezones ?? []).filter((z) => !isValidTimeZone(z));
  if (badZones.length) report('invalid_timezone', `customer timezones ${list(badZones)} are not IANA timezones such as America/New_York.`);

  const k = when.keywords;
  if (k) {
    for (const field of ['any', 'all', 'none'] as const) {
      if (k[field]?.length === 0) report('empty_list', `keywords.${field} is empty; remove it or add keywords.`);
      if (k[field]?.some((w) => normalizeKeyword(w).length === 0)) report('empty_list', `keywords.${field} contains an empty keyword; remove it.`);
    }
    const none = new Set([...inherited.noneWords, ...(k.none ?? []).map(normalizeKeyword)]);
    const blockedAll = (k.all ?? []).filter((w) => none.has(normalizeKeyword(w)));
    if (blockedAll.length) report('never_holds', `can never match: it requires ${list(blockedAll)}, which this node or an ancestor excludes (keywords.none).`);
    if (k.any?.length && k.any.every((w) => none.has(normalizeKeyword(w)))) report('never_holds', `can never match: every keyword in keywords.any ${list(k.any)} is excluded (keywords.none) here or by an ancestor.`);
    next.noneWords = none;
  }
  const tags = when.customerTags;
  if (tags?.any?.length === 0) report('empty_list', 'customerTags.any is empty; remove it or add tags.');
  const time = when.timeOfDay;
  if (time) {
    if (time.ranges.length === 0) report('empty_list', 'timeOfDay has no ranges; add a range such as 09:00–18:00 or remove the condition.');
    if (time.timezone !== undefined && !isValidTimeZone(time.timezone)) report('invalid_timezone', `timeOfDay.timezone "${time.timezone}" is not an IANA timezone such as Asia/Shanghai.`);
    if (time.weekdays?.length === 0) report('empty_list', 'timeOfDay.weekdays is empty; remove it to mean every day.');
    for (const r of time.ranges) {
      if (!isTimeOfDay(r.start) || !isTimeOfDay(r.end)) report('invalid_time', `time range ${r.start}–${r.end} is not HH:MM–HH:MM (00:00–24:00).`);
    }
  }
  return next;
}

function checkTarget(target: Target, groups: ReadonlyMap<string, Group>, servicers: ReadonlyMap<string, Servicer>, report: Report): void {
  if ('servicer' in target) {
    const s = servicers.get(target.servicer);
    if (!s) report('unknown_servicer', `servicer "${target.servicer}" does not exist; pick an existing servicer or a group.`);
    else if (s.status === 'departed') report('departed_servicer', `servicer ${s.name} (${s.userid}) has left (离职); route to a group or another servicer.`);
    return;
  }
  const g = groups.get(target.group);
  if (!g) {
    report('unknown_group', `group "${target.group}" does not exist; create it or pick another group.`);
    return;
  }
  const repeated = g.members.filter((m, i) => g.members.indexOf(m) !== i);
  if (repeated.length) report('duplicate_member', `group ${g.name} lists ${list([...new Set(repeated)])} more than once; each member appears once in the reception order.`);
  const unknown = g.members.filter((m) => !servicers.has(m));
  if (unknown.length) report('unknown_member', `group ${g.name} lists unknown servicers ${list(unknown)}; remove them from the group.`);
  const active = g.members.filter((m) => servicers.get(m)?.status === 'active');
  if (active.length === 0) {
    report('empty_group', `group ${g.name} has nobody who can receive customers${g.members.length ? ' (every member has left)' : ''}; add members first.`);
  }
}
