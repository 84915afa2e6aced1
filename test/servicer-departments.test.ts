/**
 * Departments in the 接待人员 list. kf/servicer/list answers {"department_id": N} entries beside
 * {"userid", "status"} ones (official page "获取接待人员列表"). The sync expands each department to its
 * members with the contact API (user/simplelist) where the app may view it; where WeCom answers
 * 60011 / 48002 the department is recorded as not expanded, with the reason, and shown by the API.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINES, startStack, type Stack } from './stack.js';

const KF = 'wkMockKf0001';

describe.each(ENGINES)('departments as 接待人员 on %s', (engine) => {
  let s: Stack | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  const start = async (visibleDepartments?: number[]) => {
    s = await startStack(engine, {
      mock: {
        servicers: { [KF]: ['zhang'] },
        servicerDepartments: { [KF]: [2, 3] },
        departments: { '2': ['dept_a', 'dept_b'], '3': ['dept_c'] },
        ...(visibleDepartments ? { visibleDepartments } : {}),
      },
    });
    return s;
  };

  it('expands departments it may view, records the others with the reason, and never answers 500', async () => {
    const st = await start([2]);
    const sync = await st.api('POST', '/api/servicers/sync', { open_kfids: [KF] });
    expect(sync.status).toBe(200);
    expect(sync.body.added.sort()).toEqual(['dept_a', 'dept_b', 'zhang']);
    expect(sync.body.departments).toEqual([
      { department_id: 2, open_kfids: [KF], expanded: true, members: ['dept_a', 'dept_b'] },
      { department_id: 3, open_kfids: [KF], expanded: false, members: [], reason: expect.stringMatching(/60011/) },
    ]);
    expect(sync.body.departments[1].reason).toMatch(/可见范围|visible/);
    const servicers = (await st.api('GET', '/api/servicers')).body as { userid: string; status: string; receiving: boolean }[];
    expect(servicers.map((x) => x.userid)).toEqual(['dept_a', 'dept_b', 'zhang']);
    expect(servicers.every((x) => x.status === 'active' && x.receiving)).toBe(true);
    // The routing page reads what the last sync found.
    const shown = await st.api('GET', '/api/servicers/departments');
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual(sync.body.departments);
  });

  it('an app without contact API permission (48002): departments recorded unexpanded; nobody on that account is marked 离职 meanwhile', async () => {
    const st = await start();
    expect((await st.api('POST', '/api/servicers/sync', { open_kfids: [KF] })).status).toBe(200);
    st.mock.injectFault({ path: '/cgi-bin/user/simplelist', errcode: 48002, times: 10 });
    const again = await st.api('POST', '/api/servicers/sync', { open_kfids: [KF] });
    expect(again.status).toBe(200);
    expect(again.body.departments.map((d: { expanded: boolean; reason?: string }) => [d.expanded, d.reason?.includes('48002')])).toEqual([
      [false, true],
      [false, true],
    ]);
    // Members of the departments may still be 接待人员: not marked departed while they cannot be listed.
    expect(again.body.departed).toEqual([]);
    const servicers = (await st.api('GET', '/api/servicers')).body as { userid: string; status: string }[];
    expect(servicers.filter((x) => x.status === 'departed')).toEqual([]);
  });
});
