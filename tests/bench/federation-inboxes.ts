// The other servers of tests/bench/federation.bench.ts, in a process of their own (forked by the
// benchmark, never run by hand): INSTANCES inboxes on loopback ports, each answering 202 at once,
// except the "slow" one, which answers after SLOW_MS, and the "dead" one, which takes connections
// and drops them. Each records when a delivery first arrived, by activity id, and tells the parent.
import { createServer, type Server } from 'node:http';

type Msg = { type: 'start'; id: number; count: number; slowMs: number } | { type: 'arrivals'; id: number; activity: string } | { type: 'stop'; id: number };

const servers: Server[] = [];
/** activity id → host index → first arrival (epoch ms) */
const arrivals = new Map<string, Map<number, number>>();
let total = 0;
const now = () => performance.timeOrigin + performance.now();

function listen(index: number, mode: 'ok' | 'slow' | 'dead', slowMs: number): Promise<number> {
  const server = createServer((req, res) => {
    if (mode === 'dead') {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = now();
      try {
        const id = String((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: unknown }).id ?? '');
        let byHost = arrivals.get(id);
        if (!byHost) arrivals.set(id, (byHost = new Map()));
        if (!byHost.has(index)) byHost.set(index, at);
        total++;
      } catch {
        // not JSON: ignored
      }
      if (mode === 'slow') setTimeout(() => res.writeHead(202).end(), slowMs);
      else res.writeHead(202).end();
    });
  });
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

process.on('message', async (m: Msg) => {
  if (m.type === 'start') {
    const ports: number[] = [];
    for (let i = 0; i < m.count; i++) ports.push(await listen(i, i === 0 ? 'dead' : i === 1 ? 'slow' : 'ok', m.slowMs));
    process.send!({ id: m.id, ports });
  } else if (m.type === 'arrivals') {
    // Activities are matched by their id's prefix (the Create of a post: `<post>#create`).
    const found: [number, number][] = [];
    for (const [id, byHost] of arrivals) if (id.startsWith(m.activity)) for (const [host, at] of byHost) found.push([host, at]);
    process.send!({ id: m.id, arrivals: found, total });
  } else if (m.type === 'stop') {
    for (const s of servers) s.closeAllConnections();
    process.send!({ id: m.id });
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
