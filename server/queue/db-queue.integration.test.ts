// Fedify's own conformance suite for message queues, ordering keys included, on each dialect.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testMessageQueue } from '@fedify/testing';
import { DbMessageQueue } from './db-queue.ts';
import { duration } from '../../tests/helpers/temporal.ts';
import { createTestDatabase, dialects, type TestDatabase } from '../../tests/helpers/db.ts';

describe.each(dialects)('DbMessageQueue on %s', (dialect) => {
  let h: TestDatabase;
  beforeAll(async () => {
    h = await createTestDatabase(dialect);
  });
  afterAll(() => h.cleanup());

  it('passes @fedify/testing testMessageQueue with ordering keys', async () => {
    await testMessageQueue(
      () => new DbMessageQueue(h.db, { queue: 'conformance', pollMs: 200 }),
      ({ controller }) => controller.abort(),
      { testOrderingKey: true },
    );
  }, 60_000);

  it('retries a failing handler with back-off, then succeeds', async () => {
    const mq = new DbMessageQueue(h.db, { queue: 'retry', pollMs: 50, retryBaseMs: 20 });
    const controller = new AbortController();
    let calls = 0;
    const done = new Promise<void>((resolve) => {
      void mq.listen(
        () => {
          calls++;
          if (calls === 1) throw new Error('transient');
          resolve();
        },
        { signal: controller.signal },
      );
    });
    await mq.enqueue({ hello: 'world' });
    await done;
    controller.abort();
    expect(calls).toBe(2);
    expect((await mq.getDepth()).queued).toBe(0);
  });

  it('reports its depth, ready and delayed', async () => {
    const mq = new DbMessageQueue(h.db, { queue: 'depth' });
    await mq.enqueue('now');
    await mq.enqueue('later', { delay: duration({ minutes: 5 }) });
    expect(await mq.getDepth()).toEqual({ queued: 2, ready: 1, delayed: 1 });
  });
});
