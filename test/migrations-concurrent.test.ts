/**
 * Upgrades with several instances: instances starting together on a fresh PostgreSQL schema all come
 * up, and the migrations ran once (one advisory lock around schema creation and the Kysely migrator).
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../src/store/database.js';
import { pendingMigrations } from '../src/store/migrations.js';
import { dropSchema, TEST_DATABASE_URL } from './stack.js';

describe('migrations with several instances starting together (PostgreSQL)', () => {
  const schemas: string[] = [];
  afterAll(async () => {
    for (const s of schemas) await dropSchema(s);
  });

  it('3 instances on a fresh schema, 5 times: all come up, each migration recorded once, nothing pending', async () => {
    for (let round = 0; round < 5; round++) {
      const schema = `t_mig_${crypto.randomBytes(5).toString('hex')}`;
      schemas.push(schema);
      const results = await Promise.allSettled([0, 1, 2].map(() => openStore({ dataDir: '/nonexistent', databaseUrl: TEST_DATABASE_URL, pgSchema: schema, pgPoolSize: 2 })));
      const failed = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
      const stores = results.filter((r): r is PromiseFulfilledResult<Store> => r.status === 'fulfilled').map((r) => r.value);
      try {
        expect(failed).toEqual([]);
        expect(await pendingMigrations(stores[0]!.db, 'postgres', schema)).toEqual([]);
        const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
        await client.connect();
        try {
          const rows = await client.query(`SELECT name, count(*)::int AS n FROM ${schema}.kysely_migration GROUP BY name`);
          expect(rows.rows.length).toBeGreaterThan(0);
          expect(rows.rows.filter((r: { n: number }) => r.n !== 1)).toEqual([]);
        } finally {
          await client.end();
        }
        // Every instance works on the migrated schema.
        for (const s of stores) expect(await s.db.selectFrom('settings').selectAll().execute()).toEqual([]);
      } finally {
        for (const s of stores) await s.close();
      }
    }
  }, 120_000);
});
