// Friends and posts across two real instances (A on SQLite, B on PostgreSQL when the machine has
// it): a friend request is a Follow, its acceptance an Accept and a Follow back; a friends-only
// post reaches the remote friend and nobody else; comments, likes, edits and deletions travel;
// unfriending ends it on both sides.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgUrl } from '../helpers/db.ts';
import type { Member } from '../helpers/chat.ts';
import { eventually, lookup, member, startNetwork, type Network } from '../helpers/federation.ts';

describe('friends and posts across instances', () => {
  let net: Network;
  let ana: Member; // on A
  let bea: Member; // on B
  let cyr: Member; // on B, not a friend
  let beaOnA: string; // B's member as A knows her
  let anaOnB: string;
  const feedTexts = async (m: Member) => ((await m.client.get('/api/feed')).body.items as { html: string }[]).map((p) => p.html);

  beforeAll(async () => {
    net = await startNetwork(['A', 'B'], { pg: Boolean(pgUrl) });
    const [a, b] = net.instances;
    [ana, bea, cyr] = await Promise.all([member(a, net.smtp, 'Ana'), member(b, net.smtp, 'Bea'), member(b, net.smtp, 'Cyr')]);
    anaOnB = (await lookup(bea.client, `@${ana.user.username}@${a.url.host}`)).localId;
    beaOnA = (await lookup(ana.client, `@${bea.user.username}@${b.url.host}`)).localId;
  }, 90_000);

  afterAll(async () => {
    await net?.stop();
  });

  it('befriends across instances: request (Follow), acceptance (Accept and Follow back)', async () => {
    expect((await bea.client.post('/api/friends/requests', { userId: anaOnB })).body).toEqual({ relation: 'request_sent' });
    // A: Ana has a request from Bea, and a notification.
    await eventually(async () => expect((await ana.client.get(`/api/relations/${beaOnA}`)).body.relation).toBe('request_received'));
    expect((await ana.client.post(`/api/friends/requests/${beaOnA}/accept`)).body).toEqual({ relation: 'friends' });
    // B: the Accept arrives, they are friends there too.
    await eventually(async () => expect((await bea.client.get(`/api/relations/${anaOnB}`)).body.relation).toBe('friends'));
    const friends = (await ana.client.get(`/api/users/${ana.user.username}/friends`)).body.friends as { username: string }[];
    expect(friends.map((f) => f.username)).toEqual([`${bea.user.username}@${net.instances[1].url.host}`]);
  });

  it('delivers a friends-only post to the remote friend and nobody else', async () => {
    const post = await ana.client.post('/api/posts', { body: 'Réunion **jeudi** au local, entre ami·es', audience: 'friends' });
    expect(post.status).toBe(201);
    await eventually(async () => expect((await feedTexts(bea)).join()).toContain('<strong>jeudi</strong>'));
    expect((await feedTexts(cyr)).join()).not.toContain('jeudi');
    // Its address, fetched without a signature, gives nothing.
    const unsigned = await fetch(new URL(`/posts/${post.body.id}`, net.instances[0].url), { headers: { accept: 'application/activity+json' } });
    expect(unsigned.status).toBeGreaterThanOrEqual(401);
    expect(unsigned.status).toBeLessThan(405);
  });

  it('carries a comment and a like back to the author, and the author’s edit and deletion forward', async () => {
    const post = (await ana.client.post('/api/posts', { body: 'Qui vient tracter samedi ?', audience: 'public' })).body;
    const onB = await eventually(async () => {
      const items = (await bea.client.get('/api/feed')).body.items as { id: string; html: string }[];
      const found = items.find((p) => p.html.includes('tracter samedi'));
      expect(found).toBeTruthy();
      return found!;
    });
    expect((await bea.client.post(`/api/posts/${onB.id}/comments`, { body: 'Moi, avec deux ami·es' })).status).toBe(201);
    expect((await bea.client.put(`/api/posts/${onB.id}/like`)).status).toBe(200);
    await eventually(async () => {
      const comments = (await ana.client.get(`/api/posts/${post.id}/comments`)).body.comments as { html: string; author: { displayName: string } }[];
      expect(comments.map((c) => c.html).join()).toContain('deux ami·es');
      expect(comments[0].author.displayName).toBe('Bea');
      expect((await ana.client.get(`/api/posts/${post.id}`)).body.likeCount).toBe(1);
    });
    expect((await ana.client.patch(`/api/posts/${post.id}`, { body: 'Qui vient tracter samedi matin ?' })).status).toBe(200);
    await eventually(async () => expect((await bea.client.get(`/api/posts/${onB.id}`)).body.html).toContain('samedi matin'));
    expect((await ana.client.delete(`/api/posts/${post.id}`)).status).toBe(204);
    await eventually(async () => expect((await bea.client.get(`/api/posts/${onB.id}`)).status).toBe(404));
  });

  it('ends the friendship on both sides when one unfriends', async () => {
    expect((await bea.client.delete(`/api/friends/${anaOnB}`)).status).toBe(204);
    await eventually(async () => expect((await ana.client.get(`/api/relations/${beaOnA}`)).body.relation).toBe('none'));
    const later = await ana.client.post('/api/posts', { body: 'Après la rupture', audience: 'friends' });
    expect(later.status).toBe(201);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await feedTexts(bea)).join()).not.toContain('rupture');
  });

  it('removes a deleted account and its posts on the other side too', async () => {
    const [a, b] = net.instances;
    const dom = await member(a, net.smtp, 'Dom');
    const domOnB = (await lookup(bea.client, `@${dom.user.username}@${a.url.host}`)).localId;
    const beaOnAForDom = (await lookup(dom.client, `@${bea.user.username}@${b.url.host}`)).localId;
    await dom.client.post('/api/friends/requests', { userId: beaOnAForDom });
    await eventually(async () => expect((await bea.client.get(`/api/relations/${domOnB}`)).body.relation).toBe('request_received'));
    await bea.client.post(`/api/friends/requests/${domOnB}/accept`);
    await eventually(async () => expect((await dom.client.get(`/api/relations/${beaOnAForDom}`)).body.relation).toBe('friends'));
    await dom.client.post('/api/posts', { body: 'Un message de Dom', audience: 'friends' });
    await eventually(async () => expect((await feedTexts(bea)).join()).toContain('message de Dom'));
    expect((await dom.client.request('DELETE', '/api/me', { confirm: dom.user.username })).status).toBe(204);
    await eventually(async () => {
      expect((await feedTexts(bea)).join()).not.toContain('message de Dom');
      expect((await bea.client.get(`/api/relations/${domOnB}`)).status).toBe(404);
    });
  });
});
