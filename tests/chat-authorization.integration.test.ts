// Authorization matrix of chat: who may read, post, edit, delete, react and manage, in each kind of
// room (direct, private, group main room, read-only channel, event room), through the API, on
// each database. The expectation of every cell comes from the rule in server/chat/access.ts,
// written again here as a table; a refusal is a 401/403/404 and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { dialects } from './helpers/db.ts';
import { startTestNode, type TestNode } from './helpers/node.ts';
import type { Client } from './helpers/client.ts';
import { eventInput } from './helpers/events.ts';

type Member = { client: Client; user: { id: string; username: string } };
type Viewer = 'anonymous' | 'stranger' | 'admin' | 'ana' | 'ben' | 'cara' | 'dov';
type RoomName = 'direct' | 'blockedDirect' | 'private' | 'main' | 'announcements' | 'event';
type Action = 'read' | 'history' | 'sync' | 'search' | 'post' | 'react' | 'read-mark' | 'edit-other' | 'delete-other' | 'add-member' | 'rename' | 'delete-room';

// Who is who:
//   ana:  group admin, event creator, owner of the private room, in the direct room with ben;
//         blocked dov after they talked;
//   ben:  plain group member, going to the event, member of the private room and the direct room;
//   cara: group organizer, only "interested" in the event, ana's friend but not in the private room;
//   dov:  group member, blocked by ana (their direct room is closed to both);
//   stranger: no tie at all; admin: the instance's administrator, with no tie either.
const READERS: Record<RoomName, Viewer[]> = {
  direct: ['ana', 'ben'],
  blockedDirect: [],
  private: ['ana', 'ben'],
  main: ['ana', 'ben', 'cara', 'dov'],
  announcements: ['ana', 'ben', 'cara', 'dov'],
  // ana organises it (creator, and admin of its group); cara organises its group; ben is going.
  event: ['ana', 'ben', 'cara'],
};
const POSTERS: Record<RoomName, Viewer[]> = { ...READERS, announcements: ['ana', 'cara'] };
/** Moderators delete others' messages (the author of the probe message is excluded below). */
const MODERATORS: Record<RoomName, Viewer[]> = { direct: [], blockedDirect: [], private: ['ana'], main: ['ana', 'cara'], announcements: ['ana', 'cara'], event: ['ana', 'cara'] };

function allowed(viewer: Viewer, room: RoomName, action: Action, author: Viewer): boolean {
  const reads = READERS[room].includes(viewer);
  switch (action) {
    case 'read':
    case 'history':
    case 'sync':
    case 'search':
    case 'read-mark':
      return reads;
    case 'post':
    case 'react':
      return POSTERS[room].includes(viewer);
    case 'edit-other':
      return false; // only the author edits, and the probe message is someone else's
    case 'delete-other':
      return viewer !== author && MODERATORS[room].includes(viewer);
    case 'add-member':
      return room === 'private' && viewer === 'ana';
    case 'rename':
      return room === 'announcements' && MODERATORS[room].includes(viewer);
    case 'delete-room':
      return false; // probed on the main room only: never deletable
  }
}

describe.each(dialects)('chat authorization matrix on %s', (dialect) => {
  let n: TestNode;
  const m = {} as Record<Exclude<Viewer, 'anonymous' | 'admin'>, Member>;
  let admin: Client;
  const rooms = {} as Record<RoomName, { id: string }>;
  /** A message in each room, by its author (someone allowed to post there). */
  const probes = {} as Record<RoomName, { id: string; author: Exclude<Viewer, 'anonymous' | 'admin'> }>;
  let counter = 0;
  const cid = () => `m${dialect}${String(counter++).padStart(10, '0')}`;

  const clientOf = (v: Viewer): Client => (v === 'anonymous' ? n.client() : v === 'admin' ? admin : m[v].client);

  beforeAll(async () => {
    n = await startTestNode(dialect, { rateLimits: false });
    admin = (await n.setupAdmin()).client;
    for (const [key, name] of [['ana', 'Ana'], ['ben', 'Ben'], ['cara', 'Cara'], ['dov', 'Dov'], ['stranger', 'Sam']] as const) m[key] = await n.signup(`${key}@example.org`, name);
    const befriend = async (a: Member, b: Member) => {
      await a.client.post('/api/friends/requests', { userId: b.user.id });
      expect((await b.client.post(`/api/friends/requests/${a.user.id}/accept`)).status).toBe(200);
    };
    await befriend(m.ana, m.ben);
    await befriend(m.ana, m.dov);
    await befriend(m.ana, m.cara);
    const group = (await m.ana.client.post('/api/groups', { name: 'Comité Matrice', kind: 'local', postalCode: '75020', openness: 'open' })).body;
    for (const who of [m.ben, m.cara, m.dov]) expect((await who.client.post(`/api/groups/${group.id}/join`, {})).status).toBe(200);
    expect((await m.ana.client.put(`/api/groups/${group.id}/members/${m.cara.user.id}/role`, { role: 'organizer' })).status).toBeLessThan(300);

    rooms.direct = (await m.ana.client.post('/api/chat/direct', { userId: m.ben.user.id })).body;
    rooms.blockedDirect = (await m.ana.client.post('/api/chat/direct', { userId: m.dov.user.id })).body;
    rooms.private = (await m.ana.client.post('/api/chat/rooms', { name: 'Noyau', memberIds: [m.ben.user.id] })).body;
    const groupRooms = (await m.ben.client.get(`/api/groups/${group.id}/rooms`)).body.rooms;
    rooms.main = groupRooms[0];
    rooms.announcements = (await m.cara.client.post(`/api/groups/${group.id}/rooms`, { name: 'Annonces', readOnly: true })).body;
    const event = (await m.ana.client.post('/api/events', eventInput({ title: 'Porte-à-porte', groupId: group.id }))).body;
    expect((await m.ben.client.put(`/api/events/${event.id}/rsvp`, { status: 'going' })).status).toBe(200);
    expect((await m.cara.client.put(`/api/events/${event.id}/rsvp`, { status: 'interested' })).status).toBe(200);
    rooms.event = (await m.ana.client.get(`/api/events/${event.id}/room`)).body;

    const authors: Record<RoomName, Exclude<Viewer, 'anonymous' | 'admin'>> = { direct: 'ben', blockedDirect: 'dov', private: 'ben', main: 'ben', announcements: 'cara', event: 'ben' };
    for (const [room, author] of Object.entries(authors) as [RoomName, Exclude<Viewer, 'anonymous' | 'admin'>][]) {
      const res = await m[author].client.post(`/api/chat/rooms/${rooms[room].id}/messages`, { clientId: cid(), body: `sonde ${room}` });
      expect(res.status, room).toBe(201);
      probes[room] = { id: res.body.message.id, author };
    }
    expect((await m.ana.client.put(`/api/blocks/${m.dov.user.id}`)).status).toBeLessThan(300);
  });
  afterAll(async () => {
    await n?.close();
  });

  const viewers: Viewer[] = ['anonymous', 'stranger', 'admin', 'ana', 'ben', 'cara', 'dov'];
  const roomNames: RoomName[] = ['direct', 'blockedDirect', 'private', 'main', 'announcements', 'event'];
  const actions: Action[] = ['read', 'history', 'sync', 'search', 'post', 'react', 'read-mark', 'edit-other', 'delete-other', 'add-member', 'rename', 'delete-room'];

  it.each(viewers)('%s: every action in every room', async (viewer) => {
    const c = clientOf(viewer);
    let cells = 0;
    for (const room of roomNames) {
      const rid = rooms[room].id;
      const probe = probes[room];
      const stored = async () => {
        const { chatMessages: cm, chatRooms: cr } = n.node.services.db.t;
        const rows = await n.node.services.db.q.select().from(cm).where(eq(cm.roomId, rid));
        const [r] = await n.node.services.db.q.select({ version: cr.version }).from(cr).where(eq(cr.id, rid));
        return { rows, version: r.version };
      };
      const before = await stored();
      for (const action of actions) {
        if (action === 'delete-room' && room !== 'main') continue;
        // "Other" actions are about someone else's message: the author's own rights are tested elsewhere.
        if ((action === 'edit-other' || action === 'delete-other') && viewer === probe.author) continue;
        const res = await (async () => {
          switch (action) {
            case 'read':
              return c.get(`/api/chat/rooms/${rid}`);
            case 'history':
              return c.get(`/api/chat/rooms/${rid}/messages`);
            case 'sync':
              return c.get(`/api/chat/rooms/${rid}/messages?since=0`);
            case 'search':
              return c.get(`/api/chat/rooms/${rid}/search?q=sonde`);
            case 'read-mark':
              return c.put(`/api/chat/rooms/${rid}/read`, { seq: 0 });
            case 'post':
              return c.post(`/api/chat/rooms/${rid}/messages`, { clientId: cid(), body: 'essai' });
            case 'react':
              return c.post(`/api/chat/messages/${probe.id}/reactions`, { emoji: '👍', on: false });
            case 'edit-other':
              return c.patch(`/api/chat/messages/${probe.id}`, { body: 'réécrit' });
            case 'delete-other':
              // An allowed deletion is followed by a fresh probe for the next cells (below).
              return c.delete(`/api/chat/messages/${probe.id}`);
            case 'add-member':
              return c.post(`/api/chat/rooms/${rid}/members`, { memberIds: [m.cara.user.id] });
            case 'rename':
              return c.patch(`/api/chat/rooms/${rid}`, { name: 'Renommé' });
            case 'delete-room':
              return c.delete(`/api/chat/rooms/${rid}`);
          }
        })();
        const ok = allowed(viewer, room, action, probe.author) && viewer !== 'anonymous';
        const label = `${viewer} ${action} in ${room}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`;
        if (action === 'delete-room') expect(res.status, label).toBe(viewer === 'anonymous' ? 401 : READERS[room].includes(viewer) ? (MODERATORS[room].includes(viewer) ? 409 : 403) : 404);
        else if (ok) expect(res.status, label).toBeLessThan(300);
        else expect([401, 403, 404, 400], label).toContain(res.status);
        if (!ok && action !== 'delete-room') {
          // A room one may not read does not exist for them: 404 (401 without an account), never 403.
          if (viewer === 'anonymous') expect(res.status, label).toBe(401);
          else if (!READERS[room].includes(viewer)) expect(res.status, label).toBe(404);
          // The main room's name is the group's: its moderators are told it cannot change.
          else expect(res.status, label).toBe(action === 'rename' && room === 'main' && MODERATORS[room].includes(viewer) ? 400 : 403);
        }
        cells++;
        if (ok && action === 'post') {
          // Take the test message back out (its author deletes it), so that rows stay comparable.
          await c.delete(`/api/chat/messages/${res.body.message.id}`);
        }
        if (ok && action === 'delete-other') {
          // Put the probe back for the next viewers: a fresh probe by the same author.
          const again = await m[probe.author].client.post(`/api/chat/rooms/${rid}/messages`, { clientId: cid(), body: `sonde ${room}` });
          if (again.status === 201) probes[room] = { id: again.body.message.id, author: probe.author };
        }
        if (ok && action === 'add-member') await m.ana.client.delete(`/api/chat/rooms/${rid}/members/${m.cara.user.id}`);
        if (ok && action === 'rename') await m.ana.client.patch(`/api/chat/rooms/${rid}`, { name: 'Annonces' });
      }
      // Refusals changed nothing: no rewritten text, the probe still there, nobody added.
      const after = await stored();
      expect(after.rows.some((x) => x.body === 'réécrit'), `${viewer} in ${room}`).toBe(false);
      expect(after.rows.find((x) => x.id === probes[room].id)?.deletedAt, `${viewer} in ${room}`).toBeNull();
      if (!READERS[room].includes(viewer)) expect(after, `${viewer} in ${room}`).toEqual(before);
      expect(after.version, `${viewer} in ${room}`).toBeGreaterThanOrEqual(before.version);
      expect((await m.stranger.client.get(`/api/chat/rooms/${rid}`)).status, `${viewer} in ${room}`).toBe(404);
    }
    expect(cells).toBeGreaterThan(50);
    // The list of my rooms (and the rooms my sockets join) is the same rule written as SQL.
    if (viewer !== 'anonymous') {
      const listed = new Set(((await c.get('/api/chat/rooms')).body.rooms as { id: string }[]).map((r) => r.id));
      for (const room of roomNames) expect(listed.has(rooms[room].id), `${viewer} lists ${room}`).toBe(READERS[room].includes(viewer));
    }
  });
});
