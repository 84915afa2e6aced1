/**
 * The settings table: small named values (JSON settings, version numbers). A writer bumps a version
 * when compiled state (rules, risk words) changes, and every instance rebuilds its cache when the
 * number it reads differs.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export async function readSetting(db: Db, key: string): Promise<string | undefined> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

export async function writeSetting(db: Db, key: string, value: string): Promise<void> {
  await db
    .insertInto('settings')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}

export async function readVersion(db: Db, key: string): Promise<string> {
  return (await readSetting(db, key)) ?? '0';
}

export function bumpVersion(db: Db, key: string): Promise<void> {
  return writeSetting(db, key, `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
}
