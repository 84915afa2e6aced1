/**
 * The WeCom access token, kept in the database so that every instance uses (and refreshes) one.
 */
import type { Kysely } from 'kysely';
import type { TokenCache } from '../channels/wecom-kf/api-client.js';
import type { Database } from './schema.js';
import { epochMs } from './whole-numbers.js';

export function databaseTokenCache(db: Kysely<Database>): TokenCache {
  // A per-process copy saves a query per call; the database stays the shared truth.
  const local = new Map<string, { token: string; expiresAt: number }>();
  return {
    async get(key) {
      const hit = local.get(key);
      if (hit && hit.expiresAt > Date.now()) return hit;
      const row = await db.selectFrom('access_tokens').selectAll().where('key', '=', key).executeTakeFirst();
      if (!row) return undefined;
      const entry = { token: row.token, expiresAt: Number(row.expires_at) };
      local.set(key, entry);
      return entry;
    },
    async put(key, token, at) {
      const expiresAt = epochMs(at); // computed from WeCom's expires_in and a margin
      local.set(key, { token, expiresAt });
      const now = Date.now();
      await db
        .insertInto('access_tokens')
        .values({ key, token, expires_at: expiresAt, updated_at: now })
        .onConflict((oc) => oc.column('key').doUpdateSet({ token, expires_at: expiresAt, updated_at: now }))
        .execute();
    },
    async invalidate(key, token) {
      if (local.get(key)?.token === token) local.delete(key);
      await db.deleteFrom('access_tokens').where('key', '=', key).where('token', '=', token).execute();
    },
  };
}
