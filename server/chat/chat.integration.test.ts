// Chat through the API and the sockets of a real node, on each database: direct, private, group
// and event rooms; messages stored once and numbered without gaps, also under concurrent sends and
// retries; what a reconnecting client missed, exactly; edits, deletions, reactions, read positions;
// access that ends at once (leaving a group, a block, an answer withdrawn); bad input answered and
// harmless; an erased account's messages erased.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as connect, type Socket } from 'socket.io-client';
import { dialects } from '../../tests/helpers/db.ts';
import { startTestNode, type TestNode } from '../../tests/helpers/node.ts';
import type { Client } from '../../tests/helpers/client.ts';
import { eventInput } from '../../tests/helpers/events.ts';
import sharp from 'sharp';
import { MAX_SENDS_IN_FLIGHT } from './service.ts';

/** A form with files, as a browser sends it. */
async function multipart(client: Client, path: string, fields: Record<string, string>, files: { field: string; bytes: Buffer; type: string }[]) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  for (const f of files) form.append(f.field, new Blob([new Uint8Array(f.bytes)], { type: f.type }), `${f.field}.${f.type.split('/')[1]}`);
  const req = new Request('http://localhost/', { method: 'POST', body: form });
  return client.request('POST', path, new Uint8Array(await req.arrayBuffer()), { 'content-type': req.headers.get('content-type')! });
}

type Member = { client: Client; user: { id: string; username: string } };
type Message = { id: string; seq: number; version: number; body: string; html: string; clientId: string; deletedAt: string | null; editedAt: string | null; reactions: { emoji: string; userIds: string[] }[]; author: { id: string } | null };

let counter = 0;
const cid = () => `c${Date.now().toString(36)}${(counter++).toString(36).padStart(6, '0')}`;

function open(n: TestNode, who: Member): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(n.url.origin, { transports: ['websocket'], extraHeaders: { cookie: who.client.cookieHeader, origin: n.url.origin }, reconnection: false, timeout: 3000 });
    socket.on('chat:ready', () => resolve(socket));
    socket.on('connect_error', reject);
  });
}
const call = (socket: Socket, event: string, payload: unknown) => socket.timeout(5000).emitWithAck(event, payload) as Promise<any>;
/** Collects the live messages a socket receives. */
const inbox = (socket: Socket) => {
  const got: Message[] = [];
  socket.on('chat:message', (m: Message) => got.push(m));
  return got;
};
const until = async (check: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};
const settle = () => new Promise((r) => setTimeout(r, 300));
/** Retries an assertion until it holds (work that follows a commit, like notifications). */
const eventually = async (check: () => Promise<void>, ms = 5000) => {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
};

describe.each(dialects)('chat on %s', (dialect) => {
  let n: TestNode;
  let ana: Member, ben: Member, cleo: Member, dan: Member, eve: Member;
  let group: { id: string; handle: string };

  const befriend = async (a: Member, b: Member) => {
    await a.client.post('/api/friends/requests', { userId: b.user.id });
    expect((await b.client.post(`/api/friends/requests/${a.user.id}/accept`)).status).toBe(200);
  };
  const send = async (who: Member, roomId: string, body: string, clientId = cid()) => who.client.post(`/api/chat/rooms/${roomId}/messages`, { clientId, body });

  beforeAll(async () => {
    n = await startTestNode(dialect, { rateLimits: false });
    [ana, ben, cleo, dan, eve] = await Promise.all([
      n.signup('ana@example.org', 'Ana'),
      n.signup('ben@example.org', 'Ben'),
      n.signup('cleo@example.org', 'Cléo'),
      n.signup('dan@example.org', 'Dan'),
      n.signup('eve@example.org', 'Eve'),
    ]);
    await befriend(ana, ben);
    await befriend(ana, cleo);
    group = (await ana.client.post('/api/groups', { name: 'Comité Chat', kind: 'local', postalCode: '75020', openness: 'open' })).body;
    for (const m of [ben, cleo]) expect((await m.client.post(`/api/groups/${group.id}/join`, {})).status).toBe(200);
  });
  afterAll(async () => {
    await n?.close();
  });

  it('opens one direct room per pair, between friends and where the other allows it', async () => {
    const first = await ana.client.post('/api/chat/direct', { userId: ben.user.id });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ kind: 'direct', name: 'Ben', lastSeq: 0, unread: 0, rights: { read: true, post: true } });
    const again = await ben.client.post('/api/chat/direct', { userId: ana.user.id });
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.name).toBe('Ana');
    // Dan is nobody's friend and only takes requests from friends: nobody may start with him.
    expect((await dan.client.patch('/api/me', { friendRequestsFrom: 'nobody' })).status).toBeLessThan(300);
    const refused = await ana.client.post('/api/chat/direct', { userId: dan.user.id });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe('Ce membre ne reçoit de messages que de ses ami·es.');
    expect((await ana.client.post('/api/chat/direct', { userId: ana.user.id })).status).toBe(400);
    expect((await ana.client.post('/api/chat/direct', { userId: 'nobody' })).status).toBe(404);
    expect((await ana.client.post('/api/chat/direct', {})).status).toBe(400);
    // A stranger cannot read the pair's room.
    expect((await cleo.client.get(`/api/chat/rooms/${first.body.id}`)).status).toBe(404);
    expect((await n.client().get(`/api/chat/rooms/${first.body.id}`)).status).toBe(401);
  });

  it('stores each message once, numbered without gaps, even under concurrent sends and retries', async () => {
    const room = (await ana.client.post('/api/chat/direct', { userId: ben.user.id })).body;
    const clientId = cid();
    const first = await send(ana, room.id, 'On est à l’entrée du **marché**', clientId);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ duplicate: false, message: { seq: 1, version: 1, clientId, body: 'On est à l’entrée du **marché**' } });
    expect(first.body.message.html).toContain('<strong>marché</strong>');
    const retry = await send(ana, room.id, 'On est à l’entrée du **marché**', clientId);
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ duplicate: true, message: { id: first.body.message.id, seq: 1 } });

    // 30 messages at once from both sides, and 6 retries of one of them racing each other.
    const racing = cid();
    const results = await Promise.all([
      ...Array.from({ length: 15 }, (_, i) => send(ana, room.id, `ana ${i}`)),
      ...Array.from({ length: 15 }, (_, i) => send(ben, room.id, `ben ${i}`)),
      ...Array.from({ length: 6 }, () => send(ben, room.id, 'une seule fois', racing)),
    ]);
    expect(results.every((r) => r.status === 200 || r.status === 201)).toBe(true);
    const once = results.slice(30).map((r) => r.body.message.id);
    expect(new Set(once).size).toBe(1);
    const history = (await ben.client.get(`/api/chat/rooms/${room.id}/messages?limit=50`)).body;
    expect(history.messages.map((m: Message) => m.seq)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    expect(history.messages.filter((m: Message) => m.body === 'une seule fois')).toHaveLength(1);
    expect(history.version).toBe(32);
  });

  it('shows a sender’s new name on the messages sent after the change', async () => {
    const room = (await ana.client.post('/api/chat/direct', { userId: ben.user.id })).body;
    const before = (await send(ben, room.id, 'avant')).body.message;
    expect(before.author.displayName).toBe('Ben');
    expect((await ben.client.patch('/api/me', { displayName: 'Benoît' })).status).toBe(200);
    try {
      expect((await send(ben, room.id, 'après')).body.message.author.displayName).toBe('Benoît');
    } finally {
      await ben.client.patch('/api/me', { displayName: 'Ben' });
    }
  });

  it('asks a send beyond what the process handles at once to come back, storing nothing, and takes the retry', async () => {
    const room = (await ana.client.post('/api/chat/direct', { userId: ben.user.id })).body;
    const latest = async () => (await ana.client.get(`/api/chat/rooms/${room.id}/messages?limit=1`)).body.messages[0]?.seq ?? 0;
    const before = await latest();
    const socket = await open(n, ana);
    // As if the process were already handling as many sends as it may.
    n.node.services.chat.maxSendsInFlight = 0;
    try {
      const clientId = cid();
      const refused = await send(ana, room.id, 'vague', clientId);
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({ error: 'unavailable', message: 'Beaucoup de messages arrivent en ce moment : le vôtre sera renvoyé dans un instant.' });
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await call(socket, 'chat:send', { roomId: room.id, clientId, body: 'vague' })).toMatchObject({ ok: false, error: 'unavailable', retryAfter: 1 });
      expect(await latest()).toBe(before);
      n.node.services.chat.maxSendsInFlight = MAX_SENDS_IN_FLIGHT;
      // The client retries with the same id: stored once.
      expect(await call(socket, 'chat:send', { roomId: room.id, clientId, body: 'vague' })).toMatchObject({ ok: true, duplicate: false, message: { seq: before + 1 } });
      expect(await latest()).toBe(before + 1);
    } finally {
      n.node.services.chat.maxSendsInFlight = MAX_SENDS_IN_FLIGHT;
      socket.disconnect();
    }
  });

  it('gives a reconnecting client exactly what changed after its version, once and in order', async () => {
    const room = (await ana.client.post('/api/chat/direct', { userId: cleo.user.id })).body;
    const a = (await send(ana, room.id, 'un')).body.message as Message;
    await send(cleo, room.id, 'deux');
    const seen = (await cleo.client.get(`/api/chat/rooms/${room.id}/messages?since=0`)).body;
    expect(seen.changes.map((m: Message) => m.body)).toEqual(['un', 'deux']);
    expect(seen.version).toBe(2);
    // While Cléo is away: a new message, an edit and a reaction to the first, a deletion.
    const trois = (await send(ana, room.id, 'trois')).body.message as Message;
    expect((await ana.client.patch(`/api/chat/messages/${a.id}`, { body: 'un (corrigé)' })).status).toBe(200);
    expect((await ana.client.post(`/api/chat/messages/${trois.id}/reactions`, { emoji: '✊', on: true })).status).toBe(200);
    const quatre = (await send(ana, room.id, 'quatre')).body.message as Message;
    expect((await ana.client.delete(`/api/chat/messages/${quatre.id}`)).status).toBe(200);
    const missed = (await cleo.client.get(`/api/chat/rooms/${room.id}/messages?since=${seen.version}`)).body;
    expect(missed.changes.map((m: Message) => [m.seq, m.body, m.deletedAt !== null])).toEqual([
      [1, 'un (corrigé)', false],
      [3, 'trois', false],
      [4, '', true],
    ]);
    expect(missed.changes.map((m: Message) => m.version)).toEqual([...missed.changes.map((m: Message) => m.version)].sort((x, y) => x - y));
    expect(missed.changes[1].reactions).toEqual([{ emoji: '✊', userIds: [ana.user.id] }]);
    expect(missed.changes[0].editedAt).not.toBeNull();
    expect(missed.version).toBe(7);
    expect((await cleo.client.get(`/api/chat/rooms/${room.id}/messages?since=${missed.version}`)).body.changes).toEqual([]);
    // Only the author edits; nobody else deletes in a direct room.
    expect((await cleo.client.patch(`/api/chat/messages/${a.id}`, { body: 'non' })).status).toBe(403);
    expect((await cleo.client.delete(`/api/chat/messages/${a.id}`)).status).toBe(403);
    expect((await ben.client.patch(`/api/chat/messages/${a.id}`, { body: 'non' })).status).toBe(404);
  });

  it('counts unread messages and keeps the read position across devices, never going back', async () => {
    const room = (await ben.client.post('/api/chat/direct', { userId: ana.user.id })).body;
    // Sending reads the room up to one's own message; Ana's three new lines are unread.
    await send(ben, room.id, 'je lis tout');
    for (const body of ['un', 'deux', 'trois']) await send(ana, room.id, body);
    const view = (await ben.client.get('/api/chat/rooms')).body;
    const mine = view.rooms.find((r: { id: string }) => r.id === room.id);
    expect(mine).toMatchObject({ unread: 3, readSeq: mine.lastSeq - 3 });
    expect(view.unread).toBeGreaterThanOrEqual(3);
    // Read up to the last but one on another device: this one sees it.
    const other = await n.login('ben@example.org');
    expect((await other.put(`/api/chat/rooms/${room.id}/read`, { seq: mine.lastSeq - 1 })).body).toMatchObject({ readSeq: mine.lastSeq - 1, unread: 1 });
    expect((await ben.client.get(`/api/chat/rooms/${room.id}`)).body).toMatchObject({ readSeq: mine.lastSeq - 1, unread: 1 });
    expect((await ben.client.put(`/api/chat/rooms/${room.id}/read`, { seq: 3 })).body.readSeq).toBe(mine.lastSeq - 1);
    expect((await ben.client.put(`/api/chat/rooms/${room.id}/read`, { seq: 10_000 })).body).toMatchObject({ readSeq: mine.lastSeq, unread: 0 });
    expect((await ben.client.put(`/api/chat/rooms/${room.id}/read`, { seq: -1 })).status).toBe(400);
  });

  it('gives a group’s members its main room; organizers add channels, some read-only', async () => {
    const rooms = (await ben.client.get(`/api/groups/${group.id}/rooms`)).body.rooms;
    expect(rooms).toHaveLength(1);
    expect(rooms[0]).toMatchObject({ kind: 'group', main: true, name: 'Comité Chat', rights: { read: true, post: true, moderate: false } });
    expect((await dan.client.get(`/api/groups/${group.id}/rooms`)).status).toBe(404);
    expect((await dan.client.get(`/api/chat/rooms/${rooms[0].id}`)).status).toBe(404);
    expect((await send(dan, rooms[0].id, 'intrus')).status).toBe(404);

    expect((await ben.client.post(`/api/groups/${group.id}/rooms`, { name: 'Annonces', readOnly: true })).status).toBe(403);
    const channel = await ana.client.post(`/api/groups/${group.id}/rooms`, { name: 'Annonces', readOnly: true });
    expect(channel.status).toBe(201);
    expect((await ana.client.post(`/api/groups/${group.id}/rooms`, { name: '' })).body.fields.name).toBe('Donnez un nom.');
    const refused = await send(ben, channel.body.id, 'puis-je ?');
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe('Ce salon est réservé aux annonces des organisateur·rices.');
    expect((await send(ana, channel.body.id, 'Rendez-vous samedi 10 h')).status).toBe(201);
    expect((await ben.client.get(`/api/chat/rooms/${channel.body.id}/messages`)).body.messages.map((m: Message) => m.body)).toEqual(['Rendez-vous samedi 10 h']);
    // An organizer deletes any message in their group's rooms.
    const line = (await send(ben, rooms[0].id, 'message à modérer')).body.message;
    expect((await ana.client.delete(`/api/chat/messages/${line.id}`)).body.deletedAt).not.toBeNull();
    expect((await ana.client.delete(`/api/chat/rooms/${rooms[0].id}`)).status).toBe(409);
    expect((await ben.client.delete(`/api/chat/rooms/${channel.body.id}`)).status).toBe(403);
  });

  it('opens an event’s room to its organizers and confirmed participants only', async () => {
    const event = (await ana.client.post('/api/events', eventInput({ title: 'Tractage au marché' }))).body;
    expect((await ana.client.get(`/api/events/${event.id}/room`)).body).toMatchObject({ kind: 'event', name: 'Tractage au marché', rights: { moderate: true } });
    expect((await ben.client.get(`/api/events/${event.id}/room`)).status).toBe(404);
    expect((await ben.client.put(`/api/events/${event.id}/rsvp`, { status: 'interested' })).status).toBe(200);
    expect((await ben.client.get(`/api/events/${event.id}/room`)).status).toBe(404);
    expect((await ben.client.put(`/api/events/${event.id}/rsvp`, { status: 'going' })).status).toBe(200);
    const room = (await ben.client.get(`/api/events/${event.id}/room`)).body;
    expect((await send(ben, room.id, 'J’apporte les tracts')).status).toBe(201);
    expect((await ben.client.delete(`/api/events/${event.id}/rsvp`)).status).toBe(200);
    expect((await ben.client.get(`/api/chat/rooms/${room.id}`)).status).toBe(404);
  });

  it('starts private conversations with friends only, up to 50 people', async () => {
    const made = await ana.client.post('/api/chat/rooms', { name: 'Collage', memberIds: [ben.user.id, cleo.user.id] });
    expect(made.status).toBe(201);
    expect(made.body.members.map((m: { id: string }) => m.id).sort()).toEqual([ana.user.id, ben.user.id, cleo.user.id].sort());
    expect((await ana.client.post('/api/chat/rooms', { name: 'X', memberIds: [dan.user.id] })).body.fields.memberIds).toBe('Vous ne pouvez ajouter que vos ami·es.');
    expect((await ana.client.post('/api/chat/rooms', { name: 'X', memberIds: Array.from({ length: 50 }, (_, i) => `u${i}`) })).status).toBe(400);
    expect((await ana.client.post('/api/chat/rooms', { name: 'X', memberIds: [] })).status).toBe(400);
    expect((await send(cleo, made.body.id, 'présente')).status).toBe(201);
    // Cléo leaves; Ben may not remove Ana; Ana (owner) removes Ben.
    expect((await cleo.client.delete(`/api/chat/rooms/${made.body.id}/members/${cleo.user.id}`)).status).toBe(204);
    expect((await cleo.client.get(`/api/chat/rooms/${made.body.id}`)).status).toBe(404);
    expect((await ben.client.delete(`/api/chat/rooms/${made.body.id}/members/${ana.user.id}`)).status).toBe(403);
    expect((await ana.client.delete(`/api/chat/rooms/${made.body.id}/members/${ben.user.id}`)).status).toBe(204);
    expect((await send(ben, made.body.id, 'encore là ?')).status).toBe(404);
  });

  it('answers bad input with a translated error and changes nothing', async () => {
    const room = (await ana.client.post('/api/chat/direct', { userId: ben.user.id })).body;
    const version = room.version;
    const cases: [unknown, string, string][] = [
      [{ body: 'sans id' }, 'clientId', 'Identifiant de message invalide : rechargez la page.'],
      [{ clientId: 'court', body: 'x' }, 'clientId', 'Identifiant de message invalide : rechargez la page.'],
      [{ clientId: cid(), body: '   ' }, 'body', 'Écrivez un message.'],
      [{ clientId: cid(), body: 'x'.repeat(4001) }, 'body', 'Message trop long (4 000 caractères au plus).'],
      [{ clientId: cid(), body: 42 }, 'body', 'Message trop long (4 000 caractères au plus).'],
      [{ clientId: cid(), body: 'réponse', replyTo: 'inconnu' }, 'replyTo', 'Ce message est introuvable.'],
    ];
    for (const [input, field, message] of cases) {
      const res = await ana.client.post(`/api/chat/rooms/${room.id}/messages`, input);
      expect(res.status, JSON.stringify(input)).toBe(400);
      expect(res.body.fields[field], JSON.stringify(input)).toBe(message);
    }
    expect((await ana.client.get(`/api/chat/rooms/${room.id}/messages?since=abc`)).status).toBe(400);
    expect((await ana.client.get(`/api/chat/rooms/${room.id}/messages?before=0`)).status).toBe(400);
    expect((await ana.client.post(`/api/chat/messages/nope/reactions`, { emoji: '✊', on: true })).status).toBe(404);
    const some = (await ana.client.get(`/api/chat/rooms/${room.id}/messages?limit=1`)).body.messages[0];
    expect((await ana.client.post(`/api/chat/messages/${some.id}/reactions`, { emoji: '💩', on: true })).status).toBe(400);
    // A script is text, never markup.
    const script = (await send(ana, room.id, '<script>alert(1)</script> [x](javascript:alert(1))')).body.message;
    expect(script.html).not.toMatch(/<script|href="javascript:/);
    expect(script.html).toContain('&lt;script&gt;');
    expect((await ana.client.get(`/api/chat/rooms/${room.id}`)).body.version).toBe(version + 1);
  });

  it('delivers live to the room’s sockets, answers bad socket input and stays usable', async () => {
    const room = (await ana.client.post('/api/chat/direct', { userId: ben.user.id })).body;
    const sa = await open(n, ana);
    const sb = await open(n, ben);
    const got = inbox(sb);
    try {
      const clientId = cid();
      const sent = await call(sa, 'chat:send', { roomId: room.id, clientId, body: 'en direct' });
      expect(sent).toMatchObject({ ok: true, duplicate: false, message: { body: 'en direct', clientId } });
      await until(() => got.some((m) => m.id === sent.message.id));
      expect((await call(sa, 'chat:send', { roomId: room.id, clientId, body: 'en direct' })).duplicate).toBe(true);

      for (const bad of [null, 'text', [], { roomId: room.id }, { roomId: 'nope', clientId: cid(), body: 'x' }, { roomId: room.id, clientId: cid(), body: 'x'.repeat(5000) }]) {
        const answer = await call(sa, 'chat:send', bad);
        expect(answer.ok, JSON.stringify(bad)).toBe(false);
        expect(typeof answer.message).toBe('string');
      }
      expect((await call(sa, 'chat:sync', { rooms: 'all' })).ok).toBe(false);
      expect((await call(sa, 'chat:sync', { rooms: [{ roomId: room.id, since: -4 }] })).ok).toBe(false);
      expect((await call(sb, 'chat:edit', { messageId: sent.message.id, body: 'pas à moi' })).error).toBe('forbidden');
      // Still usable.
      const synced = await call(sb, 'chat:sync', { rooms: [{ roomId: room.id, since: sent.message.version - 1 }] });
      expect(synced.ok).toBe(true);
      expect(synced.rooms[0].changes.map((m: Message) => m.id)).toEqual([sent.message.id]);
      const read = await call(sb, 'chat:read', { roomId: room.id, seq: sent.message.seq });
      expect(read).toMatchObject({ ok: true, readSeq: sent.message.seq, unread: 0 });
      const page = await call(sb, 'chat:history', { roomId: room.id, limit: 2 });
      expect(page.messages.map((m: Message) => m.seq)).toEqual([sent.message.seq - 1, sent.message.seq]);
      // Presence: friends only, never stored.
      expect((await call(sa, 'chat:presence', {})).online).toEqual([ben.user.id]);
      expect((await call(sb, 'chat:presence', {})).online).toEqual([ana.user.id]);
      const dan_ = await open(n, dan);
      expect((await call(dan_, 'chat:presence', {})).online).toEqual([]);
      dan_.close();
      const gone = new Promise((resolve) => sa.on('chat:presence', (p: unknown) => resolve(p)));
      sb.close();
      expect(await gone).toEqual({ userId: ben.user.id, online: false });
    } finally {
      sa.close();
      sb.close();
    }
  });

  it('closes a room at once for a member who leaves the group or is blocked, open sockets included', async () => {
    const main = (await ana.client.get(`/api/groups/${group.id}/rooms`)).body.rooms.find((r: { main: boolean }) => r.main);
    const direct = (await ana.client.post('/api/chat/direct', { userId: cleo.user.id })).body;
    const sc = await open(n, cleo);
    const got = inbox(sc);
    try {
      const before = (await send(ana, main.id, 'avant le départ')).body.message;
      await until(() => got.some((m) => m.id === before.id));
      expect((await cleo.client.post(`/api/groups/${group.id}/leave`)).status).toBeLessThan(300);
      await settle();
      const after = (await send(ana, main.id, 'après le départ')).body.message;
      const dm = (await send(ana, direct.id, 'toujours amies')).body.message;
      await until(() => got.some((m) => m.id === dm.id));
      expect(got.some((m) => m.id === after.id)).toBe(false);
      expect((await call(sc, 'chat:sync', { rooms: [{ roomId: main.id, since: 0 }] })).error).toBe('not_found');

      expect((await cleo.client.put(`/api/blocks/${ana.user.id}`)).status).toBeLessThan(300);
      await settle();
      const blocked = (await ben.client.post('/api/chat/direct', { userId: ana.user.id })).body;
      expect((await send(ana, direct.id, 'après le blocage')).status).toBe(404);
      expect((await cleo.client.get(`/api/chat/rooms/${direct.id}`)).status).toBe(404);
      expect(blocked.id).toBeDefined();
      expect(got.some((m) => m.body === 'après le blocage')).toBe(false);
    } finally {
      sc.close();
    }
  });

  it('sends pictures with a message (re-encoded, stored once), refuses too many or broken ones, deletes them with it', async () => {
    const room = (await ana.client.post('/api/chat/direct', { userId: ben.user.id })).body;
    const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#c00' } })
      .jpeg()
      .withExif({ IFD0: { Copyright: 'secret' } })
      .toBuffer();
    const clientId = cid();
    const sent = await multipart(ana.client, `/api/chat/rooms/${room.id}/messages`, { clientId, body: '' }, [{ field: 'image0', bytes: jpeg, type: 'image/jpeg' }]);
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    expect(sent.body.message.images).toEqual([{ url: expect.stringMatching(/^\/media\/chat\/[a-z0-9]{16}\.webp$/), width: 64, height: 48 }]);
    const file = await fetch(new URL(sent.body.message.images[0].url, n.url));
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toContain('image/webp');
    expect(Buffer.from(await file.arrayBuffer()).includes(Buffer.from('secret'))).toBe(false);
    // The retry is the same message, with the same picture (no second file).
    const again = await multipart(ana.client, `/api/chat/rooms/${room.id}/messages`, { clientId, body: '' }, [{ field: 'image0', bytes: jpeg, type: 'image/jpeg' }]);
    expect(again.status).toBe(200);
    expect(again.body.message.images).toEqual(sent.body.message.images);
    const five = Array.from({ length: 5 }, (_, i) => ({ field: `image${i}`, bytes: jpeg, type: 'image/jpeg' }));
    expect((await multipart(ana.client, `/api/chat/rooms/${room.id}/messages`, { clientId: cid(), body: 'trop' }, five)).status).toBe(400);
    const broken = await multipart(ana.client, `/api/chat/rooms/${room.id}/messages`, { clientId: cid(), body: 'cassée' }, [{ field: 'image0', bytes: Buffer.from('pas une image'), type: 'image/png' }]);
    expect([400, 415]).toContain(broken.status);
    expect((await ana.client.post(`/api/chat/rooms/${room.id}/messages`, { clientId: cid(), body: '' })).body.fields.body).toBe('Écrivez un message.');
    expect((await ana.client.delete(`/api/chat/messages/${sent.body.message.id}`)).body.images).toEqual([]);
    expect((await fetch(new URL(sent.body.message.images[0].url, n.url))).status).toBe(404);
  });

  it('sends PDF documents (downloaded, never shown as a page), refuses other files', async () => {
    const room = (await ana.client.post('/api/chat/direct', { userId: ben.user.id })).body;
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    const sent = await multipart(ana.client, `/api/chat/rooms/${room.id}/messages`, { clientId: cid(), body: 'Le tract de samedi' }, [{ field: 'file0', bytes: pdf, type: 'application/pdf' }]);
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    expect(sent.body.message.files).toEqual([{ url: expect.stringMatching(/^\/media\/chat\/[a-z0-9]{16}\.pdf$/), name: 'file0.pdf', size: pdf.length }]);
    const file = await fetch(new URL(sent.body.message.files[0].url, n.url));
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toBe('attachment');
    expect(file.headers.get('content-security-policy')).toContain('sandbox');
    const html = await multipart(ana.client, `/api/chat/rooms/${room.id}/messages`, { clientId: cid(), body: 'piège' }, [{ field: 'file0', bytes: Buffer.from('<html><script>alert(1)</script>'), type: 'application/pdf' }]);
    expect(html.status).toBe(415);
    expect(html.body.message).toBe('Seuls les documents PDF peuvent être envoyés.');
    const three = [0, 1, 2].map((i) => ({ field: `file${i}`, bytes: pdf, type: 'application/pdf' }));
    expect((await multipart(ana.client, `/api/chat/rooms/${room.id}/messages`, { clientId: cid(), body: 'trop' }, three)).status).toBe(400);
    expect((await ana.client.delete(`/api/chat/messages/${sent.body.message.id}`)).body.files).toEqual([]);
    expect((await fetch(new URL(sent.body.message.files[0].url, n.url))).status).toBe(404);
  });

  it('notifies members who are not connected: one-to-one messages and mentions, one per room until read', async () => {
    const fay = await n.signup('fay@example.org', 'Fay');
    const gus = await n.signup('gus@example.org', 'Gus');
    await befriend(fay, gus);
    const room = (await fay.client.post('/api/chat/direct', { userId: gus.user.id })).body;
    const chatNotes = async (who: Member) => ((await who.client.get('/api/notifications')).body.items as { type: string; text: string; link: string; read: boolean }[]).filter((x) => x.type.startsWith('chat_'));
    // Two quick lines: one notification, one mail.
    await Promise.all([send(fay, room.id, 'Tu viens samedi ?'), send(fay, room.id, 'On se retrouve à 10 h')]);
    await eventually(async () => {
      expect(await chatNotes(gus)).toEqual([expect.objectContaining({ type: 'chat_message', text: 'Fay vous a écrit', link: `/chat/${room.id}`, read: false })]);
    });
    // One mail for the conversation, without the messages' text.
    const mail = await n.smtp.waitFor('gus@example.org', (x) => /Fay/.test(x.subject + x.text));
    expect(mail.text).not.toContain('samedi');
    await settle();
    expect(n.smtp.mails.filter((x) => x.to.includes('gus@example.org') && /Fay/.test(x.subject + x.text))).toHaveLength(1);
    expect(await chatNotes(gus)).toHaveLength(1);
    // Reading the room reads its notification; the next message notifies again.
    await gus.client.put(`/api/chat/rooms/${room.id}/read`, { seq: 2 });
    expect((await chatNotes(gus))[0].read).toBe(true);
    await send(fay, room.id, 'Tu es là ?');
    await eventually(async () => expect((await chatNotes(gus)).filter((x) => !x.read)).toHaveLength(1));
    await gus.client.put(`/api/chat/rooms/${room.id}/read`, { seq: 3 });
    // Connected: the live message is enough, no notification.
    const sg = await open(n, gus);
    try {
      await send(fay, room.id, 'Parfait');
      await settle();
      expect((await chatNotes(gus)).filter((x) => !x.read)).toHaveLength(0);
    } finally {
      sg.close();
    }
    // A mention in a group room notifies the member mentioned (who may read the room), only.
    const main = (await ana.client.get(`/api/groups/${group.id}/rooms`)).body.rooms.find((r: { main: boolean }) => r.main);
    await send(ana, main.id, `@${ben.user.username} peux-tu prendre les tracts ? @${gus.user.username} aussi`);
    await eventually(async () =>
      expect((await chatNotes(ben)).filter((x) => x.type === 'chat_mention' && !x.read)).toEqual([expect.objectContaining({ text: 'Ana vous a mentionné·e dans une conversation', link: `/chat/${main.id}` })]),
    );
    expect((await chatNotes(gus)).filter((x) => x.type === 'chat_mention')).toEqual([]);
  });

  it('erases the messages of a deleted account, leaving a mark in the others’ history', async () => {
    await befriend(eve, ben);
    const room = (await eve.client.post('/api/chat/direct', { userId: ben.user.id })).body;
    await send(eve, room.id, 'mon adresse est 3 rue X');
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#00c' } }).png().toBuffer();
    const photo = (await multipart(eve.client, `/api/chat/rooms/${room.id}/messages`, { clientId: cid(), body: 'ma rue' }, [{ field: 'image0', bytes: png, type: 'image/png' }])).body.message;
    const export_ = (await eve.client.get('/api/me/export?format=json')).body;
    expect(export_.chatMessages.map((m: { text: string }) => m.text)).toContain('mon adresse est 3 rue X');
    expect((await eve.client.delete('/api/me', { confirm: eve.user.username })).status).toBe(204);
    const left = (await ben.client.get(`/api/chat/rooms/${room.id}/messages`)).body.messages;
    expect(left).toHaveLength(2);
    expect(left[1]).toMatchObject({ body: '', images: [] });
    expect((await fetch(new URL(photo.images[0].url, n.url))).status).toBe(404);
    expect(left[0]).toMatchObject({ body: '', html: '', author: null });
    expect(left[0].deletedAt).not.toBeNull();
    expect((await ben.client.get(`/api/chat/rooms/${room.id}`)).body.rights).toMatchObject({ read: true, post: false });
  });
});
