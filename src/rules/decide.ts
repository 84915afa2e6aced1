/**
 * decideReplies: given the rules and one customer message, which rules fire, what is sent, and why
 * the other candidate rules were skipped. Pure and synchronous: the pipeline and the sandbox
 * (/api/simulate, `wereply simulate`) call the same code, so the trace is what really happens.
 */
import { isWithinActiveHours, describeActiveHours } from './active-hours.js';
import { KeywordIndex } from './keyword-index.js';
import { normalizeText } from './normalize.js';
import { DEFAULT_HANDOFF, type HandoffRoute, type HandoffSettings, type MatchKind, type MessageItem, type Rule } from './rule.js';
import { compileUserRegex, type SafeRegex } from './safe-regex.js';

export interface MatchedRule {
  rule_id: number;
  name: string;
  /** The keyword (or command / pattern) that made it match; null for any-message and welcome rules. */
  keyword: string | null;
  kind: MatchKind | 'any_message' | 'welcome';
}

export interface SkippedRule {
  rule: { id: number; name: string };
  /**
   * regex_timeout: a pattern hit its own time limit on this message; regex_budget: the message's
   * total regex time was used up by higher-priority rules, so this rule's patterns were not run.
   * Both count as "no match" and are recorded per rule (regex_rule_stats), never silent.
   */
  reason: 'disabled' | 'draft' | 'outside_active_hours' | 'cooldown' | 'stopped_by_higher_priority' | 'regex_timeout' | 'regex_budget' | 'keyword_rule_answered';
  detail: string;
}

/** Why and where a conversation goes to a human (转人工). */
export interface HandoffDecision {
  /** reassign: routing runs again (a slot freed up for the pool, or the servicer left). */
  reason: 'rule' | 'phrase' | 'unmatched' | 'reassign';
  detail: string;
  route?: HandoffRoute;
  rule_id?: number;
}

export interface Decision {
  matched: MatchedRule[];
  /** Replies in send order, each with the rule that produced it. */
  replies: { rule_id: number; reply: MessageItem }[];
  /** Hand the conversation to a human after the replies, or null. */
  handoff: HandoffDecision | null;
  skipped: SkippedRule[];
  /** True when an any-message rule answered (its cooldown starts now). */
  anyMessageReplied: boolean;
  /** True when no keyword rule matched (counts towards a handoff after N misses). */
  unmatched: boolean;
}

export interface DecideInput {
  /** Message text; null for media and events. */
  text: string | null;
  /** The customer is a 测试账号: draft rules fire for them. */
  testAccount: boolean;
  /** When the message was sent (ms), for active hours. */
  at: number;
  /** When this customer last got the any-message reply (ms), for its cooldown. */
  lastAnyReplyAt: number | null;
  /** Customer messages in a row before this one that no keyword rule matched. */
  unmatchedStreak?: number;
}

interface CompiledKeywordRule {
  rule: Rule;
  order: number;
  regexes: { pattern: string; regex: SafeRegex }[];
  /** Normalised keyword lists. */
  exact: string[];
  any: string[];
  all: string[];
  none: string[];
  command: string[];
}

/** Default total regex time per message (ms): WEREPLY_REGEX_BUDGET_MS. */
export const DEFAULT_REGEX_BUDGET_MS = 50;

export interface RuleSetOptions {
  /** Total time all regex rules together may take on one message (ms). */
  regexBudgetMs?: number;
  /** Milliseconds, for measuring regex time (tests pass a fake one); default performance.now. */
  clock?: () => number;
}

/** What is left of one message's regex time. */
interface RegexBudget {
  totalMs: number;
  leftMs: number;
  clock: () => number;
}

/** Rules compiled once per change: one keyword automaton for every rule's words. */
export class RuleSet {
  private readonly index: KeywordIndex;
  private readonly words: string[];
  /** keyword → rules whose any/all lists contain it (candidates when it occurs). */
  private readonly byWord = new Map<string, CompiledKeywordRule[]>();
  private readonly byExact = new Map<string, CompiledKeywordRule[]>();
  private readonly byCommand = new Map<string, CompiledKeywordRule[]>();
  private readonly regexRules: CompiledKeywordRule[] = [];
  private readonly anyMessageRules: Rule[];
  readonly welcomeRules: Rule[];

  private readonly handoffPhrases: string[];
  readonly regexBudgetMs: number;
  private readonly clock: () => number;

  constructor(
    rules: readonly Rule[],
    readonly timezone: string,
    readonly handoff: HandoffSettings = DEFAULT_HANDOFF,
    opts: RuleSetOptions = {},
  ) {
    this.regexBudgetMs = opts.regexBudgetMs ?? DEFAULT_REGEX_BUDGET_MS;
    this.clock = opts.clock ?? (() => performance.now());
    this.handoffPhrases = handoff.phrases.map((p) => normalizeText(p)).filter(Boolean);
    const byPriority = [...rules].sort((a, b) => b.priority - a.priority || a.id - b.id);
    const wordSet = new Set<string>();
    byPriority.forEach((rule, order) => {
      if (rule.kind !== 'keyword' || !rule.match) return;
      const m = rule.match;
      const norm = (list?: string[]) => (list ?? []).map((w) => normalizeText(w)).filter(Boolean);
      const c: CompiledKeywordRule = {
        rule,
        order,
        regexes: [],
        exact: norm(m.exact),
        any: norm(m.any),
        all: norm(m.all),
        none: norm(m.none),
        command: norm(m.command?.map((w) => w.replace(/^[#＃]/, ''))),
      };
      for (const pattern of m.regex ?? []) {
        const compiled = compileUserRegex(pattern, 'iu');
        if (compiled.ok) c.regexes.push({ pattern, regex: compiled.regex });
      }
      for (const w of [...c.any, ...c.all, ...c.none]) wordSet.add(w);
      for (const w of [...c.any, ...c.all]) push(this.byWord, w, c);
      for (const w of c.exact) push(this.byExact, w, c);
      for (const w of c.command) push(this.byCommand, w, c);
      if (c.regexes.length) this.regexRules.push(c);
    });
    this.words = [...wordSet];
    this.index = KeywordIndex.build(this.words);
    this.anyMessageRules = byPriority.filter((r) => r.kind === 'any_message');
    this.welcomeRules = byPriority.filter((r) => r.kind === 'welcome');
  }

  decide(input: DecideInput): Decision {
    const decision: Decision = { matched: [], replies: [], handoff: null, skipped: [], anyMessageReplied: false, unmatched: true };
    const text = input.text === null ? null : normalizeText(input.text);
    if (text !== null) this.decideKeywords(text, input, decision);
    this.decideHandoff(text, input, decision);

    if (decision.replies.length === 0) {
      for (const rule of this.anyMessageRules) {
        const blocked = this.blockedBy(rule, input);
        if (blocked) {
          decision.skipped.push(blocked);
          continue;
        }
        const cooldownMs = (rule.cooldown_seconds ?? 0) * 1000;
        if (input.lastAnyReplyAt !== null && cooldownMs > 0 && input.at - input.lastAnyReplyAt < cooldownMs) {
          const waitS = Math.ceil((cooldownMs - (input.at - input.lastAnyReplyAt)) / 1000);
          decision.skipped.push({ rule: ref(rule), reason: 'cooldown', detail: `this customer got it less than ${rule.cooldown_seconds}s ago (${waitS}s left)` });
          continue;
        }
        this.fire(rule, null, 'any_message', decision);
        decision.anyMessageReplied = true;
        break;
      }
    } else {
      for (const rule of this.anyMessageRules) {
        if (rule.enabled) decision.skipped.push({ rule: ref(rule), reason: 'keyword_rule_answered', detail: 'a keyword rule already answered this message' });
      }
    }
    return decision;
  }

  /** The welcome message for enter_session: the first welcome rule allowed now. */
  decideWelcome(input: Omit<DecideInput, 'text' | 'lastAnyReplyAt'>): Decision {
    const decision: Decision = { matched: [], replies: [], handoff: null, skipped: [], anyMessageReplied: false, unmatched: false };
    for (const rule of this.welcomeRules) {
      const blocked = this.blockedBy(rule, { ...input, text: null, lastAnyReplyAt: null });
      if (blocked) {
        decision.skipped.push(blocked);
        continue;
      }
      this.fire(rule, null, 'welcome', decision);
      break;
    }
    return decision;
  }

  private decideKeywords(text: string, input: DecideInput, decision: Decision): void {
    if (!text) return;
    const present = new Set<string>();
    for (const i of this.index.matchedKeywords(text)) present.add(this.words[i]!);

    // Candidate rules: those with a hit on at least one of their positive conditions.
    const candidates = new Map<CompiledKeywordRule, { keyword: string; kind: MatchKind } | null>();
    for (const c of this.byExact.get(text) ?? []) candidates.set(c, null);
    const cmd = commandWord(text);
    if (cmd) for (const c of this.byCommand.get(cmd) ?? []) candidates.set(c, null);
    for (const w of present) for (const c of this.byWord.get(w) ?? []) candidates.set(c, null);
    for (const c of this.regexRules) candidates.set(c, null);

    const ordered = [...candidates.keys()].sort((a, b) => a.order - b.order);
    const budget: RegexBudget = { totalMs: this.regexBudgetMs, leftMs: this.regexBudgetMs, clock: this.clock };
    let stoppedBy: Rule | null = null;
    for (const c of ordered) {
      const hit = evaluate(c, text, cmd, present, decision, budget);
      if (!hit) continue;
      decision.unmatched = false;
      if (stoppedBy) {
        decision.skipped.push({ rule: ref(c.rule), reason: 'stopped_by_higher_priority', detail: `rule #${stoppedBy.id} "${stoppedBy.name}" matched first and stops further rules` });
        continue;
      }
      const blocked = this.blockedBy(c.rule, input);
      if (blocked) {
        decision.skipped.push(blocked);
        continue;
      }
      this.fire(c.rule, hit.keyword, hit.kind, decision);
      if (c.rule.stop) stoppedBy = c.rule;
    }
  }

  /** Why an otherwise matching rule may not fire now, or null. */
  private blockedBy(rule: Rule, input: DecideInput): SkippedRule | null {
    if (!rule.enabled) return { rule: ref(rule), reason: 'disabled', detail: 'the rule is disabled' };
    if (rule.status === 'draft' && !input.testAccount) {
      return { rule: ref(rule), reason: 'draft', detail: 'draft rules fire only for test accounts (测试账号)' };
    }
    if (rule.active_hours && !isWithinActiveHours(rule.active_hours, input.at, this.timezone)) {
      return { rule: ref(rule), reason: 'outside_active_hours', detail: `active ${describeActiveHours(rule.active_hours, this.timezone)}` };
    }
    return null;
  }

  private fire(rule: Rule, keyword: string | null, kind: MatchedRule['kind'], decision: Decision): void {
    decision.matched.push({ rule_id: rule.id, name: rule.name, keyword, kind });
    for (const reply of rule.reply) {
      if (reply.type === 'handoff') {
        decision.handoff ??= { reason: 'rule', detail: `rule #${rule.id} "${rule.name}" hands off`, rule_id: rule.id, ...(reply.route ? { route: reply.route } : {}) };
      } else decision.replies.push({ rule_id: rule.id, reply });
    }
  }

  /** 转人工: a rule said so (above), the customer asked for a person, or nothing matched N times in a row. */
  private decideHandoff(text: string | null, input: DecideInput, decision: Decision): void {
    if (decision.handoff) return;
    const phrase = text ? this.handoffPhrases.find((p) => text.includes(p)) : undefined;
    if (phrase) {
      decision.handoff = { reason: 'phrase', detail: `the customer asked for a person ("${phrase}")` };
      return;
    }
    const after = this.handoff.after_unmatched;
    if (after > 0 && decision.unmatched && (input.unmatchedStreak ?? 0) + 1 >= after) {
      decision.handoff = { reason: 'unmatched', detail: `no rule matched ${after} customer messages in a row` };
    }
  }
}

/**
 * Does the rule's whole condition hold? Every condition it has must hold (none excludes);
 * returns the keyword that made it match, reported in the trace. Regexes run last: they cost most.
 */
function evaluate(
  c: CompiledKeywordRule,
  text: string,
  cmd: string | null,
  present: Set<string>,
  decision: Decision,
  budget: RegexBudget,
): { keyword: string; kind: MatchKind } | null {
  if (c.none.some((w) => present.has(w))) return null;
  let hit: { keyword: string; kind: MatchKind } | null = null;
  if (c.exact.length) {
    if (!c.exact.includes(text)) return null;
    hit ??= { keyword: text, kind: 'exact' };
  }
  if (c.command.length) {
    if (!cmd || !c.command.includes(cmd)) return null;
    hit ??= { keyword: `#${cmd}`, kind: 'command' };
  }
  if (c.any.length) {
    const w = c.any.find((k) => present.has(k));
    if (!w) return null;
    hit ??= { keyword: w, kind: 'any' };
  }
  if (c.all.length) {
    if (!c.all.every((w) => present.has(w))) return null;
    hit ??= { keyword: c.all.join('+'), kind: 'all' };
  }
  if (c.regexes.length) {
    let regexHit: { keyword: string; kind: MatchKind } | null = null;
    for (const { pattern, regex } of c.regexes) {
      if (budget.leftMs <= 0) {
        decision.skipped.push({
          rule: ref(c.rule),
          reason: 'regex_budget',
          detail: `pattern ${pattern} was not run: higher-priority regex rules used up this message's regex budget (${budget.totalMs} ms)`,
        });
        return null;
      }
      const started = budget.clock();
      const r = regex.test(text, budget.leftMs);
      const spent = budget.clock() - started;
      // A call cut at its limit is charged at least that limit, so the count of calls a budget allows does not depend on timer jitter.
      budget.leftMs -= r === 'timeout' ? Math.max(spent, Math.min(regex.timeoutMs, budget.leftMs)) : spent;
      if (r === 'timeout') {
        decision.skipped.push({ rule: ref(c.rule), reason: 'regex_timeout', detail: `pattern ${pattern} exceeded its time limit on this message` });
      } else if (r) {
        regexHit = { keyword: pattern, kind: 'regex' };
        break;
      }
    }
    if (!regexHit) return null;
    hit ??= regexHit;
  }
  return hit;
}

/** "#退货 12345" → "退货" (after normalisation the # is ASCII). */
function commandWord(text: string): string | null {
  if (text.charCodeAt(0) !== 35 /* # */) return null;
  const end = text.indexOf(' ');
  const word = end === -1 ? text.slice(1) : text.slice(1, end);
  return word || null;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) {
    if (!list.includes(value)) list.push(value);
  } else map.set(key, [value]);
}

function ref(rule: Rule): { id: number; name: string } {
  return { id: rule.id, name: rule.name };
}
