// Starts a real node in the test process: real database (SQLite file or a fresh PostgreSQL
// database), real SMTP (the in-process test server), real HTTP on a free port. No web pages
// (the browser tests run the production build in a child process).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../server/config.ts';
import { startNode, type RunningNode } from '../../server/node.ts';
import { setupLogging } from '../../server/logging.ts';
import type { Dialect } from '../../server/db/client.ts';
import { Client } from './client.ts';
import { createPgDatabase } from './db.ts';
import { codeOf, startSmtp, type TestSmtp } from './smtp.ts';

export interface TestNode {
  node: RunningNode;
  url: URL;
  smtp: TestSmtp;
  client(opts?: { origin?: string | null; language?: string }): Client;
  /** Signs a member up through the API and returns a logged-in client. */
  signup(email: string, displayName?: string, postalCode?: string): Promise<{ client: Client; user: { id: string; username: string } }>;
  /** Opens one more session for an existing member (login by mailed code) on a new client. */
  login(email: string): Promise<Client>;
  /** Creates the administrator through the setup token and returns a logged-in client. */
  setupAdmin(email?: string, password?: string): Promise<{ client: Client; user: { id: string; username: string } }>;
  close(): Promise<void>;
}

export async function startTestNode(dialect: Dialect = 'sqlite', opts: { rateLimits?: boolean; env?: Record<string, string> } = {}): Promise<TestNode> {
  const dataDir = mkdtempSync(join(tmpdir(), 'militant-node-'));
  const smtp = await startSmtp();
  const pg = dialect === 'postgres' ? await createPgDatabase() : null;
  // Listen on a free port first, then fix PUBLIC_URL to it: bind to port 0 is not possible with
  // a PUBLIC_URL known in advance, so pick the port by a throwaway listener.
  const port = await freePort();
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    SMTP_URL: smtp.url,
    LOG_LEVEL: 'error',
    ...(pg ? { DATABASE_URL: pg.url } : {}),
    ...opts.env,
  });
  await setupLogging(config.logLevel);
  const node = await startNode(config, { web: 'none', announceSetup: true });
  if (opts.rateLimits === false) node.services.limits.disable();
  const url = config.publicUrl;
  const client = (o?: { origin?: string | null; language?: string }) => new Client(url, o);
  const t: TestNode = {
    node,
    url,
    smtp,
    client,
    async signup(email, displayName = 'Camille', postalCode = '75011') {
      const c = client();
      const start = await c.post('/api/auth/signup', { email, displayName, postalCode, consent: true });
      if (start.status !== 202) throw new Error(`signup failed: ${start.status} ${JSON.stringify(start.body)}`);
      const { code } = codeOf(await smtp.waitFor(email));
      const verified = await c.post('/api/auth/verify', { challengeId: start.body.challengeId, code });
      if (verified.status !== 200) throw new Error(`verify failed: ${verified.status} ${JSON.stringify(verified.body)}`);
      return { client: c, user: verified.body.user };
    },
    async login(email) {
      const c = client();
      const start = await c.post('/api/auth/login/code', { email });
      const mail = await smtp.waitFor(email, (m) => /\b\d{6}\b/.test(m.text));
      const verified = await c.post('/api/auth/verify', { challengeId: start.body.challengeId, code: codeOf(mail).code });
      if (verified.status !== 200) throw new Error(`login failed: ${verified.status} ${JSON.stringify(verified.body)}`);
      return c;
    },
    async setupAdmin(email = 'admin@example.org', password = 'un long mot de passe sûr') {
      const token = new URL(node.setupUrl!).searchParams.get('token');
      const c = client();
      const res = await c.post('/api/setup', { token, instanceName: 'Test', email, displayName: 'Admin', password });
      if (res.status !== 200) throw new Error(`setup failed: ${res.status} ${JSON.stringify(res.body)}`);
      return { client: c, user: res.body.user };
    },
    async close() {
      await node.close();
      await smtp.close();
      await pg?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return t;
}

export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
