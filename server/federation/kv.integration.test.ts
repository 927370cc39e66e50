import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duration } from '../../tests/helpers/temporal.ts';
import { DbKvStore } from './kv.ts';
import { createTestDatabase, dialects, type TestDatabase } from '../../tests/helpers/db.ts';

describe.each(dialects)('DbKvStore on %s', (dialect) => {
  let h: TestDatabase;
  let kv: DbKvStore;
  beforeAll(async () => {
    h = await createTestDatabase(dialect);
    kv = new DbKvStore(h.db);
  });
  afterAll(() => h.cleanup());

  it('gets, sets, overwrites and deletes', async () => {
    expect(await kv.get(['a'])).toBeUndefined();
    await kv.set(['a'], { n: 1 });
    expect(await kv.get(['a'])).toEqual({ n: 1 });
    await kv.set(['a'], [1, 'two']);
    expect(await kv.get(['a'])).toEqual([1, 'two']);
    await kv.delete(['a']);
    expect(await kv.get(['a'])).toBeUndefined();
  });

  it('expires entries after their ttl', async () => {
    await kv.set(['ttl'], 'soon gone', { ttl: duration({ milliseconds: 50 }) });
    expect(await kv.get(['ttl'])).toBe('soon gone');
    await new Promise((r) => setTimeout(r, 80));
    expect(await kv.get(['ttl'])).toBeUndefined();
  });

  it('lists by prefix without matching longer names', async () => {
    await kv.set(['p', 'x'], 1);
    await kv.set(['p', 'y', 'z'], 2);
    await kv.set(['p'], 0);
    await kv.set(['px'], 'not under p');
    const keys = [];
    for await (const e of kv.list(['p'])) keys.push(e.key);
    expect(keys.map((k) => k.join('/')).sort()).toEqual(['p', 'p/x', 'p/y/z']);
    let all = 0;
    for await (const _ of kv.list()) all++;
    expect(all).toBeGreaterThanOrEqual(4);
  });

  it('compare-and-swaps atomically', async () => {
    expect(await kv.cas(['c'], undefined, { v: 1 })).toBe(true);
    expect(await kv.cas(['c'], undefined, { v: 2 })).toBe(false);
    expect(await kv.cas(['c'], { v: 1 }, { v: 2 })).toBe(true);
    expect(await kv.get(['c'])).toEqual({ v: 2 });
    // Ten concurrent increments by CAS: each retries until it wins; none is lost.
    await kv.set(['n'], 0);
    const incr = async () => {
      for (;;) {
        const cur = (await kv.get<number>(['n']))!;
        if (await kv.cas(['n'], cur, cur + 1)) return;
      }
    };
    await Promise.all(Array.from({ length: 10 }, incr));
    expect(await kv.get(['n'])).toBe(10);
  });
});
