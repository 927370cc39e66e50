// What other servers see of one node: WebFinger, NodeInfo, actor documents, inboxes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../../tests/helpers/node.ts';
import type { Client } from '../../tests/helpers/client.ts';

const AS2 = { accept: 'application/activity+json' };

describe('federation endpoints', () => {
  let n: TestNode;
  let alice: { client: Client; user: { id: string; username: string } };
  beforeAll(async () => {
    n = await startTestNode('sqlite', { rateLimits: false });
    alice = await n.signup('alice@example.org', 'Alice');
  });
  afterAll(() => n?.close());

  const host = () => n.url.host;

  it('resolves members and the instance by WebFinger, as JRD', async () => {
    const res = await fetch(new URL(`/.well-known/webfinger?resource=acct:alice@${host()}`, n.url));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/jrd\+json/);
    const jrd = await res.json();
    expect(jrd.subject).toBe(`acct:alice@${host()}`);
    expect(jrd.links).toContainEqual({ rel: 'self', type: 'application/activity+json', href: new URL(`/users/${alice.user.id}`, n.url).href });
    const instance = await (await fetch(new URL(`/.well-known/webfinger?resource=acct:127.0.0.1@${host()}`, n.url))).json();
    expect(instance.links[0].href).toBe(new URL('/users/instance', n.url).href);
    for (const resource of ['acct:nobody@' + host(), 'acct:alice@other.example', 'not a resource']) {
      const r = await fetch(new URL(`/.well-known/webfinger?resource=${encodeURIComponent(resource)}`, n.url));
      expect([400, 404]).toContain(r.status);
    }
  });

  it('publishes NodeInfo 2.1 and links the instance actor (FEP-2677)', async () => {
    const links = await (await fetch(new URL('/.well-known/nodeinfo', n.url))).json();
    expect(links.links.map((l: { rel: string }) => l.rel)).toEqual([
      'http://nodeinfo.diaspora.software/ns/schema/2.1',
      'https://www.w3.org/ns/activitystreams#Application',
    ]);
    const info = await (await fetch(links.links[0].href)).json();
    expect(info).toMatchObject({ version: '2.1', software: { name: 'militant-network' }, protocols: ['activitypub'], openRegistrations: true });
    expect(info.usage.users.total).toBeGreaterThanOrEqual(1);
  });

  it('serves a Person with an RSA key and two Multikeys, minimal unless the member opens the profile', async () => {
    const url = new URL(`/users/${alice.user.id}`, n.url);
    const res = await fetch(url, { headers: AS2 });
    expect(res.headers.get('content-type')).toMatch(/activity\+json/);
    expect(res.headers.get('vary')).toMatch(/Accept/i);
    const actor = await res.json();
    expect(actor).toMatchObject({
      id: url.href,
      type: 'Person',
      preferredUsername: 'alice',
      name: 'Alice',
      inbox: `${url.href}/inbox`,
      endpoints: { sharedInbox: new URL('/inbox', n.url).href },
      manuallyApprovesFollowers: true,
      url: new URL('/@alice', n.url).href,
    });
    expect(actor.publicKey.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(actor.publicKey.owner).toBe(url.href);
    expect(actor.assertionMethod).toHaveLength(2);
    expect(actor.summary).toBeUndefined();
    // Keys are stable across fetches (stored as JWK).
    const again = await (await fetch(url, { headers: AS2 })).json();
    expect(again.publicKey.publicKeyPem).toBe(actor.publicKey.publicKeyPem);

    await alice.client.patch('/api/me', { bio: 'Je <3 les <b>tracts</b>', profilePublic: true });
    const open = await (await fetch(url, { headers: AS2 })).json();
    expect(open.summary).toBe('Je &lt;3 les &lt;b&gt;tracts&lt;/b&gt;');
    expect(open.discoverable).toBe(true);
  });

  it('lets a browser asking for the actor URL fall through to the web app, and redirects AS2 profile lookups', async () => {
    const html = await fetch(new URL(`/users/${alice.user.id}`, n.url), { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(html.headers.get('content-type')).not.toMatch(/activity/);
    expect(html.headers.get('vary')).toMatch(/Accept/i);
    const profile = await fetch(new URL('/@alice', n.url), { headers: AS2, redirect: 'manual' });
    expect(profile.status).toBe(302);
    expect(profile.headers.get('location')).toBe(new URL(`/users/${alice.user.id}`, n.url).href);
  });

  it('hides suspended members and unknown ids', async () => {
    const admin = await n.setupAdmin();
    const bob = await n.signup('bob@example.org', 'Bob');
    await admin.client.put(`/api/admin/users/${bob.user.id}/status`, { status: 'suspended' });
    expect((await fetch(new URL(`/users/${bob.user.id}`, n.url), { headers: AS2 })).status).toBe(404);
    expect((await fetch(new URL(`/.well-known/webfinger?resource=acct:bob@${host()}`, n.url))).status).toBe(404);
    expect((await fetch(new URL('/users/zzzzzzzzzzzzzzzz', n.url), { headers: AS2 })).status).toBe(404);
  });

  it('refuses unsigned, malformed and oversized inbox deliveries without side effects', async () => {
    const inbox = new URL('/inbox', n.url);
    const activity = { '@context': 'https://www.w3.org/ns/activitystreams', id: 'https://evil.example/a/1', type: 'Follow', actor: 'https://evil.example/users/x', object: new URL(`/users/${alice.user.id}`, n.url).href };
    const unsigned = await fetch(inbox, { method: 'POST', headers: { 'content-type': 'application/activity+json' }, body: JSON.stringify(activity) });
    expect(unsigned.status).toBe(401);
    const garbage = await fetch(inbox, { method: 'POST', headers: { 'content-type': 'application/activity+json' }, body: '{not json' });
    expect(garbage.status).toBeGreaterThanOrEqual(400);
    expect(garbage.status).toBeLessThan(500);
    const huge = await fetch(inbox, { method: 'POST', headers: { 'content-type': 'application/activity+json' }, body: 'x'.repeat(2 * 1024 * 1024) });
    expect(huge.status).toBe(413);
    const { db } = n.node.services;
    expect(await db.q.select().from(db.t.inboundActivities)).toEqual([]);
    expect(await db.q.select().from(db.t.knownInstances)).toEqual([]);
  });

  it('lets members look up remote accounts, refusing malformed handles and unreachable servers', async () => {
    expect((await n.client().get('/api/federation/lookup?handle=alice@example.org')).status).toBe(401);
    const bad = await alice.client.get('/api/federation/lookup?handle=not-a-handle');
    expect(bad.status).toBe(400);
    expect(bad.body.fields.handle).toBeDefined();
    // Private addresses are refused outside tests (SSRF guard): the lookup finds nothing.
    const ssrf = await alice.client.get('/api/federation/lookup?handle=root@127.0.0.1:22');
    expect(ssrf.status).toBe(404);
  });
});
