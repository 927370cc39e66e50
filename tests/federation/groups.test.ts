// Groups across instances (FEP-1b12), with two real instances (A on SQLite, B on PostgreSQL when
// the machine has it) and a stand-in Mastodon server: a member of B finds A's group by its handle,
// joins it (Join → Accept; on request, the organizers of A decide), sees its posts and posts in
// it; the group redistributes members' posts (Announce) and a Mastodon account that follows it
// gets its public posts as boosts; deletions, leaving and removal travel; the group's posts are
// served only to the servers of its members.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgUrl } from '../helpers/db.ts';
import type { Member } from '../helpers/chat.ts';
import { eventually, lookup, member, startNetwork, type Network } from '../helpers/federation.ts';
import { startFakeRemote, type FakeActor, type FakeRemote } from '../helpers/fake-remote.ts';

const PUBLIC = 'https://www.w3.org/ns/activitystreams#Public';

describe('groups across instances', () => {
  let net: Network;
  let masto: FakeRemote;
  let gargron: FakeActor;
  let ana: Member; // on A, admin of the group
  let bea: Member; // on B, joins it
  let cyr: Member; // on B, not a member
  let groupId: string; // on A
  let groupOnB: string; // A's group as B knows it
  let beaOnA: string;
  const texts = async (m: Member, group: string) => {
    const res = await m.client.get(`/api/groups/${group}/posts`);
    return res.status === 200 ? (res.body.items as { html: string }[]).map((p) => p.html).join('\n') : '';
  };

  beforeAll(async () => {
    net = await startNetwork(['A', 'B'], { pg: Boolean(pgUrl) });
    const [a, b] = net.instances;
    masto = await startFakeRemote();
    gargron = await masto.actor('gargron');
    await net.admins[0].put('/api/admin/federation/rules', { host: masto.host, action: 'allow' });
    [ana, bea, cyr] = await Promise.all([member(a, net.smtp, 'Ana'), member(b, net.smtp, 'Bea'), member(b, net.smtp, 'Cyr')]);
    const group = await ana.client.post('/api/groups', { name: 'Comité Fédéré', handle: 'comite_federe', kind: 'local', postalCode: '75011', openness: 'open' });
    expect(group.status).toBe(201);
    groupId = group.body.id;
  }, 90_000);

  afterAll(async () => {
    await net?.stop();
    await masto?.close();
  });

  it('serves the group as a Group actor, found by its handle', async () => {
    const [a] = net.instances;
    const doc = await (await fetch(new URL(`/users/${groupId}`, a.url), { headers: { accept: 'application/activity+json' } })).json();
    expect(doc).toMatchObject({ type: 'Group', preferredUsername: 'comite_federe', name: 'Comité Fédéré', manuallyApprovesFollowers: false });
    expect(doc.attributedTo).toBe(new URL(`/users/${groupId}/moderators`, a.url).href);
    // Members are shown to members only: the moderators collection says nothing.
    const mods = await (await fetch(doc.attributedTo, { headers: { accept: 'application/activity+json' } })).json();
    expect(mods.totalItems ?? (mods.items ?? mods.orderedItems ?? []).length).toBe(0);
    const found = await lookup(bea.client, `@comite_federe@${a.url.host}`);
    expect(found).toMatchObject({ kind: 'group', username: `comite_federe@${a.url.host}` });
    groupOnB = found.localId;
    expect((await bea.client.get(`/api/groups/${groupOnB}`)).body).toMatchObject({ name: 'Comité Fédéré', myRole: null });
  });

  it('joins a group of another instance: Join, then Accept by the group', async () => {
    expect((await bea.client.post(`/api/groups/${groupOnB}/join`, {})).body).toEqual({ status: 'requested' });
    await eventually(async () => expect((await bea.client.get(`/api/groups/${groupOnB}`)).body.myRole).toBe('member'));
    const members = (await ana.client.get(`/api/groups/${groupId}/members`)).body.members as { id: string; username: string }[];
    const remote = members.find((m) => m.username === `${bea.user.username}@${net.instances[1].url.host}`);
    expect(remote).toBeTruthy();
    beaOnA = remote!.id;
    // A member, not an organizer: she manages nothing of it, on either instance.
    expect((await bea.client.patch(`/api/groups/${groupOnB}`, { name: 'Détourné' })).status).toBe(403);
    expect((await bea.client.post(`/api/groups/${groupOnB}/links`)).status).toBe(403);
    expect((await bea.client.get(`/api/groups/${groupOnB}/requests`)).status).toBe(403);
    expect((await ana.client.get(`/api/groups/${groupId}`)).body.name).toBe('Comité Fédéré');
  });

  it('brings the group’s posts to its members on the other instance, and to nobody else', async () => {
    const post = await ana.client.post('/api/posts', { body: 'Réunion du **comité** mardi', audience: 'group', groupId });
    expect(post.status).toBe(201);
    await eventually(async () => expect(await texts(bea, groupOnB)).toContain('<strong>comité</strong>'));
    expect(await texts(cyr, groupOnB)).not.toContain('comité');
    // The post's address gives nothing to an unsigned request.
    const unsigned = await fetch(new URL(`/posts/${post.body.id}`, net.instances[0].url), { headers: { accept: 'application/activity+json' } });
    expect(unsigned.status).toBeGreaterThanOrEqual(401);
    expect(unsigned.status).toBeLessThan(405);
  });

  it('takes a member’s post, comment and deletion from the other instance into the group', async () => {
    const post = await bea.client.post('/api/posts', { body: 'Je tiens le stand samedi', audience: 'group', groupId: groupOnB });
    expect(post.status).toBe(201);
    const onA = await eventually(async () => {
      const items = (await ana.client.get(`/api/groups/${groupId}/posts`)).body.items as { id: string; html: string; author: { displayName: string } }[];
      const found = items.find((p) => p.html.includes('stand samedi'));
      expect(found?.author.displayName).toBe('Bea');
      return found!;
    });
    // Ana answers on A; the group carries the comment to B.
    expect((await ana.client.post(`/api/posts/${onA.id}/comments`, { body: 'Merci, je passe à 10 h' })).status).toBe(201);
    await eventually(async () => {
      const comments = (await bea.client.get(`/api/posts/${post.body.id}/comments`)).body.comments as { html: string }[];
      expect(comments.map((c) => c.html).join()).toContain('10 h');
    });
    expect((await bea.client.delete(`/api/posts/${post.body.id}`)).status).toBe(204);
    await eventually(async () => expect((await ana.client.get(`/api/posts/${onA.id}`)).status).toBe(404));
  });

  it('removes a post a moderator deletes on the group’s instance from the members’ instance too', async () => {
    const post = await ana.client.post('/api/posts', { body: 'Message à retirer', audience: 'group', groupId });
    await eventually(async () => expect(await texts(bea, groupOnB)).toContain('à retirer'));
    expect((await ana.client.delete(`/api/posts/${post.body.id}`)).status).toBe(204);
    await eventually(async () => expect(await texts(bea, groupOnB)).not.toContain('à retirer'));
  });

  it('lets a Mastodon account follow the group and boosts its public posts to it, never its group-only ones', async () => {
    const [a] = net.instances;
    const groupUri = new URL(`/users/${groupId}`, a.url).href;
    const followId = `${gargron.id}/follows/1`;
    expect((await masto.deliver(new URL(`/users/${groupId}/inbox`, a.url), { id: followId, type: 'Follow', actor: gargron.id, object: groupUri }, gargron)).status).toBe(202);
    const accept = await masto.waitFor('Accept');
    expect(accept.actor).toBe(groupUri);
    expect((accept.object as { id: string }).id).toBe(followId);
    masto.received.length = 0;
    await ana.client.post('/api/posts', { body: 'Entre membres seulement', audience: 'group', groupId });
    const pub = await ana.client.post('/api/posts', { body: 'Rassemblement public place de la République', audience: 'public', groupId });
    const boost = await masto.waitFor('Announce');
    expect(boost).toMatchObject({ actor: groupUri, object: new URL(`/posts/${pub.body.id}`, a.url).href });
    expect(boost.to).toContain(PUBLIC);
    await new Promise((r) => setTimeout(r, 1000));
    expect(masto.received.filter((r) => JSON.stringify(r.body).includes('membres seulement'))).toEqual([]);
    expect(masto.received.filter((r) => r.body.type === 'Announce')).toHaveLength(1);
    // The public post is readable by Mastodon, which fetches it to show the boost.
    const note = await (await fetch(new URL(`/posts/${pub.body.id}`, a.url), { headers: { accept: 'application/activity+json' } })).json();
    expect(note).toMatchObject({ type: 'Note', attributedTo: new URL(`/users/${ana.user.id}`, a.url).href });
    expect(note.cc).toContain(groupUri);
  });

  it('asks the organizers of a group on request, who decide; a removed member loses the group on their instance', async () => {
    const [a] = net.instances;
    const closed = await ana.client.post('/api/groups', { name: 'Cercle Restreint', handle: 'cercle_restreint', kind: 'thematic', openness: 'request' });
    const closedOnB = (await lookup(cyr.client, `@cercle_restreint@${a.url.host}`)).localId;
    expect((await cyr.client.post(`/api/groups/${closedOnB}/join`, {})).body).toEqual({ status: 'requested' });
    const requests = await eventually(async () => {
      const list = (await ana.client.get(`/api/groups/${closed.body.id}/requests`)).body.requests as { id: string; displayName: string }[];
      expect(list.map((r) => r.displayName)).toEqual(['Cyr']);
      return list;
    });
    expect((await cyr.client.get(`/api/groups/${closedOnB}`)).body.myRole).toBeNull();
    expect((await ana.client.post(`/api/groups/${closed.body.id}/requests/${requests[0].id}/approve`)).status).toBeLessThan(300);
    await eventually(async () => expect((await cyr.client.get(`/api/groups/${closedOnB}`)).body.myRole).toBe('member'));
    // Removed by the organizer on A: no longer a member on B either.
    expect((await ana.client.delete(`/api/groups/${closed.body.id}/members/${requests[0].id}`)).status).toBeLessThan(300);
    await eventually(async () => expect((await cyr.client.get(`/api/groups/${closedOnB}`)).body.myRole).toBeNull());
  });

  it('leaves: the group’s instance drops the member and sends them nothing more', async () => {
    expect((await bea.client.post(`/api/groups/${groupOnB}/leave`)).status).toBeLessThan(300);
    await eventually(async () => {
      const members = (await ana.client.get(`/api/groups/${groupId}/members`)).body.members as { id: string }[];
      expect(members.map((m) => m.id)).not.toContain(beaOnA);
    });
    await ana.client.post('/api/posts', { body: 'Après le départ de Bea', audience: 'public', groupId });
    await new Promise((r) => setTimeout(r, 1500));
    expect(await texts(bea, groupOnB)).not.toContain('départ de Bea');
  });
});
