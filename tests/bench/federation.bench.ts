// Federation fan-out benchmark (issue 6): a member with 2,000 friends on 50 other servers
// simulated on loopback (tests/bench/federation-inboxes.ts: one of them dead — it drops every
// connection — and one slow — it answers after BENCH_SLOW_MS), posts to the public and to friends.
// Measured: the time for the member's request to return, the time until 95 % and 100 % of the
// healthy servers received the post, deliveries per second; against the raw cost of signing the
// same number of requests (RSA, as each delivery is signed) in the same run.
//   npm run exec -- node tests/bench/federation.bench.ts      (SQLite; PostgreSQL too when
//   DATABASE_URL_TEST is set; about a minute per database)
// Knobs: BENCH_FRIENDS (2000), BENCH_INSTANCES (50), BENCH_RUNS (5), BENCH_SLOW_MS (10000),
// BENCH_AUDIENCES (public,friends).
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCryptoKeyPair, signRequest } from '@fedify/fedify';
import { createPgDatabase, pgUrl } from '../helpers/db.ts';
import { freePort } from '../helpers/node.ts';
import { loadConfig } from '../../server/config.ts';
import { startNode, type RunningNode } from '../../server/node.ts';
import { setupLogging } from '../../server/logging.ts';
import { hashSecret, newId, newSecret } from '../../server/accounts/secrets.ts';

const FRIENDS = Number(process.env.BENCH_FRIENDS ?? 2000);
const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 50);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SLOW_MS = Number(process.env.BENCH_SLOW_MS ?? 10_000);
const AUDIENCES = (process.env.BENCH_AUDIENCES ?? 'public,friends').split(',') as ('public' | 'friends')[];
const DIALECTS = pgUrl ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const);

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '–');

const inboxes = fork(new URL('./federation-inboxes.ts', import.meta.url).pathname, [], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
let rid = 1;
function ask<T>(m: Record<string, unknown>): Promise<T> {
  const id = rid++;
  return new Promise((resolve) => {
    const on = (r: { id?: number }) => {
      if (r.id !== id) return;
      inboxes.off('message', on);
      resolve(r as T);
    };
    inboxes.on('message', on);
    inboxes.send({ ...m, id });
  });
}

async function seed(node: RunningNode, ports: number[]): Promise<string> {
  const db = node.services.db;
  const t = db.t;
  const at = new Date();
  const me = newId();
  const sid = newId();
  const secret = newSecret();
  await db.tx(async () => {
    await db.w.insert(t.users).values({ id: me, username: 'orateur', email: 'orateur@example.org', displayName: 'Orateur', createdAt: at, updatedAt: at });
    await db.w.insert(t.sessions).values({ id: sid, secretHash: hashSecret(secret), userId: me, deviceLabel: 'bench', createdAt: at, lastUsedAt: at, expiresAt: new Date(at.getTime() + 86_400_000) });
  });
  for (let start = 0; start < FRIENDS; start += 500) {
    const users: (typeof t.users.$inferInsert)[] = [];
    const actors: (typeof t.remoteActors.$inferInsert)[] = [];
    const friendships: (typeof t.friendships.$inferInsert)[] = [];
    for (let k = start; k < Math.min(FRIENDS, start + 500); k++) {
      const host = `127.0.0.1:${ports[k % ports.length]}`;
      const id = newId();
      const uri = `http://${host}/users/f${k}`;
      users.push({ id, username: `f${k}@${host}`, email: `${id}@remote.invalid`, displayName: `Ami ${k}`, host, searchable: false, createdAt: at, updatedAt: at });
      actors.push({ id, uri, host, type: 'Person', inbox: `${uri}/inbox`, sharedInbox: `http://${host}/inbox`, followers: `${uri}/followers`, raw: '{}', fetchedAt: at, createdAt: at });
      friendships.push({ userId: me, friendId: id, since: at }, { userId: id, friendId: me, since: at });
    }
    await db.tx(async () => {
      await db.w.insert(t.users).values(users);
      await db.w.insert(t.remoteActors).values(actors);
      await db.w.insert(t.friendships).values(friendships);
    });
  }
  await node.services.policy.writeMode('open');
  return `session=${sid}.${secret}`;
}

interface Run {
  request: number;
  p95: number;
  all: number;
  delivered: number;
}

async function post(node: RunningNode, cookie: string, audience: 'public' | 'friends', healthy: number): Promise<Run> {
  const t0 = now();
  const res = await fetch(new URL('/api/posts', node.config.publicUrl), {
    method: 'POST',
    headers: { cookie, origin: node.config.publicUrl.origin, 'content-type': 'application/json' },
    body: JSON.stringify({ body: `Rendez-vous place de la République, ${audience} ${newId()}`, audience }),
  });
  const request = now() - t0;
  if (res.status !== 201) throw new Error(`post failed: ${res.status} ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  const activity = new URL(`/posts/${id}`, node.config.publicUrl).href;
  const end = t0 + 60_000;
  let arrivals: [number, number][] = [];
  while (now() < end) {
    arrivals = (await ask<{ arrivals: [number, number][] }>({ type: 'arrivals', activity })).arrivals.filter(([host]) => host > 1);
    if (arrivals.length >= healthy) break;
    await sleep(20);
  }
  const times = arrivals.map(([, at]) => at - t0).sort((a, b) => a - b);
  return { request, p95: times[Math.ceil(healthy * 0.95) - 1] ?? Infinity, all: times.length >= healthy ? times[healthy - 1] : Infinity, delivered: times.length };
}

async function signingBaseline(n: number): Promise<number> {
  const { privateKey } = await generateCryptoKeyPair('RSASSA-PKCS1-v1_5');
  const body = JSON.stringify({ '@context': 'https://www.w3.org/ns/activitystreams', type: 'Create', id: 'https://a.example/posts/1#create', object: { type: 'Note', content: 'x'.repeat(300) } });
  const t0 = now();
  for (let i = 0; i < n; i++) {
    await signRequest(new Request(`http://127.0.0.1:1/inbox/${i}`, { method: 'POST', headers: { 'content-type': 'application/activity+json' }, body }), privateKey, new URL('https://a.example/users/x#main-key'));
  }
  return now() - t0;
}

await setupLogging('error');
const { ports } = await ask<{ ports: number[] }>({ type: 'start', count: INSTANCES, slowMs: SLOW_MS });
const healthy = INSTANCES - 2;
const lines: string[] = [];
for (const dialect of DIALECTS) {
  const dataDir = mkdtempSync(join(tmpdir(), 'fed-bench-'));
  const pg = dialect === 'postgres' ? await createPgDatabase() : null;
  const port = await freePort();
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'error',
    ALLOW_PRIVATE_ADDRESS: 'true',
    ...(pg ? { DATABASE_URL: pg.url } : {}),
  });
  const node = await startNode(config, { web: 'none' });
  node.services.limits.disable();
  try {
    const cookie = await seed(node, ports);
    await post(node, cookie, 'public', healthy); // warm-up: keys made, caches filled
    const baseline = await signingBaseline(INSTANCES);
    for (const audience of AUDIENCES) {
      const runs: Run[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await post(node, cookie, audience, healthy));
      const all = median(runs.map((r) => r.all));
      const label = dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL';
      const line = `| ${label} | ${audience} | ${fmt(median(runs.map((r) => r.request)), 1)} | ${fmt(Math.max(...runs.map((r) => r.request)), 1)} | ${fmt(median(runs.map((r) => r.p95)))} | ${fmt(all)} | ${fmt((healthy / all) * 1000, 0)} | ${fmt(baseline)} | ${fmt(all / baseline, 1)} | ${Math.min(...runs.map((r) => r.delivered))}/${healthy} |`;
      console.error(line);
      lines.push(line);
    }
  } finally {
    await node.close();
    await pg?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
await ask({ type: 'stop' });
console.log(`\nFan-out: ${FRIENDS} friends on ${INSTANCES} servers on loopback (one dead, one answering after ${SLOW_MS} ms), ${RUNS} posts per audience; times in ms, medians (request: also the worst)`);
console.log('| database | audience | request | request, worst | 95 % of healthy servers | 100 % | deliveries/s | signing the same number of requests | 100 % ÷ signing | delivered |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const l of lines) console.log(l);
process.exit(0);
