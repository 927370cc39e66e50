// Fedify's key–value store on our own database (Fedify's own SQLite/Postgres stores exist on our
// registry only for Fedify 1.x). Keys are arrays of strings stored as their JSON encoding, so a
// prefix of a key is a prefix of its encoding (minus the closing bracket). Values are JSON text.
import { and, eq, gt, isNull, lte, or, sql } from 'drizzle-orm';
import type { KvKey, KvStore, KvStoreListEntry, KvStoreSetOptions } from '@fedify/fedify';
import type { Database } from '../db/client.ts';

const encodeKey = (key: KvKey) => JSON.stringify(key);

/** JSON with object keys sorted, so that equal values compare equal in cas(). */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
      : v,
  );
}

export class DbKvStore implements KvStore {
  readonly #db: Database;
  #lastSweep = 0;

  constructor(db: Database) {
    this.#db = db;
  }

  #live(now = new Date()) {
    const { kvEntries: kv } = this.#db.t;
    return or(isNull(kv.expiresAt), gt(kv.expiresAt, now));
  }

  async #read(key: KvKey): Promise<string | undefined> {
    const { kvEntries: kv } = this.#db.t;
    const rows = await this.#db.q
      .select({ value: kv.value })
      .from(kv)
      .where(and(eq(kv.key, encodeKey(key)), this.#live()));
    return rows[0]?.value;
  }

  async get<T = unknown>(key: KvKey): Promise<T | undefined> {
    const raw = await this.#read(key);
    return raw === undefined ? undefined : (JSON.parse(raw) as T);
  }

  async #write(key: KvKey, value: unknown, options?: KvStoreSetOptions) {
    const { kvEntries: kv } = this.#db.t;
    const expiresAt = options?.ttl ? new Date(Date.now() + options.ttl.total('millisecond')) : null;
    const row = { key: encodeKey(key), value: JSON.stringify(value), expiresAt };
    await this.#db.w
      .insert(kv)
      .values(row)
      .onConflictDoUpdate({ target: kv.key, set: { value: row.value, expiresAt } });
  }

  async set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
    await this.#db.tx(() => this.#write(key, value, options));
    await this.#sweep();
  }

  async delete(key: KvKey): Promise<void> {
    const { kvEntries: kv } = this.#db.t;
    await this.#db.tx(async () => {
      await this.#db.w.delete(kv).where(eq(kv.key, encodeKey(key)));
    });
  }

  async cas(key: KvKey, expectedValue: unknown, newValue: unknown, options?: KvStoreSetOptions): Promise<boolean> {
    return this.#db.tx(async () => {
      const { kvEntries: kv } = this.#db.t;
      // Lock the row on PostgreSQL; SQLite's transaction already excludes other writers.
      const lock = this.#db.dialect === 'postgres' ? sql` for update` : sql``;
      const rows = await this.#db.all<{ value: string; expires_at: unknown }>(
        sql`select ${kv.value} as value, ${kv.expiresAt} as expires_at from ${kv} where ${kv.key} = ${encodeKey(key)}${lock}`,
      );
      const row = rows[0];
      const expired = row && row.expires_at !== null && new Date(row.expires_at as string | number).getTime() <= Date.now();
      const current = row && !expired ? JSON.parse(row.value) : undefined;
      if (canonical(current) !== canonical(expectedValue)) return false;
      if (newValue === undefined) await this.#db.w.delete(kv).where(eq(kv.key, encodeKey(key)));
      else await this.#write(key, newValue, options);
      return true;
    });
  }

  async *list(prefix?: KvKey): AsyncIterable<KvStoreListEntry> {
    const { kvEntries: kv } = this.#db.t;
    let where = this.#live();
    if (prefix && prefix.length) {
      const exact = encodeKey(prefix);
      const stem = exact.slice(0, -1) + ',';
      where = and(where, or(eq(kv.key, exact), sql`substr(${kv.key}, 1, ${stem.length}) = ${stem}`));
    }
    const rows = await this.#db.q.select({ key: kv.key, value: kv.value }).from(kv).where(where).orderBy(kv.key);
    for (const row of rows) yield { key: JSON.parse(row.key) as KvKey, value: JSON.parse(row.value) };
  }

  /** Deletes expired entries, at most once a minute. */
  async #sweep() {
    if (Date.now() - this.#lastSweep < 60_000) return;
    this.#lastSweep = Date.now();
    const { kvEntries: kv } = this.#db.t;
    await this.#db.tx(async () => {
      await this.#db.w.delete(kv).where(lte(kv.expiresAt, new Date()));
    });
  }
}
