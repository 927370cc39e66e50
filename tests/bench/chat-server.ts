// The server side of tests/bench/chat.bench.ts, run as its own process (forked by the benchmark,
// never run by hand), so that the load generator does not share its event loop.
//   BENCH_SERVER=node  a real node (startNode, no web pages) on DATABASE_URL, as in production
//                      but without SMTP; rate limits stay on unless BENCH_RATE_LIMITS=0.
//   BENCH_SERVER=bare  the ceiling: a socket.io server of the same version and options (path,
//                      buffer size, websocket) whose only handler broadcasts each chat:send to its
//                      room and acknowledges it. A socket joins the room named in its handshake.
// It tells its parent the port it listens on, then answers over IPC: `mem` (after a full GC when
// run with --expose-gc), `cpu` (process.cpuUsage), `disable-limits`, `profile-start` and
// `profile-stop` (a CPU profile of the measured window, written to the file given), `stop`.
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { Server } from 'socket.io';
import type { RunningNode } from '../../server/node.ts';

type Request = { type: 'mem' | 'cpu' | 'disable-limits' | 'profile-start' | 'profile-stop' | 'stop'; id: number; file?: string };

const mode = process.env.BENCH_SERVER;
const send = (m: Record<string, unknown>) => process.send!(m);

let close: () => Promise<void>;
let node: RunningNode | null = null;
let port: number;

if (mode === 'node') {
  // Loaded here only: the bare server's memory is socket.io's alone.
  const { loadConfig } = await import('../../server/config.ts');
  const { startNode } = await import('../../server/node.ts');
  const { setupLogging } = await import('../../server/logging.ts');
  const { freePort } = await import('../helpers/node.ts');
  port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'militant-chat-bench-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'error',
    DATABASE_URL: process.env.DATABASE_URL,
  });
  await setupLogging(config.logLevel);
  node = await startNode(config, { web: 'none' });
  if (process.env.BENCH_RATE_LIMITS === '0') node.services.limits.disable();
  close = async () => {
    await node!.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
} else if (mode === 'bare') {
  const http = createServer((_req, res) => res.writeHead(404).end());
  const io = new Server(http, { path: '/socket.io', serveClient: false, maxHttpBufferSize: 64 * 1024, cors: { origin: false } });
  io.on('connection', (socket) => {
    const room = (socket.handshake.auth as { room?: unknown }).room;
    if (typeof room === 'string') socket.join(`chat:${room}`);
    socket.on('chat:send', (payload: { roomId?: unknown }, ack?: unknown) => {
      if (payload && typeof payload.roomId === 'string') io.to(`chat:${payload.roomId}`).emit('chat:message', payload);
      if (typeof ack === 'function') ack({ ok: true });
    });
    socket.emit('chat:ready', { rooms: 1 });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  port = (http.address() as { port: number }).port;
  close = async () => {
    await new Promise<void>((r) => io.close(() => r()));
  };
} else {
  throw new Error('BENCH_SERVER must be node or bare');
}

let profiler: Session | null = null;
const gc = (globalThis as { gc?: () => void }).gc;
process.on('message', async (m: Request) => {
  switch (m.type) {
    case 'mem': {
      // Twice: the first pass runs finalizers whose objects the second one frees.
      gc?.();
      await new Promise((r) => setTimeout(r, 50));
      gc?.();
      const u = process.memoryUsage();
      send({ id: m.id, rss: u.rss, heapUsed: u.heapUsed, external: u.external, arrayBuffers: u.arrayBuffers, gc: Boolean(gc) });
      break;
    }
    case 'cpu': {
      const c = process.cpuUsage();
      send({ id: m.id, user: c.user, system: c.system, at: performance.timeOrigin + performance.now() });
      break;
    }
    case 'profile-start':
      profiler = new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
      send({ id: m.id });
      break;
    case 'profile-stop': {
      const { profile } = await profiler!.post('Profiler.stop');
      writeFileSync(m.file!, JSON.stringify(profile));
      profiler!.disconnect();
      send({ id: m.id });
      break;
    }
    case 'disable-limits':
      node?.services.limits.disable();
      send({ id: m.id });
      break;
    case 'stop':
      await close().catch(() => {});
      send({ id: m.id });
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
send({ type: 'listening', port });
