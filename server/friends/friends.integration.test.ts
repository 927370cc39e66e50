// Friend requests, their answers and races, blocks, privacy settings, friend lists and
// suggestions, through the API of a real node, on each database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../tests/helpers/db.ts';
import { startTestNode, type TestNode } from '../../tests/helpers/node.ts';
import type { Client } from '../../tests/helpers/client.ts';

type Member = { client: Client; user: { id: string; username: string } };

describe.each(dialects)('friends on %s', (dialect) => {
  let n: TestNode;
  let ana: Member, ben: Member, cleo: Member, dan: Member, eve: Member;
  beforeAll(async () => {
    n = await startTestNode(dialect, { rateLimits: false });
    ana = await n.signup('ana@example.org', 'Ana', '75011');
    ben = await n.signup('ben@example.org', 'Ben', '75012');
    cleo = await n.signup('cleo@example.org', 'Cléo', '75011');
    dan = await n.signup('dan@example.org', 'Dan', '13001');
    eve = await n.signup('eve@example.org', 'Ève', '75011');
  });
  afterAll(() => n?.close());

  const relation = async (m: Member, other: Member) => (await m.client.get(`/api/relations/${other.user.id}`)).body.relation;

  it('sends a request, notifies, and becomes a friendship once accepted (both ways)', async () => {
    expect((await ana.client.post('/api/friends/requests', { userId: ben.user.id })).body).toEqual({ relation: 'request_sent' });
    expect(await relation(ana, ben)).toBe('request_sent');
    expect(await relation(ben, ana)).toBe('request_received');
    const notes = (await ben.client.get('/api/notifications')).body.items;
    expect(notes[0]).toMatchObject({ type: 'friend_request', text: 'Ana vous demande en ami·e', link: '/friends' });
    expect((await ben.client.get('/api/friends')).body.incoming.map((m: { id: string }) => m.id)).toEqual([ana.user.id]);
    expect((await ben.client.post(`/api/friends/requests/${ana.user.id}/accept`)).body).toEqual({ relation: 'friends' });
    expect(await relation(ana, ben)).toBe('friends');
    expect(await relation(ben, ana)).toBe('friends');
    expect((await ana.client.get('/api/notifications')).body.items[0]).toMatchObject({ type: 'friend_accept' });
  });

  it('refuses duplicates, self-requests, unknown ids and answers to requests that are gone', async () => {
    const dup = await ana.client.post('/api/friends/requests', { userId: ben.user.id });
    expect(dup.status).toBe(409);
    expect(dup.body.message).toBe('Vous êtes déjà ami·es.');
    expect((await ana.client.post('/api/friends/requests', { userId: ana.user.id })).status).toBe(400);
    expect((await ana.client.post('/api/friends/requests', { userId: 'zzzzzzzzzzzzzzzz' })).status).toBe(404);
    expect((await ana.client.post('/api/friends/requests', {})).status).toBe(400);
    expect((await ana.client.post('/api/friends/requests', { userId: ['x'] })).status).toBe(400);
    expect((await cleo.client.post(`/api/friends/requests/${dan.user.id}/accept`)).status).toBe(409);
    expect((await cleo.client.post(`/api/friends/requests/${dan.user.id}/decline`)).status).toBe(404);
    await ana.client.post('/api/friends/requests', { userId: cleo.user.id });
    const twice = await ana.client.post('/api/friends/requests', { userId: cleo.user.id });
    expect(twice.status).toBe(409);
    expect(twice.body.message).toBe('Une demande est déjà en attente.');
  });

  it('turns crossed requests into a friendship', async () => {
    await dan.client.post('/api/friends/requests', { userId: eve.user.id });
    expect((await eve.client.post('/api/friends/requests', { userId: dan.user.id })).body).toEqual({ relation: 'friends' });
    expect(await relation(dan, eve)).toBe('friends');
  });

  it('resolves an accept racing a cancel: one wins, nothing is half-done', async () => {
    for (let i = 0; i < 5; i++) {
      await cleo.client.post('/api/friends/requests', { userId: dan.user.id });
      const [accept, cancel] = await Promise.all([
        dan.client.post(`/api/friends/requests/${cleo.user.id}/accept`),
        cleo.client.delete(`/api/friends/requests/${dan.user.id}`),
      ]);
      const statuses = [accept.status, cancel.status].sort();
      const friends = (await relation(cleo, dan)) === 'friends';
      if (accept.status === 200) {
        expect(cancel.status).toBe(404);
        expect(friends).toBe(true);
        await cleo.client.delete(`/api/friends/${dan.user.id}`);
      } else {
        expect(statuses).toEqual([204, 409]);
        expect(friends).toBe(false);
      }
      expect(await relation(cleo, dan)).toBe('none');
    }
  });

  it('declines without telling, cancels, and unfriends for both', async () => {
    await dan.client.post('/api/friends/requests', { userId: ana.user.id });
    const before = (await dan.client.get('/api/notifications')).body.items.length;
    expect((await ana.client.post(`/api/friends/requests/${dan.user.id}/decline`)).status).toBe(204);
    expect((await dan.client.get('/api/notifications')).body.items.length).toBe(before);
    expect(await relation(dan, ana)).toBe('none');
    expect((await ana.client.delete(`/api/friends/requests/${cleo.user.id}`)).status).toBe(204);
    expect((await ben.client.delete(`/api/friends/${ana.user.id}`)).status).toBe(204);
    expect(await relation(ana, ben)).toBe('none');
    expect((await ben.client.delete(`/api/friends/${ana.user.id}`)).status).toBe(404);
  });

  it('honours who may send requests: nobody, friends of friends, everyone', async () => {
    await ana.client.post('/api/friends/requests', { userId: ben.user.id });
    await ben.client.post(`/api/friends/requests/${ana.user.id}/accept`);
    await ben.client.post('/api/friends/requests', { userId: cleo.user.id });
    await cleo.client.post(`/api/friends/requests/${ben.user.id}/accept`);
    await cleo.client.patch('/api/me', { friendRequestsFrom: 'nobody' });
    const closed = await eve.client.post('/api/friends/requests', { userId: cleo.user.id });
    expect(closed.status).toBe(403);
    expect(closed.body.message).toBe("Ce membre n'accepte pas de demandes d'ami·e de votre part.");
    expect((await eve.client.get(`/api/relations/${cleo.user.id}`)).body).toMatchObject({ relation: 'none', canRequest: false });
    await cleo.client.patch('/api/me', { friendRequestsFrom: 'friends_of_friends' });
    expect((await eve.client.post('/api/friends/requests', { userId: cleo.user.id })).status).toBe(403); // no friend in common
    expect((await ana.client.post('/api/friends/requests', { userId: cleo.user.id })).status).toBe(200); // Ben is their friend
    expect((await n.client().patch('/api/me', { friendRequestsFrom: 'everyone' })).status).toBe(401);
    expect((await cleo.client.patch('/api/me', { friendRequestsFrom: 'aliens' })).status).toBe(400);
  });

  it('shows friend lists according to their owner’s setting', async () => {
    // Ben's friends: Ana and Cléo. Default: friends only.
    expect((await ana.client.get('/api/users/ben/friends')).body).toMatchObject({ total: 2 });
    expect((await eve.client.get('/api/users/ben/friends')).status).toBe(403);
    expect((await n.client().get('/api/users/ben/friends')).status).toBe(403);
    await ben.client.patch('/api/me', { friendListVisibility: 'members' });
    expect((await eve.client.get('/api/users/ben/friends')).status).toBe(200);
    expect((await n.client().get('/api/users/ben/friends')).status).toBe(403);
    await ben.client.patch('/api/me', { friendListVisibility: 'public' });
    expect((await n.client().get('/api/users/ben/friends')).body.friends.map((f: { username: string }) => f.username).sort()).toEqual(['ana', 'cleo']);
    await ben.client.patch('/api/me', { friendListVisibility: 'only_me' });
    expect((await ana.client.get('/api/users/ben/friends')).status).toBe(403);
    expect((await ben.client.get('/api/users/ben/friends')).status).toBe(200);
  });

  it('blocks: ends the friendship, hides the profile, stops requests, tells nothing', async () => {
    expect(await relation(ana, ben)).toBe('friends');
    expect((await ben.client.put(`/api/blocks/${ana.user.id}`)).status).toBe(204);
    expect(await relation(ben, ana)).toBe('blocked');
    expect((await ana.client.get('/api/users/ben')).status).toBe(404);
    expect((await ana.client.get(`/api/relations/${ben.user.id}`)).body.relation).toBe('none');
    expect((await ana.client.post('/api/friends/requests', { userId: ben.user.id })).status).toBe(404);
    expect((await ben.client.get('/api/users/ana')).status).toBe(200);
    expect((await ben.client.post('/api/friends/requests', { userId: ana.user.id })).status).toBe(403);
    expect((await ana.client.get('/api/notifications')).body.items.some((x: { type: string; actor?: { id: string } }) => x.type === 'friend_request' && x.actor?.id === ben.user.id)).toBe(false);
    expect((await ben.client.get('/api/friends')).body.blocked.map((m: { id: string }) => m.id)).toEqual([ana.user.id]);
    expect((await ben.client.delete(`/api/blocks/${ana.user.id}`)).status).toBe(204);
    expect((await ana.client.get('/api/users/ben')).status).toBe(200);
    expect(await relation(ana, ben)).toBe('none');
  });

  it('suggests friends of friends, and members nearby with a skill, never the excluded ones', async () => {
    // Ana ⇄ Cléo? not yet (request pending from Ana). Ben ⇄ Cléo are friends; Dan ⇄ Ève friends.
    // (Cléo only takes requests from friends of friends now: she asks Dan.)
    await cleo.client.post('/api/friends/requests', { userId: dan.user.id });
    expect((await dan.client.post(`/api/friends/requests/${cleo.user.id}/accept`)).status).toBe(200);
    // Ève's friends: Dan. Dan's friends: Ève, Cléo → Cléo is a friend of a friend of Ève.
    const s = (await eve.client.get('/api/friends/suggestions')).body.suggestions;
    expect(s.find((x: { id: string }) => x.id === cleo.user.id)).toMatchObject({ reason: 'mutual_friends', count: 1 });
    expect(s.some((x: { id: string }) => x.id === dan.user.id || x.id === eve.user.id)).toBe(false);
    // Nearby with a skill: Ana (75011) has the legal skill and shows her commune.
    await ana.client.patch('/api/me', { skills: ['legal'], showCommune: true });
    const legal = (await eve.client.get('/api/friends/suggestions?skill=legal&km=10')).body.suggestions;
    expect(legal.map((x: { username: string }) => x.username)).toEqual(['ana']);
    expect(legal[0]).toMatchObject({ reason: 'nearby', distanceKm: 0, skills: ['legal'] });
    // Opting out of suggestions removes her.
    await ana.client.patch('/api/me', { searchable: false });
    expect((await eve.client.get('/api/friends/suggestions?skill=legal&km=10')).body.suggestions).toEqual([]);
    expect((await eve.client.get('/api/friends/suggestions?skill=juggling')).status).toBe(400);
  });
});
