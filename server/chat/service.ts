// Chat: rooms, messages, reactions, read positions (decision 0016).
//
// Delivery rests on the database, not on the sockets: a message is stored (in a transaction that
// holds the room's row) before anyone hears of it; a retry with the same client id gets the stored
// message back instead of a second copy; every change takes the room's next version, so a client
// that saw version v asks for what changed after v and receives each message once, in order, with
// no gap (sync). The sockets only make it fast.
import { createHash } from 'node:crypto';
import { and, asc, count, desc, eq, gt, inArray, isNull, lt, ne, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Database, Schema } from '../db/client.ts';
import { isPostgres } from '../db/client.ts';
import type { EventBus } from '../events.ts';
import { AppError, fail } from '../errors.ts';
import { parse, text } from '../validation.ts';
import { type Actor, requireActor } from '../accounts/actor.ts';
import type { AccountsRepository, UserRow } from '../accounts/repository.ts';
import { newId } from '../accounts/secrets.ts';
import type { FriendsRepository } from '../friends/repository.ts';
import type { GroupsRepository } from '../groups/repository.ts';
import type { EventsRepository } from '../events/repository.ts';
import type { EventAccess } from '../events/access.ts';
import type { RateLimits } from '../security/rate-limits.ts';
import type { NotificationService } from '../notifications/service.ts';
import type { MediaStore } from '../media/store.ts';
import { processPostImage } from '../media/images.ts';
import { memberSummary, summaryFields, type MemberSummary, type SummaryColumns } from '../profiles/summary.ts';
import { renderMarkdown } from '../posts/markdown.ts';
import { ChatAccess, type RoomRights, type RoomRow } from './access.ts';
import { MAX_MESSAGE_FILES, MAX_MESSAGE_IMAGES, MAX_MESSAGE_LENGTH, REACTIONS } from '../../web/lib/chat/limits.ts';

export type MessageRow = Schema['chatMessages']['$inferSelect'];

export { MAX_MESSAGE_FILES, MAX_MESSAGE_IMAGES, MAX_MESSAGE_LENGTH };

/** A document's name as shown: no folders, no control characters, short, ending in .pdf. */
export function cleanFileName(name: string): string {
  const base = (name.split(/[\\/]/).pop() ?? '').normalize('NFC').replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 120);
  const stem = base.replace(/\.pdf$/i, '') || 'document';
  return `${stem}.pdf`;
}
/** Members of a private conversation, its starter included. */
export const MAX_PRIVATE_MEMBERS = 50;
/** Channels a group may have besides its main room. */
export const MAX_CHANNELS = 30;
/** Most changes one sync returns; the client asks again from the version it got. */
export const SYNC_LIMIT = 200;
/**
 * Sends under way at once in this process beyond which a new one is asked to come back in a second
 * (the client keeps it in its outbox and sends it again): a bound on the memory a process gives to
 * waiting sends when its database falls behind. Only a bound: refusing costs nearly as much CPU as
 * storing, so shedding load earlier (by event-loop lag) delivered less, not more
 * (docs/performance.md, "Chat").
 */
export const MAX_SENDS_IN_FLIGHT = 10_000;
export const HISTORY_LIMIT = 50;
const SENDER_CACHE_MS = 30_000;

const id = z.string({ error: 'chat.room_unknown' }).min(1, 'chat.room_unknown').max(64, 'chat.room_unknown');
const sendSchema = z.object({
  clientId: z.string({ error: 'chat.client_id_invalid' }).regex(/^[A-Za-z0-9_-]{8,64}$/, 'chat.client_id_invalid'),
  body: text(MAX_MESSAGE_LENGTH, 'chat.message_too_long').default(''),
  replyTo: z.string().max(64).nullish(),
});
const editSchema = z.object({ body: text(MAX_MESSAGE_LENGTH, 'chat.message_too_long').pipe(z.string().min(1, 'chat.message_empty')) });
const sinceSchema = z.coerce.number({ error: 'chat.cursor_invalid' }).int('chat.cursor_invalid').min(0, 'chat.cursor_invalid').max(2 ** 31);
const historySchema = z.object({
  before: z.coerce.number({ error: 'chat.cursor_invalid' }).int('chat.cursor_invalid').min(1, 'chat.cursor_invalid').max(2 ** 31).optional(),
  limit: z.coerce.number().int().min(1).max(HISTORY_LIMIT).default(HISTORY_LIMIT),
});
const reactSchema = z.object({ emoji: z.enum(REACTIONS, { error: 'chat.reaction_invalid' }), on: z.boolean({ error: 'chat.reaction_invalid' }) });
const readSchema = z.object({ seq: z.coerce.number({ error: 'chat.cursor_invalid' }).int('chat.cursor_invalid').min(0, 'chat.cursor_invalid').max(2 ** 31) });
const nameSchema = text(80, 'chat.name_too_long').pipe(z.string().min(1, 'chat.name_required'));
const privateSchema = z.object({
  name: text(80, 'chat.name_too_long').default(''),
  memberIds: z.array(z.string().max(64), { error: 'chat.members_invalid' }).min(1, 'chat.members_invalid').max(MAX_PRIVATE_MEMBERS - 1, 'chat.too_many_members'),
});
const channelSchema = z.object({ name: nameSchema, readOnly: z.boolean().default(false) });
const searchSchema = z.object({ q: text(100).pipe(z.string().min(2, 'chat.search_too_short')) });

export interface MessageView {
  id: string;
  roomId: string;
  seq: number;
  version: number;
  author: MemberSummary | null;
  /** The sender's own id for the message, so a client can match its pending copy. */
  clientId: string;
  /** Markdown source (empty once deleted), for editing. */
  body: string;
  html: string;
  replyTo: { id: string; seq: number; author: MemberSummary | null; excerpt: string; deleted: boolean } | null;
  reactions: { emoji: string; userIds: string[] }[];
  images: { url: string; width: number; height: number }[];
  files: { url: string; name: string; size: number }[];
  editedAt: Date | null;
  deletedAt: Date | null;
  createdAt: Date;
}

export interface RoomView {
  id: string;
  kind: RoomRow['kind'];
  name: string;
  main: boolean;
  readOnly: boolean;
  group: { id: string; handle: string; name: string } | null;
  event: { id: string; title: string; startsAt: Date } | null;
  /** For direct rooms: the other member. For private rooms: everyone. */
  members: MemberSummary[];
  lastSeq: number;
  version: number;
  lastMessageAt: Date | null;
  readSeq: number;
  unread: number;
  rights: RoomRights;
}

/** Thrown inside the send transaction to undo it when the message was stored already. */
class AlreadyStored extends Error {}

/** Whether a PostgreSQL error (as the driver, or drizzle around it, throws it) broke this unique index. */
function uniqueViolation(e: unknown, index: string): boolean {
  for (let x = e; x && typeof x === 'object'; x = (x as { cause?: unknown }).cause) {
    const pg = x as { code?: unknown; constraint_name?: unknown };
    if (pg.code === '23505') return pg.constraint_name === index;
  }
  return false;
}

export class ChatService {
  readonly #db: Database;
  readonly #access: ChatAccess;
  readonly #accounts: AccountsRepository;
  readonly #friends: FriendsRepository;
  readonly #groups: GroupsRepository;
  readonly #events: EventsRepository;
  readonly #eventAccess: EventAccess;
  readonly #limits: RateLimits;
  readonly #bus: EventBus;
  readonly #notifications: NotificationService;
  readonly #media: MediaStore;
  readonly #uploadLimit: number;
  readonly #roomById: (p: { id: string }) => Promise<RoomRow[]>;
  readonly #summaryById: (p: { id: string }) => Promise<SummaryColumns[]>;

  constructor(d: {
    db: Database;
    accounts: AccountsRepository;
    friends: FriendsRepository;
    groups: GroupsRepository;
    events: EventsRepository;
    eventAccess: EventAccess;
    limits: RateLimits;
    bus: EventBus;
    notifications: NotificationService;
    media: MediaStore;
    uploadLimitBytes: number;
  }) {
    this.#db = d.db;
    this.#accounts = d.accounts;
    this.#friends = d.friends;
    this.#groups = d.groups;
    this.#events = d.events;
    this.#eventAccess = d.eventAccess;
    this.#limits = d.limits;
    this.#bus = d.bus;
    this.#notifications = d.notifications;
    this.#media = d.media;
    this.#uploadLimit = d.uploadLimitBytes;
    // Read on every message sent: prepared once.
    const { chatRooms: r, users } = d.db.t;
    this.#roomById = d.db.prepared('chat_room_by_id', (q) => q.select().from(r).where(eq(r.id, sql.placeholder('id'))));
    this.#summaryById = d.db.prepared('member_summary_by_id', (q) => q.select(summaryFields(users)).from(users).where(eq(users.id, sql.placeholder('id'))));
    const forget = ({ userId }: { userId: string }) => void this.#senders.delete(userId);
    d.bus.on('user.updated', forget);
    d.bus.on('user.deleted', forget);
    this.#access = new ChatAccess({ db: d.db, friends: d.friends, groups: d.groups, events: d.events, eventAccess: d.eventAccess });
  }

  get access(): ChatAccess {
    return this.#access;
  }

  // -------------------------------------------------------------------------------------------
  // Rooms

  async #room(roomId: unknown): Promise<RoomRow> {
    const room = (await this.#roomById({ id: parse(id, roomId) }))[0];
    if (!room) throw fail.notFound('chat.room_unknown');
    return room;
  }

  /** The room and the actor's rights; a room the actor may not read does not exist for them. */
  async #readable(actor: Actor | null, roomId: unknown): Promise<{ a: Actor; room: RoomRow; rights: RoomRights }> {
    const a = requireActor(actor);
    const room = await this.#room(roomId);
    const rights = await this.#access.rights(a.userId, room);
    if (!rights.read) throw fail.notFound('chat.room_unknown');
    return { a, room, rights };
  }

  /** Whether a member may read a room (for the socket layer, on each join). */
  async canRead(userId: string, roomId: string): Promise<boolean> {
    const room = (await this.#roomById({ id: roomId }))[0];
    return room ? (await this.#access.rights(userId, room)).read : false;
  }

  /** Creates a room once, whoever asks first (the unique key settles a race). */
  async #ensure(values: Omit<RoomRow, 'lastSeq' | 'version' | 'lastMessageAt' | 'id' | 'createdAt' | 'main' | 'readOnly' | 'name' | 'pairKey' | 'federated'> & Partial<RoomRow>, find: () => Promise<RoomRow | undefined>): Promise<RoomRow> {
    const existing = await find();
    if (existing) return existing;
    const { chatRooms: r } = this.#db.t;
    await this.#db.tx(() => this.#db.w.insert(r).values({ id: newId(), createdAt: new Date(), ...values }).onConflictDoNothing());
    return (await find())!;
  }

  /** The one-to-one room with a member (created on first use). */
  async direct(actor: Actor | null, userId: unknown): Promise<RoomView> {
    const a = requireActor(actor);
    const otherId = parse(z.string({ error: 'chat.member_unknown' }).min(1).max(64), userId);
    if (otherId === a.userId) throw fail.invalid({ userId: 'chat.not_yourself' });
    const other = await this.#accounts.userById(otherId);
    if (!other || other.status !== 'active' || (await this.#friends.blockedEither(a.userId, otherId))) throw fail.notFound('chat.member_unknown');
    const room = await this.#directRoom(a.userId, other, Boolean(other.host));
    if (!room) throw fail.forbidden('chat.direct_not_allowed');
    return this.#view(a.userId, room);
  }

  /**
   * The one-to-one room of a starter with another person, created on first use when the other's
   * setting lets the starter begin one (null otherwise). `federated`: one of them is of another
   * server (its messages leave the instance).
   */
  async #directRoom(starterId: string, other: UserRow, federated: boolean): Promise<RoomRow | null> {
    const pairKey = [starterId, other.id].sort().join(':');
    const { chatRooms: r, chatMembers: m } = this.#db.t;
    const find = async () => (await this.#db.q.select().from(r).where(eq(r.pairKey, pairKey)))[0];
    const existing = await find();
    if (existing) return existing;
    if (!(await this.#mayStartWith(starterId, other))) return null;
    return this.#db.tx(async () => {
      const created = (await this.#db.w.insert(r).values({ id: newId(), kind: 'direct', pairKey, createdBy: starterId, federated, createdAt: new Date() }).onConflictDoNothing().returning())[0];
      if (!created) return (await find())!;
      const at = new Date();
      await this.#db.w.insert(m).values([
        { roomId: created.id, userId: starterId, role: 'member', joinedAt: at },
        { roomId: created.id, userId: other.id, role: 'member', joinedAt: at },
      ]);
      this.#db.afterCommit(() => this.#bus.emit('chat.access', { roomId: created.id, userIds: [starterId, other.id], granted: true }));
      return created;
    });
  }

  /** Friends always; others as their friend-request setting allows (everyone, friends of friends). */
  async #mayStartWith(userId: string, other: { id: string; friendRequestsFrom: string }): Promise<boolean> {
    if (await this.#friends.areFriends(userId, other.id)) return true;
    if (other.friendRequestsFrom === 'everyone') return true;
    if (other.friendRequestsFrom === 'friends_of_friends') return (await this.#friends.mutualCount(userId, other.id)) > 0;
    return false;
  }

  /** A small private conversation with friends (the starter owns it). */
  async createPrivate(actor: Actor | null, input: unknown): Promise<RoomView> {
    const a = requireActor(actor);
    const v = parse(privateSchema, input);
    const ids = [...new Set(v.memberIds)].filter((u) => u !== a.userId);
    if (!ids.length) throw fail.invalid({ memberIds: 'chat.members_invalid' });
    for (const u of ids) if (!(await this.#friends.areFriends(a.userId, u))) throw fail.invalid({ memberIds: 'chat.members_friends_only' });
    await this.#limits.consume(['chat-room:account', a.userId]);
    const { chatRooms: r, chatMembers: m } = this.#db.t;
    const at = new Date();
    const room = await this.#db.tx(async () => {
      const created = (await this.#db.w.insert(r).values({ id: newId(), kind: 'private', name: v.name, createdBy: a.userId, createdAt: at }).returning())[0];
      await this.#db.w.insert(m).values([{ roomId: created.id, userId: a.userId, role: 'owner' as const, joinedAt: at }, ...ids.map((u) => ({ roomId: created.id, userId: u, role: 'member' as const, joinedAt: at }))]);
      return created;
    });
    this.#bus.emit('chat.access', { roomId: room.id, userIds: [a.userId, ...ids], granted: true });
    return this.#view(a.userId, room);
  }

  /** The owner adds friends of theirs to a private conversation. */
  async addMembers(actor: Actor | null, roomId: unknown, input: unknown): Promise<RoomView> {
    const { a, room, rights } = await this.#readable(actor, roomId);
    if (room.kind !== 'private' || !rights.moderate) throw fail.forbidden('chat.not_allowed');
    const v = parse(z.object({ memberIds: privateSchema.shape.memberIds }), input);
    const { chatMembers: m } = this.#db.t;
    const added: string[] = [];
    await this.#db.tx(async () => {
      const current = new Set((await this.#db.q.select({ u: m.userId }).from(m).where(eq(m.roomId, room.id))).map((x) => x.u));
      const ids = [...new Set(v.memberIds)].filter((u) => !current.has(u));
      if (current.size + ids.length > MAX_PRIVATE_MEMBERS) throw fail.invalid({ memberIds: ['chat.too_many_members', { max: MAX_PRIVATE_MEMBERS }] });
      for (const u of ids) if (!(await this.#friends.areFriends(a.userId, u))) throw fail.invalid({ memberIds: 'chat.members_friends_only' });
      if (ids.length) await this.#db.w.insert(m).values(ids.map((u) => ({ roomId: room.id, userId: u, role: 'member' as const, joinedAt: new Date() }))).onConflictDoNothing();
      added.push(...ids);
    });
    if (added.length) this.#bus.emit('chat.access', { roomId: room.id, userIds: added, granted: true });
    return this.#view(a.userId, room);
  }

  /** Leaves a private conversation, or (its owner) removes a member from it. */
  async removeMember(actor: Actor | null, roomId: unknown, userId: unknown): Promise<void> {
    const { a, room, rights } = await this.#readable(actor, roomId);
    const target = parse(z.string().min(1).max(64), userId);
    if (room.kind !== 'private') throw fail.forbidden('chat.not_allowed');
    if (target !== a.userId && !rights.moderate) throw fail.forbidden('chat.not_allowed');
    const { chatMembers: m } = this.#db.t;
    const removed = await this.#db.tx(async () => {
      const gone = await this.#db.w.delete(m).where(and(eq(m.roomId, room.id), eq(m.userId, target))).returning({ u: m.userId });
      if (!gone.length) return false;
      // An owner who leaves hands the room to the longest-standing member.
      const owners = await this.#db.q.select({ u: m.userId }).from(m).where(and(eq(m.roomId, room.id), eq(m.role, 'owner')));
      if (!owners.length) {
        const next = (await this.#db.q.select({ u: m.userId }).from(m).where(eq(m.roomId, room.id)).orderBy(asc(m.joinedAt), asc(m.userId)).limit(1))[0];
        if (next) await this.#db.w.update(m).set({ role: 'owner' }).where(and(eq(m.roomId, room.id), eq(m.userId, next.u)));
      }
      return true;
    });
    if (!removed) throw fail.notFound('chat.member_unknown');
    this.#bus.emit('chat.access', { roomId: room.id, userIds: [target], granted: false });
  }

  /** A group's rooms the member may read: the main room (created on first use) and its channels. */
  async groupRooms(actor: Actor | null, groupId: unknown): Promise<RoomView[]> {
    const a = requireActor(actor);
    const gid = parse(id, groupId);
    const group = await this.#groups.byId(gid);
    if (!group || !(await this.#groups.role(gid, a.userId))) throw fail.notFound('chat.room_unknown');
    await this.#mainRoom(gid);
    const { chatRooms: r } = this.#db.t;
    const rooms = await this.#db.q.select().from(r).where(eq(r.groupId, gid)).orderBy(desc(r.main), asc(r.name), asc(r.id));
    return Promise.all(rooms.map((room) => this.#view(a.userId, room)));
  }

  async #mainRoom(groupId: string): Promise<RoomRow> {
    const { chatRooms: r } = this.#db.t;
    const pairKey = `main:${groupId}`;
    const find = async () => (await this.#db.q.select().from(r).where(eq(r.pairKey, pairKey)))[0];
    const existing = await find();
    if (existing) return existing;
    // Its messages leave when the group is of another server, or has members of other servers.
    const group = await this.#groups.byId(groupId);
    const federated = Boolean(group?.host) || (await this.#groups.hasRemoteMember(groupId));
    return this.#ensure({ kind: 'group', groupId, eventId: null, createdBy: null, pairKey, main: true, federated }, find);
  }

  /** Organizers add a channel to their group (by theme, by action; read-only for announcements). */
  async createChannel(actor: Actor | null, groupId: unknown, input: unknown): Promise<RoomView> {
    const a = requireActor(actor);
    const gid = parse(id, groupId);
    const role = (await this.#groups.byId(gid)) ? await this.#groups.role(gid, a.userId) : null;
    if (!role) throw fail.notFound('chat.room_unknown');
    if (role !== 'organizer' && role !== 'admin') throw fail.forbidden('chat.organizers_only');
    const v = parse(channelSchema, input);
    await this.#mainRoom(gid);
    const { chatRooms: r } = this.#db.t;
    const room = await this.#db.tx(async () => {
      const [{ n }] = await this.#db.q.select({ n: count() }).from(r).where(and(eq(r.groupId, gid), eq(r.main, false)));
      if (Number(n) >= MAX_CHANNELS) throw fail.conflict('chat.too_many_channels');
      return (await this.#db.w.insert(r).values({ id: newId(), kind: 'group', groupId: gid, name: v.name, readOnly: v.readOnly, createdBy: a.userId, createdAt: new Date() }).returning())[0];
    });
    this.#bus.emit('chat.group_room', { groupId: gid, roomId: room.id });
    return this.#view(a.userId, room);
  }

  /** Organizers rename a channel or make it read-only (or not). */
  async updateChannel(actor: Actor | null, roomId: unknown, input: unknown): Promise<RoomView> {
    const { a, room, rights } = await this.#readable(actor, roomId);
    if (room.kind !== 'group' || !rights.moderate) throw fail.forbidden('chat.organizers_only');
    const v = parse(z.object({ name: nameSchema.optional(), readOnly: z.boolean().optional() }), input);
    if (room.main && v.name !== undefined) throw fail.invalid({ name: 'chat.main_room_fixed' });
    const { chatRooms: r } = this.#db.t;
    const updated = (await this.#db.tx(() => this.#db.w.update(r).set({ ...(v.name !== undefined ? { name: v.name } : {}), ...(v.readOnly !== undefined ? { readOnly: v.readOnly } : {}) }).where(eq(r.id, room.id)).returning()))[0];
    return this.#view(a.userId, updated);
  }

  async deleteChannel(actor: Actor | null, roomId: unknown): Promise<void> {
    const { room, rights } = await this.#readable(actor, roomId);
    if (room.kind !== 'group' || !rights.moderate) throw fail.forbidden('chat.organizers_only');
    if (room.main) throw fail.conflict('chat.main_room_fixed');
    const { chatRooms: r } = this.#db.t;
    await this.#db.tx(() => this.#db.w.delete(r).where(eq(r.id, room.id)));
    this.#bus.emit('chat.room_deleted', { roomId: room.id });
  }

  /** An event's room, for its organizers and confirmed participants (created on first use). */
  async eventRoom(actor: Actor | null, eventId: unknown): Promise<RoomView> {
    const a = requireActor(actor);
    const eid = parse(id, eventId);
    const event = await this.#events.byId(eid);
    if (!event) throw fail.notFound('chat.room_unknown');
    const { chatRooms: r } = this.#db.t;
    const probe: RoomRow = { id: '', kind: 'event', eventId: eid, groupId: null, pairKey: null, name: '', main: false, readOnly: false, federated: false, createdBy: null, lastSeq: 0, version: 0, lastMessageAt: null, createdAt: new Date() };
    if (!(await this.#access.rights(a.userId, probe)).read) throw fail.notFound('chat.room_unknown');
    const room = await this.#ensure({ kind: 'event', eventId: eid, groupId: null, createdBy: null }, async () => (await this.#db.q.select().from(r).where(eq(r.eventId, eid)))[0]);
    return this.#view(a.userId, room);
  }

  /** One room as the member sees it. */
  async room(actor: Actor | null, roomId: unknown): Promise<RoomView> {
    const { a, room } = await this.#readable(actor, roomId);
    return this.#view(a.userId, room);
  }

  /** Ids of every room the member may read now (for the sockets to join). */
  async readableRoomIds(userId: string): Promise<string[]> {
    // The rule of access.ts, as SQL (this runs on every page load, for the unread badge):
    // direct rooms without a block between the two, private rooms one is in, the rooms of one's
    // groups, and the rooms of events one organises or is confirmed for (no block with its creator).
    const { chatRooms: r, chatMembers: m, groupMembers: gm, eventRsvps: x, eventOrganizers: o } = this.#db.t;
    const blockedWith = (other: SQL) =>
      sql`exists (select 1 from blocks b where (b.blocker_id = ${userId} and b.blocked_id = ${other}) or (b.blocker_id = ${other} and b.blocked_id = ${userId}))`;
    const listed = await this.#db.q
      .select({ id: r.id })
      .from(m)
      .innerJoin(r, eq(r.id, m.roomId))
      .where(
        and(
          eq(m.userId, userId),
          sql`(${r.kind} <> 'direct' or not exists (select 1 from chat_members o where o.room_id = ${r.id} and o.user_id <> ${userId} and ${blockedWith(sql`o.user_id`)}))`,
        ),
      );
    const group = await this.#db.q.select({ id: r.id }).from(gm).innerJoin(r, eq(r.groupId, gm.groupId)).where(eq(gm.userId, userId));
    const ev = await this.#db.q
      .select({ id: r.id })
      .from(r)
      .where(
        and(
          eq(r.kind, 'event'),
          or(
            sql`exists (select 1 from ${x} join events e on e.id = ${x.eventId} where ${x.eventId} = ${r.eventId} and ${x.userId} = ${userId} and ${x.status} = 'going'
              and (e.creator_id is null or not ${blockedWith(sql`e.creator_id`)}))`,
            sql`exists (select 1 from ${o} where ${o.eventId} = ${r.eventId} and ${o.userId} = ${userId})`,
            sql`exists (select 1 from events e join group_members g on g.group_id = e.group_id where e.id = ${r.eventId} and g.user_id = ${userId} and g.role in ('organizer', 'admin'))`,
          ),
        ),
      );
    return [...new Set([...listed, ...group, ...ev].map((x) => x.id))];
  }

  // Facts for the socket layer (which sockets join or leave which rooms).

  /** Friends, who see each other's presence (and nobody else does). */
  async friendIds(userId: string): Promise<string[]> {
    return this.#friends.friendIds(userId);
  }

  async groupMemberIds(groupId: string): Promise<string[]> {
    const { groupMembers: gm } = this.#db.t;
    return (await this.#db.q.select({ u: gm.userId }).from(gm).where(eq(gm.groupId, groupId))).map((x) => x.u);
  }

  async groupRoomIds(groupId: string): Promise<string[]> {
    const { chatRooms: r } = this.#db.t;
    return (await this.#db.q.select({ id: r.id }).from(r).where(eq(r.groupId, groupId))).map((x) => x.id);
  }

  async eventRoomId(eventId: string): Promise<string | null> {
    const { chatRooms: r } = this.#db.t;
    return (await this.#db.q.select({ id: r.id }).from(r).where(eq(r.eventId, eventId)))[0]?.id ?? null;
  }

  /** Rooms a block between two members may close: their direct room, the events either created. */
  async roomsBetween(a: string, b: string): Promise<string[]> {
    const { chatRooms: r, events: e } = this.#db.t;
    const pair = (await this.#db.q.select({ id: r.id }).from(r).where(eq(r.pairKey, [a, b].sort().join(':')))).map((x) => x.id);
    const ev = (await this.#db.q.select({ id: r.id }).from(r).innerJoin(e, eq(e.id, r.eventId)).where(inArray(e.creatorId, [a, b]))).map((x) => x.id);
    return [...pair, ...ev];
  }

  /** The member's conversations, most recent first, with unread counts. */
  async rooms(actor: Actor | null): Promise<{ rooms: RoomView[]; unread: number }> {
    const a = requireActor(actor);
    // Every group the member is in has its main room.
    for (const g of await this.#groups.groupIdsOf(a.userId)) await this.#mainRoom(g);
    const ids = await this.readableRoomIds(a.userId);
    if (!ids.length) return { rooms: [], unread: 0 };
    const { chatRooms: r } = this.#db.t;
    const rows = await this.#db.q.select().from(r).where(inArray(r.id, ids));
    const views = await Promise.all(rows.map((room) => this.#view(a.userId, room)));
    views.sort((x, y) => (y.lastMessageAt?.getTime() ?? 0) - (x.lastMessageAt?.getTime() ?? 0) || x.name.localeCompare(y.name) || x.id.localeCompare(y.id));
    return { rooms: views, unread: views.reduce((n, v) => n + v.unread, 0) };
  }

  /** Unread messages across the member's rooms (for the badge). */
  async unreadTotal(userId: string): Promise<number> {
    const ids = await this.readableRoomIds(userId);
    if (!ids.length) return 0;
    const { chatMessages: msg, chatReads: rd } = this.#db.t;
    const [{ n }] = await this.#db.q
      .select({ n: count() })
      .from(msg)
      .leftJoin(rd, and(eq(rd.roomId, msg.roomId), eq(rd.userId, userId)))
      .where(and(inArray(msg.roomId, ids), sql`${msg.seq} > coalesce(${rd.seq}, 0)`, isNull(msg.deletedAt), or(isNull(msg.authorId), ne(msg.authorId, userId))));
    return Number(n);
  }

  /** A member's name as others see it (typing indicators name who is writing). */
  async memberName(userId: string): Promise<string> {
    return (await this.#accounts.userById(userId))?.displayName ?? '';
  }

  async #readSeq(roomId: string, userId: string): Promise<number> {
    const { chatReads: rd } = this.#db.t;
    return (await this.#db.q.select({ seq: rd.seq }).from(rd).where(and(eq(rd.roomId, roomId), eq(rd.userId, userId))))[0]?.seq ?? 0;
  }

  async #unread(roomId: string, userId: string, readSeq: number): Promise<number> {
    const { chatMessages: msg } = this.#db.t;
    const [{ n }] = await this.#db.q
      .select({ n: count() })
      .from(msg)
      .where(and(eq(msg.roomId, roomId), gt(msg.seq, readSeq), isNull(msg.deletedAt), or(isNull(msg.authorId), ne(msg.authorId, userId))));
    return Number(n);
  }

  async #view(userId: string, room: RoomRow): Promise<RoomView> {
    const rights = await this.#access.rights(userId, room);
    const { chatMembers: m, users } = this.#db.t;
    let members: MemberSummary[] = [];
    if (room.kind === 'direct' || room.kind === 'private') {
      const rows = await this.#db.q.select(summaryFields(users)).from(m).innerJoin(users, eq(users.id, m.userId)).where(eq(m.roomId, room.id)).orderBy(asc(m.joinedAt), asc(users.id));
      members = rows.map(memberSummary).filter((u) => room.kind === 'private' || u.id !== userId);
    }
    const group = room.groupId ? await this.#groups.byId(room.groupId) : null;
    const event = room.eventId ? await this.#events.byId(room.eventId) : null;
    const name = room.kind === 'direct' ? (members[0]?.displayName ?? '') : room.kind === 'event' ? (event?.title ?? '') : room.main ? (group?.name ?? '') : room.name;
    const readSeq = await this.#readSeq(room.id, userId);
    return {
      id: room.id,
      kind: room.kind,
      name,
      main: room.main,
      readOnly: room.readOnly,
      group: group ? { id: group.id, handle: group.handle, name: group.name } : null,
      event: event ? { id: event.id, title: event.title, startsAt: event.startsAt } : null,
      members,
      lastSeq: room.lastSeq,
      version: room.version,
      lastMessageAt: room.lastMessageAt,
      readSeq,
      unread: rights.read ? await this.#unread(room.id, userId, readSeq) : 0,
      rights,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Messages

  /** Locks the room's row for the transaction and returns it as it is now. */
  async #lock(roomId: string): Promise<RoomRow> {
    if (isPostgres(this.#db)) await this.#db.all(sql`select id from chat_rooms where id = ${roomId} for update`);
    const { chatRooms: r } = this.#db.t;
    const room = (await this.#db.q.select().from(r).where(eq(r.id, roomId)))[0];
    if (!room) throw fail.notFound('chat.room_unknown');
    return room;
  }

  /** The message a member already stored in a room under this client id, as a view. */
  async #storedAgain(roomId: string, userId: string, clientId: string): Promise<MessageView | null> {
    const { chatMessages: msg } = this.#db.t;
    const row = (await this.#db.q.select().from(msg).where(and(eq(msg.roomId, roomId), eq(msg.authorId, userId), eq(msg.clientId, clientId))))[0];
    return row ? (await this.#views([row]))[0] : null;
  }

  /**
   * Stores a message and returns it; the same client id again returns the stored message
   * (`duplicate`), so a client may resend until it gets an answer.
   */
  async send(actor: Actor | null, roomId: unknown, input: unknown, images: Buffer[] = [], files: { bytes: Buffer; name: string }[] = []): Promise<{ message: MessageView; duplicate: boolean }> {
    if (this.#sendsInFlight >= this.maxSendsInFlight) throw new AppError('unavailable', { message: 'chat.busy', retryAfter: 1 });
    this.#sendsInFlight++;
    try {
      return await this.#send(actor, roomId, input, images, files);
    } finally {
      this.#sendsInFlight--;
    }
  }
  #sendsInFlight = 0;
  /** MAX_SENDS_IN_FLIGHT; tests lower it to see the refusal. */
  maxSendsInFlight = MAX_SENDS_IN_FLIGHT;

  async #send(actor: Actor | null, roomId: unknown, input: unknown, images: Buffer[], files: { bytes: Buffer; name: string }[]): Promise<{ message: MessageView; duplicate: boolean }> {
    const { a, room, rights } = await this.#readable(actor, roomId);
    const v = parse(sendSchema, input);
    // A retry gets the stored message back. Without attachments the insert finds it (its unique
    // key), so that the common case costs no lookup; a retry refused below (the room became
    // read-only, the member is sending too fast) is answered with what was stored all the same.
    // With attachments, look first: processing them again would be wasted.
    const retried = async (refusal: unknown) => {
      const again = await this.#storedAgain(room.id, a.userId, v.clientId);
      if (again) return { message: again, duplicate: true };
      throw refusal;
    };
    if (images.length || files.length) {
      const again = await this.#storedAgain(room.id, a.userId, v.clientId);
      if (again) return { message: again, duplicate: true };
    }
    if (!rights.post) return retried(fail.forbidden(room.readOnly ? 'chat.read_only' : 'chat.not_allowed'));
    if (!v.body && !images.length && !files.length) throw fail.invalid({ body: 'chat.message_empty' });
    if (files.length > MAX_MESSAGE_FILES) throw fail.invalid({ files: ['chat.too_many_files', { max: MAX_MESSAGE_FILES }] });
    for (const f of files) {
      if (f.bytes.length > this.#uploadLimit) throw fail.tooLarge('avatar.too_large', { mb: Math.round(this.#uploadLimit / 1048576) });
      if (f.bytes.subarray(0, 5).toString('latin1') !== '%PDF-') throw fail.unsupportedMedia('chat.file_not_pdf');
    }
    if (images.length > MAX_MESSAGE_IMAGES) throw fail.invalid({ images: ['chat.too_many_images', { max: MAX_MESSAGE_IMAGES }] });
    for (const bytes of images) if (bytes.length > this.#uploadLimit) throw fail.tooLarge('avatar.too_large', { mb: Math.round(this.#uploadLimit / 1048576) });
    try {
      await this.#limits.consume(['chat:account', a.userId], ['chat:room', room.id]);
    } catch (e) {
      return retried(e);
    }
    const { chatMessages: msg, chatRooms: r } = this.#db.t;
    let parent: MessageRow | null = null;
    if (v.replyTo) {
      parent = (await this.#db.q.select().from(msg).where(and(eq(msg.id, v.replyTo), eq(msg.roomId, room.id))))[0] ?? null;
      if (!parent) throw fail.invalid({ replyTo: 'chat.message_unknown' });
    }
    const { html, mentioned } = v.body ? await this.#render(v.body) : { html: '', mentioned: [] };
    // Pictures are re-encoded (no metadata, no GPS position) and stored before the transaction;
    // if it fails, or a racing retry wins, they are removed.
    const pictures: { key: string; width: number; height: number }[] = [];
    const documents: { key: string; name: string; size: number }[] = [];
    if (images.length || files.length) await this.#limits.consume(['upload:account', a.userId]);
    for (const f of files) documents.push({ key: await this.#media.put('chat', 'pdf', f.bytes), name: cleanFileName(f.name), size: f.bytes.length });
    if (images.length) {
      const processed = [];
      for (const bytes of images) processed.push(await processPostImage(bytes));
      for (const img of processed) pictures.push({ key: await this.#media.put('chat', 'webp', img.bytes), width: img.width, height: img.height });
    }
    const keys = [...pictures.map((p) => p.key), ...documents.map((d) => d.key)];
    const now = new Date();
    const values: MessageRow = { id: newId(), roomId: room.id, seq: 0, version: 0, authorId: a.userId, clientId: v.clientId, body: v.body, bodyHtml: html, replyToId: parent?.id ?? null, editedAt: null, deletedAt: null, createdAt: now, uri: null };
    let row: MessageRow;
    try {
      row = await this.#store(values, pictures, documents);
    } catch (e) {
      for (const key of keys) await this.#media.delete(key);
      if (e instanceof AlreadyStored) return retried(e);
      throw e;
    }
    // The view is built from what this call holds and the author's name (kept a few seconds).
    const authors = parent?.authorId && parent.authorId !== a.userId ? await this.#summaries([a.userId, parent.authorId]) : await this.#senderSummary(a.userId).then((u) => new Map(u ? [[a.userId, u]] : []));
    const message = this.#toView(row, authors, parent, [], pictures.map((p, i) => ({ ...p, position: i })), documents);
    this.#bus.emit('chat.message', { roomId: room.id, message, created: { roomKind: room.kind, mentioned }, federated: room.federated });
    return { message, duplicate: false };
  }

  /**
   * Numbers and stores a message: the room's next seq and version are taken with its row's lock
   * (held until the commit), so sends to one room take turns and rooms do not wait for each
   * other. Throws AlreadyStored, having changed nothing, when the author stored this client id
   * already (a retry that raced the first attempt). The sender has read their own message.
   */
  async #store(values: MessageRow, pictures: { key: string; width: number; height: number }[], documents: { key: string; name: string; size: number }[]): Promise<MessageRow> {
    if (isPostgres(this.#db) && !pictures.length && !documents.length) {
      // One statement, all or nothing, instead of a transaction's five round trips: the common
      // message, under load, on PostgreSQL (docs/performance.md, "Chat").
      const v = values;
      const at = v.createdAt.toISOString();
      const stored = await this.#db
        .write<{ seq: number; version: number }>(
          sql`with next as (
                update chat_rooms set last_seq = last_seq + 1, version = version + 1, last_message_at = ${at}::timestamptz
                where id = ${v.roomId} returning last_seq, version
              ), inserted as (
                insert into chat_messages (id, room_id, seq, version, author_id, client_id, body, body_html, reply_to_id, created_at, uri)
                select ${v.id}, ${v.roomId}, next.last_seq, next.version, ${v.authorId}, ${v.clientId}, ${v.body}, ${v.bodyHtml}, ${v.replyToId}, ${at}::timestamptz, ${v.uri} from next
                returning seq, version
              ), seen as (
                insert into chat_reads (room_id, user_id, seq, updated_at) select ${v.roomId}, ${v.authorId}, seq, ${at}::timestamptz from inserted
                on conflict (room_id, user_id) do update set seq = greatest(chat_reads.seq, excluded.seq), updated_at = excluded.updated_at
              )
              select seq, version from inserted`,
        )
        .catch((e: unknown) => {
          throw uniqueViolation(e, 'chat_messages_client_uq') ? new AlreadyStored() : e;
        });
      if (!stored[0]) throw fail.notFound('chat.room_unknown');
      return { ...values, seq: Number(stored[0].seq), version: Number(stored[0].version) };
    }
    const { chatMessages: msg, chatRooms: r, chatImages: ci, chatFiles: cf } = this.#db.t;
    return this.#db.tx(async () => {
      const next = (
        await this.#db.w
          .update(r)
          .set({ lastSeq: sql`${r.lastSeq} + 1`, version: sql`${r.version} + 1`, lastMessageAt: values.createdAt })
          .where(eq(r.id, values.roomId))
          .returning({ seq: r.lastSeq, version: r.version })
      )[0];
      if (!next) throw fail.notFound('chat.room_unknown');
      const inserted = (await this.#db.w.insert(msg).values({ ...values, seq: next.seq, version: next.version }).onConflictDoNothing().returning())[0];
      if (!inserted) throw new AlreadyStored(); // rolls the numbers back
      if (pictures.length) await this.#db.w.insert(ci).values(pictures.map((p, i) => ({ id: newId(), messageId: inserted.id, mediaKey: p.key, width: p.width, height: p.height, position: i })));
      if (documents.length) await this.#db.w.insert(cf).values(documents.map((d, i) => ({ id: newId(), messageId: inserted.id, mediaKey: d.key, name: d.name, size: d.size, position: i })));
      await this.#setRead(values.roomId, values.authorId!, next.seq);
      return inserted;
    });
  }

  // -------------------------------------------------------------------------------------------
  // Across servers (the federation layer has checked the signature, the policy, and that the
  // author is who sent it; the rights are ours, asked as for a member).

  /**
   * The room a message from another server goes to: the one-to-one room of its author with a
   * member here (created when the member's settings let the author start one), or the main room
   * of a group. Null when the author may not post there.
   */
  async remoteRoom(authorId: string, target: { memberId: string } | { groupId: string; vouchedByGroup?: boolean }): Promise<RoomRow | null> {
    if ('memberId' in target) {
      const member = await this.#accounts.userById(target.memberId);
      if (!member || member.host || member.status !== 'active' || (await this.#friends.blockedEither(authorId, member.id))) return null;
      const room = await this.#directRoom(authorId, member, true);
      return room && (await this.#access.rights(authorId, room)).post ? room : null;
    }
    const group = await this.#groups.byId(target.groupId);
    if (!group) return null;
    const room = await this.#mainRoom(group.id);
    // A group of another server vouches for its members (we know only ours).
    if (group.host) return target.vouchedByGroup ? room : null;
    return (await this.#access.rights(authorId, room)).post ? room : null;
  }

  /**
   * Stores a message from another server in a room (see remoteRoom), once: its address is its
   * client id, so a delivery repeated is not stored twice. Its HTML is the sanitised one.
   */
  async receiveRemote(authorId: string, room: RoomRow, m: { uri: string; html: string; text: string; createdAt: Date }): Promise<MessageView> {
    const clientId = `ap${createHash('sha256').update(m.uri).digest('base64url').slice(0, 40)}`;
    const again = await this.#storedAgain(room.id, authorId, clientId);
    if (again) return again;
    const values: MessageRow = {
      id: newId(),
      roomId: room.id,
      seq: 0,
      version: 0,
      authorId,
      clientId,
      body: m.text.slice(0, 5000),
      bodyHtml: m.html,
      replyToId: null,
      editedAt: null,
      deletedAt: null,
      // Numbered on arrival (the room's order here); the author's date is kept, bounded by now.
      createdAt: new Date(Math.min(m.createdAt.getTime(), Date.now())),
      uri: m.uri,
    };
    let row: MessageRow;
    try {
      row = await this.#store(values, [], []);
    } catch (e) {
      if (e instanceof AlreadyStored) return (await this.#storedAgain(room.id, authorId, clientId))!;
      throw e;
    }
    const message = (await this.#views([row]))[0];
    this.#bus.emit('chat.message', { roomId: room.id, message, created: { roomKind: room.kind, mentioned: [] }, federated: room.federated });
    return message;
  }

  /** A message of another server, by its address (for its author's edits and deletions). */
  async remoteMessage(uri: string): Promise<MessageRow | null> {
    const { chatMessages: msg } = this.#db.t;
    return (await this.#db.q.select().from(msg).where(eq(msg.uri, uri)))[0] ?? null;
  }

  /** Its author (or, for a group's room, the group) deletes a message of another server. */
  async removeRemote(row: MessageRow): Promise<void> {
    if (row.deletedAt) return;
    const { chatMessages: msg, chatReactions: re } = this.#db.t;
    await this.#change(row.roomId, row.id, async () => {
      await this.#db.w.update(msg).set({ body: '', bodyHtml: '', deletedAt: new Date() }).where(eq(msg.id, row.id));
      await this.#db.w.delete(re).where(eq(re.messageId, row.id));
    });
  }

  /** Its author edits a message of another server. */
  async editRemote(row: MessageRow, m: { html: string; text: string }): Promise<void> {
    if (row.deletedAt || row.bodyHtml === m.html) return;
    const { chatMessages: msg } = this.#db.t;
    await this.#change(row.roomId, row.id, async () => {
      await this.#db.w.update(msg).set({ body: m.text.slice(0, 5000), bodyHtml: m.html, editedAt: new Date() }).where(eq(msg.id, row.id));
    });
  }

  /** A room by id (the publisher asks whether its messages leave). */
  async roomById(roomId: string): Promise<RoomRow | null> {
    return (await this.#roomById({ id: roomId }))[0] ?? null;
  }

  /** Someone of another server joined a group here: its main room's messages leave from now on. */
  async markGroupFederated(groupId: string): Promise<void> {
    const { chatRooms: r } = this.#db.t;
    await this.#db.tx(() => this.#db.w.update(r).set({ federated: true }).where(and(eq(r.groupId, groupId), eq(r.main, true))));
  }

  /** A message and its room, for the federation publisher. */
  async messageAndRoom(messageId: string): Promise<{ message: MessageRow; room: RoomRow } | null> {
    const { chatMessages: msg } = this.#db.t;
    const message = (await this.#db.q.select().from(msg).where(eq(msg.id, messageId)))[0];
    const room = message ? (await this.#roomById({ id: message.roomId }))[0] : undefined;
    return message && room ? { message, room } : null;
  }

  /** The members of a one-to-one or private room. */
  async roomMemberIds(roomId: string): Promise<string[]> {
    const { chatMembers: m } = this.#db.t;
    return (await this.#db.q.select({ u: m.userId }).from(m).where(eq(m.roomId, roomId))).map((r) => r.u);
  }

  /** Safe HTML of a message, and the local members it mentions (active accounts, at most 20). */
  async #render(source: string): Promise<{ html: string; mentioned: string[] }> {
    const first = renderMarkdown(source);
    const names = first.mentions.filter((m) => !m.includes('@')).slice(0, 20);
    if (!names.length) return { html: first.html, mentioned: [] };
    const found = new Map<string, string>();
    for (const name of names) {
      const user = await this.#accounts.userByUsername(name);
      if (user && user.status === 'active') found.set(name, user.id);
    }
    if (!found.size) return { html: first.html, mentioned: [] };
    const html = renderMarkdown(source, { resolveMention: (n) => (found.has(n) ? `/@${n}` : null) }).html;
    return { html, mentioned: [...found.values()] };
  }

  async #message(messageId: unknown): Promise<MessageRow> {
    const mid = parse(z.string({ error: 'chat.message_unknown' }).min(1, 'chat.message_unknown').max(64, 'chat.message_unknown'), messageId);
    const { chatMessages: msg } = this.#db.t;
    const row = (await this.#db.q.select().from(msg).where(eq(msg.id, mid)))[0];
    if (!row) throw fail.notFound('chat.message_unknown');
    return row;
  }

  /** A message, its room and the actor's rights there (404 when they may not read the room). */
  async #ownMessage(actor: Actor | null, messageId: unknown) {
    const a = requireActor(actor);
    const row = await this.#message(messageId);
    const { room, rights } = await this.#readable(a, row.roomId).catch(() => {
      throw fail.notFound('chat.message_unknown');
    });
    return { a, row, room, rights };
  }

  /** Applies a change to a message under the room's lock, with the room's next version. */
  async #change(roomId: string, messageId: string, apply: (version: number) => Promise<void>): Promise<MessageView> {
    const { chatMessages: msg, chatRooms: r } = this.#db.t;
    const federated = await this.#db.tx(async () => {
      const current = await this.#lock(roomId);
      const version = current.version + 1;
      await apply(version);
      await this.#db.w.update(msg).set({ version }).where(eq(msg.id, messageId));
      await this.#db.w.update(r).set({ version }).where(eq(r.id, roomId));
      return current.federated;
    });
    const message = (await this.#views([await this.#message(messageId)]))[0];
    this.#bus.emit('chat.message', { roomId, message, created: null, federated });
    return message;
  }

  /** The author edits their message (shown "edited"). */
  async edit(actor: Actor | null, messageId: unknown, input: unknown): Promise<MessageView> {
    const { a, row, room, rights } = await this.#ownMessage(actor, messageId);
    if (row.authorId !== a.userId) throw fail.forbidden('chat.not_author');
    if (row.deletedAt) throw fail.conflict('chat.message_deleted');
    if (!rights.post) throw fail.forbidden('chat.not_allowed');
    const v = parse(editSchema, input);
    const { html } = await this.#render(v.body);
    const { chatMessages: msg } = this.#db.t;
    return this.#change(room.id, row.id, async () => {
      await this.#db.w.update(msg).set({ body: v.body, bodyHtml: html, editedAt: new Date() }).where(eq(msg.id, row.id));
    });
  }

  /** The author, or a moderator of the room (group or event organizers), deletes a message. */
  async remove(actor: Actor | null, messageId: unknown): Promise<MessageView> {
    const { a, row, room, rights } = await this.#ownMessage(actor, messageId);
    if (row.authorId !== a.userId && !rights.moderate) throw fail.forbidden('chat.not_author');
    if (row.deletedAt) return (await this.#views([row]))[0];
    const { chatMessages: msg, chatReactions: re, chatImages: ci, chatFiles: cf } = this.#db.t;
    const files = [
      ...(await this.#db.q.select({ key: ci.mediaKey }).from(ci).where(eq(ci.messageId, row.id))),
      ...(await this.#db.q.select({ key: cf.mediaKey }).from(cf).where(eq(cf.messageId, row.id))),
    ].map((x) => x.key);
    const view = await this.#change(room.id, row.id, async () => {
      await this.#db.w.update(msg).set({ body: '', bodyHtml: '', deletedAt: new Date() }).where(eq(msg.id, row.id));
      await this.#db.w.delete(re).where(eq(re.messageId, row.id));
      await this.#db.w.delete(ci).where(eq(ci.messageId, row.id));
      await this.#db.w.delete(cf).where(eq(cf.messageId, row.id));
    });
    for (const key of files) await this.#media.delete(key);
    return view;
  }

  async react(actor: Actor | null, messageId: unknown, input: unknown): Promise<MessageView> {
    const { a, row, room, rights } = await this.#ownMessage(actor, messageId);
    if (!rights.post) throw fail.forbidden(room.readOnly ? 'chat.read_only' : 'chat.not_allowed');
    if (row.deletedAt) throw fail.conflict('chat.message_deleted');
    const v = parse(reactSchema, input);
    await this.#limits.consume(['chat:account', a.userId]);
    const { chatReactions: re } = this.#db.t;
    return this.#change(room.id, row.id, async () => {
      if (v.on) await this.#db.w.insert(re).values({ messageId: row.id, userId: a.userId, emoji: v.emoji, createdAt: new Date() }).onConflictDoNothing();
      else await this.#db.w.delete(re).where(and(eq(re.messageId, row.id), eq(re.userId, a.userId), eq(re.emoji, v.emoji)));
    });
  }

  /** What changed in a room after version `since`, in order (at most SYNC_LIMIT; `more` if cut). */
  async sync(actor: Actor | null, roomId: unknown, since: unknown): Promise<{ roomId: string; changes: MessageView[]; version: number; more: boolean }> {
    const { room } = await this.#readable(actor, roomId);
    const after = parse(sinceSchema, since ?? 0);
    const { chatMessages: msg } = this.#db.t;
    const rows = await this.#db.q
      .select()
      .from(msg)
      .where(and(eq(msg.roomId, room.id), gt(msg.version, after)))
      .orderBy(asc(msg.version))
      .limit(SYNC_LIMIT + 1);
    const more = rows.length > SYNC_LIMIT;
    const page = rows.slice(0, SYNC_LIMIT);
    // Cut: the version reached is the last change returned; whole: the room's version (changes
    // whose message was changed again since carry the later version and are in this page).
    const version = more ? page[page.length - 1].version : Math.max(after, room.version, page.at(-1)?.version ?? 0);
    return { roomId: room.id, changes: await this.#views(page), version, more };
  }

  /** Older messages, newest last: the page before message number `before` (or the latest). */
  async history(actor: Actor | null, roomId: unknown, input: unknown): Promise<{ messages: MessageView[]; version: number; more: boolean }> {
    const { room } = await this.#readable(actor, roomId);
    const v = parse(historySchema, input ?? {});
    const { chatMessages: msg } = this.#db.t;
    const rows = await this.#db.q
      .select()
      .from(msg)
      .where(and(eq(msg.roomId, room.id), v.before ? lt(msg.seq, v.before) : undefined))
      .orderBy(desc(msg.seq))
      .limit(v.limit + 1);
    const more = rows.length > v.limit;
    return { messages: await this.#views(rows.slice(0, v.limit).reverse()), version: room.version, more };
  }

  /** Messages of a room containing words (case and accents do not matter), newest first. */
  async search(actor: Actor | null, roomId: unknown, input: unknown): Promise<{ messages: MessageView[] }> {
    const { room } = await this.#readable(actor, roomId);
    const v = parse(searchSchema, input ?? {});
    const words = v.q
      .normalize('NFD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 5);
    const { chatMessages: msg } = this.#db.t;
    // Few messages per room: the page's rows are folded in JavaScript (accents, case) rather than
    // indexed; a room of 100,000 messages reads 5,000 at a time.
    const found: MessageRow[] = [];
    let before = room.lastSeq + 1;
    for (let pass = 0; pass < 20 && found.length < 50; pass++) {
      const rows = await this.#db.q
        .select()
        .from(msg)
        .where(and(eq(msg.roomId, room.id), isNull(msg.deletedAt), lt(msg.seq, before)))
        .orderBy(desc(msg.seq))
        .limit(5000);
      for (const row of rows) {
        const folded = row.body.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
        if (words.every((w) => folded.includes(w))) found.push(row);
        if (found.length >= 50) break;
      }
      if (rows.length < 5000) break;
      before = rows[rows.length - 1].seq;
    }
    return { messages: await this.#views(found) };
  }

  /** Moves the member's read position forward (never back) and returns the room's unread count. */
  async markRead(actor: Actor | null, roomId: unknown, input: unknown): Promise<{ readSeq: number; unread: number; total: number }> {
    const { a, room } = await this.#readable(actor, roomId);
    const v = parse(readSchema, input);
    const seq = Math.min(v.seq, room.lastSeq);
    await this.#db.tx(() => this.#setRead(room.id, a.userId, seq));
    const readSeq = await this.#readSeq(room.id, a.userId);
    if (readSeq >= room.lastSeq) await this.#notifications.readChatRoom(a.userId, room.id);
    const total = await this.unreadTotal(a.userId);
    this.#bus.emit('chat.read', { userId: a.userId, roomId: room.id, readSeq, total });
    return { readSeq, unread: await this.#unread(room.id, a.userId, readSeq), total };
  }

  /**
   * After a new message: the other member of a direct room, and the members mentioned (`facts`,
   * from the send) who may read the room, are notified if none of their devices is connected (`connected`, from the sockets).
   * The notification centre sends one per room until it is read (in-app, and mail per preferences).
   */
  async notifyAbsent(message: MessageView, facts: { roomKind: RoomRow['kind']; mentioned: string[] }, connected: (userId: string) => Promise<boolean>): Promise<void> {
    if (!message.author || message.deletedAt) return;
    if (facts.roomKind !== 'direct' && !facts.mentioned.length) return; // most messages: nobody to tell
    const authorId = message.author.id;
    const { chatRooms: r, chatMembers: m } = this.#db.t;
    const room = (await this.#db.q.select().from(r).where(eq(r.id, message.roomId)))[0];
    if (!room) return;
    const targets = new Map<string, 'chat_message' | 'chat_mention'>();
    for (const userId of facts.mentioned) {
      if (userId !== authorId && (await this.#access.rights(userId, room)).read) targets.set(userId, 'chat_mention');
    }
    if (room.kind === 'direct') {
      const other = (await this.#db.q.select({ u: m.userId }).from(m).where(and(eq(m.roomId, room.id), ne(m.userId, authorId))))[0]?.u;
      if (other && (await this.#access.rights(other, room)).read) targets.set(other, 'chat_message');
    }
    for (const [userId, type] of targets) {
      if (await connected(userId)) continue;
      // One at a time per member and room, so that two quick messages make one notification
      // (the notification centre adds none while one about the room is unread).
      const key = `${userId}:${room.id}`;
      const previous = this.#notifying.get(key) ?? Promise.resolve();
      const next = previous.then(() => this.#notifications.notify({ userId, type, actorId: authorId, chatRoomId: room.id })).catch(() => {});
      this.#notifying.set(key, next);
      await next;
      if (this.#notifying.get(key) === next) this.#notifying.delete(key);
    }
  }
  readonly #notifying = new Map<string, Promise<void>>();

  async #setRead(roomId: string, userId: string, seq: number): Promise<void> {
    const { chatReads: rd } = this.#db.t;
    await this.#db.w
      .insert(rd)
      .values({ roomId, userId, seq, updatedAt: new Date() })
      .onConflictDoUpdate({ target: [rd.roomId, rd.userId], set: { seq: sql`case when excluded.seq > ${rd.seq} then excluded.seq else ${rd.seq} end`, updatedAt: new Date() } });
  }

  /** Views of message rows (authors, replies, reactions), in the order given. */
  async #views(rows: MessageRow[]): Promise<MessageView[]> {
    if (!rows.length) return [];
    const { chatMessages: msg, chatReactions: re, chatImages: ci, chatFiles: cf } = this.#db.t;
    const ids = rows.map((r) => r.id);
    const parentIds = [...new Set(rows.map((r) => r.replyToId).filter((x): x is string => x !== null))];
    const parents = new Map((parentIds.length ? await this.#db.q.select().from(msg).where(inArray(msg.id, parentIds)) : []).map((p) => [p.id, p]));
    const authors = await this.#summaries([...rows, ...parents.values()].map((r) => r.authorId));
    const reactions = await this.#db.q.select().from(re).where(inArray(re.messageId, ids)).orderBy(asc(re.createdAt));
    const documents = await this.#db.q.select().from(cf).where(inArray(cf.messageId, ids)).orderBy(asc(cf.position));
    const pictures = await this.#db.q.select().from(ci).where(inArray(ci.messageId, ids)).orderBy(asc(ci.position));
    const of = <T extends { messageId: string }>(list: T[], id: string) => list.filter((x) => x.messageId === id);
    return rows.map((r) =>
      this.#toView(r, authors, r.replyToId ? (parents.get(r.replyToId) ?? null) : null, of(reactions, r.id), of(pictures, r.id), of(documents, r.id)),
    );
  }

  /**
   * A sender's name and picture, kept SENDER_CACHE_MS so that a conversation in full flow does not
   * read them for every line; dropped at once when the member changes them on this process (on
   * another process the old name shows for those seconds at most).
   */
  async #senderSummary(userId: string): Promise<MemberSummary | null> {
    const cached = this.#senders.get(userId);
    if (cached && cached.until > Date.now()) return cached.summary;
    const row = (await this.#summaryById({ id: userId }))[0];
    const summary = row ? memberSummary(row) : null;
    if (this.#senders.size >= 10_000) this.#senders.delete(this.#senders.keys().next().value!);
    this.#senders.set(userId, { summary, until: Date.now() + SENDER_CACHE_MS });
    return summary;
  }
  readonly #senders = new Map<string, { summary: MemberSummary | null; until: number }>();

  /** Members' names and pictures as shown beside their messages. */
  async #summaries(userIds: (string | null)[]): Promise<Map<string, MemberSummary>> {
    const ids = [...new Set(userIds.filter((x): x is string => x !== null))];
    if (!ids.length) return new Map();
    if (ids.length === 1) return new Map((await this.#summaryById({ id: ids[0] })).map((u) => [u.id, memberSummary(u)]));
    const { users } = this.#db.t;
    return new Map((await this.#db.q.select(summaryFields(users)).from(users).where(inArray(users.id, ids))).map((u) => [u.id, memberSummary(u)]));
  }

  /** One message as members see it, from its row and what goes with it (in their order). */
  #toView(
    r: MessageRow,
    authors: Map<string, MemberSummary>,
    parent: MessageRow | null,
    reactions: { emoji: string; userId: string }[],
    pictures: { key?: string; mediaKey?: string; width: number; height: number }[],
    documents: { key?: string; mediaKey?: string; name: string; size: number }[],
  ): MessageView {
    const author = (id: string | null) => (id ? (authors.get(id) ?? null) : null);
    const emojis = [...new Set(reactions.map((x) => x.emoji))];
    return {
      id: r.id,
      roomId: r.roomId,
      seq: r.seq,
      version: r.version,
      author: author(r.authorId),
      clientId: r.clientId,
      body: r.body,
      html: r.bodyHtml,
      replyTo: parent ? { id: parent.id, seq: parent.seq, author: author(parent.authorId), excerpt: parent.deletedAt ? '' : parent.body.slice(0, 140), deleted: parent.deletedAt !== null } : null,
      reactions: emojis.map((emoji) => ({ emoji, userIds: reactions.filter((x) => x.emoji === emoji).map((x) => x.userId) })),
      images: pictures.map((p) => ({ url: `/media/${p.mediaKey ?? p.key}`, width: p.width, height: p.height })),
      files: documents.map((d) => ({ url: `/media/${d.mediaKey ?? d.key}`, name: d.name, size: d.size })),
      editedAt: r.editedAt,
      deletedAt: r.deletedAt,
      createdAt: r.createdAt,
    };
  }

  /**
   * Erasure of an account: its messages become "deleted" tombstones (each with a version of its
   * own, so that clients drop them on their next sync); the rest goes with the
   * foreign keys. Called by the privacy service inside its transaction.
   */
  async eraseAuthor(userId: string): Promise<string[]> {
    const { chatMessages: msg, chatRooms: r, chatImages: ci } = this.#db.t;
    const { chatFiles: cf } = this.#db.t;
    const files = [
      ...(await this.#db.q.select({ key: ci.mediaKey }).from(ci).innerJoin(msg, eq(msg.id, ci.messageId)).where(eq(msg.authorId, userId))),
      ...(await this.#db.q.select({ key: cf.mediaKey }).from(cf).innerJoin(msg, eq(msg.id, cf.messageId)).where(eq(msg.authorId, userId))),
    ].map((x) => x.key);
    const mine = this.#db.q.select({ id: msg.id }).from(msg).where(eq(msg.authorId, userId));
    await this.#db.w.delete(ci).where(inArray(ci.messageId, mine));
    await this.#db.w.delete(cf).where(inArray(cf.messageId, mine));
    const rows = await this.#db.q.select({ id: msg.id, roomId: msg.roomId }).from(msg).where(and(eq(msg.authorId, userId), isNull(msg.deletedAt))).orderBy(asc(msg.roomId), asc(msg.seq));
    const at = new Date();
    for (const roomId of new Set(rows.map((x) => x.roomId))) {
      let version = (await this.#lock(roomId)).version;
      for (const row of rows.filter((x) => x.roomId === roomId)) {
        version++;
        await this.#db.w.update(msg).set({ body: '', bodyHtml: '', deletedAt: at, version }).where(eq(msg.id, row.id));
      }
      await this.#db.w.update(r).set({ version }).where(eq(r.id, roomId));
    }
    return files;
  }
}
