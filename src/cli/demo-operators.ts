/**
 * The demo's people (demo mode only): the agent 小王 and the supervisor 李主管, linked to the mock's
 * 接待人员 (so 企业微信扫码登录 against the mock signs them in), each with a password shown in the
 * start-up banner and the README walkthrough. Added once; an admin may change or clear them.
 */
import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import { sha256 } from '../api/auth.js';
import { foldName } from '../operators/names.js';
import { hashPassword } from '../operators/password.js';
import type { Database } from '../store/schema.js';

export const DEMO_OPERATORS = [
  { name: 'xiaowang', role: 'agent', servicer_userid: 'mock_servicer_1a', password: 'wereply-demo-agent' },
  { name: 'lizhuguan', role: 'supervisor', servicer_userid: 'mock_servicer_1b', password: 'wereply-demo-lead' },
] as const;

/** Creates the demo operators that do not exist yet; returns the names created. */
export async function seedDemoOperators(db: Kysely<Database>): Promise<string[]> {
  const created: string[] = [];
  for (const o of DEMO_OPERATORS) {
    if (await db.selectFrom('operators').select('id').where('name', '=', o.name).executeTakeFirst()) continue;
    const now = Date.now();
    await db
      .insertInto('operators')
      .values({
        name: o.name,
        name_key: foldName(o.name),
        role: o.role,
        // An API token nobody is shown: the demo people sign in with their password or WeCom.
        token_sha256: sha256(`wr_${crypto.randomBytes(24).toString('base64url')}`),
        servicer_userid: o.servicer_userid,
        disabled: 0,
        created_at: now,
        password_hash: await hashPassword(o.password),
        password_set_at: now,
      })
      .execute();
    created.push(o.name);
  }
  return created;
}
