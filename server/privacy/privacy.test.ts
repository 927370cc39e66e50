// Every table is classified: a new table cannot escape export and erasure by being forgotten.
import { describe, expect, it } from 'vitest';
import { getTableName } from 'drizzle-orm';
import { SQLiteTable } from 'drizzle-orm/sqlite-core';
import * as schema from '../db/schema.sqlite.ts';
import { NOT_PERSONAL, PERSONAL_DATA } from './service.ts';

describe('the register of personal data', () => {
  it('classifies every table of the schema, once', () => {
    const tables = Object.values(schema)
      .filter((v) => v instanceof SQLiteTable)
      .map((t) => getTableName(t as SQLiteTable))
      .sort();
    const listed = [...Object.keys(PERSONAL_DATA), ...Object.keys(NOT_PERSONAL)].sort();
    expect(listed).toEqual(tables);
  });
});
