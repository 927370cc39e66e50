// Test databases: a fresh SQLite file, and — when DATABASE_URL_TEST is set (CI sets it to the
// machine's PostgreSQL) — a fresh PostgreSQL database created for the suite, both migrated.
// Suites that touch storage run once per available dialect with `describe.each(dialects)`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { openDatabase, type Database, type Dialect } from '../../server/db/client.ts';

export const pgUrl = process.env.DATABASE_URL_TEST || null;
export const dialects: Dialect[] = pgUrl ? ['sqlite', 'postgres'] : ['sqlite'];

export interface TestDatabase {
  db: Database;
  /** What to give a child process (an instance under test) to reach the same database. */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

/** Creates an empty PostgreSQL database next to DATABASE_URL_TEST's and returns its URL. */
export async function createPgDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!pgUrl) throw new Error('DATABASE_URL_TEST is not set');
  const name = `militant_t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(pgUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(pgUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const a = postgres(pgUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'militant-db-'));
    const file = join(dir, 'test.sqlite');
    const db = openDatabase({ dialect: 'sqlite', file });
    await db.migrate();
    return {
      db,
      env: { DATABASE_URL: `sqlite:${file}` },
      async cleanup() {
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const pg = await createPgDatabase();
  const db = openDatabase({ dialect: 'postgres', url: pg.url }, { poolSize: 4 });
  await db.migrate();
  return {
    db,
    env: { DATABASE_URL: pg.url },
    async cleanup() {
      await db.close();
      await pg.drop();
    },
  };
}
