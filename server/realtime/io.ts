// socket.io on the node's http.Server. A socket is authenticated by the session cookie (and the
// Origin header, so another site cannot open one with the member's cookie), joins `user:<id>`
// and `session:<id>`, and is disconnected the moment its session ends (logout, password change,
// suspension, deletion), on every process when the Redis adapter is used.
import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { Redis } from 'ioredis';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { SessionService } from '../accounts/sessions.ts';
import type { EventBus } from '../events.ts';
import { readCookie, sessionCookie } from '../http/cookies.ts';
import type { Actor } from '../accounts/actor.ts';
import type { ChatService } from '../chat/service.ts';
import { chatSocketHandlers } from '../chat/realtime.ts';
import { LOCALE_COOKIE } from '../http/cookies.ts';
import { negotiateLocale } from '../../web/lib/i18n/index.ts';

export interface SocketData {
  actor: Actor;
}

export const userRoom = (userId: string) => `user:${userId}`;
export const sessionRoom = (sessionId: string) => `session:${sessionId}`;
/** Members of a group get all its new posts; followers only the public ones. */
export const groupMembersRoom = (groupId: string) => `group:${groupId}:members`;
export const groupPublicRoom = (groupId: string) => `group:${groupId}:public`;

/** What the real-time layer needs to know about a member (from the services). */
export interface RealtimeSources {
  groupsOf(userId: string): Promise<{ member: string[]; following: string[] }>;
  unreadCount(userId: string): Promise<number>;
}

export function attachRealtime(
  server: HttpServer,
  d: {
    sessions: SessionService;
    events: EventBus;
    sources: RealtimeSources;
    publicUrl: URL;
    secure: boolean;
    redis: Redis | null;
    extraOrigins?: string[];
    chat?: ChatService;
  },
): Server {
  const allowed = new Set([d.publicUrl.origin, ...(d.extraOrigins ?? [])]);
  const io = new Server(server, {
    path: '/socket.io',
    serveClient: false,
    maxHttpBufferSize: 64 * 1024,
    cors: { origin: false },
    // Cross-site WebSocket hijacking: a page on another site could open a socket carrying the
    // member's cookie. Browsers always send Origin on WebSocket handshakes and Sec-Fetch-Site
    // on polling requests; a client sending neither is not a browser and has no ambient cookie.
    allowRequest: (req, callback) => {
      const origin = req.headers.origin;
      const site = req.headers['sec-fetch-site'];
      const crossSite = (origin !== undefined && !allowed.has(origin)) || (site !== undefined && site !== 'same-origin');
      callback(null, !crossSite);
    },
    // The adapter blocks on XREAD: it gets a connection of its own.
    ...(d.redis ? { adapter: createAdapter(d.redis.duplicate()) } : {}),
  });

  const cookie = sessionCookie(d.secure);
  io.use(async (socket, next) => {
    try {
      const found = await d.sessions.validate(readCookie(socket.request.headers.cookie, cookie.name));
      if (!found) return next(new Error('unauthenticated'));
      (socket.data as SocketData).actor = found.actor;
      next();
    } catch {
      next(new Error('unavailable'));
    }
  });

  io.on('connection', async (socket) => {
    const { actor } = socket.data as SocketData;
    try {
      const groups = await d.sources.groupsOf(actor.userId);
      await socket.join([
        userRoom(actor.userId),
        sessionRoom(actor.sessionId!),
        ...groups.member.flatMap((g) => [groupMembersRoom(g), groupPublicRoom(g)]),
        ...groups.following.map(groupPublicRoom),
      ]);
      socket.emit('ready', { userId: actor.userId, unread: await d.sources.unreadCount(actor.userId) });
    } catch {
      socket.disconnect(true);
    }
  });

  // Live feeds and the notification badge. Only ids and counts travel: the page fetches the
  // post through the API, which checks the audience again.
  d.events.on('post.created', ({ postId, userIds, groupId, audience }) => {
    const group = groupId ? [audience === 'public' ? groupPublicRoom(groupId) : groupMembersRoom(groupId)] : [];
    const rooms = [...userIds.map(userRoom), ...group];
    if (rooms.length) io.to(rooms).emit('post', { id: postId, groupId });
  });
  d.events.on('notification.created', async ({ userId }) => {
    io.to(userRoom(userId)).emit('notifications', { unread: await d.sources.unreadCount(userId) });
  });
  d.events.on('group.membership', ({ groupId, userId, member, following }) => {
    const sockets = io.in(userRoom(userId));
    if (member) sockets.socketsJoin(groupMembersRoom(groupId));
    else sockets.socketsLeave(groupMembersRoom(groupId));
    if (member || following) sockets.socketsJoin(groupPublicRoom(groupId));
    else sockets.socketsLeave(groupPublicRoom(groupId));
  });

  if (d.chat) {
    chatSocketHandlers(io, {
      chat: d.chat,
      bus: d.events,
      locale: (socket) => negotiateLocale(readCookie(socket.request.headers.cookie, LOCALE_COOKIE), socket.request.headers['accept-language']),
    });
  }

  d.events.on('sessions.ended', ({ sessionIds }) => {
    for (const id of sessionIds) io.in(sessionRoom(id)).disconnectSockets(true);
  });
  d.events.on('user.deleted', ({ userId }) => {
    io.in(userRoom(userId)).disconnectSockets(true);
  });
  d.events.on('user.suspended', ({ userId }) => {
    io.in(userRoom(userId)).disconnectSockets(true);
  });
  return io;
}
