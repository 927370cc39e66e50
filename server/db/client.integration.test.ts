import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDatabase, dialects, type TestDatabase } from '../../tests/helpers/db.ts';

describe.each(dialects)('database facade on %s', (dialect) => {
  let h: TestDatabase;
  beforeAll(async () => {
    h = await createTestDatabase(dialect);
  });
  afterAll(() => h.cleanup());

  const setting = (key: string) => ({ key, value: 'v', updatedAt: new Date() });
  const read = async (key: string) => {
    const { instanceSettings: s } = h.db.t;
    return (await h.db.q.select().from(s).where(eq(s.key, key)))[0];
  };

  it('commits a transaction', async () => {
    await h.db.tx(async () => {
      await h.db.w.insert(h.db.t.instanceSettings).values(setting('committed'));
    });
    expect((await read('committed'))?.value).toBe('v');
  });

  it('rolls back every statement when the body throws after awaiting', async () => {
    await expect(
      h.db.tx(async () => {
        await h.db.w.insert(h.db.t.instanceSettings).values(setting('rolled-back-1'));
        await new Promise((r) => setTimeout(r, 5));
        await h.db.w.insert(h.db.t.instanceSettings).values(setting('rolled-back-2'));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await read('rolled-back-1')).toBeUndefined();
    expect(await read('rolled-back-2')).toBeUndefined();
  });

  it('rolls back on a constraint violation and keeps working', async () => {
    await expect(
      h.db.tx(async () => {
        await h.db.w.insert(h.db.t.instanceSettings).values(setting('dup'));
        await h.db.w.insert(h.db.t.instanceSettings).values(setting('dup'));
      }),
    ).rejects.toThrow();
    expect(await read('dup')).toBeUndefined();
    await h.db.tx(async () => {
      await h.db.w.insert(h.db.t.instanceSettings).values(setting('after'));
    });
    expect(await read('after')).toBeDefined();
  });

  it('joins nested transactions and sees its own writes', async () => {
    await h.db.tx(async () => {
      await h.db.w.insert(h.db.t.instanceSettings).values(setting('outer'));
      await h.db.tx(async () => {
        expect((await read('outer'))?.value).toBe('v');
      });
    });
  });

  it('refuses writes outside a transaction', () => {
    expect(() => h.db.w).toThrow(/outside a transaction/);
  });

  it('serialises concurrent read-modify-write transactions (no lost update)', async () => {
    const { instanceSettings: s } = h.db.t;
    await h.db.tx(async () => {
      await h.db.w.insert(s).values({ key: 'counter', value: '0', updatedAt: new Date() });
    });
    const bump = () =>
      h.db.tx(async () => {
        const lock = dialect === 'postgres' ? ' for update' : '';
        const { sql } = await import('drizzle-orm');
        const [row] = await h.db.all<{ value: string }>(sql.raw(`select value from instance_settings where key = 'counter'${lock}`));
        await new Promise((r) => setTimeout(r, 1));
        await h.db.w.update(s).set({ value: String(Number(row.value) + 1) }).where(eq(s.key, 'counter'));
      });
    await Promise.all(Array.from({ length: 20 }, bump));
    expect((await read('counter'))?.value).toBe('20');
  });
});
