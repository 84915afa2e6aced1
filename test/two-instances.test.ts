/**
 * 接待上限 under concurrency: two WeReply instances on one PostgreSQL database assign handoffs at
 * the same time; no servicer ever holds more sessions than their cap.
 */
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createWeReply, type WeReply } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { RoutingConfig } from '../src/routing/model.js';
import { saveRouting } from '../src/store/routing-repo.js';
import { eventually, startStack, TEST_DATABASE_URL, weReplyEnv, type Stack } from './stack.js';

const KF = 'wkMockKf0001';
const SERVICERS = ['s1', 's2', 's3'];
const CAP = 3;
const CUSTOMERS = 24;

describe('two instances on PostgreSQL', () => {
  let s: Stack;
  let second: WeReply | undefined;
  afterAll(async () => {
    await second?.close();
    await s?.close();
  });

  it('never exceed a servicer’s 接待上限 when both assign at once', async () => {
    // Two sends at a time per instance and a slow WeCom: both instances have handoffs in flight at once.
    s = await startStack('postgres', { mock: { servicers: { [KF]: SERVICERS } }, wereply: { outbox: { pollMs: 20, concurrency: 2 } } });
    s.mock.injectFault({ path: '/cgi-bin/kf/service_state/trans', delayMs: 30, times: 1_000_000 });
    second = await createWeReply(loadConfig(weReplyEnv(s.mock, { PORT: '0', WEREPLY_DATA_DIR: s.dataDir, DATABASE_URL: TEST_DATABASE_URL })), {
      logger: pino({ level: 'silent' }),
      pgSchema: s.pgSchema!,
      outbox: { pollMs: 20, concurrency: 2 },
    });
    await second.listen();
    for (const userid of SERVICERS) {
      await s.wr.store.db
        .insertInto('servicers')
        .values({ userid, name: userid, open_kfids: JSON.stringify([KF]), groups: '["g"]', reception_cap: CAP, supervisor: 0, status: 'active', receiving: 1, timezone: 'Asia/Shanghai', shift: null, created_at: Date.now(), updated_at: Date.now() })
        .execute();
    }
    const config: RoutingConfig = {
      groups: [{ id: 'g', name: '客服组', members: SERVICERS, strategy: 'least_busy' }],
      tree: { timezone: 'Asia/Shanghai', nodes: [{ id: 'all', name: '全部', when: {}, then: { group: 'g' } }] },
      complaintPhrases: [],
    };
    await saveRouting(s.wr.store.db, config, 'test', null);

    // Both instances' outbox workers take handoff rows as they come (FOR UPDATE SKIP LOCKED).
    await Promise.all(Array.from({ length: CUSTOMERS }, (_, i) => s.mock.customerSays({ external_userid: `wm_two_${i}`, text: '转人工' })));
    await eventually(async () => {
      const n = await s.wr.store.db.selectFrom('assignments').select((eb) => eb.fn.countAll<number>().as('n')).where('kind', 'in', ['assigned', 'pool']).executeTakeFirstOrThrow();
      return Number(n.n) === CUSTOMERS;
    }, 30_000, 'every handoff decided');

    const held = await s.wr.store.db.selectFrom('conversations').select(['servicer_userid']).where('service_state', '=', 3).execute();
    const counts: Record<string, number> = {};
    for (const r of held) counts[r.servicer_userid!] = (counts[r.servicer_userid!] ?? 0) + 1;
    expect(counts).toEqual({ s1: CAP, s2: CAP, s3: CAP });
    // WeCom agrees: no servicer has more sessions than the cap.
    const inWeCom: Record<string, number> = {};
    for (let i = 0; i < CUSTOMERS; i++) {
      const info = s.mock.sessionInfo(KF, `wm_two_${i}`);
      if (info.service_state === 3) inWeCom[info.servicer_userid] = (inWeCom[info.servicer_userid] ?? 0) + 1;
    }
    expect(inWeCom).toEqual({ s1: CAP, s2: CAP, s3: CAP });
    // Both instances did assignments.
    const workers = await s.wr.store.db.selectFrom('outbox_attempts as a').innerJoin('outbox as o', 'o.id', 'a.outbox_id').select('a.worker').distinct().where('o.api', '=', 'handoff').execute();
    expect(workers.length).toBe(2);
  });
});
