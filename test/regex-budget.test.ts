/**
 * The per-message regex budget end to end: 20 regex rules on one message, a budget that the first
 * guarded regex call uses up — the other 19 are skipped, and every skip is recorded: in the message's
 * decision trace, in the rule's counters (GET /api/rules: regex_health, added up across messages and
 * instances), and in /metrics. Counts, not wall time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, eventually, startStack, type Stack } from './stack.js';

describe.each(ENGINES)('regex budget on %s', (engine) => {
  let s: Stack;
  const ids: number[] = [];
  beforeAll(async () => {
    // 1 µs: any regex call through the time-limited runner (~100 µs) spends it.
    s = await startStack(engine, { env: { WEREPLY_REGEX_BUDGET_MS: '0.001' } });
    for (let i = 0; i < 20; i++) {
      const r = await s.api('POST', '/api/rules', { name: `慢正则 ${i}`, priority: 100 - i, match: { regex: [`(退货|退款)\\s*\\d+${i}号$`] }, reply: [{ type: 'text', text: `r${i}` }] });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      ids.push(r.body.id);
    }
  });
  afterAll(async () => s?.close());

  const decisionOf = async (user: string) => {
    const row = await eventually(
      () => s.wr.store.db.selectFrom('messages').select('decision').where('external_userid', '=', user).where('origin', '=', 3).executeTakeFirst(),
      15_000,
      `the message of ${user} to be stored`,
    );
    return JSON.parse(row.decision!) as { skipped: { rule: { id: number }; reason: string; detail: string }[] };
  };

  it('skips the rules past the budget, in priority order, and records each skip', async () => {
    // Long enough that every pattern runs under the time limit (not the direct path).
    const text = '退货 ' + '1'.repeat(2000) + ' 好的';
    await Promise.all(['wm_rx1', 'wm_rx2'].map((u) => s.mock.customerSays({ external_userid: u, text })));
    for (const user of ['wm_rx1', 'wm_rx2']) {
      const d = await decisionOf(user);
      const budget = d.skipped.filter((x) => x.reason === 'regex_budget');
      expect(budget.map((x) => x.rule.id)).toEqual(ids.slice(1));
      expect(budget[0]!.detail).toMatch(/regex budget \(0\.001 ms\)/);
    }
    // Counted per rule, both messages: the console shows "skipped on 2 messages".
    const rules = (await s.api('GET', '/api/rules')).body as { id: number; regex_health: { budget_skips: number; timeouts: number; last_at: number } | null }[];
    const byId = new Map(rules.map((r) => [r.id, r.regex_health]));
    expect(byId.get(ids[0]!)).toBeNull();
    for (const id of ids.slice(1)) expect(byId.get(id)).toMatchObject({ budget_skips: 2, timeouts: 0 });
    expect((await s.api('GET', `/api/rules/${ids[5]}`)).body.regex_health).toMatchObject({ budget_skips: 2 });
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/wereply_regex_rules_skipped_total\{reason="budget"\} 38\b/);
  });

  it('shows the same skips in the sandbox, without counting them', async () => {
    const r = await s.api('POST', '/api/simulate', { text: '退款 ' + '2'.repeat(2000) });
    expect(r.status).toBe(200);
    expect((r.body.skipped as { reason: string }[]).filter((x) => x.reason === 'regex_budget')).toHaveLength(19);
    const rules = (await s.api('GET', '/api/rules')).body as { id: number; regex_health: { budget_skips: number } | null }[];
    expect(rules.find((x) => x.id === ids[1])!.regex_health!.budget_skips).toBe(2);
  });
});
