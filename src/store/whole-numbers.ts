/**
 * Every number WeReply stores is an integer: ids, counts and times in whole milliseconds since the
 * epoch (bigint columns on PostgreSQL). PostgreSQL refuses "1796176134084.774" for a bigint, SQLite
 * stores it silently — so a fractional time computed somewhere (a backoff with jitter) used to work
 * in every single-instance test and fail only in production on PostgreSQL.
 *
 * Two halves, one rule:
 * - `epochMs()` is how code that computes a time (now + a delay) turns it into what is stored;
 * - `wholeNumbersOnly()` wraps the database driver of both engines and refuses any query with a
 *   fractional or non-finite number among its parameters, so the mistake fails loudly on SQLite
 *   (in every test) exactly as it would on PostgreSQL, with a message that says where to fix it.
 */
import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult, TransactionSettings } from 'kysely';

/** A time (or delay) as the whole milliseconds the database stores. */
export function epochMs(t: number): number {
  if (!Number.isFinite(t)) throw new Error(`not a time: ${t} (expected milliseconds since the epoch)`);
  return Math.round(t);
}

export class FractionalNumberError extends Error {
  constructor(value: number, sqlText: string) {
    super(
      `refusing to send ${value} to the database: every stored number is an integer (times are whole milliseconds since the epoch, ` +
        `bigint on PostgreSQL). Round it where it is computed (epochMs() in src/store/whole-numbers.ts). Query: ${sqlText.slice(0, 200)}`,
    );
    this.name = 'FractionalNumberError';
  }
}

function check(query: CompiledQuery): void {
  for (const p of query.parameters) {
    if (typeof p === 'number' && !Number.isInteger(p)) throw new FractionalNumberError(p, query.sql);
  }
}

class CheckedConnection implements DatabaseConnection {
  constructor(private readonly inner: DatabaseConnection) {}
  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    check(query);
    return this.inner.executeQuery(query);
  }
  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    check(query);
    return this.inner.streamQuery(query, chunkSize);
  }
}

class CheckedDriver implements Driver {
  private readonly wrapped = new WeakMap<DatabaseConnection, CheckedConnection>();
  constructor(private readonly inner: Driver) {}
  init(): Promise<void> {
    return this.inner.init();
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    const c = await this.inner.acquireConnection();
    let w = this.wrapped.get(c);
    if (!w) this.wrapped.set(c, (w = new CheckedConnection(c)));
    return w;
  }
  private unwrap(c: DatabaseConnection): DatabaseConnection {
    return c instanceof CheckedConnection ? (c as unknown as { inner: DatabaseConnection }).inner : c;
  }
  beginTransaction(c: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(this.unwrap(c), settings);
  }
  commitTransaction(c: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(this.unwrap(c));
  }
  rollbackTransaction(c: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(this.unwrap(c));
  }
  releaseConnection(c: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(this.unwrap(c));
  }
  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

// Savepoints (nested transactions) pass through when the engine's driver has them.
for (const name of ['savepoint', 'rollbackToSavepoint', 'releaseSavepoint'] as const) {
  Object.defineProperty(CheckedDriver.prototype, name, {
    value(this: { inner: Driver; unwrap(c: DatabaseConnection): DatabaseConnection }, c: DatabaseConnection, savepointName: string, compile: unknown) {
      const f = this.inner[name] as ((...a: unknown[]) => Promise<void>) | undefined;
      if (!f) throw new Error(`this database driver has no ${name}`);
      return f.call(this.inner, this.unwrap(c), savepointName, compile);
    },
  });
}

/** The dialect with its driver wrapped: no query reaches the database with a fractional number. */
export function wholeNumbersOnly(dialect: Dialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => new CheckedDriver(dialect.createDriver()),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
  };
}
