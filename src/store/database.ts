/**
 * Opens WeReply's database: an embedded SQLite file by default, PostgreSQL when DATABASE_URL is set.
 * Domain code sees one Kysely<Database>; the few statements that differ per engine ask `engine`.
 */
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase as SqliteDialectDatabase, type Transaction } from 'kysely';
import { GroupCommit } from './group-commit.js';
import { wholeNumbersOnly } from './whole-numbers.js';
import pg from 'pg';
import type { Database } from './schema.js';
import { migrateToLatest } from './migrations.js';

export type Engine = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  engine: Engine;
  /**
   * Runs `work` in a transaction and resolves once it is committed. On SQLite, concurrent writes
   * share one commit (see GroupCommit); `work` may run again if another write in its batch failed,
   * so it must only touch the database.
   */
  write<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  /** Where the SQLite file lives (undefined on PostgreSQL). */
  file?: string;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** postgres://… to use PostgreSQL; otherwise SQLite at `${dataDir}/wereply.sqlite`. */
  databaseUrl?: string;
  dataDir: string;
  /** The SQLite file; default `${dataDir}/wereply.sqlite` (demo mode: demo.sqlite, see Config.sqliteFile). */
  sqliteFile?: string;
  /** PostgreSQL schema to use (tests give each file its own); created if missing. */
  pgSchema?: string;
  /**
   * SQLite `synchronous` pragma. FULL (default) fsyncs every commit, so an acknowledged callback
   * survives a power cut, not only a process crash; NORMAL is faster and still crash-safe in WAL mode.
   */
  sqliteSync?: 'FULL' | 'NORMAL';
  /** Bring the schema up to date (default true; `wereply doctor` only looks). */
  migrate?: boolean;
  /** Maximum PostgreSQL connections of this process. */
  pgPoolSize?: number;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, opts);
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const file = opts.sqliteFile ?? path.join(opts.dataDir, 'wereply.sqlite');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${opts.sqliteSync ?? 'FULL'}`);
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: wholeNumbersOnly(new SqliteDialect({ database: withStatementCache(sqlite) })) });
  if (opts.migrate ?? true) await migrateToLatest(db, 'sqlite');
  const group = new GroupCommit(db);
  return {
    db,
    engine: 'sqlite',
    write: (work) => group.write(work),
    file,
    close: async () => {
      await db.destroy();
    },
  };
}

/**
 * Kysely prepares every statement anew; preparing costs as much as running a small one. The pipeline
 * runs a few dozen distinct statements, so they are prepared once and reused (better-sqlite3 runs
 * them synchronously, so one statement object is never in use twice at a time).
 */
function withStatementCache(sqlite: SQLite.Database): SqliteDialectDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = sqlite.prepare(sql);
        // Statements built with IN (...) lists vary in text; keep the cache bounded.
        if (cache.size >= 500) cache.clear();
        cache.set(sql, stmt);
      }
      return stmt;
    },
  } as SqliteDialectDatabase;
}

async function openPostgres(url: string, opts: OpenStoreOptions): Promise<Store> {
  const schema = opts.pgSchema;
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid PostgreSQL schema name "${schema}"`);
  // bigint columns hold millisecond timestamps and ids: well inside Number's safe range.
  const types = {
    getTypeParser: (oid: number, format?: any) =>
      oid === INT8_OID || oid === NUMERIC_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format),
  };
  // Several instances starting together on a new database: one migrates, the others wait for it and
  // then find nothing to do. Kysely's own lock is taken only after it creates its bookkeeping tables,
  // and CREATE … IF NOT EXISTS races between sessions; so the whole step runs under one advisory lock.
  const lock = new pg.Client({ connectionString: url });
  await lock.connect();
  let pool: pg.Pool | undefined;
  try {
    await lock.query('SELECT pg_advisory_lock(hashtext($1))', [`wereply:migrations:${schema ?? 'public'}`]);
    if (schema) await lock.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    pool = new pg.Pool({
      connectionString: url,
      max: opts.pgPoolSize ?? 10,
      types,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    const db = new Kysely<Database>({ dialect: wholeNumbersOnly(new PostgresDialect({ pool })) });
    if (opts.migrate ?? true) await migrateToLatest(db, 'postgres', schema ?? 'public');
    return postgresStore(db);
  } catch (err) {
    await pool?.end().catch(() => undefined);
    throw err;
  } finally {
    await lock.end().catch(() => undefined);
  }
}

function postgresStore(db: Kysely<Database>): Store {
  return {
    db,
    engine: 'postgres',
    write: (work) => db.transaction().execute(work),
    close: async () => {
      await db.destroy();
    },
  };
}
