// Benchmarks of the node, as ratios against a baseline measured in the same run (these machines
// are noisy; absolute numbers are indicative only). Not part of `npm test`. Run:
//   npm run build && npm run exec -- node tests/bench/node.bench.ts
// With DATABASE_URL_TEST set, the queue benchmark also runs on PostgreSQL.
//
// 1. HTTP, against a production instance in its own process, loaded by autocannon from this one:
//    baseline GET /api/health (no session, one trivial query) versus
//    - GET /api/me with a session cookie (session validation: one indexed join + profile read),
//    - GET / rendered by SvelteKit for a logged-in member,
//    - GET of a member's actor as ActivityStreams (Fedify dispatch, keys from the database).
// 2. The database queue: time to drain N messages through DbMessageQueue versus the time to
//    insert N rows one transaction at a time on the same database (its floor).
import autocannon from 'autocannon';
import { startInstance } from '../helpers/instance.ts';
import { Client } from '../helpers/client.ts';
import { codeOf, startSmtp } from '../helpers/smtp.ts';
import { createTestDatabase, dialects } from '../helpers/db.ts';
import { DbMessageQueue } from '../../server/queue/db-queue.ts';

const DURATION = Number(process.env.BENCH_SECONDS ?? 8);

async function load(url: string, headers: Record<string, string> = {}) {
  // One request first: the first actor fetch generates its keys, the first page compiles routes.
  await fetch(url, { headers }).then((r) => r.arrayBuffer());
  const result = await autocannon({ url, connections: 16, duration: DURATION, headers });
  if (result.non2xx || result.errors) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

async function httpBench() {
  const smtp = await startSmtp();
  const instance = await startInstance({ name: 'bench', env: { SMTP_URL: smtp.url, ALLOW_PRIVATE_ADDRESS: 'false', LOG_LEVEL: 'error' } });
  try {
    const c = new Client(instance.url);
    const start = await c.post('/api/auth/signup', { email: 'bench@example.org', displayName: 'Bench', postalCode: '75011', consent: true });
    await c.post('/api/auth/verify', { challengeId: start.body.challengeId, code: codeOf(await smtp.waitFor('bench@example.org')).code });
    const me = (await c.get('/api/me')).body;
    const cookie = { cookie: c.cookieHeader };
    await load(new URL('/api/health', instance.url).href); // warm-up
    const rows = [
      ['GET /api/health (baseline)', await load(new URL('/api/health', instance.url).href)],
      ['GET /api/me (session)', await load(new URL('/api/me', instance.url).href, cookie)],
      ['GET / (page, logged in)', await load(new URL('/', instance.url).href, cookie)],
      ['GET actor (AS2)', await load(new URL(`/users/${me.id}`, instance.url).href, { accept: 'application/activity+json' })],
    ] as const;
    const base = rows[0][1].rps;
    console.log(`\nHTTP, 16 connections, ${DURATION} s each`);
    console.log('| request | req/s | p50 ms | p99 ms | throughput vs baseline |');
    console.log('|---|---|---|---|---|');
    for (const [name, r] of rows) console.log(`| ${name} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${(r.rps / base).toFixed(2)} |`);
  } finally {
    await instance.stop();
    await smtp.close();
  }
}

async function queueBench() {
  const N = Number(process.env.BENCH_MESSAGES ?? 2000);
  console.log(`\nQueue: ${N} messages`);
  console.log('| database | insert floor (ms) | enqueue (ms) | drain (ms) | msg/s drained | drain vs floor |');
  console.log('|---|---|---|---|---|---|');
  for (const dialect of dialects) {
    const h = await createTestDatabase(dialect);
    try {
      const { instanceSettings: s } = h.db.t;
      let t0 = performance.now();
      for (let i = 0; i < N; i++) {
        await h.db.tx(() => h.db.w.insert(s).values({ key: `k${i}`, value: 'v', updatedAt: new Date() }));
      }
      const floor = performance.now() - t0;
      const mq = new DbMessageQueue(h.db, { queue: 'bench', concurrency: 4, pollMs: 50 });
      t0 = performance.now();
      await mq.enqueueMany(Array.from({ length: N }, (_, i) => ({ i })));
      const enqueue = performance.now() - t0;
      const controller = new AbortController();
      let done = 0;
      t0 = performance.now();
      await new Promise<void>((resolve) => {
        void mq.listen(
          () => {
            if (++done === N) resolve();
          },
          { signal: controller.signal },
        );
      });
      const drain = performance.now() - t0;
      controller.abort();
      console.log(`| ${dialect} | ${Math.round(floor)} | ${Math.round(enqueue)} | ${Math.round(drain)} | ${Math.round((N / drain) * 1000)} | ${(drain / floor).toFixed(2)} |`);
    } finally {
      await h.cleanup();
    }
  }
}

await httpBench();
await queueBench();
process.exit(0);
