/**
 * The allowance is derived from facts (when sends started vs the customer's messages), so WeReply's
 * count never runs ahead of WeCom's, whatever order the outcomes were recorded in.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openStore, type Store } from './database.js';
import { conversationAllowance } from './allowance-repo.js';

let store: Store;
let dir: string;
let run = 0;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wereply-allowance-'));
  store = await openStore({ dataDir: dir, sqliteSync: 'NORMAL' });
});
afterAll(async () => {
  await store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const RESOLUTION_MS = 1000;

it('never counts more sends against the open allowance than WeCom does, in any recording order', async () => {
  await fc.assert(
    fc.asyncProperty(
      // The customer's messages: gaps between them and how long each took to be pulled.
      fc.array(fc.record({ gap: fc.integer({ min: 1, max: 5000 }), pullDelay: fc.integer({ min: 0, max: 3000 }) }), { minLength: 1, maxLength: 4 }),
      // Sends: when their call started (offset from the first message) and how long WeCom took to accept.
      fc.array(fc.record({ start: fc.integer({ min: -2000, max: 25_000 }), took: fc.integer({ min: 0, max: 4000 }) }), { maxLength: 12 }),
      fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })),
      async (customer, sends, shuffle) => {
        const base = 1_800_000_000_000 + (run++) * 100_000;
        let t = base;
        const messages = customer.map((m) => {
          t += m.gap;
          return { at: t, sendTime: Math.floor(t / 1000) * 1000, pulledAt: t + m.pullDelay };
        });
        const last = messages[messages.length - 1]!;
        // WeCom charges a send to the allowance of the newest customer message it had when it accepted it.
        const accepted = sends.map((x) => ({ startedAt: base + x.start, acceptedAt: base + x.start + x.took }));
        const wecomCount = accepted.filter((x) => x.acceptedAt >= last.at).length;
        const surelyAfterPull = accepted.filter((x) => x.startedAt >= last.pulledAt).length;

        const conv = await store.db
          .insertInto('conversations')
          .values({ channel: 'wecom-kf', open_kfid: 'wk', external_userid: `wm_${run}`, last_customer_msg_at: last.sendTime, sent_since_customer_msg: 0, last_any_reply_at: null, unmatched_streak: 0, created_at: base, updated_at: base })
          .returning('id')
          .executeTakeFirstOrThrow();
        const id = Number(conv.id);
        for (const [i, m] of messages.entries()) {
          await store.db.insertInto('messages').values({ msgid: `c${run}-${i}`, conversation_id: id, open_kfid: 'wk', external_userid: `wm_${run}`, origin: 3, msgtype: 'text', text: 'x', raw: '{}', decision: null, send_time: m.sendTime, received_at: m.pulledAt }).execute();
        }
        // Outcomes recorded in any order (answers arrive late, out of order).
        const order = accepted.map((x, i) => ({ x, i, key: shuffle.next().value })).sort((a, b) => a.key - b.key);
        for (const { x, i } of order) {
          await store.db
            .insertInto('outbox')
            .values({ conversation_id: id, api: 'send_msg', msgid: `s${run}-${i}`, payload: '{}', status: 'sent', priority: 0, attempts: 1, next_attempt_at: 0, locked_by: null, locked_until: null, last_errcode: null, reason: null, source_msgid: null, rule_id: null, caused_at: base, created_at: base, sent_at: x.acceptedAt + 5, accepted_at: x.startedAt })
            .execute();
        }
        const facts = await conversationAllowance(store.db, id, RESOLUTION_MS);
        expect(facts.customerWroteAt).toBe(last.sendTime);
        expect(facts.acceptedInAllowance).toBeLessThanOrEqual(wecomCount);
        expect(facts.acceptedInAllowance).toBeGreaterThanOrEqual(surelyAfterPull);
      },
    ),
    { numRuns: 60 },
  );
});
