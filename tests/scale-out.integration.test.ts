// The scaled set-up: two web processes on one PostgreSQL database and one Redis. A session that
// ends on one process disconnects its sockets on the other (socket.io Redis streams adapter), and
// rate limits are shared. Runs when CI provides PostgreSQL and Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as connect } from 'socket.io-client';
import { Redis } from 'ioredis';
import { loadConfig } from '../server/config.ts';
import { startNode, type RunningNode } from '../server/node.ts';
import { Client } from './helpers/client.ts';
import { createPgDatabase, pgUrl } from './helpers/db.ts';
import { freePort } from './helpers/node.ts';
import { codeOf, startSmtp, type TestSmtp } from './helpers/smtp.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const redisUrl = process.env.REDIS_URL_TEST || null;

describe.runIf(pgUrl && redisUrl)('two processes sharing PostgreSQL and Redis', () => {
  let smtp: TestSmtp;
  let nodes: RunningNode[] = [];
  let drop: () => Promise<void>;
  let dataDir: string;
  const prefix = `t${Date.now()}`;

  beforeAll(async () => {
    smtp = await startSmtp();
    const pg = await createPgDatabase();
    drop = pg.drop;
    dataDir = mkdtempSync(join(tmpdir(), 'militant-scale-'));
    // Both processes answer for the same public origin, as behind a load balancer.
    const ports = [await freePort(), await freePort()];
    for (const port of ports) {
      const config = loadConfig({
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: String(port),
        PUBLIC_URL: `http://127.0.0.1:${ports[0]}`,
        DATA_DIR: dataDir,
        DATABASE_URL: pg.url,
        REDIS_URL: redisUrl!,
        SMTP_URL: smtp.url,
        LOG_LEVEL: 'error',
      });
      nodes.push(await startNode(config, { web: 'none' }));
    }
  });

  afterAll(async () => {
    for (const n of nodes) await n.close();
    await drop?.();
    await smtp?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    // Leave Redis as we found it.
    const r = new Redis(redisUrl!);
    const keys = await r.keys('rl:*');
    if (keys.length) await r.del(...keys);
    await r.quit();
  });

  const via = (i: number) => new Client(nodes[i].address, { origin: nodes[0].config.publicUrl.origin });

  it('disconnects, on process 2, the socket of a session that logged out on process 1', async () => {
    const email = `${prefix}@example.org`;
    const c1 = via(0);
    const start = await c1.post('/api/auth/signup', { email, displayName: 'Scale', postalCode: '75011', consent: true });
    await c1.post('/api/auth/verify', { challengeId: start.body.challengeId, code: codeOf(await smtp.waitFor(email)).code });
    // The same session, now talking to the other process.
    const socket = connect(nodes[1].address.origin, {
      transports: ['websocket'],
      extraHeaders: { cookie: c1.cookieHeader, origin: nodes[0].config.publicUrl.origin },
      reconnection: false,
    });
    await new Promise<void>((resolve, reject) => {
      socket.on('ready', () => resolve());
      socket.on('connect_error', reject);
    });
    const reason = new Promise<string>((resolve) => socket.on('disconnect', resolve));
    expect((await c1.post('/api/auth/logout')).status).toBe(204);
    expect(await reason).toBe('io server disconnect');
  });

  it('shares rate limits between processes', async () => {
    const email = `${prefix}-flood@example.org`;
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await via(i % 2).post('/api/auth/login/code', { email })).status);
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
  });
});
