import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Group, RoutingContext, RoutingTree, Servicer, WeeklySchedule } from './model.js';
import { routeConversation, type RouteInput } from './route.js';
import type { RoundRobinState } from './round-robin.js';

const t = (iso: string) => Date.parse(iso);
const DAY = t('2026-11-25T10:00:00+08:00'); // Wednesday morning in Beijing
const NIGHT = t('2026-11-25T02:00:00+08:00');

const servicer = (userid: string, over: Partial<Servicer> = {}): Servicer => ({
  userid,
  name: userid,
  groups: [],
  receptionCap: 3,
  supervisor: false,
  status: 'active',
  receiving: true,
  timezone: 'Asia/Shanghai',
  ...over,
});

const office: WeeklySchedule = {
  timezone: 'Asia/Shanghai',
  weekly: Object.fromEntries([1, 2, 3, 4, 5, 6, 7].map((d) => [d, [{ start: '09:00', end: '21:00' }]])),
};
const overseasShift: WeeklySchedule = { timezone: 'Asia/Shanghai', weekly: Object.fromEntries([1, 2, 3, 4, 5, 6, 7].map((d) => [d, [{ start: '21:00', end: '09:00' }]])) };

const servicers: Servicer[] = [
  servicer('ann', { groups: ['sales'] }),
  servicer('bob', { groups: ['sales'] }),
  servicer('cat', { groups: ['sales'] }),
  servicer('lead', { groups: ['sales'], supervisor: true, receptionCap: 10 }),
  servicer('boss', { groups: ['legal'], supervisor: true, receptionCap: 10 }),
  servicer('nina', { groups: ['overseas'], timezone: 'America/New_York', shift: overseasShift }),
  servicer('old', { groups: ['sales'], status: 'departed' }),
];
const groups: Group[] = [
  { id: 'sales', name: '售前', members: ['old', 'ann', 'bob', 'cat', 'lead'], strategy: 'round_robin', shift: office, supervisorCap: 2 },
  { id: 'legal', name: '法务', members: ['boss'], strategy: 'least_busy' },
  { id: 'overseas', name: '海外值班', members: ['nina'], strategy: 'round_robin' },
];
const tree: RoutingTree = {
  timezone: 'Asia/Shanghai',
  nodes: [
    { id: 'contract', name: '合同', when: { keywords: { any: ['合同'] } }, then: { group: 'legal' } },
    { id: 'vip', name: 'VIP', when: { customerTags: { any: ['vip'] } }, then: { servicer: 'bob' } },
    { id: 'sales', name: '售前', when: {}, then: { group: 'sales' } },
  ],
};

const ctx = (over: Partial<RoutingContext> = {}): RoutingContext => ({ text: '你好', kfAccount: 'wk1', channel: 'wechat', customerTags: [], at: DAY, ...over });
const input = (over: Partial<RouteInput> = {}, c: Partial<RoutingContext> = {}): RouteInput => ({
  tree,
  groups,
  servicers,
  load: { open: {} },
  roundRobin: {},
  ctx: ctx(c),
  ...over,
});

describe('routeConversation', () => {
  it('follows the tree to a group and picks in reception order, never the departed member', () => {
    const d = routeConversation(input());
    expect(d).toMatchObject({ chosen: 'ann', pool: false, chosenBy: { stage: 'target', how: 'round_robin' }, fallbackUsed: false, roundRobin: { sales: { last: 'ann', lastIndex: 1 } } });
    expect(d.branch.path).toEqual([{ id: 'sales', name: '售前' }]);
    expect(d.candidates).toEqual([
      { userid: 'old', stage: 'target', group: 'sales', eligible: false, reason: 'departed' },
      { userid: 'ann', stage: 'target', group: 'sales', eligible: true, reason: null },
      { userid: 'bob', stage: 'target', group: 'sales', eligible: true, reason: null },
      { userid: 'cat', stage: 'target', group: 'sales', eligible: true, reason: null },
      { userid: 'lead', stage: 'target', group: 'sales', eligible: true, reason: null },
    ]);
    // The returned state continues the order; the departed member is skipped every time round.
    const next = routeConversation(input({ roundRobin: { sales: { last: 'lead', lastIndex: 4 } } }));
    expect(next.chosen).toBe('ann');
  });

  it('skips members at their cap or in 停止接待, with the reason in the trace', () => {
    const paused = servicers.map((s) => (s.userid === 'ann' ? { ...s, receiving: false } : s));
    const d = routeConversation(input({ servicers: paused, load: { open: { bob: 3 } } }));
    expect(d.chosen).toBe('cat');
    expect(d.candidates.map((c) => [c.userid, c.reason])).toEqual([
      ['old', 'departed'],
      ['ann', 'not_receiving'],
      ['bob', 'at_cap'],
      ['cat', null],
      ['lead', null],
    ]);
  });

  it('uses the strategy named by the branch over the group default (least busy, sticky)', () => {
    const leastBusy: RoutingTree = { timezone: 'UTC', nodes: [{ id: 'n', name: 'n', when: {}, then: { group: 'sales', strategy: 'least_busy' } }] };
    expect(routeConversation(input({ tree: leastBusy, load: { open: { ann: 2, bob: 0, cat: 1 } } })).chosen).toBe('bob');
    const sticky: RoutingTree = { timezone: 'UTC', nodes: [{ id: 'n', name: 'n', when: {}, then: { group: 'sales', strategy: 'sticky' } }] };
    const d = routeConversation(input({ tree: sticky }, { lastServicer: 'cat' }));
    expect(d).toMatchObject({ chosen: 'cat', chosenBy: { how: 'sticky' }, roundRobin: {} });
    expect(routeConversation(input({ tree: sticky }, { lastServicer: 'old' })).chosen).toBe('ann'); // left: never sticky to 离职
  });

  it('sends a conversation outside the group’s hours to the on-duty fallback, or to the pool with the opening time', () => {
    const d = routeConversation(input({ dutyFallback: { group: 'overseas' } }, { at: NIGHT }));
    expect(d).toMatchObject({ chosen: 'nina', fallbackUsed: true, chosenBy: { stage: 'fallback' }, pool: false });
    expect(d.reason).toBe('group 售前 is outside its business hours; duty fallback: group 海外值班 (round_robin)');
    const pooled = routeConversation(input({}, { at: NIGHT }));
    expect(pooled).toMatchObject({ chosen: null, pool: true, fallbackUsed: false, expectedOnDutyAt: t('2026-11-25T09:00:00+08:00') });
    // The fallback is off shift by day: pool, still with the target's opening time.
    const both = routeConversation(input({ dutyFallback: { servicer: 'nina' } }, { at: t('2026-11-25T21:00:00+08:00') }));
    expect(both).toMatchObject({ chosen: 'nina', fallbackUsed: true });
    const dayFallback = routeConversation(input({ dutyFallback: { servicer: 'nina' }, groups: groups.map((g) => (g.id === 'sales' ? { ...g, members: ['old'] } : g)) }));
    expect(dayFallback).toMatchObject({ chosen: null, pool: true, fallbackUsed: true });
    expect(dayFallback.candidates.at(-1)).toEqual({ userid: 'nina', stage: 'fallback', eligible: false, reason: 'off_shift' });
  });

  it('shows every member as off shift outside the group’s hours, and puts a complaint at night to a supervisor on duty', () => {
    const d = routeConversation(input({}, { at: NIGHT }));
    expect(d.candidates.map((c) => [c.userid, c.reason])).toEqual([
      ['old', 'departed'],
      ['ann', 'off_shift'],
      ['bob', 'off_shift'],
      ['cat', 'off_shift'],
      ['lead', 'off_shift'],
    ]);
    const complaint = routeConversation(input({}, { at: NIGHT, complaint: true }));
    expect(complaint).toMatchObject({ chosen: 'boss', chosenBy: { stage: 'complaint' } });
    expect(complaint.candidates[0]).toEqual({ userid: 'lead', stage: 'complaint', group: 'sales', eligible: false, reason: 'off_shift' });
  });

  it('tells when the first member’s shift starts when nobody in a group without hours of its own is on duty', () => {
    const d = routeConversation(input({ tree: { timezone: 'UTC', nodes: [{ id: 'n', name: 'n', when: {}, then: { group: 'overseas' } }] } }));
    expect(d).toMatchObject({ pool: true, reason: 'nobody in group 海外值班 is on duty; no duty fallback configured: waiting pool', expectedOnDutyAt: t('2026-11-25T21:00:00+08:00') });
  });

  it('falls back when every member is off duty, but waits in the pool when they are only busy', () => {
    const nobodyReceiving = servicers.map((s) => ({ ...s, receiving: s.groups.includes('sales') ? false : s.receiving }));
    const atNight = { at: t('2026-11-25T22:00:00+08:00') };
    const noShift = groups.map((g) => (g.id === 'sales' ? { ...g, shift: undefined } : g));
    expect(routeConversation(input({ servicers: nobodyReceiving, groups: noShift, dutyFallback: { group: 'overseas' } }, atNight))).toMatchObject({ chosen: 'nina', fallbackUsed: true });
    const full = routeConversation(input({ load: { open: { ann: 3, bob: 3, cat: 3, lead: 10 } }, dutyFallback: { group: 'overseas' } }));
    expect(full).toMatchObject({ chosen: null, pool: true, fallbackUsed: false, reason: 'everyone on duty in group 售前 is at their 接待上限: waiting pool' });
  });

  it('tells when a named servicer off shift is next on duty', () => {
    const toNina: RoutingTree = { timezone: 'UTC', nodes: [{ id: 'n', name: 'n', when: {}, then: { servicer: 'nina' } }] };
    expect(routeConversation(input({ tree: toNina }))).toMatchObject({ pool: true, expectedOnDutyAt: t('2026-11-25T21:00:00+08:00'), reason: 'servicer nina is off shift; no duty fallback configured: waiting pool' });
  });

  it('routes to a named servicer, falling back when they are off duty', () => {
    expect(routeConversation(input({}, { customerTags: ['vip'] }))).toMatchObject({ chosen: 'bob', chosenBy: { how: 'servicer' } });
    const paused = servicers.map((s) => (s.userid === 'bob' ? { ...s, receiving: false } : s));
    expect(routeConversation(input({ servicers: paused, dutyFallback: { group: 'sales' } }, { customerTags: ['vip'] }))).toMatchObject({ chosen: 'ann', fallbackUsed: true });
    expect(routeConversation(input({ load: { open: { bob: 3 } }, dutyFallback: { group: 'sales' } }, { customerTags: ['vip'] }))).toMatchObject({ pool: true, fallbackUsed: false });
  });

  it('gives complaints to the target group’s supervisors first, within their separate cap, then any supervisor', () => {
    const d = routeConversation(input({}, { complaint: true, text: '我要投诉' }));
    expect(d).toMatchObject({ chosen: 'lead', chosenBy: { stage: 'complaint', how: 'supervisor' }, followUp: false });
    expect(d.candidates[0]).toEqual({ userid: 'lead', stage: 'complaint', group: 'sales', eligible: true, reason: null });
    // lead has 2 open complaints = sales' supervisorCap (though far under the 接待上限 of 10): boss takes it.
    const capped = routeConversation(input({ load: { open: { lead: 2 }, openComplaints: { lead: 2 } } }, { complaint: true }));
    expect(capped.chosen).toBe('boss');
    expect(capped.candidates.map((c) => [c.userid, c.reason])).toEqual([
      ['lead', 'at_supervisor_cap'],
      ['boss', null],
    ]);
  });

  it('counts other supervisors as off shift when all their own groups are closed', () => {
    const legalByDay = groups.map((g) => (g.id === 'legal' ? { ...g, shift: office } : g));
    const d = routeConversation(input({ groups: legalByDay, dutyFallback: { group: 'overseas' } }, { at: NIGHT, complaint: true }));
    expect(d.candidates.filter((c) => c.stage === 'complaint').map((c) => [c.userid, c.reason])).toEqual([
      ['lead', 'off_shift'],
      ['boss', 'off_shift'],
    ]);
    expect(d).toMatchObject({ chosen: 'nina', fallbackUsed: true, followUp: true });
  });

  it('retries after WeCom refuses a transfer: each refused servicer is excluded, so retries end in the pool', () => {
    const refused: string[] = [];
    const chosen: string[] = [];
    for (;;) {
      const d = routeConversation(input({ refused, dutyFallback: { group: 'overseas' } }));
      if (d.chosen === null) {
        expect(d.reason).toBe('nobody in group 售前 is on duty; duty fallback unavailable (nobody in group 海外值班 is on duty): waiting pool');
        break;
      }
      chosen.push(d.chosen);
      refused.push(d.chosen); // WeCom said: servicer not on duty
    }
    expect(chosen).toEqual(['ann', 'bob', 'cat', 'lead']);
    expect(routeConversation(input({ refused: ['ann'] })).candidates[1]).toMatchObject({ userid: 'ann', reason: 'trans_refused' });
  });

  it('sends a complaint no supervisor can take to the duty fallback (not to a junior) and flags it', () => {
    const busy = { load: { open: { lead: 10, boss: 10 } } };
    const d = routeConversation(input({ ...busy, dutyFallback: { servicer: 'cat' } }, { complaint: true }));
    expect(d).toMatchObject({ chosen: 'cat', fallbackUsed: true, followUp: true, chosenBy: { stage: 'fallback' } });
    expect(d.candidates.filter((c) => c.stage === 'target')).toEqual([]); // the sales juniors were not considered
    expect(routeConversation(input(busy, { complaint: true }))).toMatchObject({ chosen: null, pool: true, followUp: true });
  });

  it('waits in the pool when no branch matches', () => {
    const narrow: RoutingTree = { timezone: 'UTC', nodes: [tree.nodes[0]!] };
    expect(routeConversation(input({ tree: narrow }))).toMatchObject({ chosen: null, pool: true, reason: 'no branch of the routing tree matched: waiting pool', branch: { target: null } });
  });

  it('threads round-robin state through 3,000 conversations: each active sales member gets 750', () => {
    let state: Record<string, RoundRobinState> = {};
    const counts: Record<string, number> = {};
    for (let i = 0; i < 3000; i++) {
      const d = routeConversation(input({ roundRobin: state }));
      counts[d.chosen!] = (counts[d.chosen!] ?? 0) + 1;
      state = { ...state, ...d.roundRobin };
    }
    expect(counts).toEqual({ ann: 750, bob: 750, cat: 750, lead: 750 });
  });

  it('property: whoever is chosen is active, 接待中, on shift and under their cap; complaints go to supervisors or the fallback', () => {
    const person = fc.record({
      departed: fc.boolean(),
      receiving: fc.boolean(),
      supervisor: fc.boolean(),
      cap: fc.integer({ min: 0, max: 3 }),
      open: fc.integer({ min: 0, max: 4 }),
      complaints: fc.integer({ min: 0, max: 2 }),
      nightShift: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(person, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.boolean(),
        fc.constantFrom(undefined, 'ann', 'p0', 'p1'),
        fc.option(fc.constantFrom({ group: 'g' }, { servicer: 'p0' }), { nil: undefined }),
        fc.constantFrom(DAY, NIGHT),
        (people, memberPicks, complaint, lastServicer, dutyFallback, at) => {
          const ss: Servicer[] = people.map((p, i) =>
            servicer(`p${i}`, {
              status: p.departed ? 'departed' : 'active',
              receiving: p.receiving,
              supervisor: p.supervisor,
              receptionCap: p.cap,
              groups: ['g'],
              ...(p.nightShift && { shift: overseasShift }),
            }),
          );
          const members = [...new Set(memberPicks.map((k) => `p${k % people.length}`))];
          const gs: Group[] = [{ id: 'g', name: 'g', members, strategy: 'sticky', supervisorCap: 1, shift: office }];
          const open = Object.fromEntries(people.map((p, i) => [`p${i}`, p.open]));
          const openComplaints = Object.fromEntries(people.map((p, i) => [`p${i}`, p.complaints]));
          const d = routeConversation({
            tree: { timezone: 'Asia/Shanghai', nodes: [{ id: 'n', name: 'n', when: {}, then: { group: 'g' } }] },
            groups: gs,
            servicers: ss,
            load: { open, openComplaints },
            roundRobin: {},
            ctx: ctx({ complaint, lastServicer, at }),
            ...(dutyFallback && { dutyFallback }),
          });
          expect(d.pool).toBe(d.chosen === null);
          if (d.chosen === null) return;
          const i = Number(d.chosen.slice(1));
          const p = people[i]!;
          expect(p.departed).toBe(false);
          expect(p.receiving).toBe(true);
          expect(p.open).toBeLessThan(p.cap);
          if (p.nightShift) expect(at).toBe(NIGHT);
          if (complaint && d.chosenBy?.stage === 'complaint') {
            expect(p.supervisor).toBe(true);
            expect(p.complaints).toBeLessThan(1);
          }
          if (complaint) expect(d.chosenBy?.stage).not.toBe('target');
          expect(d.candidates.some((c) => c.userid === d.chosen && c.eligible)).toBe(true);
        },
      ),
    );
  });
});
