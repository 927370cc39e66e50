// Chat over socket.io. Each client → server event carries a payload and an acknowledgement
// callback; the answer is `{ ok: true, … }` or `{ ok: false, error, message, fields? }` (the same
// translated problem as the API), and the socket stays usable after any bad input.
//
//   chat:send    { roomId, clientId, body, replyTo? } → { ok, message, duplicate }  (stored first)
//   chat:sync    { rooms: [{ roomId, since }] }       → { ok, rooms: [{ roomId, changes, version, more }] }
//   chat:history { roomId, before?, limit? }          → { ok, messages, version, more }
//   chat:edit    { messageId, body }   chat:delete { messageId }   chat:react { messageId, emoji, on }
//   chat:read    { roomId, seq }                      → { ok, readSeq, unread, total }
//   chat:typing  { roomId }                           (no answer; relayed as a volatile event)
//   chat:presence {}                                  → { ok, online: [friend ids connected now] }
// Server → client: `chat:message` (a new or changed message: the room's next version),
// `chat:typing` { roomId, userId, displayName }, `chat:unread` { total, roomId, readSeq }, `chat:rooms` (the
// list changed: ask again). A socket is in the socket.io room `chat:<id>` of every room its
// member may read, and leaves it the moment that changes (leaving a group, a block, an answer
// withdrawn, removal), on every process when the Redis adapter is used.
import type { Server, Socket } from 'socket.io';
import type { EventBus } from '../events.ts';
import { fail, toProblem } from '../errors.ts';
import type { Actor } from '../accounts/actor.ts';
import type { Locale } from '../../web/lib/i18n/index.ts';
import type { ChatService } from './service.ts';

export const chatRoom = (roomId: string) => `chat:${roomId}`;
const userRoom = (userId: string) => `user:${userId}`;

/** Most rooms one chat:sync may ask about. */
const MAX_SYNC_ROOMS = 100;

type Ack = (answer: Record<string, unknown>) => void;

export function chatSocketHandlers(io: Server, d: { chat: ChatService; bus: EventBus; locale: (socket: Socket) => Locale }) {
  const { chat, bus } = d;

  /** Runs a handler with its acknowledgement; anything thrown becomes an error answer. */
  const handle = (socket: Socket, name: string, run: (actor: Actor, payload: Record<string, unknown>) => Promise<Record<string, unknown> | void>) => {
    socket.on(name, async (payload: unknown, ack?: unknown) => {
      const reply: Ack = typeof ack === 'function' ? (ack as Ack) : () => {};
      const actor = (socket.data as { actor?: Actor }).actor;
      try {
        if (!actor) throw fail.unauthenticated();
        if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) throw fail.invalid({ form: 'error.invalid_input' });
        const result = await run(actor, payload as Record<string, unknown>);
        reply({ ok: true, ...(result ?? {}) });
      } catch (e) {
        const problem = toProblem(e, d.locale(socket));
        reply({ ok: false, ...problem.body, ...(problem.retryAfter ? { retryAfter: problem.retryAfter } : {}) });
      }
    });
  };

  io.on('connection', async (socket) => {
    const actor = (socket.data as { actor?: Actor }).actor;
    if (!actor) return;
    handle(socket, 'chat:send', async (a, p) => {
      const sent = await chat.send(a, p.roomId, { clientId: p.clientId, body: p.body, replyTo: p.replyTo });
      return { message: sent.message, duplicate: sent.duplicate };
    });
    handle(socket, 'chat:sync', async (a, p) => {
      const list = p.rooms;
      if (!Array.isArray(list) || list.length > MAX_SYNC_ROOMS) throw fail.invalid({ rooms: 'chat.sync_invalid' });
      const rooms = [];
      for (const item of list) {
        if (item === null || typeof item !== 'object') throw fail.invalid({ rooms: 'chat.sync_invalid' });
        const { roomId, since } = item as { roomId?: unknown; since?: unknown };
        // A socket that syncs a room is (again) in it, joined before the read: a message stored
        // after the read is then heard live, one stored before is in the answer; none falls between.
        const joined = typeof roomId === 'string' && (await chat.canRead(a.userId, roomId));
        if (joined) await socket.join(chatRoom(roomId));
        try {
          rooms.push(await chat.sync(a, roomId, since));
        } catch (e) {
          if (joined && !(await chat.canRead(a.userId, roomId))) socket.leave(chatRoom(roomId));
          throw e;
        }
      }
      return { rooms };
    });
    handle(socket, 'chat:history', (a, p) => chat.history(a, p.roomId, { before: p.before, limit: p.limit }));
    handle(socket, 'chat:edit', async (a, p) => ({ message: await chat.edit(a, p.messageId, { body: p.body }) }));
    handle(socket, 'chat:delete', async (a, p) => ({ message: await chat.remove(a, p.messageId) }));
    handle(socket, 'chat:react', async (a, p) => ({ message: await chat.react(a, p.messageId, { emoji: p.emoji, on: p.on }) }));
    handle(socket, 'chat:read', (a, p) => chat.markRead(a, p.roomId, { seq: p.seq }));
    let displayName = '';
    void chat.memberName(actor.userId).then((name) => (displayName = name), () => {});
    socket.on('chat:typing', async (payload: unknown) => {
      const roomId = (payload as { roomId?: unknown } | null)?.roomId;
      // Only from a socket already in the room (joined after an access check), never stored.
      if (typeof roomId !== 'string' || !socket.rooms.has(chatRoom(roomId))) return;
      socket.to(chatRoom(roomId)).volatile.emit('chat:typing', { roomId, userId: actor.userId, displayName });
    });
    handle(socket, 'chat:presence', async (a) => {
      // Which of my friends have a device connected now (on any process). Never stored.
      const friends = await chat.friendIds(a.userId);
      if (!friends.length) return { online: [] };
      const sockets = await io.in(friends.map(userRoom)).fetchSockets();
      const online = new Set(sockets.map((s) => (s.data as { actor?: Actor }).actor?.userId).filter((u): u is string => Boolean(u)));
      return { online: friends.filter((f) => online.has(f)) };
    });
    socket.on('disconnect', async () => {
      try {
        if ((await io.in(userRoom(actor.userId)).fetchSockets()).length) return;
        const friends = await chat.friendIds(actor.userId);
        if (friends.length) io.to(friends.map(userRoom)).volatile.emit('chat:presence', { userId: actor.userId, online: false });
      } catch {
        // presence is best effort
      }
    });
    try {
      const friends = await chat.friendIds(actor.userId);
      if (friends.length) io.to(friends.map(userRoom)).volatile.emit('chat:presence', { userId: actor.userId, online: true });
      const ids = await chat.readableRoomIds(actor.userId);
      if (socket.connected && ids.length) await socket.join(ids.map(chatRoom));
      if (socket.connected) socket.emit('chat:ready', { rooms: ids.length, unread: await chat.unreadTotal(actor.userId) });
    } catch {
      socket.disconnect(true);
    }
  });

  // Live delivery, after the store.
  bus.on('chat.message', async ({ roomId, message, created }) => {
    io.to(chatRoom(roomId)).emit('chat:message', message);
    // Members with no device connected (on any process) hear of it through notifications.
    if (created) await chat.notifyAbsent(message, created, async (userId) => (await io.in(userRoom(userId)).fetchSockets()).length > 0);
  });
  bus.on('chat.read', ({ userId, roomId, readSeq, total }) => {
    io.to(userRoom(userId)).emit('chat:unread', { roomId, readSeq, total });
  });

  // Access follows membership at once, for sockets already connected too.
  const join = (userIds: string[], roomId: string) => {
    for (const u of userIds) io.in(userRoom(u)).socketsJoin(chatRoom(roomId));
    io.to(userIds.map(userRoom)).emit('chat:rooms', {});
  };
  const leave = (userIds: string[], roomIds: string[]) => {
    if (!roomIds.length) return;
    for (const u of userIds) io.in(userRoom(u)).socketsLeave(roomIds.map(chatRoom));
    io.to(userIds.map(userRoom)).emit('chat:rooms', {});
  };
  /** Re-checks a member's access to rooms, joining those readable, leaving the others. */
  const recheck = async (userId: string, roomIds: string[]) => {
    const readable = new Set(await chat.readableRoomIds(userId));
    const gone = roomIds.filter((r) => !readable.has(r));
    const kept = roomIds.filter((r) => readable.has(r));
    leave([userId], gone);
    for (const r of kept) io.in(userRoom(userId)).socketsJoin(chatRoom(r));
  };
  bus.on('chat.access', ({ roomId, userIds, granted }) => (granted ? join(userIds, roomId) : leave(userIds, [roomId])));
  bus.on('chat.group_room', async ({ groupId, roomId }) => {
    const members = await chat.groupMemberIds(groupId);
    join(members, roomId);
  });
  bus.on('chat.room_deleted', ({ roomId }) => {
    io.in(chatRoom(roomId)).socketsLeave(chatRoom(roomId));
  });
  bus.on('group.membership', async ({ groupId, userId }) => recheck(userId, await chat.groupRoomIds(groupId)));
  bus.on('event.rsvp', async ({ eventId, userId }) => {
    const room = await chat.eventRoomId(eventId);
    if (room) await recheck(userId, [room]);
  });
  bus.on('relation.blocked', async ({ blockerId, blockedId }) => {
    const rooms = await chat.roomsBetween(blockerId, blockedId);
    await recheck(blockerId, rooms);
    await recheck(blockedId, rooms);
  });
}
