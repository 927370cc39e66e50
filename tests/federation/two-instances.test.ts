// Two real instances on loopback, each its own process with its own database: B finds a member
// of A by WebFinger and fetches her actor with a signed request that A verifies, and the other
// way round. Forged and unsigned deliveries are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCryptoKeyPair, signRequest } from '@fedify/fedify';
import { Client } from '../helpers/client.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { createPgDatabase, pgUrl } from '../helpers/db.ts';

async function admin(instance: Instance, displayName: string): Promise<Client> {
  const client = new Client(instance.url);
  const token = new URL(instance.setupUrl!).searchParams.get('token');
  const res = await client.post('/api/setup', { token, instanceName: `Instance ${displayName}`, email: `${displayName.toLowerCase()}@example.org`, displayName, password: 'un mot de passe très long' });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return client;
}

describe('two instances', () => {
  let a: Instance;
  let b: Instance;
  let alice: Client;
  let bob: Client;
  let dropPg: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    // B runs on PostgreSQL when the machine has it: the two dialects federate with each other.
    const pg = pgUrl ? await createPgDatabase() : null;
    dropPg = pg?.drop;
    [a, b] = await Promise.all([
      startInstance({ name: 'a' }),
      startInstance({ name: 'b', env: pg ? { DATABASE_URL: pg.url } : {} }),
    ]);
    alice = await admin(a, 'Alice');
    bob = await admin(b, 'Bob');
    // Set up in allow-list mode (the default proposed at setup): each allows the other.
    expect((await alice.put('/api/admin/federation/rules', { host: b.url.host, action: 'allow' })).status).toBe(200);
    expect((await bob.put('/api/admin/federation/rules', { host: a.url.host, action: 'allow' })).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await dropPg?.();
  });

  it('B resolves @alice@A by WebFinger to A’s actor, fetched with a signature A verifies', async () => {
    const res = await bob.get(`/api/federation/lookup?handle=${encodeURIComponent(`@alice@${a.url.host}`)}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const aliceId = (await alice.get('/api/me')).body.id;
    expect(res.body).toEqual({
      id: new URL(`/users/${aliceId}`, a.url).href,
      handle: `@alice@${a.url.host}`,
      name: 'Alice',
      url: new URL('/@alice', a.url).href,
      type: 'Person',
      localId: expect.any(String),
      kind: 'person',
      username: `alice@${a.url.host}`,
    });
    const seen = (await alice.get('/api/admin/instances')).body.instances;
    expect(seen).toContainEqual(
      expect.objectContaining({ host: b.url.host, lastVerifiedActor: new URL('/users/instance', b.url).href, lastVerifiedAt: expect.any(String) }),
    );
  });

  it('A resolves @bob@B the same way, and B verifies A’s signature', async () => {
    const res = await alice.get(`/api/federation/lookup?handle=${encodeURIComponent(`bob@${b.url.host}`)}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.handle).toBe(`@bob@${b.url.host}`);
    const seen = (await bob.get('/api/admin/instances')).body.instances;
    expect(seen).toContainEqual(expect.objectContaining({ host: a.url.host, lastVerifiedActor: new URL('/users/instance', a.url).href }));
  });

  it('answers "not found" for a handle A does not know', async () => {
    const res = await bob.get(`/api/federation/lookup?handle=${encodeURIComponent(`@nobody@${a.url.host}`)}`);
    expect(res.status).toBe(404);
  });

  it('B refuses a delivery claiming to come from A but signed with another key, and an unsigned one', async () => {
    const aliceId = (await alice.get('/api/me')).body.id;
    const aliceActor = new URL(`/users/${aliceId}`, a.url);
    const activity = JSON.stringify({
      '@context': 'https://www.w3.org/ns/activitystreams',
      id: new URL('/forged/1', a.url).href,
      type: 'Follow',
      actor: aliceActor.href,
      object: new URL('/users/instance', b.url).href,
    });
    const inbox = new URL('/inbox', b.url);
    const unsigned = await fetch(inbox, { method: 'POST', headers: { 'content-type': 'application/activity+json' }, body: activity });
    expect(unsigned.status).toBe(401);
    const { privateKey } = await generateCryptoKeyPair('RSASSA-PKCS1-v1_5');
    const forged = await signRequest(
      new Request(inbox, { method: 'POST', headers: { 'content-type': 'application/activity+json' }, body: activity }),
      privateKey,
      new URL(`${aliceActor.href}#main-key`),
    );
    expect((await fetch(forged)).status).toBe(401);
    const seenByB = (await bob.get('/api/admin/instances')).body.instances.find((i: { host: string }) => i.host === a.url.host);
    expect(seenByB.lastVerifiedActor).toBe(new URL('/users/instance', a.url).href); // not alice: the forgery left no trace
  });
});
