// The two schema files must describe the same database: same tables, columns (kind,
// nullability, default, primary key), indexes and foreign keys.
import { describe, expect, it } from 'vitest';
import { getTableName } from 'drizzle-orm';
import { getTableConfig as sqliteConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { getTableConfig as pgConfig, PgTable } from 'drizzle-orm/pg-core';
import * as sqlite from './schema.sqlite.ts';
import * as pg from './schema.pg.ts';

type Shape = {
  columns: Record<string, { kind: string; notNull: boolean; hasDefault: boolean; primary: boolean }>;
  primaryKeys: string[][];
  indexes: Record<string, { columns: string[]; unique: boolean }>;
  foreignKeys: string[];
};

function shape(config: ReturnType<typeof sqliteConfig> | ReturnType<typeof pgConfig>): Shape {
  const columns: Shape['columns'] = {};
  for (const c of config.columns) {
    columns[c.name] = { kind: c.dataType, notNull: c.notNull, hasDefault: c.hasDefault, primary: c.primary };
  }
  const indexes: Shape['indexes'] = {};
  for (const i of config.indexes) {
    indexes[i.config.name!] = {
      columns: i.config.columns.map((c) => ('name' in c ? (c as { name: string }).name : String(c))),
      unique: Boolean(i.config.unique),
    };
  }
  return {
    columns,
    primaryKeys: config.primaryKeys.map((pk) => pk.columns.map((c) => c.name)),
    indexes,
    foreignKeys: config.foreignKeys
      .map((fk) => {
        const ref = fk.reference();
        const cols = (list: { name: string }[]) => list.map((c) => c.name).join(',');
        return `${cols(ref.columns)} -> ${getTableName(ref.foreignTable)}(${cols(ref.foreignColumns)}) on delete ${fk.onDelete}`;
      })
      .sort(),
  };
}

describe('schema parity (SQLite ↔ PostgreSQL)', () => {
  const sqliteTables = Object.entries(sqlite).filter(([, v]) => v instanceof SQLiteTable) as [string, SQLiteTable][];
  const pgTables = Object.entries(pg).filter(([, v]) => v instanceof PgTable) as [string, PgTable][];

  it('has the same tables', () => {
    expect(sqliteTables.map(([k]) => k).sort()).toEqual(pgTables.map(([k]) => k).sort());
    expect(sqliteTables.length).toBeGreaterThan(5);
  });

  for (const [name, table] of sqliteTables) {
    it(`table ${name} has the same shape`, () => {
      const other = (pg as Record<string, unknown>)[name] as PgTable;
      const a = sqliteConfig(table);
      const b = pgConfig(other);
      expect(b.name).toBe(a.name);
      expect(shape(b)).toEqual(shape(a));
    });
  }
});
