// A durable message queue on our own database, for Fedify (inbox, outbox, fan-out) and for our
// own jobs (mail). It implements Fedify's MessageQueue interface, ordering keys included.
//
// A message is a row. A worker claims the oldest ready row with one UPDATE … RETURNING that sets
// a lease (`locked_until`); when the handler is done the row is deleted. A crashed worker's lease
// simply runs out and the row is claimed again. A row with an ordering key is claimable only when
// no older row with the same key remains, so same-key messages run one at a time, in order.
// PostgreSQL adds FOR UPDATE SKIP LOCKED (no two workers race for a row) and LISTEN/NOTIFY (wake
// up at once); SQLite's claim runs in the single-writer transaction and wakes by polling plus an
// in-process signal.
import { EventEmitter } from 'node:events';
import { and, asc, count, eq, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { MessageQueue, MessageQueueDepth, MessageQueueEnqueueOptions, MessageQueueListenOptions } from '@fedify/fedify';
import { type Database, isPostgres } from '../db/client.ts';

export interface DbMessageQueueOptions {
  /** Name of the queue; several queues share the table. */
  queue: string;
  /** Messages handled in parallel by one listener. */
  concurrency?: number;
  /** See `nativeRetrial` (default false). */
  nativeRetrial?: boolean;
  /** An ordering key for messages enqueued without one (e.g. Fedify's inbox: one sender's activities in order). */
  orderingKeyOf?: (message: unknown) => string | null;
  /** Idle polling interval in ms (PostgreSQL wakes earlier on NOTIFY). */
  pollMs?: number;
  /** How long a claimed message stays invisible to other workers. */
  leaseMs?: number;
  /** Attempts before a message whose handler keeps throwing is dropped. */
  maxAttempts?: number;
  /** First retry delay in ms; doubles at each attempt, capped at one hour. */
  retryBaseMs?: number;
  onError?: (error: unknown, message: unknown) => void;
}

type Row = { seq: number; payload: string; attempts: number };

// Same-process wake-ups (SQLite has no NOTIFY; PostgreSQL also gets them, harmlessly).
const localSignals = new EventEmitter();
localSignals.setMaxListeners(0);

const durationMs = (d: MessageQueueEnqueueOptions['delay']) => (d ? Math.max(0, d.total('millisecond')) : 0);

export class DbMessageQueue implements MessageQueue {
  /**
   * Whether the queue retries failed messages itself (in place, keeping their turn among messages
   * of the same ordering key). Fedify then lets a failed delivery throw instead of enqueueing a
   * copy, which would come after the messages queued behind it.
   */
  readonly nativeRetrial: boolean;
  readonly #db: Database;
  readonly #queue: string;
  readonly #concurrency: number;
  readonly #pollMs: number;
  readonly #leaseMs: number;
  readonly #maxAttempts: number;
  readonly #retryBaseMs: number;
  readonly #onError: (error: unknown, message: unknown) => void;
  readonly #orderingKeyOf: (message: unknown) => string | null;

  constructor(db: Database, opts: DbMessageQueueOptions) {
    this.#db = db;
    this.#queue = opts.queue;
    this.#concurrency = opts.concurrency ?? 4;
    this.#pollMs = opts.pollMs ?? 1000;
    this.#leaseMs = opts.leaseMs ?? 5 * 60_000;
    this.#maxAttempts = opts.maxAttempts ?? 10;
    this.#retryBaseMs = opts.retryBaseMs ?? 1000;
    this.#onError = opts.onError ?? (() => {});
    this.#orderingKeyOf = opts.orderingKeyOf ?? (() => null);
    this.nativeRetrial = opts.nativeRetrial ?? false;
  }

  // One channel per database: NOTIFY is per database already.
  readonly #channel = 'militant_queue';

  async enqueue(message: unknown, options?: MessageQueueEnqueueOptions): Promise<void> {
    await this.enqueueMany([message], options);
  }

  async enqueueMany(messages: readonly unknown[], options?: MessageQueueEnqueueOptions): Promise<void> {
    if (!messages.length) return;
    const now = Date.now();
    const availableAt = new Date(now + durationMs(options?.delay));
    const { queueMessages } = this.#db.t;
    await this.#db.tx(async () => {
      this.#signal();
      await this.#db.w.insert(queueMessages).values(
        messages.map((m) => ({
          queue: this.#queue,
          payload: JSON.stringify(m),
          orderingKey: options?.orderingKey ?? this.#orderingKeyOf(m),
          availableAt,
          createdAt: new Date(now),
        })),
      );
    });
  }

  /** Wakes listeners once the row is visible, i.e. after the enclosing transaction commits. */
  #signal() {
    const db = this.#db;
    db.afterCommit(() => {
      localSignals.emit(this.#queue);
      if (isPostgres(db)) db.sql.notify(this.#channel, this.#queue).catch(() => {});
    });
  }

  /** Claims the oldest ready message, or returns null. */
  async #claim(): Promise<Row | null> {
    const { queueMessages: m } = this.#db.t;
    const now = new Date();
    const leaseUntil = new Date(now.getTime() + this.#leaseMs);
    const db = this.#db;
    // An older message with the same ordering key, still in the table, blocks this one.
    const older = sql`exists (select 1 from queue_messages o where o.queue = ${m.queue} and o.ordering_key = ${m.orderingKey} and o.seq < ${m.seq})`;
    const ready = and(
      eq(m.queue, this.#queue),
      lte(m.availableAt, now),
      or(isNull(m.lockedUntil), lt(m.lockedUntil, now)),
      or(isNull(m.orderingKey), sql`not ${older}`),
    );
    return db.tx(async () => {
      const pick = db.w.select({ seq: m.seq }).from(m).where(ready).orderBy(asc(m.availableAt), asc(m.seq)).limit(1);
      const target = isPostgres(db) ? sql`(${pick} for update skip locked)` : sql`(${pick})`;
      const rows = await db.w
        .update(m)
        .set({ lockedUntil: leaseUntil, attempts: sql`${m.attempts} + 1` })
        .where(eq(m.seq, target))
        .returning({ seq: m.seq, payload: m.payload, attempts: m.attempts });
      return rows[0] ?? null;
    });
  }

  async #finish(row: Row, error: unknown) {
    const { queueMessages: m } = this.#db.t;
    await this.#db.tx(async () => {
      if (error === undefined || row.attempts >= this.#maxAttempts) {
        await this.#db.w.delete(m).where(eq(m.seq, row.seq));
      } else {
        const backoff = Math.min(3_600_000, this.#retryBaseMs * 2 ** (row.attempts - 1));
        await this.#db.w
          .update(m)
          .set({ lockedUntil: null, availableAt: new Date(Date.now() + backoff) })
          .where(eq(m.seq, row.seq));
      }
    });
    if (error === undefined || row.attempts >= this.#maxAttempts) this.#signal(); // may unblock an ordered successor
  }

  async listen(handler: (message: any) => Promise<void> | void, options: MessageQueueListenOptions = {}): Promise<void> {
    const signal = options.signal;
    if (signal?.aborted) return;
    const sleepers = new Set<() => void>();
    const poke = () => {
      for (const wake of sleepers) wake();
      sleepers.clear();
    };
    localSignals.on(this.#queue, poke);
    signal?.addEventListener('abort', poke);
    let unlisten: (() => Promise<void>) | null = null;
    const db = this.#db;
    if (isPostgres(db)) {
      try {
        const sub = await db.sql.listen(this.#channel, (payload) => payload === this.#queue && poke());
        unlisten = () => sub.unlisten();
      } catch (e) {
        this.#onError(e, null); // polling still works
      }
    }

    const worker = async () => {
      while (!signal?.aborted) {
        let row: Row | null = null;
        try {
          row = await this.#claim();
        } catch (e) {
          this.#onError(e, null);
        }
        if (!row) {
          await new Promise<void>((resolve) => {
            const wake = () => {
              clearTimeout(timer);
              sleepers.delete(wake);
              resolve();
            };
            const timer = setTimeout(wake, this.#pollMs);
            sleepers.add(wake);
          });
          continue;
        }
        let failure: unknown = undefined;
        const message = JSON.parse(row.payload);
        try {
          await handler(message);
        } catch (e) {
          failure = e ?? new Error('handler failed');
          this.#onError(e, message);
        }
        try {
          await this.#finish(row, failure);
        } catch (e) {
          this.#onError(e, message); // the lease will expire and the message be retried
        }
      }
    };

    try {
      await Promise.all(Array.from({ length: this.#concurrency }, worker));
    } finally {
      localSignals.off(this.#queue, poke);
      if (unlisten) await unlisten().catch(() => {});
    }
  }

  async getDepth(): Promise<MessageQueueDepth> {
    const { queueMessages: m } = this.#db.t;
    const now = new Date();
    const waiting = and(eq(m.queue, this.#queue), or(isNull(m.lockedUntil), lt(m.lockedUntil, now)));
    const countWhere = async (where: ReturnType<typeof and>) =>
      Number((await this.#db.q.select({ n: count() }).from(m).where(where))[0]?.n ?? 0);
    const queued = await countWhere(waiting);
    const ready = await countWhere(and(waiting, lte(m.availableAt, now)));
    return { queued, ready, delayed: queued - ready };
  }
}
