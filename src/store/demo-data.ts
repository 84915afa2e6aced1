/**
 * What demo mode (`npm start` without WECOM_*) puts in a database, recognised and removed again.
 * Demo mode has its own file (demo.sqlite); a database seeded by demo mode before that (or copied)
 * is refused in WeCom mode (cli/start.ts) until `npx wereply demo-reset` has removed the demo data.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** The settings key seedDemo writes (its value: the seeding time, ms — the seeded rules carry it too). */
export const DEMO_SEEDED_KEY = 'demo_seeded';
/** The demo's own 微信客服 account, servicers and 测试账号 (see cli/demo-seed.ts). */
export const DEMO_KF = 'wkDemoKf0001';
export const DEMO_SERVICERS = ['mock_servicer_1a', 'mock_servicer_1b'];
export const DEMO_TEST_ACCOUNT = 'wmDemoTestAccount01';

/** When demo mode seeded this database (ms), or undefined when it never did. */
export async function demoSeededAt(db: Kysely<Database>): Promise<number | undefined> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', DEMO_SEEDED_KEY).executeTakeFirst();
  return row ? Number(row.value) : undefined;
}

export interface DemoRemoval {
  rulesRemoved: string[];
  /** Rules created or edited after seeding: someone chose them; they stay. */
  rulesKept: string[];
  servicers: number;
  routingVersions: number;
  conversations: number;
}

/**
 * Removes the demo data in one transaction: the demo rules nobody edited, the demo servicers, the
 * demo routing, the 测试账号, the demo account's conversations (with their messages and unsent replies),
 * and the marker. Rules created or edited after seeding are kept and listed.
 */
export async function removeDemoData(db: Kysely<Database>): Promise<DemoRemoval | undefined> {
  return db.transaction().execute(async (trx) => {
    const seededAt = await demoSeededAt(trx);
    if (seededAt === undefined) return undefined;
    const rules = await trx.selectFrom('rules').select(['id', 'name', 'created_at', 'updated_at']).execute();
    const seeded = rules.filter((r) => Number(r.created_at) === seededAt && Number(r.updated_at) === seededAt);
    const kept = rules.filter((r) => !seeded.includes(r));
    if (seeded.length) await trx.deleteFrom('rules').where('id', 'in', seeded.map((r) => r.id)).execute();

    const convs = (await trx.selectFrom('conversations').select('id').where('open_kfid', '=', DEMO_KF).execute()).map((c) => Number(c.id));
    if (convs.length) {
      const outbox = trx.selectFrom('outbox').select('id').where('conversation_id', 'in', convs);
      await trx.deleteFrom('outbox_attempts').where('outbox_id', 'in', outbox).execute();
      await trx.deleteFrom('outbox').where('conversation_id', 'in', convs).execute();
      await trx.deleteFrom('messages').where('conversation_id', 'in', convs).execute();
      await trx.deleteFrom('assignments').where('conversation_id', 'in', convs).execute();
      await trx.deleteFrom('agent_messages').where('conversation_id', 'in', convs).execute();
      const alerts = (await trx.selectFrom('alerts').select('id').where('conversation_id', 'in', convs).execute()).map((a) => `alert_notify:${a.id}`);
      if (alerts.length) await trx.deleteFrom('jobs').where('key', 'in', alerts).execute();
      await trx.deleteFrom('alerts').where('conversation_id', 'in', convs).execute();
      await trx.deleteFrom('conversations').where('id', 'in', convs).execute();
    }
    await trx.deleteFrom('kf_cursors').where('open_kfid', '=', DEMO_KF).execute();
    await trx.deleteFrom('kf_callbacks').where('open_kfid', '=', DEMO_KF).execute();
    const sv = await trx.deleteFrom('servicers').where('userid', 'in', DEMO_SERVICERS).executeTakeFirst();
    await trx.deleteFrom('settings').where('key', '=', 'desks').execute();
    const rv = await trx.deleteFrom('routing_versions').where('author', '=', 'demo').executeTakeFirst();
    await trx.deleteFrom('customers').where('external_userid', '=', DEMO_TEST_ACCOUNT).execute();
    await trx.deleteFrom('settings').where('key', '=', DEMO_SEEDED_KEY).execute();
    return {
      rulesRemoved: seeded.map((r) => r.name),
      rulesKept: kept.map((r) => r.name),
      servicers: Number(sv.numDeletedRows),
      routingVersions: Number(rv.numDeletedRows),
      conversations: convs.length,
    };
  });
}
