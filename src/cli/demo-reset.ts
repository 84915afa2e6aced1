/**
 * `wereply demo-reset`: removes demo data from the database WeCom mode uses (./data/wereply.sqlite,
 * or DATABASE_URL), so that WeCom mode accepts it again. Rules created or edited after the demo
 * seeded the database are kept and listed; demo rules nobody touched are removed.
 */
import path from 'node:path';
import { openStore } from '../store/database.js';
import { removeDemoData } from '../store/demo-data.js';

export async function demoResetCommand(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const dataDir = path.resolve(env.WEREPLY_DATA_DIR || './data');
  const sqliteFile = path.join(dataDir, 'wereply.sqlite');
  const store = await openStore({ dataDir, sqliteFile, ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}) });
  const where = store.file ?? 'the PostgreSQL database (DATABASE_URL)';
  try {
    const removed = await removeDemoData(store.db);
    if (!removed) {
      process.stdout.write(`${where} holds no demo data: nothing to do.\n`);
      return 0;
    }
    const lines = [
      `Removed the demo data from ${where}:`,
      `  demo rules removed (${removed.rulesRemoved.length}): ${removed.rulesRemoved.join('、') || '—'}`,
      `  demo servicers: ${removed.servicers}, demo routing versions: ${removed.routingVersions}, demo conversations: ${removed.conversations}`,
      `  rules kept, created or edited by you (${removed.rulesKept.length}): ${removed.rulesKept.join('、') || '—'}`,
      removed.rulesKept.length ? '  Review the kept rules in the console before real customers write.' : '',
      'WeCom mode will now start on this database.',
    ];
    process.stdout.write(lines.filter(Boolean).join('\n') + '\n');
    return 0;
  } finally {
    await store.close();
  }
}
