// Chat with another server, against a stand-in that sends LitePub ChatMessages (as Pleroma and
// Akkoma do): a message to a member lands in their one-to-one room once, however often it is
// delivered; and the rules that fail closed: a stranger the member takes no conversations from,
// a message whose id is on another server, one to a group by someone who is not a member, an edit
// or deletion by someone who is not its author.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/db.ts';
import { startTestNode, type TestNode } from '../helpers/node.ts';
import { startFakeRemote, type FakeActor, type FakeRemote } from '../helpers/fake-remote.ts';
import { eventually, inboxDrained, lookup } from '../helpers/federation.ts';
import type { Client } from '../helpers/client.ts';

describe.each(dialects)('chat with another server, on %s', (dialect) => {
  let n: TestNode;
  let remote: FakeRemote;
  let pleroma: FakeActor;
  let troll: FakeActor;
  let lea: { client: Client; user: { id: string; username: string } };
  let leaUri: string;
  let seq = 0;
  const aid = (actor: FakeActor) => `${actor.id}/activities/${++seq}`;
  const chatMessage = (from: FakeActor, n: number, to: string, content: string) => ({ id: `${from.id}/chat/${n}`, type: 'ChatMessage', attributedTo: from.id, to: [to], content, published: new Date().toISOString() });
  const deliver = (from: FakeActor, activity: Record<string, unknown>) =>
    remote.deliver(n.url + 'inbox', { '@context': ['https://www.w3.org/ns/activitystreams', { ChatMessage: 'http://litepub.social/ns#ChatMessage' }], ...activity }, from);
  const rooms = async () => ((await lea.client.get('/api/chat/rooms')).body.rooms as { id: string; kind: string }[]).filter((r) => r.kind === 'direct');
  const messages = async (roomId: string) => ((await lea.client.get(`/api/chat/rooms/${roomId}/messages?since=0`)).body.changes as { html: string; deletedAt: string | null }[]) ?? [];
  /** Every activity delivered so far handled (to assert what did not happen). */
  const settle = () => inboxDrained(n.node.services.db, 45_000);

  beforeAll(async () => {
    n = await startTestNode(dialect, { rateLimits: false, env: { ALLOW_PRIVATE_ADDRESS: 'true' } });
    await n.node.services.policy.writeMode('open');
    remote = await startFakeRemote();
    troll = await remote.actor('troll');
    pleroma = await remote.actor('pleroma');
    lea = await n.signup('lea@example.org', 'Léa');
    leaUri = new URL(`/users/${lea.user.id}`, n.url).href;
    // Léa talks only with friends of friends: a stranger cannot start a conversation.
    expect((await lea.client.patch('/api/me', { friendRequestsFrom: 'friends_of_friends' })).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await n?.close();
    await remote?.close();
  });

  it('refuses a conversation from a stranger the member takes none from', async () => {
    const m = chatMessage(troll, 1, leaUri, '<p>Coucou</p>');
    await deliver(troll, { id: aid(troll), type: 'Create', actor: troll.id, object: m, to: [leaUri] });
    await settle();
    expect(await rooms()).toEqual([]);
  });

  it('takes a message into a one-to-one room when the member’s setting allows it, once however often it is delivered', async () => {
    await lea.client.patch('/api/me', { friendRequestsFrom: 'everyone' });
    const pleromaHere = (await lookup(lea.client, `@pleroma@${remote.host}`)).localId;
    const m = chatMessage(pleroma, 1, leaUri, '<p>On se voit <em>demain</em> <script>x()</script></p>');
    const create = { id: `${m.id}/create`, type: 'Create', actor: pleroma.id, object: m, to: [leaUri] };
    expect((await deliver(pleroma, create)).status).toBe(202);
    expect((await deliver(pleroma, create)).status).toBe(202);
    const room = await eventually(async () => {
      const list = await rooms();
      expect(list).toHaveLength(1);
      return list[0];
    });
    expect((await lea.client.post('/api/chat/direct', { userId: pleromaHere })).body.id).toBe(room.id);
    await settle();
    const stored = await messages(room.id);
    expect(stored).toHaveLength(1);
    expect(stored[0].html).toContain('<em>demain</em>');
    expect(stored[0].html).not.toContain('script');
  });

  it('ignores a message whose id is on another server, and an edit or deletion by someone else', async () => {
    const [room] = await rooms();
    const forged = { ...chatMessage(pleroma, 2, leaUri, '<p>Faux</p>'), id: 'http://127.0.0.1:9/chat/2' };
    await deliver(pleroma, { id: aid(pleroma), type: 'Create', actor: pleroma.id, object: forged, to: [leaUri] });
    const original = chatMessage(pleroma, 1, leaUri, '<p>Modifié par un autre</p>');
    await deliver(troll, { id: aid(troll), type: 'Update', actor: troll.id, object: { ...original, attributedTo: troll.id }, to: [leaUri] });
    await deliver(troll, { id: aid(troll), type: 'Delete', actor: troll.id, object: original.id, to: [leaUri] });
    await settle();
    const stored = await messages(room.id);
    expect(stored).toHaveLength(1);
    expect(stored[0].html).toContain('demain');
    expect(stored[0].deletedAt).toBeNull();
    // Its author may.
    await deliver(pleroma, { id: aid(pleroma), type: 'Delete', actor: pleroma.id, object: original.id, to: [leaUri] });
    await eventually(async () => expect((await messages(room.id))[0].deletedAt).not.toBeNull());
  });

  it('ignores a message to a group here from someone who is not a member', async () => {
    const group = (await lea.client.post('/api/groups', { name: 'Groupe Fermé', handle: 'groupe_ferme', kind: 'local', postalCode: '75011', openness: 'request' })).body.id;
    const groupUri = new URL(`/users/${group}`, n.url).href;
    const main = (await lea.client.get(`/api/groups/${group}/rooms`)).body.rooms[0].id;
    const m = chatMessage(troll, 5, groupUri, '<p>Intrus</p>');
    await deliver(troll, { id: aid(troll), type: 'Create', actor: troll.id, object: m, to: [groupUri] });
    await settle();
    expect(await messages(main)).toEqual([]);
  });
});
