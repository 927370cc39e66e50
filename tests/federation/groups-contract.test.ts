// Groups of other servers and our groups, against a stand-in server that speaks FEP-1b12 (a Group
// actor that takes Joins and redistributes with Announce, as Lemmy-like and our own instances do):
// what a member's Join looks like, what the group's answers do, which redistributed posts are
// kept, and the rules that must fail closed: answers from someone who is not the group, posts of
// a third server that its origin does not confirm, posts not addressed to the group, boosts by
// people, posts to our groups by non-members, deletions by someone who is neither author nor group.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/db.ts';
import { startTestNode, type TestNode } from '../helpers/node.ts';
import { startFakeRemote, type FakeActor, type FakeRemote } from '../helpers/fake-remote.ts';
import { eventually, inboxDrained, lookup } from '../helpers/federation.ts';
import type { Client } from '../helpers/client.ts';

const PUBLIC = 'https://www.w3.org/ns/activitystreams#Public';

describe.each(dialects)('groups with another server, on %s', (dialect) => {
  let n: TestNode;
  let remote: FakeRemote;
  let third: FakeRemote;
  let gargron: FakeActor; // a member of the remote group, on its server
  let troll: FakeActor; // same server, not the group
  let collectif: FakeActor; // the remote group
  let lea: { client: Client; user: { id: string; username: string } };
  let leaUri: string;
  let groupHere: string; // the remote group as we know it
  let joinId: string;
  let seq = 0;
  const aid = (actor: FakeActor) => `${actor.id}/activities/${++seq}`;
  const groupTexts = async () => ((await lea.client.get(`/api/groups/${groupHere}/posts`)).body.items as { html: string }[]).map((p) => p.html).join('\n');
  /** Every activity delivered so far handled (to assert what did not happen). */
  const settle = () => inboxDrained(n.node.services.db, 45_000);

  beforeAll(async () => {
    n = await startTestNode(dialect, { rateLimits: false, env: { ALLOW_PRIVATE_ADDRESS: 'true' } });
    await n.node.services.policy.writeMode('open');
    remote = await startFakeRemote();
    third = await startFakeRemote();
    gargron = await remote.actor('gargron');
    troll = await remote.actor('troll');
    // Last: the stand-in's WebFinger answers for the last actor made.
    collectif = await remote.actor('collectif', { type: 'Group', manuallyApprovesFollowers: true, attributedTo: `${remote.url.origin}/users/collectif/moderators` });
    lea = await n.signup('lea@example.org', 'Léa');
    leaUri = new URL(`/users/${lea.user.id}`, n.url).href;
  }, 60_000);

  afterAll(async () => {
    await n?.close();
    await remote?.close();
    await third?.close();
  });

  it('asks to join a remote group with a Join addressed to the group alone', async () => {
    const found = await lookup(lea.client, `@collectif@${remote.host}`);
    expect(found).toMatchObject({ kind: 'group' });
    groupHere = found.localId;
    expect((await lea.client.post(`/api/groups/${groupHere}/join`, {})).body).toEqual({ status: 'requested' });
    const join = await remote.waitFor('Join');
    expect(join).toMatchObject({ type: 'Join', actor: leaUri, object: collectif.id, to: collectif.id });
    expect(String(join.id)).toMatch(new RegExp(`^${n.url.origin}/users/${lea.user.id}/joins/`));
    joinId = String(join.id);
    expect(JSON.stringify(join)).not.toContain('lea@example.org');
  });

  it('ignores an Accept that does not come from the group', async () => {
    expect((await remote.deliver(n.url + 'inbox', { id: aid(troll), type: 'Accept', actor: troll.id, object: joinId }, troll)).status).toBe(202);
    await settle();
    expect((await lea.client.get(`/api/groups/${groupHere}`)).body).toMatchObject({ myRole: null, requested: true });
  });

  it('becomes a member when the group accepts the Join', async () => {
    expect((await remote.deliver(n.url + 'inbox', { id: aid(collectif), type: 'Accept', actor: collectif.id, object: joinId }, collectif)).status).toBe(202);
    await eventually(async () => expect((await lea.client.get(`/api/groups/${groupHere}`)).body.myRole).toBe('member'));
  });

  it('keeps what the group redistributes when its server hosts it and it is addressed to the group', async () => {
    const noteId = `${gargron.id}/statuses/1`;
    const note = { id: noteId, type: 'Note', attributedTo: gargron.id, content: '<p>Collage ce soir <script>x()</script></p>', to: [collectif.id], cc: [], audience: collectif.id, published: new Date().toISOString() };
    const create = { id: `${noteId}/activity`, type: 'Create', actor: gargron.id, object: note, to: [collectif.id] };
    const res = await remote.deliver(n.url + 'inbox', { id: aid(collectif), type: 'Announce', actor: collectif.id, object: create, to: [`${collectif.id}/followers`] }, collectif);
    expect(res.status).toBe(202);
    await eventually(async () => expect(await groupTexts()).toContain('Collage ce soir'));
    expect(await groupTexts()).not.toContain('script');
  });

  it('drops a redistributed post of a third server that its origin does not confirm', async () => {
    const forged = { id: `${third.url.origin}/notes/1`, type: 'Note', attributedTo: `${third.url.origin}/users/someone`, content: '<p>Faux message</p>', to: [collectif.id] };
    await remote.deliver(n.url + 'inbox', { id: aid(collectif), type: 'Announce', actor: collectif.id, object: { id: `${forged.id}/create`, type: 'Create', actor: forged.attributedTo, object: forged } }, collectif);
    await settle();
    expect(await groupTexts()).not.toContain('Faux message');
  });

  it('drops a redistributed post not addressed to the group, and boosts by people', async () => {
    const stray = { id: `${gargron.id}/statuses/2`, type: 'Note', attributedTo: gargron.id, content: '<p>Hors du groupe</p>', to: [PUBLIC] };
    await remote.deliver(n.url + 'inbox', { id: aid(collectif), type: 'Announce', actor: collectif.id, object: { id: `${stray.id}/activity`, type: 'Create', actor: gargron.id, object: stray } }, collectif);
    const boosted = { id: `${gargron.id}/statuses/3`, type: 'Note', attributedTo: gargron.id, content: '<p>Relayé par une personne</p>', to: [collectif.id] };
    await remote.deliver(n.url + 'inbox', { id: aid(gargron), type: 'Announce', actor: gargron.id, object: { id: `${boosted.id}/activity`, type: 'Create', actor: gargron.id, object: boosted } }, gargron);
    await settle();
    const texts = await groupTexts();
    expect(texts).not.toContain('Hors du groupe');
    expect(texts).not.toContain('Relayé');
  });

  it('removes a post when the group announces its deletion, not when a stranger asks', async () => {
    const noteId = `${gargron.id}/statuses/1`;
    await remote.deliver(n.url + 'inbox', { id: aid(troll), type: 'Delete', actor: troll.id, object: noteId }, troll);
    await settle();
    expect(await groupTexts()).toContain('Collage ce soir');
    await remote.deliver(n.url + 'inbox', { id: aid(collectif), type: 'Announce', actor: collectif.id, object: { id: aid(collectif), type: 'Delete', actor: collectif.id, object: { id: noteId, type: 'Tombstone' } } }, collectif);
    await eventually(async () => expect(await groupTexts()).not.toContain('Collage ce soir'));
  });

  it('sends a member’s post in the remote group to the group, addressed to it', async () => {
    remote.received.length = 0;
    const post = await lea.client.post('/api/posts', { body: 'Je ramène de la colle', audience: 'group', groupId: groupHere });
    expect(post.status).toBe(201);
    const create = await remote.waitFor('Create');
    expect(create).toMatchObject({ actor: leaUri, to: collectif.id });
    expect(create.object).toMatchObject({ type: 'Note', attributedTo: leaUri, audience: collectif.id, to: collectif.id });
    // The group's server may read it; an unsigned request may not.
    const unsigned = await fetch(new URL(`/posts/${post.body.id}`, n.url), { headers: { accept: 'application/activity+json' } });
    expect(unsigned.status).toBeGreaterThanOrEqual(401);
    expect(unsigned.status).toBeLessThan(405);
  });

  it('leaves with a Leave, and a Reject from the group ends a membership', async () => {
    remote.received.length = 0;
    expect((await lea.client.post(`/api/groups/${groupHere}/leave`)).status).toBeLessThan(300);
    expect(await remote.waitFor('Leave')).toMatchObject({ actor: leaUri, object: collectif.id });
    // Joins again, accepted, then removed by the group.
    await lea.client.post(`/api/groups/${groupHere}/join`, {});
    const again = String((await remote.waitFor('Join', (j) => j.id !== joinId)).id);
    await remote.deliver(n.url + 'inbox', { id: aid(collectif), type: 'Accept', actor: collectif.id, object: again }, collectif);
    await eventually(async () => expect((await lea.client.get(`/api/groups/${groupHere}`)).body.myRole).toBe('member'));
    await remote.deliver(n.url + 'inbox', { id: aid(collectif), type: 'Reject', actor: collectif.id, object: { id: again, type: 'Join', actor: leaUri, object: collectif.id } }, collectif);
    await eventually(async () => expect((await lea.client.get(`/api/groups/${groupHere}`)).body.myRole).toBeNull());
  });

  describe('a group here', () => {
    let ours: string;
    let ourUri: string;
    beforeAll(async () => {
      ours = (await lea.client.post('/api/groups', { name: 'Comité Local', handle: 'comite_local', kind: 'local', postalCode: '75011', openness: 'open' })).body.id;
      ourUri = new URL(`/users/${ours}`, n.url).href;
    });

    it('takes a Join from an open group’s newcomer and answers Accept naming the Join', async () => {
      remote.received.length = 0;
      const id = aid(gargron);
      expect((await remote.deliver(new URL(`/users/${ours}/inbox`, n.url), { id, type: 'Join', actor: gargron.id, object: ourUri }, gargron)).status).toBe(202);
      const accept = await remote.waitFor('Accept');
      expect(accept).toMatchObject({ actor: ourUri, to: gargron.id });
      expect((accept.object as { id: string }).id).toBe(id);
      const members = (await lea.client.get(`/api/groups/${ours}/members`)).body.members as { username: string }[];
      expect(members.map((m) => m.username)).toContain(`gargron@${remote.host}`);
    });

    it('keeps a member’s post addressed to the group, and announces it to the members’ servers', async () => {
      remote.received.length = 0;
      const note = { id: `${gargron.id}/statuses/10`, type: 'Note', attributedTo: gargron.id, content: '<p>Tractage au marché</p>', to: [ourUri], cc: [], published: new Date().toISOString() };
      await remote.deliver(n.url + 'inbox', { id: `${note.id}/activity`, type: 'Create', actor: gargron.id, object: note, to: [ourUri] }, gargron);
      await eventually(async () => expect(((await lea.client.get(`/api/groups/${ours}/posts`)).body.items as { html: string }[]).map((p) => p.html).join()).toContain('Tractage au marché'));
      const announce = await remote.waitFor('Announce');
      expect(announce).toMatchObject({ actor: ourUri, object: note.id });
    });

    it('ignores a post addressed to the group by someone who is not a member, and a deletion by someone who is not the author', async () => {
      const note = { id: `${troll.id}/statuses/1`, type: 'Note', attributedTo: troll.id, content: '<p>Intrusion</p>', to: [ourUri] };
      await remote.deliver(n.url + 'inbox', { id: `${note.id}/activity`, type: 'Create', actor: troll.id, object: note, to: [ourUri] }, troll);
      await remote.deliver(n.url + 'inbox', { id: aid(troll), type: 'Delete', actor: troll.id, object: `${gargron.id}/statuses/10` }, troll);
      await settle();
      const texts = ((await lea.client.get(`/api/groups/${ours}/posts`)).body.items as { html: string }[]).map((p) => p.html).join();
      expect(texts).not.toContain('Intrusion');
      expect(texts).toContain('Tractage au marché');
    });

    it('refuses a Join to an invite-only group with a Reject', async () => {
      const closed = (await lea.client.post('/api/groups', { name: 'Sur Invitation', handle: 'sur_invitation', kind: 'thematic', openness: 'invite' })).body.id;
      remote.received.length = 0;
      const id = aid(troll);
      await remote.deliver(new URL(`/users/${closed}/inbox`, n.url), { id, type: 'Join', actor: troll.id, object: new URL(`/users/${closed}`, n.url).href }, troll);
      const reject = await remote.waitFor('Reject');
      expect((reject.object as { id: string }).id).toBe(id);
      expect((await lea.client.get(`/api/groups/${closed}`)).body.memberCount).toBe(1);
    });
  });
});
