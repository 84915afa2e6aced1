/**
 * `wereply backup [--out FILE]` and `wereply restore FILE [--force]` for the embedded SQLite database.
 *
 * backup: SQLite's online backup (better-sqlite3 `db.backup()`), in one step, so the copy is one
 * consistent snapshot even while WeReply (this or another process) keeps writing; then the copy is
 * checked with `PRAGMA integrity_check`. PostgreSQL: use pg_dump (printed).
 * restore: checks the file, refuses while a WeReply runs on the data folder (unless --force), keeps
 * the current database aside, and puts the backup in its place (removing the old -wal/-shm files).
 */
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { runningInstance } from '../store/instance-file.js';

export interface BackupTarget {
  /** The SQLite file WeCom mode uses. */
  file: string;
  databaseUrl?: string;
}

export function backupTarget(env: NodeJS.ProcessEnv = process.env): BackupTarget {
  const dataDir = path.resolve(env.WEREPLY_DATA_DIR || './data');
  return { file: path.join(dataDir, 'wereply.sqlite'), ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}) };
}

const PG_HINT = [
  'DATABASE_URL is set: WeReply runs on PostgreSQL. Back it up with pg_dump, e.g.',
  '  pg_dump --format=custom --file=wereply-$(date +%Y%m%d-%H%M%S).dump "$DATABASE_URL"',
  'and restore into an empty database with',
  '  pg_restore --no-owner --dbname="$DATABASE_URL" wereply-….dump',
].join('\n');

export async function backupCommand(opts: { out?: string; db?: string }, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const target = backupTarget(env);
  if (target.databaseUrl && !opts.db) {
    process.stderr.write(PG_HINT + '\n');
    return 1;
  }
  const source = path.resolve(opts.db ?? target.file);
  if (!fs.existsSync(source)) {
    process.stderr.write(`wereply backup: no database at ${source} (set WEREPLY_DATA_DIR, or --db FILE)\n`);
    return 1;
  }
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const out = path.resolve(opts.out ?? `wereply-backup-${stamp}.sqlite`);
  if (fs.existsSync(out)) {
    process.stderr.write(`wereply backup: ${out} exists; choose another --out\n`);
    return 1;
  }
  const partial = `${out}.partial`;
  fs.rmSync(partial, { force: true });
  const db = new SQLite(source, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    // All pages in one step: one read transaction, one snapshot, never restarted by concurrent writes.
    await db.backup(partial, { progress: ({ totalPages }) => Math.max(totalPages, 1) });
  } finally {
    db.close();
  }
  const check = verifyDatabase(partial);
  if (!check.ok) {
    fs.rmSync(partial, { force: true });
    process.stderr.write(`wereply backup: the copy failed its integrity check: ${check.problem}\n`);
    return 1;
  }
  fs.renameSync(partial, out);
  process.stdout.write(`Backed up ${source} to ${out} (${fs.statSync(out).size} bytes; integrity_check ok; ${check.messages} messages, ${check.rules} rules)\n`);
  return 0;
}

export async function restoreCommand(file: string | undefined, opts: { force?: boolean }, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const target = backupTarget(env);
  if (target.databaseUrl) {
    process.stderr.write(PG_HINT + '\n');
    return 1;
  }
  if (!file) {
    process.stderr.write('usage: wereply restore FILE [--force]\n');
    return 1;
  }
  const backup = path.resolve(file);
  const check = fs.existsSync(backup) ? verifyDatabase(backup) : { ok: false as const, problem: 'no such file' };
  if (!check.ok) {
    process.stderr.write(`wereply restore: ${backup} is not a usable WeReply backup: ${check.problem}\n`);
    return 1;
  }
  const running = runningInstance(target.file);
  if (running !== undefined && !opts.force) {
    process.stderr.write(`wereply restore: WeReply (pid ${running}) is running on ${target.file}; stop it first (systemctl stop wereply), or pass --force\n`);
    return 1;
  }
  fs.mkdirSync(path.dirname(target.file), { recursive: true });
  let kept: string | undefined;
  if (fs.existsSync(target.file)) {
    kept = `${target.file}.before-restore-${Date.now()}`;
    fs.renameSync(target.file, kept);
  }
  // The old write-ahead log belongs to the old file: applied to the restored one it would corrupt it.
  for (const ext of ['-wal', '-shm']) {
    if (fs.existsSync(target.file + ext)) fs.renameSync(target.file + ext, `${kept ?? target.file}${ext}`);
  }
  fs.copyFileSync(backup, `${target.file}.partial`);
  fs.renameSync(`${target.file}.partial`, target.file);
  process.stdout.write(
    `Restored ${backup} to ${target.file} (${check.messages} messages, ${check.rules} rules)${kept ? `; the previous database is kept as ${kept}` : ''}.\nStart WeReply as usual: messages that arrived since the backup are pulled again from WeCom (it keeps them 3 days).\n`,
  );
  return 0;
}

type Check = { ok: true; messages: number; rules: number } | { ok: false; problem: string };

/** integrity_check, and that it is a WeReply database. */
export function verifyDatabase(file: string): Check {
  let db: SQLite.Database | undefined;
  try {
    db = new SQLite(file, { readonly: true, fileMustExist: true });
    const result = db.pragma('integrity_check', { simple: true });
    if (result !== 'ok') return { ok: false, problem: String(result) };
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name));
    if (!tables.has('messages') || !tables.has('kysely_migration')) return { ok: false, problem: 'not a WeReply database (no messages / kysely_migration table)' };
    const n = (sqlText: string) => (db!.prepare(sqlText).get() as { n: number }).n;
    return { ok: true, messages: n('SELECT count(*) n FROM messages'), rules: n('SELECT count(*) n FROM rules') };
  } catch (err) {
    return { ok: false, problem: (err as Error).message };
  } finally {
    db?.close();
  }
}
