import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from './database.js';
import { epochMs, FractionalNumberError } from './whole-numbers.js';

describe('whole numbers only, at the store boundary', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wereply-whole-'));
  let store: Store | undefined;
  afterAll(async () => {
    await store?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a fractional time on SQLite too (PostgreSQL refuses it for a bigint column)', async () => {
    store = await openStore({ dataDir: dir });
    const runAt = Date.now() + 1234.567;
    const insert = (t: number) =>
      sql`INSERT INTO jobs (kind, key, payload, run_at, attempts, created_at) VALUES ('k', ${`k${t}`}, '{}', ${t}, 0, ${Math.trunc(t)})`.execute(store!.db);
    await expect(insert(runAt)).rejects.toThrow(FractionalNumberError);
    await expect(insert(runAt)).rejects.toThrow(/epochMs\(\)/);
    await expect(insert(Number.NaN)).rejects.toThrow(FractionalNumberError);
    await insert(epochMs(runAt));
    const row = await store.db.selectFrom('jobs').select('run_at').executeTakeFirstOrThrow();
    expect(Number(row.run_at)).toBe(Math.round(runAt));
  });

  it('epochMs refuses what is not a time', () => {
    expect(() => epochMs(Number.POSITIVE_INFINITY)).toThrow(/not a time/);
    expect(epochMs(1.5)).toBe(2);
  });
});
