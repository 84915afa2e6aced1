import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialRoundRobin, pickLeastBusy, pickRoundRobin, pickSticky, type RoundRobinState } from './round-robin.js';

const always = () => null;

/** Members "m0".."m{n-1}" in reception order. */
const membersOf = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`);

/** Any state a stored group could hold: fresh, pointing at a member, or at one who has left. */
const stateFor = (n: number) =>
  fc.oneof(
    fc.constant(initialRoundRobin),
    fc.integer({ min: 0, max: n - 1 }).map((i): RoundRobinState => ({ last: `m${i}`, lastIndex: i })),
    fc.integer({ min: 0, max: n + 3 }).map((i): RoundRobinState => ({ last: 'gone', lastIndex: i })),
  );

/** Run picks with eligibility[p][i] saying whether member i may be chosen at pick p; returns the chosen per pick. */
function run(members: string[], state: RoundRobinState, eligibility: boolean[][]): (string | null)[] {
  const chosen: (string | null)[] = [];
  for (const row of eligibility) {
    const pick = pickRoundRobin(members, state, (u) => (row[members.indexOf(u)] ? null : 'off_shift'));
    chosen.push(pick.chosen);
    state = pick.nextState;
  }
  return chosen;
}

describe('pickRoundRobin', () => {
  it('goes round in reception order and skips ineligible members without breaking the order', () => {
    const members = ['ann', 'bob', 'cat', 'dan'];
    let state = initialRoundRobin;
    const reasons: Record<string, 'at_cap' | 'not_receiving' | undefined> = { bob: 'at_cap' };
    const next = () => {
      const p = pickRoundRobin(members, state, (u) => reasons[u] ?? null);
      state = p.nextState;
      return p;
    };
    expect(next()).toMatchObject({ chosen: 'ann', skipped: [] });
    expect(next()).toMatchObject({ chosen: 'cat', skipped: [{ userid: 'bob', reason: 'at_cap' }] });
    reasons.bob = undefined;
    reasons.dan = 'not_receiving';
    // Continues after cat (the chosen), not after bob (the skipped).
    expect(next()).toMatchObject({ chosen: 'ann', skipped: [{ userid: 'dan', reason: 'not_receiving' }] });
    expect(next()).toMatchObject({ chosen: 'bob' });
    expect(state).toEqual({ last: 'bob', lastIndex: 1 });
    expect(JSON.parse(JSON.stringify(state))).toEqual(state); // storable as JSON
  });

  it('returns nobody, every skip with its reason, and an unchanged state when all are ineligible', () => {
    const state = { last: 'b', lastIndex: 1 };
    const p = pickRoundRobin(['a', 'b', 'c'], state, () => 'departed');
    expect(p.chosen).toBeNull();
    expect(p.skipped.map((s) => s.userid)).toEqual(['c', 'a', 'b']);
    expect(p.nextState).toBe(state);
    expect(pickRoundRobin([], initialRoundRobin, always).chosen).toBeNull();
  });

  it('heals the order when the last chosen member has left the group', () => {
    // bob was chosen at index 1 and has since been removed: cat (next in the old order) is next.
    expect(pickRoundRobin(['ann', 'cat', 'dan'], { last: 'bob', lastIndex: 1 }, always).chosen).toBe('cat');
    // The last slot removed: wrap to the start.
    expect(pickRoundRobin(['ann', 'bob'], { last: 'cat', lastIndex: 2 }, always).chosen).toBe('ann');
  });

  it('property: with everyone eligible, per-member counts differ by at most 1 after any run, from any state', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }).chain((n) => fc.tuple(fc.constant(n), stateFor(n), fc.integer({ min: 0, max: 300 }))),
        ([n, state, picks]) => {
          const members = membersOf(n);
          const counts = new Map(members.map((m) => [m, 0]));
          for (const c of run(members, state, Array.from({ length: picks }, () => members.map(() => true)))) counts.set(c!, counts.get(c!)! + 1);
          const values = [...counts.values()];
          expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(1);
        },
      ),
    );
  });

  // Mostly eligible, so long windows where several members stay eligible are common.
  const mostlyTrue = fc.integer({ min: 0, max: 4 }).map((v) => v > 0);
  const flips = fc.integer({ min: 1, max: 8 }).chain((n) =>
    fc.tuple(fc.constant(n), stateFor(n), fc.array(fc.array(mostlyTrue, { minLength: n, maxLength: n }), { maxLength: 120 })),
  );

  it('property: only eligible members are chosen, and someone is chosen whenever anyone is eligible', () => {
    fc.assert(
      fc.property(flips, ([n, state, eligibility]) => {
        const chosen = run(membersOf(n), state, eligibility);
        chosen.forEach((c, p) => {
          const row = eligibility[p]!;
          if (c === null) expect(row.every((e) => !e)).toBe(true);
          else expect(row[Number(c.slice(1))]).toBe(true);
        });
      }),
    );
  });

  it('property (no catch-up): between two picks of a member, every other member eligible throughout was picked', () => {
    fc.assert(
      fc.property(flips, ([n, state, eligibility]) => {
        const chosen = run(membersOf(n), state, eligibility).map((c) => (c === null ? -1 : Number(c.slice(1))));
        for (let i = 0; i < chosen.length; i++) {
          const m = chosen[i]!;
          if (m < 0) continue;
          const j = chosen.indexOf(m, i + 1);
          if (j < 0) continue;
          for (let x = 0; x < n; x++) {
            if (x === m) continue;
            const eligibleThroughout = eligibility.slice(i + 1, j + 1).every((row) => row[x]);
            if (eligibleThroughout) expect(chosen.slice(i + 1, j)).toContain(x);
          }
        }
      }),
    );
  });

  it('property: two members eligible throughout any window get counts in it differing by at most 1', () => {
    fc.assert(
      fc.property(flips, fc.nat(), fc.nat(), ([n, state, eligibility], a, b) => {
        const chosen = run(membersOf(n), state, eligibility);
        const from = eligibility.length ? a % eligibility.length : 0;
        const to = from + (eligibility.length ? b % (eligibility.length - from + 1) : 0);
        const window = eligibility.slice(from, to);
        const steady = membersOf(n).filter((_, x) => window.every((row) => row[x]));
        const counts = steady.map((m) => chosen.slice(from, to).filter((c) => c === m).length);
        if (counts.length > 1) expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('property: with reception caps and sessions closing at random, no one exceeds the cap and the fairness guarantee holds', () => {
    const events = fc.array(fc.oneof({ arbitrary: fc.constant<'assign'>('assign'), weight: 2 }, { arbitrary: fc.nat({ max: 7 }), weight: 1 }), { maxLength: 300 });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 4 }), events, (n, cap, script) => {
        const members = membersOf(n);
        const open = members.map(() => 0);
        let state = initialRoundRobin;
        const picks: { chosen: number; eligible: boolean[] }[] = [];
        for (const e of script) {
          if (e !== 'assign') {
            // A session of member e % n closes (结束会话).
            const x = e % n;
            if (open[x]! > 0) open[x]!--;
            continue;
          }
          const eligible = open.map((o) => o < cap);
          const p = pickRoundRobin(members, state, (u) => (open[members.indexOf(u)]! < cap ? null : 'at_cap'));
          state = p.nextState;
          const c = p.chosen === null ? -1 : members.indexOf(p.chosen);
          if (c >= 0) open[c]!++;
          expect(open.every((o) => o <= cap)).toBe(true);
          picks.push({ chosen: c, eligible });
        }
        for (let i = 0; i < picks.length; i++) {
          const m = picks[i]!.chosen;
          const j = picks.findIndex((p, k) => k > i && p.chosen === m);
          if (m < 0 || j < 0) continue;
          for (let x = 0; x < n; x++) {
            if (x !== m && picks.slice(i + 1, j + 1).every((p) => p.eligible[x])) {
              expect(picks.slice(i + 1, j).some((p) => p.chosen === x)).toBe(true);
            }
          }
        }
      }),
    );
  });

  it('10,000 assignments: 7 members with equal caps get 1428 or 1429 each; with caps and closures the guarantee holds at every pick', () => {
    const members = membersOf(7);
    let state = initialRoundRobin;
    const counts = new Map(members.map((m) => [m, 0]));
    for (let i = 0; i < 10_000; i++) {
      const p = pickRoundRobin(members, state, always);
      state = p.nextState;
      counts.set(p.chosen!, counts.get(p.chosen!)! + 1);
    }
    expect(new Set(counts.values())).toEqual(new Set([1428, 1429]));

    // Cap 3, sessions closing pseudo-randomly (LCG, reproducible): the guarantee is checked at every pick.
    const open = new Map(members.map((m) => [m, 0]));
    const lastChosen = new Map(members.map((m) => [m, -1]));
    const lastIneligible = new Map(members.map((m) => [m, -1]));
    state = initialRoundRobin;
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let assigned = 0;
    for (let pick = 0; pick < 10_000; pick++) {
      for (const m of members) if (open.get(m)! >= 3) lastIneligible.set(m, pick);
      const p = pickRoundRobin(members, state, (u) => (open.get(u)! < 3 ? null : 'at_cap'));
      state = p.nextState;
      if (p.chosen !== null) {
        const m = p.chosen;
        const previous = lastChosen.get(m)!;
        // Everyone eligible at every pick since m's previous pick must have been chosen since then.
        if (previous >= 0) for (const x of members) if (x !== m && lastIneligible.get(x)! <= previous) expect(lastChosen.get(x)!).toBeGreaterThan(previous);
        lastChosen.set(m, pick);
        open.set(m, open.get(m)! + 1);
        assigned++;
      }
      expect(Math.max(...open.values())).toBeLessThanOrEqual(3);
      const busy = members.filter((m) => open.get(m)! > 0);
      if (busy.length && rand() < 0.9) {
        const m = busy[Math.floor(rand() * busy.length)]!;
        open.set(m, open.get(m)! - 1);
      }
    }
    expect(assigned).toBeGreaterThan(5_000); // the scenario really exercised both paths
    expect(assigned).toBeLessThan(10_000);
  });
});

describe('pickLeastBusy', () => {
  it('chooses the lowest open/cap ratio, ties in reception order, skipping the ineligible and the full', () => {
    const open: Record<string, number> = { ann: 2, bob: 1, cat: 3, dan: 0 };
    const cap: Record<string, number> = { ann: 4, bob: 2, cat: 10, dan: 0 };
    const load = (u: string) => ({ open: open[u]!, cap: cap[u]! });
    // ann 2/4 = bob 1/2 = 0.5, cat 0.3, dan full (cap 0).
    expect(pickLeastBusy(['ann', 'bob', 'cat', 'dan'], initialRoundRobin, always, load)).toMatchObject({
      chosen: 'cat',
      skipped: [{ userid: 'dan', reason: 'at_cap' }],
    });
    expect(pickLeastBusy(['bob', 'ann'], initialRoundRobin, always, load).chosen).toBe('bob');
    expect(pickLeastBusy(['ann', 'bob'], initialRoundRobin, always, load).chosen).toBe('ann');
    expect(pickLeastBusy(['ann', 'bob', 'cat'], initialRoundRobin, (u) => (u === 'cat' ? 'not_receiving' : null), load)).toMatchObject({
      chosen: 'ann',
      skipped: [{ userid: 'cat', reason: 'not_receiving' }],
    });
  });
});

describe('pickSticky', () => {
  const members = ['ann', 'bob', 'cat'];
  it('returns the last servicer when eligible, without using a round-robin turn', () => {
    const p = pickSticky(members, initialRoundRobin, always, 'cat');
    expect(p).toMatchObject({ chosen: 'cat', skipped: [] });
    expect(p.nextState).toBe(initialRoundRobin);
  });
  it('falls back to round-robin when the last servicer is ineligible or not in the group', () => {
    const p = pickSticky(members, initialRoundRobin, (u) => (u === 'ann' ? 'off_shift' : null), 'ann');
    expect(p).toMatchObject({ chosen: 'bob', skipped: [{ userid: 'ann', reason: 'off_shift' }] });
    expect(p.nextState).toEqual({ last: 'bob', lastIndex: 1 });
    expect(pickSticky(members, initialRoundRobin, always, 'zed').chosen).toBe('ann');
    expect(pickSticky(members, initialRoundRobin, always, undefined).chosen).toBe('ann');
  });
});
