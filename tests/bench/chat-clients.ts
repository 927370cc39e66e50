// The load generator of tests/bench/chat.bench.ts, run as child processes (forked by the
// benchmark, never run by hand): each holds a share of the connections, sends its share of the
// messages at a fixed rate (open loop: a slow answer does not slow the sender down, it shows as
// latency), and records send-to-receive and send-to-ack latency in histograms of 0.1 ms bins.
// The message body carries the phase and the send time: `bench <phase> <epoch ms> …`, with
// performance.timeOrigin + performance.now() on both ends (one machine, one clock).
//
// Two kinds of client (BENCH_CLIENT): `lean` (the default) speaks the Socket.IO protocol (v5 over
// Engine.IO v4, websocket transport) itself on a bare WebSocket and reads only what it measures
// (the body's send time, the ack's id and `ok`), so that on a two-core machine the cores go to
// the servers under test rather than to 5,000 full clients; `socket.io` uses socket.io-client, one
// Manager per connection, as a browser page would (heavier: it parses every message).
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { io as connect } from 'socket.io-client';

export interface ClientSpec {
  /** node: the session token (cookie); bare: unused. */
  token: string;
  roomId: string;
  roomIndex: number;
}

type Msg =
  | { type: 'init'; id: number; url: string; mode: 'node' | 'bare'; proc: number; sockets: ClientSpec[]; concurrency: number }
  | { type: 'run'; id: number; phase: string; t0: number; seconds: number; rate: number }
  | { type: 'count'; id: number; phase: string }
  | { type: 'report'; id: number; phase: string }
  | { type: 'stop'; id: number };

const BIN_MS = 0.1;
const BINS = 600_000; // 60 s; slower lands in the last bin

const now = () => performance.timeOrigin + performance.now();
const reply = (m: Record<string, unknown>) => process.send!(m);

class Phase {
  t0 = 0;
  t1 = 0;
  sent = 0;
  acked = 0;
  ackErrors: Record<string, number> = {};
  recvTotal = 0;
  recvInWindow = 0;
  maxRecv = 0;
  lastRecvAt = 0;
  cpuStart: NodeJS.CpuUsage | null = null;
  cpu: NodeJS.CpuUsage | null = null;
  readonly recv = new Uint32Array(BINS);
  readonly ack = new Uint32Array(BINS);
}

const phases = new Map<string, Phase>();
const phaseOf = (name: string) => {
  let p = phases.get(name);
  if (!p) phases.set(name, (p = new Phase()));
  return p;
};
const bin = (ms: number) => Math.min(BINS - 1, Math.max(0, Math.floor(ms / BIN_MS)));
const sparse = (h: Uint32Array) => {
  const out: [number, number][] = [];
  for (let i = 0; i < h.length; i++) if (h[i]) out.push([i, h[i]]);
  return out;
};

/** An acknowledgement, as far as it is measured. */
type Answer = { ok?: boolean; error?: string; duplicate?: boolean };

/** One connection, whichever kind of client holds it. */
interface Conn {
  send(event: string, payload: Record<string, unknown>, ack: (answer: Answer) => void): void;
  close(): void;
  onLost(listener: (why: string) => void): void;
}

let sockets: { socket: Conn; spec: ClientSpec }[] = [];
/** Sockets lost after connecting, by reason ("ping timeout": the server heard no pong in time,
 * its pings being queued behind the messages): reported with every phase. */
const lost: Record<string, number> = {};
let stopping = false;
let proc = 0;
let counter = 0;
/** Client ids are unique per process run: the servers of the capacity steps share the database of
 * the first ones, where the same id from the same member would be answered as a retry. */
const RUN = randomBytes(4).toString('hex');

/** Counts a received message whose body is `bench <phase> <epoch ms> …` (ignores anything else). */
function received(body: string, from: number) {
  const at = now();
  if (!body.startsWith('bench ', from)) return;
  const sp1 = body.indexOf(' ', from + 6);
  const sp2 = body.indexOf(' ', sp1 + 1);
  const p = phaseOf(body.slice(from + 6, sp1));
  const ms = at - Number(body.slice(sp1 + 1, sp2));
  p.recvTotal++;
  if (at >= p.t0 && at <= p.t1) p.recvInWindow++;
  if (ms > p.maxRecv) p.maxRecv = ms;
  p.lastRecvAt = at;
  p.recv[bin(ms)]++;
}

const BODY = '"body":"';
const MESSAGE = '42["chat:message",';
const READY = '42["chat:ready"';

/**
 * The lean client: Engine.IO v4 packets over a WebSocket, one per frame — `0{…}` open, `2`/`3`
 * ping/pong, `40`/`40{…}` Socket.IO connect, `42[event, payload]` an event, `42<id>[…]` an event
 * wanting an ack, `43<id>[answer]` the ack, `41` disconnect.
 */
function openLean(url: string, mode: 'node' | 'bare', spec: ClientSpec): Promise<Conn> {
  const u = new URL('/socket.io/?EIO=4&transport=websocket', url);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(u, { headers: mode === 'node' ? { cookie: `session=${spec.token}`, origin: new URL(url).origin } : {}, perMessageDeflate: false });
  const acks = new Map<number, (answer: Answer) => void>();
  let nextAck = 0;
  const lostListeners: ((why: string) => void)[] = [];
  let closedByUs = false;
  const conn: Conn = {
    send(event, payload, ack) {
      const id = nextAck++;
      acks.set(id, ack);
      ws.send(`42${id}${JSON.stringify([event, payload])}`);
    },
    close() {
      closedByUs = true;
      ws.close();
    },
    onLost(listener) {
      lostListeners.push(listener);
    },
  };
  return new Promise((resolve, reject) => {
    let ready = false;
    ws.on('message', (data) => {
      const m = data.toString();
      if (m.startsWith(MESSAGE)) {
        const at = m.indexOf(BODY, MESSAGE.length);
        if (at >= 0) received(m, at + BODY.length);
      } else if (m === '2') ws.send('3');
      else if (m.startsWith('43')) {
        const open = m.indexOf('[', 2);
        const id = Number(m.slice(2, open));
        const ack = acks.get(id);
        if (!ack) return;
        acks.delete(id);
        ack(m.startsWith('{"ok":true', open + 1) ? { ok: true, duplicate: m.endsWith('"duplicate":true}]') } : ((JSON.parse(m.slice(open))[0] ?? {}) as { ok?: boolean; error?: string }));
      } else if (m.startsWith('0')) ws.send(mode === 'bare' ? `40${JSON.stringify({ room: spec.roomId })}` : '40');
      else if (m.startsWith(READY)) {
        ready = true;
        resolve(conn);
      } else if (m.startsWith('44')) reject(new Error(`connect_error: ${m.slice(2)}`));
      else if (m.startsWith('41') || m === '1') ws.close();
    });
    ws.on('error', (e) => {
      if (!ready) reject(e);
    });
    ws.on('close', (code) => {
      if (!ready) reject(new Error(`closed before ready (${code})`));
      else if (!closedByUs && !stopping) for (const l of lostListeners) l(code === 1005 || code === 1006 ? 'transport close' : `closed ${code}`);
    });
  });
}

/** The full client: socket.io-client, as a page would use it. */
function openFull(url: string, mode: 'node' | 'bare', spec: ClientSpec): Promise<Conn> {
  const socket = connect(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    timeout: 60_000,
    ...(mode === 'node' ? { extraHeaders: { cookie: `session=${spec.token}`, origin: new URL(url).origin } } : { auth: { room: spec.roomId } }),
  });
  socket.on('chat:message', (message: { body?: unknown }) => {
    if (typeof message?.body === 'string') received(message.body, 0);
  });
  const conn: Conn = {
    send: (event, payload, ack) => socket.emit(event, payload, (answer: Answer) => ack(answer)),
    close: () => socket.disconnect(),
    onLost: (listener) => socket.on('disconnect', (why) => listener(why)),
  };
  return new Promise((resolve, reject) => {
    socket.once('chat:ready', () => resolve(conn));
    socket.once('connect_error', (e) => reject(e));
    socket.once('disconnect', (why) => reject(new Error(`disconnected: ${why}`)));
  });
}

const open = process.env.BENCH_CLIENT === 'socket.io' ? openFull : openLean;

async function init(m: Extract<Msg, { type: 'init' }>) {
  proc = m.proc;
  const t0 = performance.now();
  const errors: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < m.sockets.length) {
      const spec = m.sockets[next++];
      try {
        sockets.push({ socket: await open(m.url, m.mode, spec), spec });
      } catch (e) {
        errors.push(String((e as Error).message));
      }
    }
  };
  await Promise.all(Array.from({ length: m.concurrency }, worker));
  // Disconnections later on are reported, not silently dropped.
  for (const { socket } of sockets)
    socket.onLost((why) => {
      if (!stopping) lost[why] = (lost[why] ?? 0) + 1;
    });
  return { connected: sockets.length, failed: errors.length, errors: errors.slice(0, 5), ms: performance.now() - t0 };
}

function run(m: Extract<Msg, { type: 'run' }>): Promise<{ sent: number }> {
  const p = phaseOf(m.phase);
  p.t0 = m.t0;
  p.t1 = m.t0 + m.seconds * 1000;
  const byRoom = new Map<number, Conn[]>();
  for (const { socket, spec } of sockets) {
    const list = byRoom.get(spec.roomIndex) ?? [];
    list.push(socket);
    byRoom.set(spec.roomIndex, list);
  }
  const rooms = [...byRoom.keys()].sort((a, b) => a - b);
  const roomIds = new Map(sockets.map(({ spec }) => [spec.roomIndex, spec.roomId]));
  const total = Math.round(m.rate * m.seconds);
  let k = 0;
  const sendOne = () => {
    const room = rooms[k % rooms.length];
    const list = byRoom.get(room)!;
    const socket = list[Math.floor(k / rooms.length) % list.length];
    k++;
    const sentAt = now();
    const clientId = `b${RUN}_${proc}_${(counter++).toString(36)}`;
    p.sent++;
    socket.send('chat:send', { roomId: roomIds.get(room), clientId, body: `bench ${m.phase} ${sentAt.toFixed(3)} ${room}` }, (answer: Answer) => {
      p.ack[bin(now() - sentAt)]++;
      // A duplicate would mean the id was used before: the message was not delivered again.
      if (answer?.ok && answer.duplicate) p.ackErrors.duplicate = (p.ackErrors.duplicate ?? 0) + 1;
      else if (answer?.ok) p.acked++;
      else p.ackErrors[answer?.error ?? 'unknown'] = (p.ackErrors[answer?.error ?? 'unknown'] ?? 0) + 1;
    });
  };
  return new Promise((resolve) => {
    const tick = () => {
      const t = now();
      if (t >= m.t0 && !p.cpuStart) p.cpuStart = process.cpuUsage();
      const due = t < m.t0 ? 0 : Math.min(total, Math.floor(((t - m.t0) / 1000) * m.rate));
      while (k < due) sendOne();
      if (k >= total) {
        p.cpu = process.cpuUsage(p.cpuStart!);
        resolve({ sent: p.sent });
      } else setTimeout(tick, Math.max(1, Math.min(50, m.t0 - t)));
    };
    tick();
  });
}

process.on('message', async (m: Msg) => {
  switch (m.type) {
    case 'init':
      reply({ id: m.id, ...(await init(m)) });
      break;
    case 'run':
      reply({ id: m.id, ...(await run(m)) });
      break;
    case 'count': {
      const p = phaseOf(m.phase);
      reply({ id: m.id, recvTotal: p.recvTotal, acked: p.acked, errors: Object.values(p.ackErrors).reduce((a, b) => a + b, 0) });
      break;
    }
    case 'report': {
      const p = phaseOf(m.phase);
      reply({
        id: m.id,
        sent: p.sent,
        acked: p.acked,
        ackErrors: p.ackErrors,
        recvTotal: p.recvTotal,
        recvInWindow: p.recvInWindow,
        maxRecv: p.maxRecv,
        lastRecvAt: p.lastRecvAt,
        lost,
        cpuMs: p.cpu ? (p.cpu.user + p.cpu.system) / 1000 : 0,
        recv: sparse(p.recv),
        ack: sparse(p.ack),
      });
      break;
    }
    case 'stop':
      stopping = true;
      for (const { socket } of sockets) socket.close();
      sockets = [];
      reply({ id: m.id });
      setTimeout(() => process.exit(0), 50);
      break;
  }
});
process.on('disconnect', () => process.exit(0));
