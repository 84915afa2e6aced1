import { describe, expect, it } from 'vitest';
import { RuleSet } from './decide.js';
import type { Rule } from './rule.js';

let nextId = 1;
function rule(p: Partial<Rule> & Pick<Rule, 'name'>): Rule {
  return {
    id: nextId++,
    kind: 'keyword',
    match: null,
    reply: [{ type: 'text', text: p.name }],
    priority: 0,
    stop: true,
    active_hours: null,
    cooldown_seconds: null,
    enabled: true,
    status: 'live',
    hit_count: 0,
    created_at: 0,
    updated_at: 0,
    ...p,
  };
}

const at = Date.parse('2026-11-25T10:00:00+08:00');
const input = (text: string | null, extra: Partial<{ testAccount: boolean; at: number; lastAnyReplyAt: number | null }> = {}) => ({
  text,
  testAccount: false,
  at,
  lastAnyReplyAt: null,
  ...extra,
});

describe('RuleSet.decide', () => {
  it('combines conditions: any + all + none', () => {
    const r = rule({ name: 'iphone price', match: { any: ['价格', '多少钱'], all: ['iphone'], none: ['以旧换新'] } });
    const set = new RuleSet([r], 'Asia/Shanghai');
    expect(set.decide(input('iPhone 的价格')).matched).toEqual([{ rule_id: r.id, name: r.name, keyword: '价格', kind: 'any' }]);
    expect(set.decide(input('价格多少')).matched).toEqual([]);
    expect(set.decide(input('iphone 以旧换新 价格')).matched).toEqual([]);
  });

  it('exact compares the whole normalised message', () => {
    const r = rule({ name: 'hi', match: { exact: ['你好', 'HELLO'] } });
    const set = new RuleSet([r], 'Asia/Shanghai');
    expect(set.decide(input('  ｈｅｌｌｏ ')).matched[0]).toMatchObject({ kind: 'exact', keyword: 'hello' });
    expect(set.decide(input('你好，在吗')).matched).toEqual([]);
  });

  it('all alone needs every word', () => {
    const r = rule({ name: 'vip', match: { all: ['会员', '价格'] } });
    const set = new RuleSet([r], 'Asia/Shanghai');
    expect(set.decide(input('会员价格')).matched[0]).toMatchObject({ kind: 'all', keyword: '会员+价格' });
    expect(set.decide(input('会员')).matched).toEqual([]);
  });

  it('fires in priority order and stops, or continues when stop is false', () => {
    const low = rule({ name: 'low', priority: 1, match: { any: ['退货'] } });
    const high = rule({ name: 'high', priority: 5, stop: false, match: { any: ['退货'] } });
    const top = rule({ name: 'top', priority: 9, match: { any: ['急'] } });
    const set = new RuleSet([low, high, top], 'Asia/Shanghai');
    expect(set.decide(input('退货')).matched.map((m) => m.name)).toEqual(['high', 'low']);
    const d = set.decide(input('急退货'));
    expect(d.matched.map((m) => m.name)).toEqual(['top']);
    expect(d.skipped.map((s) => [s.rule.name, s.reason])).toEqual([
      ['high', 'stopped_by_higher_priority'],
      ['low', 'stopped_by_higher_priority'],
    ]);
  });

  it('skips disabled rules and drafts for ordinary customers, with reasons', () => {
    const off = rule({ name: 'off', enabled: false, match: { any: ['a1'] } });
    const draft = rule({ name: 'draft', status: 'draft', match: { any: ['a1'] } });
    const set = new RuleSet([off, draft], 'Asia/Shanghai');
    expect(set.decide(input('a1')).skipped.map((s) => s.reason).sort()).toEqual(['disabled', 'draft']);
    expect(set.decide(input('a1', { testAccount: true })).matched.map((m) => m.name)).toEqual(['draft']);
  });

  it('answers with the any-message rule only when no keyword rule did, within its cooldown once', () => {
    const kw = rule({ name: 'kw', match: { any: ['退货'] } });
    const any = rule({ name: 'any', kind: 'any_message', cooldown_seconds: 60 });
    const set = new RuleSet([kw, any], 'Asia/Shanghai');
    expect(set.decide(input('退货')).matched.map((m) => m.name)).toEqual(['kw']);
    const first = set.decide(input('随便'));
    expect(first.matched.map((m) => m.kind)).toEqual(['any_message']);
    expect(first.anyMessageReplied).toBe(true);
    const second = set.decide(input('随便', { lastAnyReplyAt: at - 30_000 }));
    expect(second.matched).toEqual([]);
    expect(second.skipped[0]).toMatchObject({ reason: 'cooldown' });
    expect(set.decide(input('随便', { lastAnyReplyAt: at - 61_000 })).matched).toHaveLength(1);
    // Pictures and other non-text messages get the any-message reply too.
    expect(set.decide(input(null)).matched.map((m) => m.name)).toEqual(['any']);
  });

  it('matches regex rules and reports a runaway pattern as skipped, not as a hang', () => {
    const order = rule({ name: 'order', match: { regex: ['^\\d{12,20}$'] } });
    const set = new RuleSet([order], 'Asia/Shanghai');
    expect(set.decide(input('202611250001234')).matched[0]).toMatchObject({ kind: 'regex' });
    expect(set.decide(input('订单 123')).matched).toEqual([]);
  });

  it('welcome: the first welcome rule allowed now', () => {
    const w1 = rule({ name: 'night welcome', kind: 'welcome', priority: 2, active_hours: { ranges: [{ start: '22:00', end: '08:00' }] } });
    const w2 = rule({ name: 'welcome', kind: 'welcome', priority: 1 });
    const set = new RuleSet([w1, w2], 'Asia/Shanghai');
    expect(set.decideWelcome({ testAccount: false, at }).matched.map((m) => m.name)).toEqual(['welcome']);
    expect(set.decideWelcome({ testAccount: false, at: Date.parse('2026-11-25T23:00:00+08:00') }).matched.map((m) => m.name)).toEqual(['night welcome']);
  });

  it('decides 转人工: a rule action (after its messages), a phrase of the customer, or N unmatched in a row', () => {
    const complaint = rule({ name: '投诉', match: { any: ['投诉'] }, reply: [{ type: 'text', text: '抱歉' }, { type: 'handoff', route: { group: 'vip' } }] });
    const set = new RuleSet([complaint], 'Asia/Shanghai', { phrases: ['转人工', 'ＨＵＭＡＮ'], after_unmatched: 3, waiting_message: '稍候' });
    const byRule = set.decide(input('我要投诉'));
    expect(byRule.replies.map((r) => r.reply.type)).toEqual(['text']);
    expect(byRule.handoff).toMatchObject({ reason: 'rule', rule_id: complaint.id, route: { group: 'vip' } });
    expect(set.decide(input('请帮我 转人工 谢谢')).handoff).toMatchObject({ reason: 'phrase' });
    expect(set.decide(input('human please')).handoff).toMatchObject({ reason: 'phrase' });
    expect(set.decide({ ...input('不懂'), unmatchedStreak: 1 }).handoff).toBeNull();
    expect(set.decide({ ...input('不懂'), unmatchedStreak: 2 }).handoff).toMatchObject({ reason: 'unmatched' });
    expect(new RuleSet([], 'Asia/Shanghai', { phrases: [], after_unmatched: 0, waiting_message: 'x' }).decide({ ...input('不懂'), unmatchedStreak: 50 }).handoff).toBeNull();
  });
});

describe('RuleSet.decide: the regex budget of one message', () => {
  // Twenty regex rules, none of which matches; the fake clock charges every regex call 5 ms.
  const slowRules = () => Array.from({ length: 20 }, (_, i) => rule({ name: `slow ${i}`, priority: 100 - i, match: { regex: [`(退货|退款)\\s*\\d+${i}$`] } }));
  const fakeClock = (stepMs: number) => {
    let t = 0;
    return () => (t += stepMs); // read before and after each call: each call spends stepMs
  };

  it('runs regex rules in priority order until the budget is spent, and records every rule it skipped', () => {
    const rules = slowRules();
    const set = new RuleSet(rules, 'Asia/Shanghai', undefined, { regexBudgetMs: 50, clock: fakeClock(5) });
    const d = set.decide(input('退货 ' + '1'.repeat(3000) + 'x'));
    const skipped = d.skipped.filter((s) => s.reason === 'regex_budget');
    // 50 ms / 5 ms per rule: the 10 highest-priority rules ran, the other 10 were skipped — and said so.
    expect(skipped.map((s) => s.rule.name)).toEqual(rules.slice(10).map((r) => r.name));
    expect(skipped[0]!.detail).toMatch(/regex budget \(50 ms\)/);
    expect(d.matched).toEqual([]);
  });

  it('gives every message its own budget', () => {
    const set = new RuleSet(slowRules(), 'Asia/Shanghai', undefined, { regexBudgetMs: 50, clock: fakeClock(5) });
    for (let k = 0; k < 3; k++) expect(set.decide(input('退货 ' + '1'.repeat(3000) + 'x')).skipped.filter((s) => s.reason === 'regex_budget')).toHaveLength(10);
  });

  it('charges a call cut at its time limit at least that limit', () => {
    // The clock says no time passed; only the timeouts spend the budget (20 ms each): 50 → 30 → 10 → 0.
    const timeouts = Array.from({ length: 20 }, (_, i) => rule({ name: `t${i}`, priority: 100 - i, match: { regex: ['\\s+$'] } }));
    const set = new RuleSet(timeouts, 'Asia/Shanghai', undefined, { regexBudgetMs: 50, clock: () => 0 });
    const d = set.decide(input(' '.repeat(4000) + 'x'));
    const timedOut = d.skipped.filter((s) => s.reason === 'regex_timeout').length;
    const budget = d.skipped.filter((s) => s.reason === 'regex_budget').length;
    // Every rule is accounted for: it ran (and did not match), timed out, or was skipped for the budget.
    expect(timedOut + budget).toBeLessThanOrEqual(20);
    if (timedOut >= 3) expect(budget).toBe(20 - timedOut);
    expect(timedOut).toBeLessThanOrEqual(3);
  });
});
