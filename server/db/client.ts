// One database facade for both dialects. Repositories are written once, typed against the
// SQLite flavour of drizzle (the query builder API is the same on PostgreSQL), and always reach
// the tables through `db.t`, the schema of the running dialect.
//
// Transactions: `db.tx(fn)` is the only way to write. better-sqlite3 cannot run async
// transactions (drizzle's would throw half-way without rolling back), so on SQLite we serialise
// writers with an in-process lock and issue BEGIN IMMEDIATE / COMMIT / ROLLBACK ourselves on a
// dedicated writer connection; reads outside a transaction use a second connection and only
// ever see committed data (WAL). On PostgreSQL it is drizzle's transaction on a pooled
// connection. Inside `fn`, `db.q` and `db.w` are the transaction; nested calls join it.
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { drizzle as drizzleSqlite, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate as migrateSqlite } from 'drizzle-orm/better-sqlite3/migrator';
import { drizzle as drizzlePg, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { migrate as migratePg } from 'drizzle-orm/postgres-js/migrator';
import type { SQL } from 'drizzle-orm';
import postgres from 'postgres';
import * as sqliteSchema from './schema.sqlite.ts';
import * as pgSchema from './schema.pg.ts';

export type Schema = typeof sqliteSchema;
export type Db = BetterSQLite3Database<Schema>;
export type Dialect = 'sqlite' | 'postgres';

/** Arbitrary key of the PostgreSQL advisory lock held while migrating. */
const MIGRATION_LOCK = 72_431_001;

const migrationsDir = (dialect: Dialect) =>
  fileURLToPath(new URL(`../../migrations/${dialect === 'sqlite' ? 'sqlite' : 'pg'}`, import.meta.url));

export interface DatabaseOptions {
  /** PostgreSQL only: pool size. */
  poolSize?: number;
}

/** A minimal async mutex: SQLite has one writer at a time. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();
  acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const ready = this.#tail.then(() => release);
    this.#tail = this.#tail.then(() => next);
    return ready;
  }
}

interface TxContext {
  exec: Db;
  afterCommit: (() => void)[];
}

export abstract class Database {
  abstract readonly dialect: Dialect;
  /** The tables of the running dialect (typed as the SQLite ones; the names are identical). */
  abstract readonly t: Schema;
  protected readonly als = new AsyncLocalStorage<TxContext>();
  protected abstract readonly reader: Db;

  /** The executor for reads: the current transaction, or the read connection. */
  get q(): Db {
    return this.als.getStore()?.exec ?? this.reader;
  }

  /** The executor for writes: only valid inside `tx()`. */
  get w(): Db {
    const tx = this.als.getStore();
    if (!tx) throw new Error('database write outside a transaction: wrap it in db.tx()');
    return tx.exec;
  }

  get inTransaction(): boolean {
    return this.als.getStore() !== undefined;
  }

  /** Runs fn in a transaction (or joins the current one). Rolls back if fn throws. */
  async tx<T>(fn: () => Promise<T>): Promise<T> {
    if (this.als.getStore()) return fn();
    const ctx: TxContext = { exec: this.reader, afterCommit: [] };
    const result = await this.runTransaction((exec) => {
      ctx.exec = exec;
      return this.als.run(ctx, fn);
    });
    for (const callback of ctx.afterCommit) {
      try {
        callback();
      } catch {
        // An after-commit hook must not turn a committed action into a failure.
      }
    }
    return result;
  }

  /**
   * A read query prepared once on the read connection, for hot paths (session validation runs on
   * every request): building and preparing SQL each time costs more than running it. Inside a
   * transaction the query is built on the transaction instead, which sees its writes.
   */
  prepared<P extends Record<string, unknown>, R>(name: string, build: (q: Db) => { prepare(name?: string): unknown }): (params: P) => Promise<R[]> {
    // `execute` maps rows to the selection on both drivers (SQLite's returns them synchronously).
    type Prepared = { execute: (p: P) => Promise<R[]> | R[] };
    let statement: Prepared | null = null;
    return async (params: P) => {
      if (this.inTransaction) return (build(this.q).prepare(name) as Prepared).execute(params);
      statement ??= build(this.reader).prepare(name) as Prepared;
      return statement.execute(params);
    };
  }

  /** Runs a callback once the current transaction has committed (at once outside one). */
  afterCommit(callback: () => void): void {
    const ctx = this.als.getStore();
    if (ctx) ctx.afterCommit.push(callback);
    else callback();
  }

  protected abstract runTransaction<T>(fn: (exec: Db) => Promise<T>): Promise<T>;
  /** Runs a raw SQL query and returns its rows. */
  abstract all<T = Record<string, unknown>>(query: SQL): Promise<T[]>;
  /**
   * Runs one raw statement that writes and returns its rows: atomic on its own (PostgreSQL runs
   * a statement with its CTEs all or nothing), so it needs no transaction of its own; inside
   * `tx()` it joins the transaction. For hot paths where a transaction's round trips cost more
   * than the work.
   */
  abstract write<T = Record<string, unknown>>(query: SQL): Promise<T[]>;
  abstract migrate(): Promise<void>;
  abstract close(): Promise<void>;
  /** A liveness probe for health checks. */
  abstract ping(): Promise<void>;
}

/** Statements kept per connection: far more than the distinct queries the code builds. */
const STATEMENT_CACHE = 1000;

/**
 * Keeps better-sqlite3 statements per SQL text. drizzle prepares every query anew, and on SQLite
 * preparing costs more than running the small statements that most requests are made of. A
 * statement is safe to share: better-sqlite3 runs it synchronously, so no two uses overlap, and
 * SQLite re-prepares it by itself after a schema change. drizzle switches statements to raw
 * (array) rows for some queries and not for others, so each use starts from object rows.
 */
function cacheStatements(conn: BetterSqlite3.Database): void {
  const prepare = conn.prepare.bind(conn);
  const cache = new Map<string, BetterSqlite3.Statement>();
  conn.prepare = ((source: string) => {
    let statement = cache.get(source);
    if (statement) {
      cache.delete(source); // most recently used last
      if (statement.reader) statement.raw(false);
    } else {
      statement = prepare(source);
      if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value!);
    }
    cache.set(source, statement);
    return statement;
  }) as typeof conn.prepare;
}

class SqliteDatabase extends Database {
  readonly dialect = 'sqlite' as const;
  readonly t = sqliteSchema;
  protected readonly reader: Db;
  readonly #writerRaw: BetterSqlite3.Database;
  readonly #readerRaw: BetterSqlite3.Database;
  readonly #writer: Db;
  readonly #lock = new Mutex();

  constructor(file: string) {
    super();
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const open = () => {
      const conn = new BetterSqlite3(file);
      conn.pragma('journal_mode = WAL');
      conn.pragma('synchronous = NORMAL');
      conn.pragma('busy_timeout = 5000');
      conn.pragma('foreign_keys = ON');
      cacheStatements(conn);
      return conn;
    };
    this.#writerRaw = open();
    // An in-memory database exists only on its own connection.
    this.#readerRaw = file === ':memory:' ? this.#writerRaw : open();
    this.#writer = drizzleSqlite({ client: this.#writerRaw, schema: sqliteSchema });
    this.reader = drizzleSqlite({ client: this.#readerRaw, schema: sqliteSchema });
  }

  protected async runTransaction<T>(fn: (exec: Db) => Promise<T>): Promise<T> {
    const release = await this.#lock.acquire();
    try {
      this.#writerRaw.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.#writer);
        this.#writerRaw.exec('COMMIT');
        return result;
      } catch (e) {
        if (this.#writerRaw.inTransaction) this.#writerRaw.exec('ROLLBACK');
        throw e;
      }
    } finally {
      release();
    }
  }

  async all<T>(query: SQL): Promise<T[]> {
    return this.q.all(query) as T[];
  }

  async write<T>(query: SQL): Promise<T[]> {
    return this.tx(async () => this.w.all(query) as T[]);
  }

  async migrate() {
    const release = await this.#lock.acquire();
    try {
      migrateSqlite(this.#writer, { migrationsFolder: migrationsDir('sqlite') });
    } finally {
      release();
    }
  }

  async ping() {
    this.#readerRaw.prepare('select 1').get();
  }

  async close() {
    const release = await this.#lock.acquire();
    try {
      if (this.#readerRaw !== this.#writerRaw) this.#readerRaw.close();
      this.#writerRaw.close();
    } finally {
      release();
    }
  }
}

class PostgresDatabase extends Database {
  readonly dialect = 'postgres' as const;
  readonly t = pgSchema as unknown as Schema;
  protected readonly reader: Db;
  readonly sql: postgres.Sql;
  readonly #pg: PostgresJsDatabase<typeof pgSchema>;

  constructor(url: string, opts: DatabaseOptions) {
    super();
    this.sql = postgres(url, { max: opts.poolSize ?? 10, onnotice: () => {} });
    this.#pg = drizzlePg({ client: this.sql, schema: pgSchema });
    this.reader = this.#pg as unknown as Db;
  }

  protected runTransaction<T>(fn: (exec: Db) => Promise<T>): Promise<T> {
    return this.#pg.transaction((tx) => fn(tx as unknown as Db));
  }

  async all<T>(query: SQL): Promise<T[]> {
    const rows = await (this.q as unknown as { execute(q: SQL): Promise<T[]> }).execute(query);
    return [...rows];
  }

  async write<T>(query: SQL): Promise<T[]> {
    return this.all<T>(query);
  }

  /** Migrates under an advisory lock, so that processes starting together take turns. */
  async migrate() {
    const conn = await this.sql.reserve();
    try {
      await conn`select pg_advisory_lock(${MIGRATION_LOCK})`;
      await migratePg(this.#pg, { migrationsFolder: migrationsDir('postgres') });
    } finally {
      await conn`select pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => {});
      conn.release();
    }
  }

  async ping() {
    await this.sql`select 1`;
  }

  async close() {
    await this.sql.end({ timeout: 5 });
  }
}

export type { PostgresDatabase, SqliteDatabase };

export function openDatabase(
  config: { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string },
  opts: DatabaseOptions = {},
): Database {
  if (config.dialect === 'sqlite') return new SqliteDatabase(config.file);
  return new PostgresDatabase(config.url, opts);
}

export function isPostgres(db: Database): db is PostgresDatabase {
  return db.dialect === 'postgres';
}
