// Chat benchmark (issue 5, performance part): on one node of this machine, 5,000 connected
// members in 100 group rooms of 50, 1,000 messages a second sent for 60 s. Measured: messages
// delivered per second (receptions: each message reaches the 50 sockets of its room, its sender's
// included) and stored per second, send-to-receive and send-to-ack latency (p50, p99, max), the
// server's memory per connection and its CPU, each against a bare socket.io echo server measured
// beside it with the same harness and load (our ceiling): same socket.io version and options, one
// handler that broadcasts each chat:send to its room and acknowledges it. Not part of `npm test`.
//
//   npm run exec -- node tests/bench/chat.bench.ts          (SQLite; PostgreSQL too when
//   DATABASE_URL_TEST is set; 15 to 20 minutes per database)
//
// Part 1 (service): ChatService.send alone, in this process, one call at a time (no socket, no
// broadcast), against a primary-key read of the room: the part of a message's cost that is ours.
//
// Part 2 (load), the issue's benchmark. The database is seeded directly (members, groups with
// their main room, one session each); the servers run in child processes (chat-server.ts), the
// clients in others (chat-clients.ts: one WebSocket connection per member, with the session cookie
// and Origin a browser sends, speaking the Socket.IO protocol itself and reading only what it
// measures, so that the machine's two cores go to the servers rather than to the load generator;
// BENCH_CLIENT=socket.io uses socket.io-client instead, as a page would). Senders go round the rooms and
// round each room's members, in open loop (a slow answer does not slow the sending down), with
// the send time in the message body; receivers subtract it from their clock (one machine).
// Receptions are counted inside the window, latencies of every message sent in it (the drain
// after the window included; a message still missing when the drain ends counts as slower than
// any).
//
// The machine is shared, so the bare echo and the node run side by side: both servers up with
// their clients connected, loaded one at a time (the idle one costs next to nothing), the bare
// echo just before the node. First the issue's load (after a warm-up at 100 msg/s); then, on
// fresh servers (a load a server cannot follow leaves a queue, and past the ping timeout dropped
// sockets, that would spoil any later window), capacity steps of BENCH_STEP_SECONDS at each rate
// of BENCH_CAPACITY, the two in turn at each rate, each until it falls clearly behind.
// Memory: a server's RSS (and V8 heap) with every client connected and idle minus the same before
// the first connection, after a full GC, divided by the number of connections. CPU: the server
// process's (all its threads), the clients', and the whole machine's during the window, in cores
// (what is not ours is someone else's); per message, net of the idle server's. Rate limits stay
// on while the load is within the chat policies (1,000 msg/s over 100 rooms and 5,000 members is
// 600 a minute per room and 12 per member); they are turned off (limits.disable()) for loads
// beyond 16 msg/s per room, and in part 1.
//
// Knobs: BENCH_CLIENTS (5000), BENCH_ROOMS (100), BENCH_RATE (messages/s, 1000), BENCH_SECONDS
// (60), BENCH_WARMUP (s, 5), BENCH_PROCS (client processes per server, 2), BENCH_DIALECTS
// (sqlite,postgres), BENCH_PARTS (service,load), BENCH_SENDS (2000, part 1), BENCH_CAPACITY
// (50,100,150,200,300,400,500,600,800,1000,1200,1500,2000; empty: no steps), BENCH_STEP_SECONDS
// (10), BENCH_PIN (e.g. 0:1: taskset CPU lists of the servers and of the clients), BENCH_NICE
// (e.g. -10:-5: their scheduling priorities), BENCH_PROFILE=1 (a CPU profile of each server over
// the issue's window, for DevTools), BENCH_RATE_LIMITS=0, BENCH_CLIENT (lean, or socket.io).
// A quick look: BENCH_SECONDS=10 BENCH_WARMUP=2 BENCH_CAPACITY= (about 3 minutes per database).
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { count, eq } from 'drizzle-orm';
import { createTestDatabase, pgUrl, type TestDatabase } from '../helpers/db.ts';
import { hashSecret, newId, newSecret } from '../../server/accounts/secrets.ts';
import type { Database } from '../../server/db/client.ts';
import { loadConfig } from '../../server/config.ts';
import { buildServices } from '../../server/services.ts';
import type { ClientSpec } from './chat-clients.ts';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 5000);
const ROOMS = Number(process.env.BENCH_ROOMS ?? 100);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 5);
const PROCS = Number(process.env.BENCH_PROCS ?? 2);
const STEP_SECONDS = Number(process.env.BENCH_STEP_SECONDS ?? 10);
const CAPACITY = (process.env.BENCH_CAPACITY ?? '50,100,150,200,300,400,500,600,800,1000,1200,1500,2000').split(',').filter(Boolean).map(Number);
const PROFILE = process.env.BENCH_PROFILE === '1';
/** e.g. `0:1`: the server on CPU 0, the client processes on CPU 1 (taskset -c lists). */
const PIN = process.env.BENCH_PIN ? process.env.BENCH_PIN.split(':') : null;
/** e.g. `-10:-5`: scheduling priority (nice) of the server and of the client processes, so that
 * other work on a shared machine takes what they leave (negative values need root). */
const NICE = process.env.BENCH_NICE ? process.env.BENCH_NICE.split(':') : null;
const PARTS = new Set((process.env.BENCH_PARTS ?? 'service,load').split(','));
const SENDS = Number(process.env.BENCH_SENDS ?? 2000);
const DIALECTS = (process.env.BENCH_DIALECTS ?? 'sqlite,postgres').split(',').filter((d): d is 'sqlite' | 'postgres' => d === 'sqlite' || (d === 'postgres' && pgUrl !== null));
const PER_ROOM = Math.ceil(CLIENTS / ROOMS);
const profDir = PROFILE ? mkdtempSync(join(tmpdir(), 'chat-bench-prof-')) : null;
const BIN_MS = 0.1;

const fmt = (x: number, d = 1) => (x === Infinity ? '∞' : Number.isFinite(x) ? x.toFixed(d) : '–');
const here = (file: string) => new URL(file, import.meta.url).pathname;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const now = () => performance.timeOrigin + performance.now();
const id = (prefix: string, i: number) => `${prefix}${i.toString(36).padStart(15 - prefix.length, '0')}`;
const roomIdOf = (r: number) => id('c', r);

// ---------------------------------------------------------------------------------------------
// File descriptors: the server holds one per connection, each client process its share.

function fdLimits(): { soft: number; hard: number } {
  const out = spawnSync('sh', ['-c', 'ulimit -Sn; ulimit -Hn'], { encoding: 'utf8' }).stdout.trim().split('\n');
  const n = (s: string) => (s === 'unlimited' ? Infinity : Number(s));
  return { soft: n(out[0]), hard: n(out[1]) };
}
const limits = fdLimits();
const NEEDED_FDS = CLIENTS + 1024;
if (limits.hard < NEEDED_FDS) throw new Error(`${CLIENTS} sockets need about ${NEEDED_FDS} file descriptors; the hard limit is ${limits.hard} (raise it: ulimit -Hn, /etc/security/limits.conf)`);

/**
 * Forks a child with IPC, pinned to `cpus` with taskset when asked (BENCH_PIN), and through
 * `sh -c 'ulimit -n …; exec …'` when the soft limit of file descriptors is too low.
 */
function child(script: string, env: Record<string, string>, execArgv: string[] = [], cpus?: string, niceness?: string): ChildProcess {
  const options = { env: { ...process.env, ...env }, stdio: ['inherit', 'inherit', 'inherit', 'ipc'] as ('inherit' | 'ipc')[] };
  let command = [process.execPath, ...execArgv];
  if (cpus) command = ['taskset', '-c', cpus, ...command];
  if (niceness) command = ['nice', '-n', niceness, ...command];
  if (limits.soft < NEEDED_FDS) command = ['sh', '-c', `ulimit -n ${limits.hard === Infinity ? NEEDED_FDS : limits.hard} && exec "$0" "$@"`, ...command];
  return fork(script, [], { ...options, execPath: command[0], execArgv: command.slice(1) });
}

/** Busy and total jiffies of the whole machine (Linux), to show what else was running. */
function machineTicks(): { busy: number; total: number } | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] ?? 0);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

let nextId = 1;
/** Sends a request to a child and waits for the answer carrying the same id. */
function ask<T = Record<string, unknown>>(c: ChildProcess, message: Record<string, unknown>): Promise<T> {
  const rid = nextId++;
  return new Promise((resolve, reject) => {
    const onMessage = (m: { id?: number }) => {
      if (m.id !== rid) return;
      c.off('message', onMessage);
      c.off('exit', onExit);
      resolve(m as T);
    };
    const onExit = (code: number | null) => reject(new Error(`child exited (${code}) before answering ${String(message.type)}`));
    c.on('message', onMessage);
    c.once('exit', onExit);
    c.send({ ...message, id: rid });
  });
}

// ---------------------------------------------------------------------------------------------
// Seeding: CLIENTS members, ROOMS groups of PER_ROOM members with their main room, one session each.

async function batches<T>(db: Database, rows: T[], insert: (chunk: T[]) => Promise<unknown>, size = 500) {
  for (let i = 0; i < rows.length; i += size) {
    const chunk = rows.slice(i, i + size);
    await db.tx(() => insert(chunk));
    await tick();
  }
}

async function seed(db: Database, people = CLIENTS, roomCount = ROOMS): Promise<ClientSpec[]> {
  const t = db.t;
  const at = new Date();
  const perRoom = Math.ceil(people / roomCount);
  const users = Array.from({ length: people }, (_, i) => ({
    id: id('u', i),
    username: `chatbench${i}`,
    email: `chat${i}@example.org`,
    displayName: `Membre ${i}`,
    searchName: `membre ${i}`,
    createdAt: at,
    updatedAt: at,
  }));
  await batches(db, users, (c) => db.w.insert(t.users).values(c));
  const groups = Array.from({ length: roomCount }, (_, r) => ({
    id: id('g', r),
    handle: `chatbench${r}`,
    name: `Groupe ${r}`,
    searchName: `groupe ${r}`,
    kind: 'local' as const,
    memberCount: Math.min(perRoom, people - r * perRoom),
    createdAt: at,
    updatedAt: at,
  }));
  await batches(db, groups, (c) => db.w.insert(t.groups).values(c));
  const members = users.map((u, i) => ({ groupId: id('g', Math.floor(i / perRoom)), userId: u.id, role: i % perRoom === 0 ? ('admin' as const) : ('member' as const), joinedAt: at }));
  await batches(db, members, (c) => db.w.insert(t.groupMembers).values(c));
  const rooms = groups.map((g, r) => ({ id: roomIdOf(r), kind: 'group' as const, groupId: g.id, pairKey: `main:${g.id}`, main: true, createdAt: at }));
  await batches(db, rooms, (c) => db.w.insert(t.chatRooms).values(c));
  const specs: ClientSpec[] = [];
  const sessions = users.map((u, i) => {
    const sid = newId();
    const secret = newSecret();
    specs.push({ token: `${sid}.${secret}`, roomId: roomIdOf(Math.floor(i / perRoom)), roomIndex: Math.floor(i / perRoom) });
    return { id: sid, secretHash: hashSecret(secret), userId: u.id, deviceLabel: 'bench', createdAt: at, lastUsedAt: at, expiresAt: new Date(at.getTime() + 30 * 86_400_000) };
  });
  await batches(db, sessions, (c) => db.w.insert(t.sessions).values(c));
  return specs;
}

/** The bare server needs no database: the same rooms, no sessions. */
const bareSpecs = (): ClientSpec[] => Array.from({ length: CLIENTS }, (_, i) => ({ token: '', roomId: roomIdOf(Math.floor(i / PER_ROOM)), roomIndex: Math.floor(i / PER_ROOM) }));

// ---------------------------------------------------------------------------------------------
// Histograms (0.1 ms bins, sparse over IPC)

type Sparse = [number, number][];
function merge(list: Sparse[]): Map<number, number> {
  const h = new Map<number, number>();
  for (const s of list) for (const [b, n] of s) h.set(b, (h.get(b) ?? 0) + n);
  return h;
}
/** The q-quantile over `total` samples; those never recorded (lost, or still queued when the
 * drain ended) count as slower than any recorded: the answer is then Infinity. */
function percentile(h: Map<number, number>, q: number, total: number): number {
  const bins = [...h.keys()].sort((a, b) => a - b);
  if (!total) return NaN;
  let seen = 0;
  for (const b of bins) {
    seen += h.get(b)!;
    if (seen >= q * total) return (b + 1) * BIN_MS; // the bin's upper edge
  }
  return Infinity;
}

// ---------------------------------------------------------------------------------------------
// One server under load

interface Report {
  sent: number;
  acked: number;
  ackErrors: Record<string, number>;
  recvTotal: number;
  recvInWindow: number;
  maxRecv: number;
  lastRecvAt: number;
  lost: Record<string, number>;
  cpuMs: number;
  recv: Sparse;
  ack: Sparse;
}

interface PhaseResult {
  rate: number;
  seconds: number;
  sent: number;
  stored: number | null;
  acked: number;
  ackErrors: Record<string, number>;
  delivered: number;
  expected: number;
  inWindow: number;
  p50: number;
  p99: number;
  max: number;
  ackP50: number;
  ackP99: number;
  serverCpu: number;
  clientCpu: number;
  /** The whole machine's busy time during the window, in cores (ours and everything else). */
  machineCpu: number;
  lost: Record<string, number>;
  drainMs: number;
  /** The same server's CPU when idle (every client connected), in cores. */
  idleCpu: number;
  /** Rate limits were off (node, beyond the policies). */
  limitsOff: boolean;
}

interface TargetResult {
  name: string;
  connectMs: number;
  rssPerConn: number;
  heapPerConn: number;
  rssBefore: number;
  rssAfter: number;
  main: PhaseResult;
  steps: PhaseResult[];
}

async function phase(server: ChildProcess, clients: ChildProcess[], name: string, rate: number, seconds: number, stored?: () => Promise<number>): Promise<PhaseResult> {
  const t0 = now() + 500;
  const t1 = t0 + seconds * 1000;
  const at = (t: number) => sleep(Math.max(0, t - now()));
  type Cpu = { user: number; system: number; at: number };
  const marks = (async () => {
    await at(t0);
    const m0 = machineTicks();
    const [c0, s0] = await Promise.all([ask<Cpu>(server, { type: 'cpu' }), stored?.()]);
    await at(t1);
    const m1 = machineTicks();
    const [c1, s1] = await Promise.all([ask<Cpu>(server, { type: 'cpu' }), stored?.()]);
    return {
      cpu: (c1.user + c1.system - c0.user - c0.system) / 1000 / (c1.at - c0.at),
      stored: s0 === undefined || s1 === undefined ? null : s1 - s0,
      // In cores: 2.0 is both cores of this machine busy.
      machine: m0 && m1 ? ((m1.busy - m0.busy) / (m1.total - m0.total)) * cpus().length : NaN,
    };
  })();
  await Promise.all(clients.map((c) => ask(c, { type: 'run', phase: name, t0, seconds, rate: rate / clients.length })));
  const { cpu, stored: storedCount, machine: machineCpu } = await marks;
  // Drain: until every message sent has reached its room, or nothing arrived for 3 s (30 s at most).
  const expected = Math.round(rate * seconds) * PER_ROOM;
  const drainStart = now();
  let last = -1;
  let still = 0;
  while (now() - drainStart < 30_000) {
    const counts = await Promise.all(clients.map((c) => ask<{ recvTotal: number; acked: number; errors: number }>(c, { type: 'count', phase: name })));
    const got = counts.reduce((n, c) => n + c.recvTotal, 0);
    if (got >= expected) break;
    still = got === last ? still + 1 : 0;
    if (still >= 6) break;
    last = got;
    await sleep(500);
  }
  const drainMs = now() - drainStart;
  const reports = await Promise.all(clients.map((c) => ask<Report>(c, { type: 'report', phase: name })));
  const sum = (f: (r: Report) => number) => reports.reduce((n, r) => n + f(r), 0);
  const recv = merge(reports.map((r) => r.recv));
  const ack = merge(reports.map((r) => r.ack));
  const ackErrors: Record<string, number> = {};
  for (const r of reports) for (const [k, v] of Object.entries(r.ackErrors)) ackErrors[k] = (ackErrors[k] ?? 0) + v;
  return {
    rate,
    seconds,
    sent: sum((r) => r.sent),
    stored: storedCount,
    acked: sum((r) => r.acked),
    ackErrors,
    delivered: sum((r) => r.recvTotal),
    expected,
    inWindow: sum((r) => r.recvInWindow),
    p50: percentile(recv, 0.5, expected),
    p99: percentile(recv, 0.99, expected),
    max: sum((r) => r.recvTotal) < expected ? Infinity : Math.max(...reports.map((r) => r.maxRecv)),
    ackP50: percentile(ack, 0.5, sum((r) => r.sent)),
    ackP99: percentile(ack, 0.99, sum((r) => r.sent)),
    machineCpu,
    serverCpu: cpu,
    clientCpu: sum((r) => r.cpuMs) / (seconds * 1000),
    idleCpu: 0,
    limitsOff: false,
    lost: Object.fromEntries([...new Set(reports.flatMap((r) => Object.keys(r.lost)))].map((k) => [k, sum((r) => r.lost[k] ?? 0)])),
    drainMs,
  };
}

interface Session {
  server: ChildProcess;
  clients: ChildProcess[];
  connectMs: number;
  before: { rss: number; heapUsed: number };
  after: { rss: number; heapUsed: number };
  /** The server's CPU with every client connected and nothing sent (timers, pings), in cores. */
  idleCpu: number;
  limitsOff: boolean;
  close(): Promise<void>;
}

/** A fresh server with every client connected (memory measured on the way) and warmed up. */
async function open(name: string, mode: 'node' | 'bare', env: Record<string, string>, specs: ClientSpec[], warmupRate: number): Promise<Session> {
  const server = child(here('./chat-server.ts'), { ...env, BENCH_SERVER: mode }, ['--expose-gc'], PIN?.[0], NICE?.[0]);
  const clients: ChildProcess[] = [];
  const close = async () => {
    await Promise.all(clients.map((c) => ask(c, { type: 'stop' }).catch(() => {})));
    await ask(server, { type: 'stop' }).catch(() => {});
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.once('message', (m: { type?: string; port?: number }) => (m.type === 'listening' ? resolve(m.port!) : reject(new Error('unexpected message'))));
      server.once('exit', (code) => reject(new Error(`server exited (${code})`)));
    });
    const url = `http://127.0.0.1:${port}`;
    await sleep(1000);
    const before = await ask<{ rss: number; heapUsed: number }>(server, { type: 'mem' });
    for (let p = 0; p < PROCS; p++) clients.push(child(here('./chat-clients.ts'), {}, [], PIN?.[1], NICE?.[1]));
    const t = performance.now();
    const inits = await Promise.all(
      clients.map((c, p) => ask<{ connected: number; failed: number; errors: string[] }>(c, { type: 'init', url, mode, proc: p, sockets: specs.filter((_, i) => i % PROCS === p), concurrency: 50 })),
    );
    const connectMs = performance.now() - t;
    const connected = inits.reduce((n, r) => n + r.connected, 0);
    if (connected !== specs.length) throw new Error(`${name}: ${connected} of ${specs.length} connected (${inits.flatMap((r) => r.errors).join('; ')})`);
    await sleep(3000);
    const after = await ask<{ rss: number; heapUsed: number }>(server, { type: 'mem' });
    type Cpu = { user: number; system: number; at: number };
    const c0 = await ask<Cpu>(server, { type: 'cpu' });
    await sleep(5000);
    const c1 = await ask<Cpu>(server, { type: 'cpu' });
    const idleCpu = (c1.user + c1.system - c0.user - c0.system) / 1000 / (c1.at - c0.at);
    console.error(`[${name}] ${connected} connected in ${(connectMs / 1000).toFixed(1)} s; RSS ${(before.rss / 2 ** 20).toFixed(0)} → ${(after.rss / 2 ** 20).toFixed(0)} MiB; idle CPU ${fmt(idleCpu * 100, 0)} %`);
    if (WARMUP > 0) await phase(server, clients, 'w', warmupRate, WARMUP);
    await sleep(2000);
    return { server, clients, connectMs, before, after, idleCpu, limitsOff: false, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** A step meets the target when nearly every message arrives within the window and p99 is under 100 ms. */
const meetsTarget = (s: PhaseResult) => s.inWindow >= 0.95 * s.rate * s.seconds * PER_ROOM && s.p99 < 100;
/** A step is sustained when nearly every message arrives within the window (no queue building up). */
const sustained = (s: PhaseResult) => s.inWindow >= 0.95 * s.rate * s.seconds * PER_ROOM && s.p99 < 1000;
/** Past this, a further step only measures a longer queue. */
const saturated = (s: PhaseResult) => s.inWindow < 0.9 * s.rate * s.seconds * PER_ROOM || s.p99 > 1000;
/** The chat:room policy (1,200 a minute per room) holds up to 20 msg/s per room, with a margin. */
const withinLimits = (rate: number) => rate / ROOMS <= 16;

interface Contender {
  name: string;
  mode: 'node' | 'bare';
  env: Record<string, string>;
  specs: ClientSpec[];
  stored?: () => Promise<number>;
}

const summary = (r: PhaseResult) =>
  `${r.rate} msg/s: ${Math.round(r.inWindow / r.seconds)} delivered/s, p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms, server CPU ${fmt(r.serverCpu * 100, 0)} %, machine ${fmt(r.machineCpu, 2)} cores${Object.keys(r.lost).length ? `, sockets dropped: ${JSON.stringify(r.lost)}` : ''}`;

/** One measured window on a session, rate limits off first when the rate is beyond the policies. */
async function step(c: Contender, s: Session, phaseName: string, rate: number, seconds: number): Promise<PhaseResult> {
  if (c.mode === 'node' && !s.limitsOff && (process.env.BENCH_RATE_LIMITS === '0' || !withinLimits(rate))) {
    await ask(s.server, { type: 'disable-limits' });
    s.limitsOff = true;
  }
  const r = await phase(s.server, s.clients, phaseName, rate, seconds, c.stored);
  r.idleCpu = s.idleCpu;
  r.limitsOff = s.limitsOff;
  return r;
}

/**
 * The bare echo and the node, side by side on one database: both servers up with their clients
 * connected, loaded one at a time (the idle one costs next to nothing), so that both see the same
 * machine (it is shared). First the issue's load, the bare echo then the node, each on a fresh
 * server; then, on fresh servers again (a load a server cannot follow leaves a queue, and past
 * the ping timeout dropped sockets, that would spoil any later window), the capacity steps,
 * alternating between the two at each rate until each falls clearly behind.
 */
async function measurePair(bare: Contender, node: Contender): Promise<[TargetResult, TargetResult]> {
  const mains: PhaseResult[] = [];
  const sessions: Session[] = [];
  let first: Session[] = [];
  try {
    first = [await open(bare.name, bare.mode, bare.env, bare.specs, Math.min(RATE, 100)), await open(node.name, node.mode, node.env, node.specs, Math.min(RATE, 100))];
    for (const [i, c] of [bare, node].entries()) {
      if (PROFILE) await ask(first[i].server, { type: 'profile-start' });
      mains.push(await step(c, first[i], 'm', RATE, SECONDS));
      if (PROFILE) {
        const file = join(profDir!, `${c.name.replace(/[^a-z]+/gi, '-')}.cpuprofile`);
        await ask(first[i].server, { type: 'profile-stop', file });
        console.error(`[${c.name}] CPU profile of the measured window (drain included): ${file}`);
      }
      console.error(`[${c.name}] ${summary(mains[i])}`);
      await sleep(2000);
    }
  } finally {
    for (const s of first) await s.close();
  }
  const steps: PhaseResult[][] = [[], []];
  if (CAPACITY.length) {
    try {
      sessions.push(await open(bare.name, bare.mode, bare.env, bare.specs, CAPACITY[0]));
      sessions.push(await open(node.name, node.mode, node.env, node.specs, CAPACITY[0]));
      const done = [false, false];
      for (const rate of CAPACITY) {
        for (const [i, c] of [bare, node].entries()) {
          if (done[i]) continue;
          const r = await step(c, sessions[i], `c${rate}`, rate, STEP_SECONDS);
          steps[i].push(r);
          console.error(`[${c.name}] step ${summary(r)}`);
          if (saturated(r)) done[i] = true;
          await sleep(2000);
        }
        if (done.every(Boolean)) break;
      }
    } finally {
      for (const s of sessions) await s.close();
    }
  }
  return [bare, node].map((c, i) => ({
    name: c.name,
    connectMs: first[i].connectMs,
    rssBefore: first[i].before.rss,
    rssAfter: first[i].after.rss,
    rssPerConn: (first[i].after.rss - first[i].before.rss) / c.specs.length,
    heapPerConn: (first[i].after.heapUsed - first[i].before.heapUsed) / c.specs.length,
    main: mains[i],
    steps: steps[i],
  })) as [TargetResult, TargetResult];
}

async function measureDialect(dialect: 'sqlite' | 'postgres'): Promise<[TargetResult, TargetResult]> {
  const h: TestDatabase = await createTestDatabase(dialect);
  try {
    const t = performance.now();
    const specs = await seed(h.db);
    const label = dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL';
    console.error(`[${label}] seeded ${CLIENTS} members, ${ROOMS} rooms, sessions in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const { chatMessages: m } = h.db.t;
    const stored = async () => Number((await h.db.q.select({ n: count() }).from(m))[0].n);
    return await measurePair({ name: `bare echo (beside ${label})`, mode: 'bare', env: {}, specs: bareSpecs() }, { name: `node, ${label}`, mode: 'node', env: h.env, specs, stored });
  } finally {
    await h.cleanup();
  }
}

// ---------------------------------------------------------------------------------------------
// The service alone: ChatService.send in this process, one call at a time, no socket and no
// broadcast listener (the part of a message's cost that is ours), against a primary-key read of
// the room on the same database.

interface ServiceLine {
  dialect: string;
  pk: number;
  send: number;
  sendCpu: number;
}

async function serviceBench(dialect: 'sqlite' | 'postgres'): Promise<ServiceLine> {
  const h = await createTestDatabase(dialect);
  const dataDir = mkdtempSync(join(tmpdir(), 'chat-bench-service-'));
  try {
    await seed(h.db, PER_ROOM, 1);
    const services = buildServices(loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, LOG_LEVEL: 'error' }), h.db, null);
    services.limits.disable(); // SENDS messages in a few seconds in one room
    const room = roomIdOf(0);
    const { chatRooms: r } = h.db.t;
    let n = 0;
    const send = () => services.chat.send({ userId: id('u', n % PER_ROOM), role: 'member', sessionId: null }, room, { clientId: `service_${n++}`, body: `bench s ${now().toFixed(3)} 0` });
    const pk = () => h.db.q.select().from(r).where(eq(r.id, room));
    const time = async (fn: () => Promise<unknown>, runs: number) => {
      for (let i = 0; i < 200; i++) await fn(); // warm-up
      const cpu = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < runs; i++) {
        await fn();
        if (i % 100 === 99) await tick(); // let finalizers and timers run, as a server would
      }
      const c = process.cpuUsage(cpu);
      return { wall: (performance.now() - t0) / runs, cpu: (c.user + c.system) / 1000 / runs };
    };
    const read = await time(pk, SENDS);
    const sent = await time(send, SENDS);
    console.error(`[service, ${dialect}] send ${fmt(sent.wall, 2)} ms (CPU ${fmt(sent.cpu, 2)} ms), primary-key read ${fmt(read.wall, 3)} ms`);
    return { dialect: dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL', pk: read.wall, send: sent.wall, sendCpu: sent.cpu };
  } finally {
    await h.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

const started = performance.now();
const service: ServiceLine[] = [];
if (PARTS.has('service')) for (const dialect of DIALECTS) service.push(await serviceBench(dialect));
const pairs: [TargetResult, TargetResult][] = [];
if (PARTS.has('load')) for (const dialect of DIALECTS) pairs.push(await measureDialect(dialect));

const ratio = (x: number, base: number | undefined, d = 2) => (base === undefined || !base || !Number.isFinite(x) || !Number.isFinite(base) ? '–' : fmt(x / base, d));
const errors = (e: Record<string, number>) => Object.entries(e).map(([k, v]) => `${v} ${k}`).join(', ') || '0';
/** Server CPU per message handled (delivered to its room within the window), net of the idle server's (ms). */
const perMessage = (r: PhaseResult) => fmt(((r.serverCpu - r.idleCpu) * 1000) / (r.inWindow / r.seconds / PER_ROOM), 2);
const lostText = (l: Record<string, number>) => Object.entries(l).map(([k, v]) => `${v} (${k})`).join(', ') || '0';
/** The highest step rate that passed the test (steps are noisy on a shared machine: not necessarily every lower one did). */
const best = (r: TargetResult, test: (s: PhaseResult) => boolean) => Math.max(0, ...r.steps.filter(test).map((s) => s.rate));
const perSecond = (r: PhaseResult) => Math.round(r.inWindow / r.seconds);

if (service.length) {
  console.log(`\nChatService.send alone (in process, one at a time, ${SENDS} sends after 200 of warm-up; no socket)`);
  console.log('| database | primary-key read of the room (ms) | send (ms) | ÷ PK read | send, CPU (ms) |');
  console.log('|---|---|---|---|---|');
  for (const l of service) console.log(`| ${l.dialect} | ${fmt(l.pk, 3)} | ${fmt(l.send, 2)} | ${fmt(l.send / l.pk, 0)} | ${fmt(l.sendCpu, 2)} |`);
}
if (!pairs.length) process.exit(0);
console.log(
  `\nChat: ${CLIENTS} clients (websocket, ${process.env.BENCH_CLIENT === 'socket.io' ? 'socket.io-client' : 'lean Socket.IO protocol client'}, ${PROCS} client processes per server${PIN ? `, pinned ${PIN.join(' / ')}` : ''}${NICE ? `, nice ${NICE.join(' / ')}` : ''}) in ${ROOMS} rooms of ${PER_ROOM}; ${((performance.now() - started) / 1000).toFixed(0)} s in all. Each node is measured beside a bare socket.io echo loaded just before it (same machine, same minutes). ∞: more than that share of the messages had not arrived when the drain ended (nothing new for 3 s, or 30 s after the window).`,
);
console.log(`\n${RATE} msg/s for ${SECONDS} s (the issue's load)`);
console.log('| server | delivered/s (in window) | ÷ bare | stored/s | p50 ms | ÷ bare | p99 ms | ÷ bare | max ms | ack p50 / p99 ms | ack errors | sockets dropped | server CPU (cores) | CPU ms per message | clients CPU (cores) | machine busy (cores) |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const [b, n] of pairs)
  for (const r of [b, n]) {
    const m = r.main;
    console.log(
      `| ${r.name} | ${perSecond(m)} | ${ratio(m.inWindow, b.main.inWindow)} | ${m.stored === null ? '–' : Math.round(m.stored / m.seconds)} | ${fmt(m.p50)} | ${ratio(m.p50, b.main.p50, 1)} | ${fmt(m.p99)} | ${ratio(m.p99, b.main.p99, 1)} | ${fmt(m.max, 0)} | ${fmt(m.ackP50)} / ${fmt(m.ackP99)} | ${errors(m.ackErrors)} | ${lostText(m.lost)} | ${fmt(m.serverCpu, 2)} | ${perMessage(m)} | ${fmt(m.clientCpu, 2)} | ${fmt(m.machineCpu, 2)} |`,
    );
  }
console.log(`\nConnections: ${CLIENTS} connected 50 at a time per client process; memory after a full GC, idle`);
console.log(`| server | connecting ${CLIENTS} (s) | connections/s | ÷ bare | RSS before → after (MiB) | RSS per connection (KiB) | ÷ bare | heap per connection (KiB) | ÷ bare | idle CPU (cores) |`);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const [b, n] of pairs)
  for (const r of [b, n]) {
    const cps = CLIENTS / (r.connectMs / 1000);
    console.log(
      `| ${r.name} | ${fmt(r.connectMs / 1000)} | ${Math.round(cps)} | ${ratio(cps, CLIENTS / (b.connectMs / 1000))} | ${fmt(r.rssBefore / 2 ** 20, 0)} → ${fmt(r.rssAfter / 2 ** 20, 0)} | ${fmt(r.rssPerConn / 1024)} | ${ratio(r.rssPerConn, b.rssPerConn, 1)} | ${fmt(r.heapPerConn / 1024)} | ${ratio(r.heapPerConn, b.heapPerConn, 1)} | ${fmt(r.main.idleCpu, 2)} |`,
    );
  }
if (CAPACITY.length) {
  console.log(`\nCapacity: steps of ${STEP_SECONDS} s at rising rates, the bare echo and the node in turn at each rate, each until under 90 % delivered in the window or p99 over 1 s`);
  console.log('| server | offered msg/s | delivered/s | of offered | stored/s | p50 ms | p99 ms | ack p99 ms | server CPU (cores) | CPU ms per message | clients CPU | machine busy |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const pair of pairs)
    for (const r of pair)
      for (const s of r.steps) {
        console.log(
          `| ${r.name}${s.limitsOff ? ' (limits off)' : ''} | ${s.rate} | ${perSecond(s)} | ${fmt((perSecond(s) / (s.rate * PER_ROOM)) * 100, 0)} % | ${s.stored === null ? '–' : Math.round(s.stored / s.seconds)} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.ackP99)} | ${fmt(s.serverCpu, 2)} | ${perMessage(s)} | ${fmt(s.clientCpu, 2)} | ${fmt(s.machineCpu, 2)} |`,
        );
      }
  console.log('\n| server | highest rate with p99 < 100 ms (msg/s) | ÷ bare | highest rate sustained, p99 < 1 s (msg/s) | ÷ bare |');
  console.log('|---|---|---|---|---|');
  for (const [b, n] of pairs)
    for (const r of [b, n])
      console.log(`| ${r.name} | ${best(r, meetsTarget) || '–'} | ${ratio(best(r, meetsTarget), best(b, meetsTarget))} | ${best(r, sustained) || '–'} | ${ratio(best(r, sustained), best(b, sustained))} |`);
}
for (const [b, n] of pairs) {
  const m = n.main;
  const throughput = m.inWindow / b.main.inWindow;
  const cap = CAPACITY.length ? `; the highest rate with p99 < 100 ms is ${fmt(best(n, meetsTarget) / best(b, meetsTarget), 2)} of the bare echo's` : '';
  console.log(
    `\n${n.name}: at ${RATE} msg/s p99 ${fmt(m.p99)} ms (target < 100 ms: ${m.p99 < 100 ? 'met' : 'NOT met'}), throughput ${fmt(throughput, 2)} of the bare echo's (target ≥ 0.5: ${throughput >= 0.5 ? 'met' : 'NOT met'})${cap}`,
  );
}
process.exit(0);
