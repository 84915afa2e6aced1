/**
 * The servicer sync against servicers added while it runs: it pulls the accounts it knew when it
 * started, so a servicer recorded meanwhile on an account it did not pull is not one it can judge —
 * it must not be marked departed (离职) for being absent from lists it never asked for.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openStore, type Store } from '../store/database.js';
import { syncServicers, type ServicerListSource } from './servicer-sync.js';

let dir: string;
let store: Store;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wereply-servicer-sync-'));
  store = await openStore({ dataDir: dir, sqliteSync: 'NORMAL' });
});
afterAll(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const servicer = (userid: string, kf: string, now: number) => ({ userid, name: userid, open_kfids: JSON.stringify([kf]), groups: '[]', reception_cap: 10, supervisor: 0, status: 'active', receiving: 1, timezone: 'Asia/Shanghai', shift: null, created_at: now, updated_at: now });

it('a servicer recorded on another account while the lists are pulled stays active; one missing from a pulled list is departed', async () => {
  const now = Date.now();
  await store.db.insertInto('servicers').values([servicer('stays', 'kfA', now), servicer('leaves', 'kfA', now)]).execute();
  const client: ServicerListSource = {
    async servicerList(kf) {
      // While WeReply waits for WeCom, someone records a servicer on an account this sync did not pull.
      await store.db.insertInto('servicers').values(servicer('added_meanwhile', 'kfB', now)).execute();
      return kf === 'kfA' ? [{ userid: 'stays', status: 0 }] : [];
    },
  };
  const result = await syncServicers(client, store.db, { timezone: 'Asia/Shanghai', now });
  expect(result.accounts).toEqual(['kfA']);
  expect(result.departed).toEqual(['leaves']);
  const rows = await store.db.selectFrom('servicers').select(['userid', 'status']).orderBy('userid').execute();
  expect(rows).toEqual([
    { userid: 'added_meanwhile', status: 'active' },
    { userid: 'leaves', status: 'departed' },
    { userid: 'stays', status: 'active' },
  ]);
});
