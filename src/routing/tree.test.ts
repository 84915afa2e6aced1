import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Group, RoutingContext, RoutingNode, RoutingTree, Servicer } from './model.js';
import { evaluateTree, validateTree } from './tree.js';

const t = (iso: string) => Date.parse(iso);

const ctx = (over: Partial<RoutingContext> = {}): RoutingContext => ({
  text: '你好',
  kfAccount: 'wk_cn',
  channel: 'wechat',
  customerTags: [],
  at: t('2026-11-25T10:00:00+08:00'),
  ...over,
});

const servicer = (userid: string, over: Partial<Servicer> = {}): Servicer => ({
  userid,
  name: userid,
  groups: [],
  receptionCap: 5,
  supervisor: false,
  status: 'active',
  receiving: true,
  timezone: 'Asia/Shanghai',
  ...over,
});

const servicers = [servicer('ann'), servicer('bob'), servicer('cat'), servicer('old', { status: 'departed' })];
const groups: Group[] = [
  { id: 'legal', name: '法务', members: ['ann'], strategy: 'round_robin' },
  { id: 'repair', name: '售后工程师', members: ['bob', 'cat'], strategy: 'least_busy' },
  { id: 'east', name: '华东', members: ['ann', 'bob'], strategy: 'round_robin' },
  { id: 'south', name: '华南', members: ['cat'], strategy: 'round_robin' },
  { id: 'overseas', name: '海外', members: ['cat'], strategy: 'round_robin' },
  { id: 'general', name: '综合', members: ['ann', 'bob', 'cat'], strategy: 'round_robin' },
];

/** The example: 合同 → 法务; 维修/技术 → 售后; product line → region → group; overseas at night; default. */
const tree: RoutingTree = {
  timezone: 'Asia/Shanghai',
  nodes: [
    { id: 'contract', name: '合同', when: { keywords: { any: ['合同'] } }, then: { group: 'legal' } },
    { id: 'repair', name: '维修', when: { keywords: { any: ['维修', '技术'], none: ['合同'] } }, then: { group: 'repair', strategy: 'sticky' } },
    {
      id: 'aircon',
      name: '空调',
      when: { keywords: { any: ['空调', 'AC'] } },
      then: {
        children: [
          { id: 'aircon-east', name: '华东', when: { kfAccounts: ['wk_sh', 'wk_hz'] }, then: { group: 'east' } },
          { id: 'aircon-south', name: '华南', when: { customerTags: { any: ['广东', '广西'] } }, then: { group: 'south' } },
        ],
      },
    },
    {
      id: 'night-overseas',
      name: '海外夜间',
      when: { customerTimezones: ['America/New_York', 'Europe/London'], timeOfDay: { ranges: [{ start: '22:00', end: '08:00' }] } },
      then: { group: 'overseas' },
    },
    { id: 'vip', name: 'VIP', when: { customerTags: { all: ['vip', '企业'] } }, then: { servicer: 'bob' } },
    { id: 'default', name: '默认', when: {}, then: { group: 'general' } },
  ],
};

describe('evaluateTree', () => {
  it('routes by keywords through the rule matcher (normalised: full-width and case)', () => {
    expect(evaluateTree(tree, ctx({ text: '我想看一下合同' }))).toMatchObject({ path: [{ id: 'contract', name: '合同' }], target: { group: 'legal' } });
    expect(evaluateTree(tree, ctx({ text: '空调需要维修' })).target).toEqual({ group: 'repair', strategy: 'sticky' });
    // keywords.none: a 维修 message mentioning 合同 already went to 法务; the 维修 node itself excludes it.
    const r = evaluateTree({ ...tree, nodes: tree.nodes.slice(1) }, ctx({ text: '维修合同' }));
    expect(r.trace[0]).toMatchObject({ nodeId: 'repair', held: false, checks: [{ condition: 'keywords', held: false, detail: 'matched [维修]; excluded by [合同]' }] });
    expect(evaluateTree(tree, ctx({ text: 'ＡＣ坏了', kfAccount: 'wk_sh' })).path.map((p) => p.id)).toEqual(['aircon', 'aircon-east']);
  });

  it('descends into children, and falls through to later nodes when no child matches', () => {
    expect(evaluateTree(tree, ctx({ text: '空调', customerTags: ['广东'] })).path.map((p) => p.id)).toEqual(['aircon', 'aircon-south']);
    const r = evaluateTree(tree, ctx({ text: '空调', kfAccount: 'wk_bj' }));
    expect(r.path.map((p) => p.id)).toEqual(['default']);
    expect(r.trace.find((n) => n.nodeId === 'aircon')).toMatchObject({ held: true, fellThrough: true });
    expect(r.trace.find((n) => n.nodeId === 'aircon-east')).toMatchObject({
      path: ['aircon', 'aircon-east'],
      held: false,
      checks: [{ condition: 'kfAccounts', held: false, detail: 'kf account wk_bj not in [wk_sh, wk_hz]' }],
    });
  });

  it("uses the customer's timezone and the time of day in the tree's timezone", () => {
    const nyCustomer = { customerTimezone: 'America/New_York', text: 'hello' };
    expect(evaluateTree(tree, ctx({ ...nyCustomer, at: t('2026-11-25T02:00:00+08:00') })).target).toEqual({ group: 'overseas' });
    expect(evaluateTree(tree, ctx({ ...nyCustomer, at: t('2026-11-25T07:59:00+08:00') })).target).toEqual({ group: 'overseas' });
    expect(evaluateTree(tree, ctx({ ...nyCustomer, at: t('2026-11-25T08:00:00+08:00') })).target).toEqual({ group: 'general' });
    expect(evaluateTree(tree, ctx({ text: 'hello', at: t('2026-11-25T02:00:00+08:00') })).target).toEqual({ group: 'general' }); // timezone unknown
  });

  it('matches customer tags (all) and named servicers, and traces every node it checked', () => {
    const r = evaluateTree(tree, ctx({ customerTags: ['vip', '企业', '广东'] }));
    expect(r.target).toEqual({ servicer: 'bob' });
    expect(r.trace.map((n) => n.nodeId)).toEqual(['contract', 'repair', 'aircon', 'night-overseas', 'vip']);
    expect(evaluateTree(tree, ctx({ customerTags: ['vip'] })).target).toEqual({ group: 'general' });
  });

  it('returns no target when nothing matches', () => {
    expect(evaluateTree({ timezone: 'UTC', nodes: [tree.nodes[0]!] }, ctx())).toEqual({
      path: [],
      target: null,
      trace: [{ nodeId: 'contract', name: '合同', path: ['contract'], held: false, checks: [{ condition: 'keywords', held: false, detail: 'matched []' }] }],
    });
  });

  it('property: the chosen path is the first node, in order, whose condition holds (flat trees)', () => {
    const words = ['退款', '发票', '维修', 'vip'];
    fc.assert(
      fc.property(fc.array(fc.subarray(words, { minLength: 1 }), { maxLength: 6 }), fc.subarray(words), (nodeWords, present) => {
        const nodes: RoutingNode[] = nodeWords.map((any, i) => ({ id: `n${i}`, name: `n${i}`, when: { keywords: { any } }, then: { group: 'general' } }));
        const r = evaluateTree({ timezone: 'UTC', nodes }, ctx({ text: present.join(' ') }));
        const first = nodeWords.findIndex((any) => any.some((w) => present.includes(w)));
        expect(r.path.map((p) => p.id)).toEqual(first < 0 ? [] : [`n${first}`]);
      }),
    );
  });
});

describe('validateTree', () => {
  const kinds = (t: RoutingTree) => validateTree(t, groups, servicers).map((p) => [p.kind, p.nodeId]);

  it('accepts the example tree', () => {
    expect(validateTree(tree, groups, servicers)).toEqual([]);
  });

  it('names unknown groups and servicers, departed servicers and groups nobody can serve', () => {
    const bad: RoutingTree = {
      timezone: 'UTC',
      nodes: [
        { id: 'a', name: '甲', when: { kfAccounts: ['x'] }, then: { group: 'nope' } },
        { id: 'b', name: '乙', when: { kfAccounts: ['y'] }, then: { servicer: 'zed' } },
        { id: 'c', name: '丙', when: { kfAccounts: ['z'] }, then: { servicer: 'old' } },
        { id: 'd', name: '丁', when: { kfAccounts: ['w'] }, then: { group: 'ghosts' } },
        { id: 'e', name: '戊', when: { kfAccounts: ['v'] }, then: { group: 'empty' } },
      ],
    };
    const more: Group[] = [
      ...groups,
      { id: 'ghosts', name: '旧组', members: ['old', 'gone', 'old'], strategy: 'round_robin' },
      { id: 'empty', name: '空组', members: [], strategy: 'round_robin' },
    ];
    const problems = validateTree(bad, more, servicers);
    expect(problems.map((p) => [p.kind, p.nodeId])).toEqual([
      ['unknown_group', 'a'],
      ['unknown_servicer', 'b'],
      ['departed_servicer', 'c'],
      ['duplicate_member', 'd'],
      ['unknown_member', 'd'],
      ['empty_group', 'd'],
      ['empty_group', 'e'],
    ]);
    expect(problems[0]!.message).toBe('甲: group "nope" does not exist; create it or pick another group.');
    expect(problems[5]!.message).toContain('旧组 has nobody who can receive customers (every member has left)');
  });

  it('rejects nodes after an unconditional sibling, but not after one whose children may all fail', () => {
    const catchAll: RoutingNode = { id: 'all', name: '全部', when: {}, then: { group: 'general' } };
    const later: RoutingNode = { id: 'later', name: '之后', when: { keywords: { any: ['合同'] } }, then: { group: 'legal' } };
    const problems = validateTree({ timezone: 'UTC', nodes: [catchAll, later] }, groups, servicers);
    expect(problems).toEqual([{ kind: 'unreachable', nodeId: 'later', path: '之后', message: expect.stringContaining('"全部" has no condition') }]);
    const maybe: RoutingNode = { id: 'maybe', name: '也许', when: {}, then: { children: [later] } };
    expect(kinds({ timezone: 'UTC', nodes: [maybe, { ...later, id: 'l2' }] })).toEqual([]);
    const nested: RoutingNode = { id: 'n', name: '嵌套', when: {}, then: { children: [{ ...catchAll, id: 'inner' }] } };
    expect(kinds({ timezone: 'UTC', nodes: [nested, { ...later, id: 'l3' }] })).toEqual([['unreachable', 'l3']]);
  });

  it('rejects children whose condition contradicts an ancestor', () => {
    const child = (id: string, when: RoutingNode['when']): RoutingNode => ({ id, name: id, when, then: { group: 'general' } });
    const parent: RoutingNode = {
      id: 'p',
      name: '父',
      when: { kfAccounts: ['wk1', 'wk2'], keywords: { any: ['空调'], none: ['合同'] } },
      then: {
        children: [
          child('disjoint', { kfAccounts: ['wk3'] }),
          child('partial', { kfAccounts: ['wk2', 'wk3'] }),
          child('subset', { kfAccounts: ['wk2'] }),
          child('needs-excluded', { keywords: { all: ['合同'] } }),
          child('grandparent', { channels: ['wechat'] }),
        ],
      },
    };
    const problems = validateTree({ timezone: 'UTC', nodes: [parent] }, groups, servicers);
    expect(problems.map((p) => [p.kind, p.nodeId])).toEqual([
      ['never_holds', 'disjoint'],
      ['never_holds', 'partial'],
      ['never_holds', 'needs-excluded'],
    ]);
    expect(problems[0]!.message).toBe('父 › disjoint: can never match: none of its kf accounts [wk3] is among its parent\'s [wk1, wk2].');
    // Constraints accumulate down the path: a grandchild is checked against the narrowed set.
    const deep: RoutingNode = { ...parent, then: { children: [{ ...child('mid', { kfAccounts: ['wk1'] }), then: { children: [child('leaf', { kfAccounts: ['wk2'] })] } }] } };
    expect(kinds({ timezone: 'UTC', nodes: [deep] })).toEqual([['never_holds', 'leaf']]);
  });

  it('rejects self-contradicting and empty conditions, malformed times and childless nodes', () => {
    const node = (id: string, when: RoutingNode['when'], then: RoutingNode['then'] = { group: 'general' }): RoutingNode => ({ id, name: id, when, then });
    expect(
      kinds({
        timezone: 'UTC',
        nodes: [
          node('contradiction', { keywords: { all: ['退款'], none: ['退款'] } }),
          node('any-excluded', { keywords: { any: ['A'], none: ['a'] } }),
          node('empty-kf', { kfAccounts: [] }),
          node('empty-kw', { keywords: { any: [] } }),
          node('bad-time', { timeOfDay: { ranges: [{ start: '9:00', end: '25:00' }] } }),
          node('no-kids', { channels: ['wechat'] }, { children: [] }),
        ],
      }),
    ).toEqual([
      ['never_holds', 'contradiction'],
      ['never_holds', 'any-excluded'],
      ['empty_list', 'empty-kf'],
      ['empty_list', 'empty-kw'],
      ['invalid_time', 'bad-time'],
      ['no_children', 'no-kids'],
    ]);
  });

  it('rejects timezones Intl does not know, on the tree and on nodes', () => {
    const node: RoutingNode = {
      id: 'tz',
      name: '时区',
      when: { customerTimezones: ['America/New_York', 'Beijing'], timeOfDay: { ranges: [{ start: '22:00', end: '08:00' }], timezone: 'GMT+8:00x' } },
      then: { group: 'general' },
    };
    const problems = validateTree({ timezone: 'Mars/Olympus', nodes: [node] }, groups, servicers);
    expect(problems.map((p) => [p.kind, p.nodeId])).toEqual([
      ['invalid_timezone', ''],
      ['invalid_timezone', 'tz'],
      ['invalid_timezone', 'tz'],
    ]);
    expect(problems[1]!.message).toBe('时区: customer timezones [Beijing] are not IANA timezones such as America/New_York.');
  });

  it('rejects duplicate node ids and reports a looping object graph instead of recursing forever', () => {
    const a: RoutingNode = { id: 'x', name: 'A', when: { channels: ['c1'] }, then: { group: 'general' } };
    expect(kinds({ timezone: 'UTC', nodes: [a, { ...a, name: 'B', when: { channels: ['c2'] } }] })).toEqual([['duplicate_node_id', 'x']]);
    const loop: RoutingNode = { id: 'loop', name: '环', when: { channels: ['c1'] }, then: { children: [] } };
    (loop.then as { children: RoutingNode[] }).children.push(loop);
    expect(kinds({ timezone: 'UTC', nodes: [loop] })).toEqual([['cycle', 'loop']]);
    expect(evaluateTree({ timezone: 'UTC', nodes: [loop] }, ctx({ channel: 'c1' })).target).toBeNull();
  });
});
