// Two (or more) real instances that federate: each its own process and database, set up by its
// first administrator in allow-list mode, each allowing the others, with members signed up over
// HTTP (codes by mail to one test SMTP server).
import { eq } from 'drizzle-orm';
import type { Database } from '../../server/db/client.ts';
import { Client } from './client.ts';
import { startInstance, type Instance } from './instance.ts';
import { createPgDatabase } from './db.ts';
import { signupOver, type Member } from './chat.ts';
import { startSmtp, type TestSmtp } from './smtp.ts';

export interface Network {
  smtp: TestSmtp;
  instances: Instance[];
  admins: Client[];
  stop(): Promise<void>;
}

/** Sets an instance up: its first administrator (named `name`) from the one-time link. */
export async function setupAdmin(instance: Instance, name: string): Promise<Client> {
  const client = new Client(instance.url);
  const token = new URL(instance.setupUrl!).searchParams.get('token');
  const res = await client.post('/api/setup', { token, instanceName: `Instance ${name}`, email: `${name.toLowerCase()}@example.org`, displayName: name, password: 'un mot de passe très long' });
  if (res.status !== 200) throw new Error(`setup failed: ${res.status} ${JSON.stringify(res.body)}`);
  return client;
}

/**
 * Starts instances named `names` (the second on PostgreSQL when `pgUrl` is set, so that the two
 * dialects federate with each other), their admins named after them, every one allowing the others.
 */
export async function startNetwork(names: string[], opts: { pg?: boolean } = {}): Promise<Network> {
  const smtp = await startSmtp();
  const drops: (() => Promise<void>)[] = [];
  const instances = await Promise.all(
    names.map(async (name, i) => {
      const pg = opts.pg && i === 1 ? await createPgDatabase() : null;
      if (pg) drops.push(pg.drop);
      return startInstance({ name: name.toLowerCase(), env: { SMTP_URL: smtp.url, ...(pg ? { DATABASE_URL: pg.url } : {}) } });
    }),
  );
  const admins = await Promise.all(instances.map((inst, i) => setupAdmin(inst, names[i])));
  for (const [i, admin] of admins.entries())
    for (const [j, other] of instances.entries()) {
      if (i === j) continue;
      const res = await admin.put('/api/admin/federation/rules', { host: other.url.host, action: 'allow' });
      if (res.status !== 200) throw new Error(`allow failed: ${res.status} ${JSON.stringify(res.body)}`);
    }
  return {
    smtp,
    instances,
    admins,
    async stop() {
      await Promise.all(instances.map((i) => i.stop()));
      for (const drop of drops) await drop();
      await smtp.close();
    },
  };
}

export function member(instance: Instance, smtp: TestSmtp, name: string): Promise<Member> {
  return signupOver(instance.url, smtp, `${name.toLowerCase()}@example.org`, name);
}

/** Our row for someone of another server, looked up by handle (as a member does from search). */
export async function lookup(client: Client, handle: string): Promise<{ localId: string; username: string; id: string }> {
  const res = await client.get(`/api/federation/lookup?handle=${encodeURIComponent(handle)}`);
  if (res.status !== 200) throw new Error(`lookup of ${handle} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Retries an assertion until it holds: deliveries go through queues. */
export async function eventually<T>(check: () => Promise<T>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/**
 * Waits until a node has handled every activity it received (its inbox queue is empty), so that
 * a test can assert that something did not happen without guessing how long handling takes.
 */
export async function inboxDrained(db: Database, ms = 20_000): Promise<void> {
  const { queueMessages: q } = db.t;
  await eventually(async () => {
    const left = await db.q.select({ seq: q.seq }).from(q).where(eq(q.queue, 'fedify-inbox')).limit(1);
    if (left.length) throw new Error('inbox queue not drained');
  }, ms);
}
