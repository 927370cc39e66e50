// Home feed benchmark (issue 3): a member with 500 friends and 20 groups, in a database of
// 50,000 members and 1,000,000 posts. Server time of the first page and of the next page, as
// median and p95, against a bare primary-key read of one post in the same run.
//   npm run exec -- node tests/bench/feed.bench.ts            (SQLite; PostgreSQL too when
//   DATABASE_URL_TEST is set). BENCH_POSTS / BENCH_MEMBERS scale it down for a quick look.
import { eq, sql, type SQL } from 'drizzle-orm';
import { createTestDatabase, dialects } from '../helpers/db.ts';
import { buildServices } from '../../server/services.ts';
import { loadConfig } from '../../server/config.ts';
import type { Database } from '../../server/db/client.ts';

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 50_000);
const POSTS = Number(process.env.BENCH_POSTS ?? 1_000_000);
const GROUPS = 2_000;
const FRIENDS = 500;
const MY_GROUPS = 20;
const RUNS = Number(process.env.BENCH_RUNS ?? 200);

/** A small deterministic generator, so that both dialects get the same data. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const id = (prefix: string, i: number) => `${prefix}${i.toString(36).padStart(15 - prefix.length, '0')}`;

async function batches<T>(db: Database, rows: () => Generator<T>, insert: (chunk: T[]) => Promise<unknown>, size = 2000) {
  let chunk: T[] = [];
  for (const row of rows()) {
    chunk.push(row);
    if (chunk.length === size) {
      const c = chunk;
      await db.tx(() => insert(c));
      chunk = [];
    }
  }
  if (chunk.length) await db.tx(() => insert(chunk));
}

async function seed(db: Database) {
  const t = db.t;
  const random = rng(42);
  const now = Date.now();
  const me = id('u', 0);
  await batches(
    db,
    function* () {
      for (let i = 0; i < MEMBERS; i++) {
        const at = new Date(now - 400 * 86_400_000);
        yield { id: id('u', i), username: `member${i}`, email: `m${i}@example.org`, displayName: `Member ${i}`, searchName: `member ${i}`, createdAt: at, updatedAt: at };
      }
    },
    (c) => db.w.insert(t.users).values(c),
    500, // SQLite binds every column, defaults included: keep under its 32,766 variables
  );
  await batches(
    db,
    function* () {
      for (let g = 0; g < GROUPS; g++) {
        const at = new Date(now - 300 * 86_400_000);
        yield { id: id('g', g), handle: `group${g}`, name: `Group ${g}`, kind: 'thematic' as const, createdAt: at, updatedAt: at };
      }
    },
    (c) => db.w.insert(t.groups).values(c),
    500,
  );
  // Me: 500 friends, 20 groups. Everyone else: about 10 friends and 2 groups.
  const friendRows = function* () {
    const at = new Date(now - 200 * 86_400_000);
    for (let f = 1; f <= FRIENDS; f++) {
      yield { userId: me, friendId: id('u', f), since: at };
      yield { userId: id('u', f), friendId: me, since: at };
    }
    for (let i = FRIENDS + 1; i < MEMBERS; i++) {
      for (let k = 0; k < 5; k++) {
        const j = FRIENDS + 1 + Math.floor(random() * (MEMBERS - FRIENDS - 1));
        if (j === i) continue;
        yield { userId: id('u', i), friendId: id('u', j), since: at };
        yield { userId: id('u', j), friendId: id('u', i), since: at };
      }
    }
  };
  await batches(db, friendRows, (c) => db.w.insert(t.friendships).values(c).onConflictDoNothing());
  await batches(
    db,
    function* () {
      const at = new Date(now - 100 * 86_400_000);
      for (let g = 0; g < MY_GROUPS; g++) yield { groupId: id('g', g), userId: me, role: 'member' as const, joinedAt: at };
      for (let i = 1; i < MEMBERS; i++) {
        for (let k = 0; k < 2; k++) yield { groupId: id('g', Math.floor(random() * GROUPS)), userId: id('u', i), role: 'member' as const, joinedAt: at };
      }
    },
    (c) => db.w.insert(t.groupMembers).values(c).onConflictDoNothing(),
  );
  // One million posts over a year: 20 % in groups, the rest personal (public, friends, private).
  await batches(
    db,
    function* () {
      for (let p = 0; p < POSTS; p++) {
        const author = Math.floor(random() * MEMBERS);
        const inGroup = random() < 0.2;
        const r = random();
        const audience = inGroup ? (r < 0.5 ? ('group' as const) : ('public' as const)) : r < 0.45 ? ('public' as const) : r < 0.95 ? ('friends' as const) : ('private' as const);
        yield {
          id: id('p', p),
          authorId: id('u', author),
          groupId: inGroup ? id('g', Math.floor(random() * GROUPS)) : null,
          audience,
          source: `Post ${p}`,
          html: `<p>Post ${p}</p>`,
          searchText: `post ${p}`,
          createdAt: new Date(now - Math.floor(random() * 365 * 86_400_000)),
        };
      }
    },
    (c) => db.w.insert(t.posts).values(c),
    1000,
  );
  return me;
}

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { median: at(0.5), p95: at(0.95) };
}

async function time(fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 10; i++) await fn(); // warm-up: statement caches, pages in memory
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

console.log(`Feed benchmark: ${MEMBERS} members, ${POSTS} posts, a member with ${FRIENDS} friends and ${MY_GROUPS} groups; ${RUNS} runs each.`);
console.log('| database | seeding (s) | PK read median / p95 (ms) | first page median / p95 (ms) | next page median / p95 (ms) | selection only median / p95 (ms) | first page p95 vs PK p95 |');
console.log('|---|---|---|---|---|---|---|');
for (const dialect of dialects) {
  const h = await createTestDatabase(dialect);
  try {
    const t0 = performance.now();
    const me = await seed(h.db);
    const seeding = (performance.now() - t0) / 1000;
    // Fresh statistics for the planners, as an instance gets from autovacuum / PRAGMA optimize.
    await h.db.tx(async () => {
      const w = h.db.w as unknown as { run?: (q: SQL) => unknown; execute?: (q: SQL) => Promise<unknown> };
      await (w.run ? w.run(sql`analyze`) : w.execute!(sql`analyze`));
    });
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: '/tmp/militant-bench', LOG_LEVEL: 'error' });
    const services = buildServices(config, h.db, null);
    const actor = { userId: me, role: 'member' as const, sessionId: null };
    const { posts } = h.db.t;
    const pk = await time(() => h.db.q.select().from(posts).where(eq(posts.id, id('p', Math.floor(Math.random() * POSTS)))));
    let next: string | null = null;
    const first = await time(async () => {
      const page = await services.posts.feed(actor);
      next = page.next;
    });
    const second = await time(() => services.posts.feed(actor, next));
    // The selection alone (ids of the first page), to tell it from rendering the page.
    const { PostsRepository } = await import('../../server/posts/repository.ts');
    const repo = new PostsRepository(h.db);
    const select = await time(() => repo.feedIds(me, null, 21, new Date(Date.now() - 7 * 86_400_000)));
    if (process.env.BENCH_KEEP) console.log(`kept for EXPLAIN: ${JSON.stringify(h.env)}, member ${me}`);
    const [a, b, c, d] = [stats(pk), stats(first), stats(second), stats(select)];
    const f = (x: number) => x.toFixed(2);
    console.log(`| ${dialect} | ${seeding.toFixed(0)} | ${f(a.median)} / ${f(a.p95)} | ${f(b.median)} / ${f(b.p95)} | ${f(c.median)} / ${f(c.p95)} | ${f(d.median)} / ${f(d.p95)} | ${(b.p95 / a.p95).toFixed(0)}× |`);
  } finally {
    if (!process.env.BENCH_KEEP) await h.cleanup();
  }
}
process.exit(0);
