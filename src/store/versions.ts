/**
 * Version numbers in the settings table: a writer bumps one when compiled state (rules, risk words)
 * changes, and every instance rebuilds its cache when the number it reads differs.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export async function readVersion(db: Db, key: string): Promise<string> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value ?? '0';
}

export async function bumpVersion(db: Db, key: string): Promise<void> {
  const version = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  await db
    .insertInto('settings')
    .values({ key, value: version })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: version }))
    .execute();
}
