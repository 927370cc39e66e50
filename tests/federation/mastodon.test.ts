// Contract tests with a stand-in Mastodon server (tests/helpers/fake-remote.ts): activities in the
// shapes Mastodon sends (docs: spec/activitypub, spec/security), signed as it signs, delivered to a
// real node; and what the node sends back. Security rules that must fail closed are here too:
// unsigned or forged deliveries, objects whose id is on another server, updates and deletions by
// someone who is not the author, blocked servers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCryptoKeyPair } from '@fedify/fedify';
import { dialects } from '../helpers/db.ts';
import { startTestNode, type TestNode } from '../helpers/node.ts';
import { startFakeRemote, type FakeActor, type FakeRemote } from '../helpers/fake-remote.ts';
import { eventually, inboxDrained } from '../helpers/federation.ts';
import { eventInput } from '../helpers/events.ts';
import type { Client } from '../helpers/client.ts';

const PUBLIC = 'https://www.w3.org/ns/activitystreams#Public';

describe.each(dialects)('a Mastodon server talking to a node on %s', (dialect) => {
  let n: TestNode;
  let masto: FakeRemote;
  let other: FakeRemote;
  let gargron: FakeActor; // becomes Lea's friend
  let troll: FakeActor; // on the same server, a stranger
  let lea: { client: Client; user: { id: string; username: string } };
  let leaUri: string;
  let inbox: URL;
  let gargronHere: string;
  let seq = 0;
  const aid = (actor: FakeActor) => `${actor.id}/activities/${++seq}`;

  beforeAll(async () => {
    n = await startTestNode(dialect, { rateLimits: false, env: { ALLOW_PRIVATE_ADDRESS: 'true' } });
    await n.node.services.policy.writeMode('open');
    masto = await startFakeRemote();
    other = await startFakeRemote();
    gargron = await masto.actor('gargron');
    troll = await masto.actor('troll');
    lea = await n.signup('lea@example.org', 'Léa');
    leaUri = new URL(`/users/${lea.user.id}`, n.url).href;
    inbox = new URL(`/users/${lea.user.id}/inbox`, n.url);
  }, 60_000);

  afterAll(async () => {
    await n?.close();
    await masto?.close();
    await other?.close();
  });

  it('takes a Follow as a friend request, and answers the acceptance with an Accept naming that Follow, and a Follow back', async () => {
    const followId = aid(gargron);
    const res = await masto.deliver(inbox, { id: followId, type: 'Follow', actor: gargron.id, object: leaUri }, gargron);
    expect(res.status).toBe(202);
    const requests = await eventually(async () => {
      const incoming = (await lea.client.get('/api/friends')).body.incoming as { id: string; username: string; displayName: string }[];
      expect(incoming).toHaveLength(1);
      return incoming;
    });
    expect(requests[0]).toMatchObject({ username: `gargron@${masto.host}`, displayName: 'Gargron' });
    gargronHere = requests[0].id;
    expect((await lea.client.post(`/api/friends/requests/${gargronHere}/accept`)).body).toEqual({ relation: 'friends' });
    const accept = await masto.waitFor('Accept');
    expect(accept.actor).toBe(leaUri);
    expect((accept.object as { id: string }).id).toBe(followId);
    const back = await masto.waitFor('Follow', (f) => f.actor === leaUri);
    expect(back.object).toBe(gargron.id);
  });

  it('keeps a public Note of a friend for the feed, cleaned of any script, and notifies a mention', async () => {
    const note = {
      id: `${gargron.id}/statuses/1`,
      type: 'Note',
      attributedTo: gargron.id,
      to: [PUBLIC],
      cc: [`${gargron.id}/followers`, leaUri],
      content: `<p>Bonjour <span class="h-card"><a href="${leaUri}" class="u-url mention">@<span>lea</span></a></span> <script>alert(1)</script><a href="javascript:alert(1)">x</a> <img src=x onerror=alert(1)></p>`,
      published: new Date().toISOString(),
      tag: [{ type: 'Mention', href: leaUri, name: `@lea@${n.url.host}` }, { type: 'Hashtag', href: `${masto.url.href}tags/greve`, name: '#greve' }],
    };
    masto.serve('/users/gargron/statuses/1', note);
    await masto.deliver(new URL('/inbox', n.url), { id: aid(gargron), type: 'Create', actor: gargron.id, to: note.to, cc: note.cc, object: note }, gargron);
    const post = await eventually(async () => {
      const items = (await lea.client.get('/api/feed')).body.items as { id: string; html: string }[];
      expect(items.length).toBeGreaterThan(0);
      return items[0];
    });
    expect(post.html).toContain('Bonjour');
    expect(post.html).not.toMatch(/<script|javascript:|onerror|<img/);
    const notes = (await lea.client.get('/api/notifications')).body.items as { type: string }[];
    expect(notes.map((x) => x.type)).toContain('mention');
  });

  it('takes a reply to a post of ours as a comment, a Like as a like, and its Undo', async () => {
    const post = (await lea.client.post('/api/posts', { body: 'Manif dimanche', audience: 'public' })).body;
    const ours = new URL(`/posts/${post.id}`, n.url).href;
    const reply = { id: `${gargron.id}/statuses/2`, type: 'Note', attributedTo: gargron.id, inReplyTo: ours, to: [leaUri], cc: [PUBLIC], content: '<p>J’y serai</p>', published: new Date().toISOString() };
    masto.serve('/users/gargron/statuses/2', reply);
    await masto.deliver(inbox, { id: aid(gargron), type: 'Create', actor: gargron.id, to: reply.to, cc: reply.cc, object: reply }, gargron);
    const likeId = aid(gargron);
    await masto.deliver(inbox, { id: likeId, type: 'Like', actor: gargron.id, object: ours }, gargron);
    await eventually(async () => {
      const comments = (await lea.client.get(`/api/posts/${post.id}/comments`)).body.comments as { html: string }[];
      expect(comments.map((c) => c.html).join()).toContain('J’y serai');
      expect((await lea.client.get(`/api/posts/${post.id}`)).body.likeCount).toBe(1);
    });
    await masto.deliver(inbox, { id: aid(gargron), type: 'Undo', actor: gargron.id, object: { id: likeId, type: 'Like', actor: gargron.id, object: ours } }, gargron);
    await eventually(async () => expect((await lea.client.get(`/api/posts/${post.id}`)).body.likeCount).toBe(0));
  });

  it('applies an Update and a Delete from the author only (FEP-fe34), never from someone else', async () => {
    const note = { id: `${gargron.id}/statuses/3`, type: 'Note', attributedTo: gargron.id, to: [PUBLIC], cc: [`${gargron.id}/followers`], content: '<p>Version 1</p>', published: new Date().toISOString() };
    masto.serve('/users/gargron/statuses/3', note);
    await masto.deliver(inbox, { id: aid(gargron), type: 'Create', actor: gargron.id, object: note, to: note.to }, gargron);
    const find = async () => ((await lea.client.get('/api/feed')).body.items as { id: string; html: string }[]).find((p) => p.html.includes('Version'));
    await eventually(async () => expect((await find())?.html).toContain('Version 1'));
    // The troll, on the same server, claims to edit and delete it: ignored.
    const forgedEdit = { ...note, content: '<p>Version du troll</p>', updated: new Date().toISOString() };
    await masto.deliver(inbox, { id: aid(troll), type: 'Update', actor: troll.id, object: forgedEdit }, troll);
    await masto.deliver(inbox, { id: aid(troll), type: 'Delete', actor: troll.id, object: note.id }, troll);
    await new Promise((r) => setTimeout(r, 500));
    expect((await find())?.html).toContain('Version 1');
    // The author edits, then deletes.
    const edit = { ...note, content: '<p>Version 2</p>', updated: new Date().toISOString() };
    masto.serve('/users/gargron/statuses/3', edit);
    await masto.deliver(inbox, { id: aid(gargron), type: 'Update', actor: gargron.id, object: edit }, gargron);
    await eventually(async () => expect((await find())?.html).toContain('Version 2'));
    await masto.deliver(inbox, { id: aid(gargron), type: 'Delete', actor: gargron.id, object: { id: note.id, type: 'Tombstone' } }, gargron);
    await eventually(async () => expect(await find()).toBeUndefined());
  });

  it('refuses unsigned deliveries, deliveries signed with a key that is not the actor’s, and stores nothing (CVE-2025-54888)', async () => {
    const note = { id: `${gargron.id}/statuses/4`, type: 'Note', attributedTo: gargron.id, to: [PUBLIC], content: '<p>Faux message</p>' };
    const unsigned = await fetch(inbox, { method: 'POST', headers: { 'content-type': 'application/activity+json' }, body: JSON.stringify({ '@context': 'https://www.w3.org/ns/activitystreams', id: aid(gargron), type: 'Create', actor: gargron.id, object: note }) });
    expect(unsigned.status).toBe(401);
    const { privateKey } = await generateCryptoKeyPair('RSASSA-PKCS1-v1_5');
    const forged = await masto.deliver(inbox, { id: aid(gargron), type: 'Create', actor: gargron.id, object: note }, gargron, { key: { keyId: gargron.keyId, privateKey } });
    expect(forged.status).toBe(401);
    // Signed by the troll's own key but claiming to be Gargron.
    const impersonation = await masto.deliver(inbox, { id: aid(troll), type: 'Create', actor: gargron.id, object: note }, troll);
    expect(impersonation.status).toBe(401);
    await new Promise((r) => setTimeout(r, 500));
    expect(JSON.stringify((await lea.client.get('/api/feed')).body)).not.toContain('Faux message');
  });

  it('does not keep an object whose id is on another server than its sender (CVE-2024-23832)', async () => {
    const spoofed = { id: `${other.url.href}users/victim/statuses/1`, type: 'Note', attributedTo: gargron.id, to: [PUBLIC], cc: [`${gargron.id}/followers`], content: '<p>Objet usurpé</p>' };
    other.serve('/users/victim/statuses/1', { ...spoofed, attributedTo: `${other.url.href}users/victim`, content: '<p>Original</p>' });
    await masto.deliver(inbox, { id: aid(gargron), type: 'Create', actor: gargron.id, object: spoofed }, gargron);
    await new Promise((r) => setTimeout(r, 800));
    expect(JSON.stringify((await lea.client.get('/api/feed')).body)).not.toMatch(/usurpé|Original/);
  });

  it('takes a Like of an event (a star in Mastodon) as "interested", and its Undo', async () => {
    const event = (await lea.client.post('/api/events', eventInput({ title: 'Rassemblement étoilé' }))).body;
    const eventUri = new URL(`/events/${event.id}`, n.url).href;
    const likeId = aid(gargron);
    expect((await masto.deliver(inbox, { id: likeId, type: 'Like', actor: gargron.id, object: eventUri }, gargron)).status).toBe(202);
    await eventually(async () => expect((await lea.client.get(`/api/events/${event.id}`)).body.interestedCount).toBe(1));
    expect((await lea.client.get(`/api/events/${event.id}`)).body.goingCount).toBe(0);
    // Someone else's Undo of that Like changes nothing; his own withdraws it.
    await masto.deliver(inbox, { id: aid(troll), type: 'Undo', actor: troll.id, object: { id: likeId, type: 'Like', actor: gargron.id, object: eventUri } }, troll);
    await inboxDrained(n.node.services.db, 45_000);
    expect((await lea.client.get(`/api/events/${event.id}`)).body.interestedCount).toBe(1);
    await masto.deliver(inbox, { id: aid(gargron), type: 'Undo', actor: gargron.id, object: { id: likeId, type: 'Like', actor: gargron.id, object: eventUri } }, gargron);
    await eventually(async () => expect((await lea.client.get(`/api/events/${event.id}`)).body.interestedCount).toBe(0));
  });

  let admin: Awaited<ReturnType<TestNode['setupAdmin']>> | undefined;

  it('keeps a silenced server out of public lists: its posts reach friends only, its mentions of strangers are dropped', async () => {
    admin ??= await n.setupAdmin();
    // The setup proposes the allow-list; this instance stays open.
    expect((await admin.client.put('/api/admin/federation/mode', { mode: 'open' })).status).toBe(200);
    const html = async (path: string) => JSON.stringify((await lea.client.get(path)).body);
    // Mastodon's context names Hashtag (the ActivityStreams one does not).
    const context = ['https://www.w3.org/ns/activitystreams', { Hashtag: 'as:Hashtag' }];
    const note = { id: `${gargron.id}/statuses/20`, type: 'Note', attributedTo: gargron.id, to: [PUBLIC], cc: [`${gargron.id}/followers`], content: '<p>Message sourdine #sourdine</p>', published: new Date().toISOString(), tag: [{ type: 'Hashtag', href: `${masto.url.href}tags/sourdine`, name: '#sourdine' }] };
    masto.serve('/users/gargron/statuses/20', { '@context': context, ...note });
    await masto.deliver(inbox, { '@context': context, id: aid(gargron), type: 'Create', actor: gargron.id, object: note, to: note.to, cc: note.cc }, gargron);
    // Before: on the public timeline, under its hashtag, in the search.
    await eventually(async () => expect(await html('/api/posts/public')).toContain('Message sourdine'));
    expect(await html('/api/tags/sourdine')).toContain('Message sourdine');
    expect(await html('/api/search?q=sourdine')).toContain('Message sourdine');
    expect((await admin.client.put('/api/admin/federation/rules', { host: masto.host, action: 'silence' })).status).toBe(200);
    // Silenced: Lea, his friend, still has it in her feed; the public lists do not.
    expect(await html('/api/feed')).toContain('Message sourdine');
    expect(await html('/api/posts/public')).not.toContain('Message sourdine');
    expect(await html('/api/tags/sourdine')).not.toContain('Message sourdine');
    expect(await html('/api/search?q=sourdine')).not.toContain('Message sourdine');
    // The troll, not a friend of anyone here, mentions Lea: not kept, no notification.
    const before = ((await lea.client.get('/api/notifications')).body.items as unknown[]).length;
    const mention = { id: `${troll.id}/statuses/20`, type: 'Note', attributedTo: troll.id, to: [PUBLIC], cc: [leaUri], content: '<p>Hé @lea regarde ça</p>', tag: [{ type: 'Mention', href: leaUri, name: `@lea@${n.url.host}` }] };
    masto.serve('/users/troll/statuses/20', mention);
    await masto.deliver(inbox, { id: aid(troll), type: 'Create', actor: troll.id, object: mention, to: mention.to, cc: mention.cc }, troll);
    await inboxDrained(n.node.services.db, 45_000);
    expect(((await lea.client.get('/api/notifications')).body.items as unknown[]).length).toBe(before);
    expect(await html('/api/feed')).not.toContain('regarde ça');
  });

  it('turns away a blocked server at the door (403), and does not fetch from it', async () => {
    admin ??= await n.setupAdmin();
    expect((await admin.client.put('/api/admin/federation/rules', { host: masto.host, action: 'block' })).status).toBe(200);
    const before = masto.requests.length;
    const note = { id: `${gargron.id}/statuses/5`, type: 'Note', attributedTo: gargron.id, to: [PUBLIC], content: '<p>Après le blocage</p>' };
    const res = await masto.deliver(inbox, { id: aid(gargron), type: 'Create', actor: gargron.id, object: note }, gargron);
    expect(res.status).toBe(403);
    const lookup = await lea.client.get(`/api/federation/lookup?handle=${encodeURIComponent(`@gargron@${masto.host}`)}`);
    expect(lookup.status).toBe(404);
    expect(masto.requests.length).toBe(before);
    // Nothing goes to it either: a post of Lea's (Gargron is her friend) is not delivered there.
    const received = masto.received.length;
    await lea.client.post('/api/posts', { body: 'Après le blocage, rien ne part', audience: 'friends' });
    await new Promise((r) => setTimeout(r, 1000));
    expect(masto.received.length).toBe(received);
  });
});
