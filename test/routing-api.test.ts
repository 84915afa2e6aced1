/**
 * The routing configuration API against the mock WeCom: 接待人员 sync, servicer changes, the
 * routing tree's validation and versions, shifts and the holiday calendar. On SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, ENGINES, startStack, type Stack } from './stack.js';

const KF = 'wkMockKf0001';
const shanghaiDays = { timezone: 'Asia/Shanghai', weekly: { 1: [{ start: '09:00', end: '18:00' }], 2: [{ start: '09:00', end: '18:00' }] } };

describe.each(ENGINES)('routing configuration API on %s', (engine) => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack(engine);
  }, 30_000);
  afterAll(async () => {
    await s?.close();
  });

  /** Raw request with extra headers or a non-JSON body. */
  async function call(method: string, path: string, opts: { json?: unknown; csv?: string; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { authorization: `Bearer ${ADMIN_TOKEN}`, ...opts.headers };
    let body: string | undefined;
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.csv !== undefined) {
      headers['content-type'] = 'text/csv';
      body = opts.csv;
    }
    const res = await fetch(s.url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  const fields = (body: { details?: { field: string }[] }) => (body.details ?? []).map((d) => d.field);

  it('syncs 接待人员 from kf/servicer/list: new ones added with 接待上限 10, unlisted ones marked departed (离职)', async () => {
    const listed = s.mock.credentials.servicers;
    listed[KF] = ['mock_servicer_1a', 'mock_servicer_1b', 'mock_servicer_1c'];
    const first = await s.api('POST', '/api/servicers/sync', { open_kfids: [KF] });
    expect(first.status).toBe(200);
    expect(first.body.added).toEqual(['mock_servicer_1a', 'mock_servicer_1b', 'mock_servicer_1c']);
    expect(first.body.departed).toEqual([]);

    const one = await s.api('GET', '/api/servicers/mock_servicer_1a');
    expect(one.body).toMatchObject({ userid: 'mock_servicer_1a', receptionCap: 10, status: 'active', receiving: true, supervisor: false, shift: null, openKfids: [KF] });

    // 1c leaves: WeCom no longer lists them. The account is now remembered, so no body is needed.
    listed[KF] = ['mock_servicer_1a', 'mock_servicer_1b'];
    const second = await call('POST', '/api/servicers/sync');
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ added: [], departed: ['mock_servicer_1c'], failed: [] });
    expect((await s.api('GET', '/api/servicers/mock_servicer_1c')).body.status).toBe('departed');

    // Listed again, a departed servicer stays departed until the operator says otherwise.
    listed[KF] = ['mock_servicer_1a', 'mock_servicer_1b', 'mock_servicer_1c'];
    const third = await s.api('POST', '/api/servicers/sync', {});
    expect(third.body.listedButDeparted).toEqual(['mock_servicer_1c']);
    expect((await s.api('GET', '/api/servicers/mock_servicer_1c')).body.status).toBe('departed');
    listed[KF] = ['mock_servicer_1a', 'mock_servicer_1b'];

    // An account that cannot be pulled: reported, and nobody is marked departed on partial knowledge.
    listed[KF] = ['mock_servicer_1a'];
    const partial = await s.api('POST', '/api/servicers/sync', { open_kfids: ['wkNoSuchKf'] });
    expect(partial.status).toBe(200);
    expect(partial.body.failed.map((f: { open_kfid: string }) => f.open_kfid)).toEqual(['wkNoSuchKf']);
    expect(partial.body.departed).toEqual([]);
    expect((await s.api('GET', '/api/servicers/mock_servicer_1b')).body.status).toBe('active');
    listed[KF] = ['mock_servicer_1a', 'mock_servicer_1b'];

    const all = await s.api('GET', '/api/servicers');
    expect(all.body.map((x: { userid: string }) => x.userid)).toEqual(['mock_servicer_1a', 'mock_servicer_1b', 'mock_servicer_1c']);
  });

  it('changes a servicer and names the field of a bad change', async () => {
    const bad = async (body: unknown) => {
      const r = await s.api('PATCH', '/api/servicers/mock_servicer_1a', body);
      expect(r.status).toBe(400);
      return fields(r.body);
    };
    expect(await bad({ receptionCap: 0 })).toEqual(['receptionCap']);
    expect(await bad({ receptionCap: 1001 })).toEqual(['receptionCap']);
    expect(await bad({ status: 'gone' })).toEqual(['status']);
    expect(await bad({ timezone: 'Mars/Olympus' })).toEqual(['timezone']);
    expect(await bad({ shift: { timezone: 'Nowhere/City', weekly: {} } })).toEqual(['shift']);
    expect((await bad({ shift: { timezone: 'Asia/Shanghai', weekly: { 1: [{ start: '25:00', end: '18:00' }] } } }))[0]).toMatch(/^shift\.weekly/);
    expect(await bad({ groups: ['no_such_group'] })).toEqual(['groups']);
    expect(await bad({ cap: 3 })).toEqual(['cap']);
    expect((await s.api('PATCH', '/api/servicers/nobody', { receptionCap: 3 })).status).toBe(404);
    expect((await s.api('GET', '/api/servicers/nobody')).status).toBe(404);

    const ok = await s.api('PATCH', '/api/servicers/mock_servicer_1a', { name: '小王', receptionCap: 5, supervisor: true, timezone: 'Asia/Shanghai', shift: shanghaiDays });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ name: '小王', receptionCap: 5, supervisor: true, shift: shanghaiDays });
    const cleared = await s.api('PATCH', '/api/servicers/mock_servicer_1b', { shift: null, receptionCap: 7 });
    expect(cleared.body).toMatchObject({ shift: null, receptionCap: 7 });
  });

  const legal = { id: 'legal', name: '法务', members: ['mock_servicer_1a'], strategy: 'round_robin' };
  const after = { id: 'after', name: '售后', members: ['mock_servicer_1b', 'mock_servicer_1a'], strategy: 'least_busy' };
  const nobody = { id: 'nobody', name: '空组', members: [], strategy: 'round_robin' };
  const tree = (nodes: unknown[]) => ({ timezone: 'Asia/Shanghai', nodes });
  const contract = { id: 'n1', name: '合同', when: { keywords: { any: ['合同'] } }, then: { group: 'legal' } };
  const config = (nodes: unknown[], groups: unknown[] = [legal, after]) => ({ groups, tree: tree(nodes), complaintPhrases: ['投诉', '差评'] });

  it('rejects a tree with an unknown group, a departed servicer, an unreachable branch or a group with nobody, naming the node', async () => {
    const put = (c: unknown) => s.api('PUT', '/api/routing', { config: c });

    const unknownGroup = await put(config([{ id: 'n1', name: '合同', when: { keywords: { any: ['合同'] } }, then: { group: 'lawyers' } }]));
    expect(unknownGroup.status).toBe(400);
    expect(unknownGroup.body.details).toEqual([{ field: 'tree.nodes[合同]', message: expect.stringContaining('lawyers') }]);

    const departed = await put(
      config([{ id: 'p', name: '产品线', when: { keywords: { any: ['维修'] } }, then: { children: [{ id: 'c', name: '老员工', when: {}, then: { servicer: 'mock_servicer_1c' } }] } }]),
    );
    expect(departed.status).toBe(400);
    expect(departed.body.details).toEqual([{ field: 'tree.nodes[产品线 › 老员工]', message: expect.stringContaining('离职') }]);

    const unreachable = await put(config([{ id: 'all', name: '全部', when: {}, then: { group: 'after' } }, contract]));
    expect(unreachable.status).toBe(400);
    expect(unreachable.body.details).toEqual([{ field: 'tree.nodes[合同]', message: expect.stringContaining('never reached') }]);

    const empty = await put(config([{ id: 'e', name: '夜间', when: { keywords: { any: ['夜'] } }, then: { group: 'nobody' } }], [legal, nobody]));
    expect(empty.status).toBe(400);
    expect(empty.body.details).toEqual([{ field: 'tree.nodes[夜间]', message: expect.stringContaining('nobody who can receive') }]);

    const unknownMember = await put(config([contract], [{ ...legal, members: ['mock_servicer_1a', 'ghost'] }]));
    expect(fields(unknownMember.body)).toEqual(['groups[legal].members']);

    const badShape = await put({ ...config([contract]), groups: [{ ...legal, strategy: 'random' }] });
    expect(badShape.status).toBe(400);
    expect(fields(badShape.body)).toEqual(['groups[legal].strategy']);

    // Shape errors inside the tree name the node by its path, and only the alternative meant.
    const nested = await put(
      config([{ id: 'p', name: '产品线', when: {}, then: { children: [{ id: 'c', name: '华东', when: { region: 'east' }, then: { group: 'legal' } }, { id: 'd', name: '华南', when: {}, then: { group: 'legal', strategy: 'fastest' } }] } }]),
    );
    expect(nested.status).toBe(400);
    expect(fields(nested.body)).toEqual(['tree.nodes[产品线 › 华东].when.region', 'tree.nodes[产品线 › 华南].then.strategy']);
    const fallback = await put({ ...config([contract]), dutyFallback: { servicer: '' } });
    expect(fields(fallback.body)).toEqual(['dutyFallback.servicer']);
    const stale = await s.api('PUT', '/api/routing', { config: config([contract]), baseVersion: 7 });
    expect(stale.status).toBe(409);

    const badShift = await put(config([contract], [{ ...legal, shift: { timezone: 'Asia/Nowhere', weekly: {} } }]));
    expect(fields(badShift.body)).toEqual(['groups[legal].shift']);

    expect((await s.api('GET', '/api/routing/versions')).body).toEqual([]);
  });

  it('versions every save and restores an earlier one as a new version, recording who (the signed-in operator) and why', async () => {
    const tokenOf = async (name: string) => (await s.api('POST', '/api/operators', { name, role: 'supervisor' })).body.token as string;
    const [alice, bob] = [await tokenOf('alice'), await tokenOf('bob')];
    const v1Config = config([contract, { id: 'fix', name: '维修', when: { keywords: { any: ['维修', '技术'] } }, then: { group: 'after' } }]);
    // A header naming someone else changes nothing: the author is whoever the token belongs to.
    const v1 = await call('PUT', '/api/routing', { json: { config: v1Config, note: 'first' }, headers: { authorization: `Bearer ${alice}`, 'x-wereply-user': 'mallory' } });
    expect(v1.status).toBe(200);
    expect(v1.body).toMatchObject({ author: 'alice', note: 'first', config: v1Config });

    // Group membership is mirrored on the servicers.
    expect((await s.api('GET', '/api/servicers/mock_servicer_1a')).body.groups).toEqual(['legal', 'after']);
    expect((await s.api('GET', '/api/servicers/mock_servicer_1b')).body.groups).toEqual(['after']);

    const v2Config = { ...config([contract], [legal]), dutyFallback: { servicer: 'mock_servicer_1a' } };
    const v2 = await call('PUT', '/api/routing', { json: { config: v2Config }, headers: { 'x-wereply-user': 'alice' } });
    expect(v2.status).toBe(200);
    expect(v2.body).toMatchObject({ version: v1.body.version + 1, author: 'admin', note: null });
    expect((await s.api('GET', '/api/servicers/mock_servicer_1b')).body.groups).toEqual([]);

    const restored = await call('POST', `/api/routing/versions/${v1.body.version}/restore`, { headers: { authorization: `Bearer ${bob}`, 'x-wereply-user': 'alice' } });
    expect(restored.status).toBe(200);
    const current = await s.api('GET', '/api/routing');
    expect(current.body).toMatchObject({ version: v1.body.version + 2, author: 'bob', note: `restored from v${v1.body.version}` });
    expect(current.body.config).toEqual(v1.body.config);
    expect((await s.api('GET', '/api/servicers/mock_servicer_1b')).body.groups).toEqual(['after']);

    const versions = await s.api('GET', '/api/routing/versions');
    expect(versions.body.map((v: { version: number; author: string }) => [v.version, v.author])).toEqual([
      [v1.body.version + 2, 'bob'],
      [v1.body.version + 1, 'admin'],
      [v1.body.version, 'alice'],
    ]);
    expect(versions.body[0].config).toBeUndefined();
    expect((await s.api('GET', '/api/routing/versions?full=true')).body[2].config).toEqual(v1Config);
    expect((await s.api('POST', '/api/routing/versions/999/restore')).status).toBe(404);

    // Leaving the only group a node targets would strand it: refused, naming the field.
    const leave = await s.api('PATCH', '/api/servicers/mock_servicer_1a', { groups: ['after'] });
    expect(leave.status).toBe(400);
    expect(fields(leave.body)).toEqual(['groups']);
    // Joining is fine and saves a new version with the servicer last in the reception order.
    const join = await s.api('PATCH', '/api/servicers/mock_servicer_1b', { groups: ['after', 'legal'] });
    expect(join.status).toBe(200);
    expect(join.body.groups).toEqual(['legal', 'after']);
    const legalNow = (await s.api('GET', '/api/routing')).body.config.groups.find((g: { id: string }) => g.id === 'legal');
    expect(legalNow.members).toEqual(['mock_servicer_1a', 'mock_servicer_1b']);

    // Two edits at once both land: each starts from the version the other saved.
    const [x, y] = await Promise.all([
      s.api('PATCH', '/api/servicers/mock_servicer_1a', { groups: ['legal'] }),
      s.api('PATCH', '/api/servicers/mock_servicer_1b', { groups: ['after'] }),
    ]);
    expect([x.status, y.status]).toEqual([200, 200]);
    const groupsNow = (await s.api('GET', '/api/routing')).body.config.groups;
    expect(groupsNow.map((g: { id: string; members: string[] }) => [g.id, g.members])).toEqual([
      ['legal', ['mock_servicer_1a']],
      ['after', ['mock_servicer_1b']],
    ]);

    // 离职 is always accepted; the answer warns which nodes now lead nowhere.
    const gone = await s.api('PATCH', '/api/servicers/mock_servicer_1b', { status: 'departed' });
    expect(gone.status).toBe(200);
    expect(gone.body.warnings).toEqual([expect.stringMatching(/^tree\.nodes\[维修\]: .*nobody who can receive/)]);
    expect((await s.api('PATCH', '/api/servicers/mock_servicer_1b', { status: 'active' })).body.warnings).toEqual([]);
  });

  it('shows all shifts in one view and imports a holiday calendar; a bad row changes nothing', async () => {
    const routing = (await s.api('GET', '/api/routing')).body;
    const groups = routing.config.groups.map((g: { id: string }) => (g.id === 'legal' ? { ...g, shift: shanghaiDays } : g));
    expect((await s.api('PUT', '/api/routing', { config: { ...routing.config, groups } })).status).toBe(200);

    const view = await s.api('GET', '/api/shifts');
    expect(view.body.servicers).toEqual({ mock_servicer_1a: shanghaiDays, mock_servicer_1b: null, mock_servicer_1c: null });
    expect(view.body.groups).toEqual({ legal: shanghaiDays, after: null });

    const bad = await call('PUT', '/api/shifts/holidays', { csv: 'date,like\n2026-10-01\n2026-10-32\n2026-10-11,8\n' });
    expect(bad.status).toBe(400);
    expect(fields(bad.body)).toEqual(['row 3', 'row 4']);
    expect((await s.api('GET', '/api/shifts')).body).toEqual(view.body);

    const badJson = await s.api('PUT', '/api/shifts/holidays', { dates: ['2026-10-01', 'tomorrow'] });
    expect(badJson.status).toBe(400);
    expect(fields(badJson.body)).toEqual(['dates[1]']);

    const good = await call('PUT', '/api/shifts/holidays', { csv: 'date,like\n2026-10-01\n2026-10-02\n\n2026-10-11,1\n' });
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({ holidays: 2, workdays: 1, servicers: ['mock_servicer_1a'], groups: ['legal'], version: view.body.version + 1 });
    const withHolidays = { ...shanghaiDays, holidays: ['2026-10-01', '2026-10-02'], extraWorkdays: [{ date: '2026-10-11', like: 1 }] };
    const after = (await s.api('GET', '/api/shifts')).body;
    expect(after.servicers.mock_servicer_1a).toEqual(withHolidays);
    expect(after.servicers.mock_servicer_1b).toBeNull();
    expect(after.groups.legal).toEqual(withHolidays);

    // JSON works too and merges with what is there.
    const more = await s.api('PUT', '/api/shifts/holidays', { dates: ['2027-01-01'] });
    expect(more.status).toBe(200);
    expect((await s.api('GET', '/api/shifts')).body.servicers.mock_servicer_1a.holidays).toEqual(['2026-10-01', '2026-10-02', '2027-01-01']);
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${s.url}/docs/json`)).json()) as { paths: Record<string, unknown> };
    for (const p of ['/api/servicers', '/api/servicers/{userid}', '/api/servicers/sync', '/api/routing', '/api/routing/versions', '/api/routing/versions/{version}/restore', '/api/shifts', '/api/shifts/holidays']) {
      expect(doc.paths[p], p).toBeDefined();
    }
  });
});

describe('servicer sync without WeCom', () => {
  it('answers 503 saying what to configure', async () => {
    const s = await startStack('sqlite', { env: { WECOM_CORP_ID: '', WECOM_KF_SECRET: '', WECOM_TOKEN: '', WECOM_ENCODING_AES_KEY: '' } });
    try {
      const r = await s.api('POST', '/api/servicers/sync', {});
      expect(r.status).toBe(503);
      expect(r.body.error).toMatch(/WeCom is not configured.*WECOM_CORP_ID/);
    } finally {
      await s.close();
    }
  });
});
