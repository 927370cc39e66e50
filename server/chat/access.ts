// Who may read, post in and moderate a chat room — the one rule, asked on every read and write
// (the socket layer only mirrors it for live delivery; see realtime.ts).
//
//   direct:  its two members, while neither blocks the other; posting also needs the other
//            member's account to still exist;
//   private: its members (the owner moderates: adds and removes members);
//   group:   the group's members; posting in a read-only channel, and moderating, is for the
//            group's organizers and admins;
//   event:   the event's organizers and its confirmed participants ("going"); organizers moderate.
// Instance staff get no reading right: conversations are private, moderation goes by reports.
import type { FriendsRepository } from '../friends/repository.ts';
import type { GroupsRepository } from '../groups/repository.ts';
import type { EventsRepository } from '../events/repository.ts';
import type { EventAccess } from '../events/access.ts';
import type { Database, Schema } from '../db/client.ts';
import { and, eq } from 'drizzle-orm';

export type RoomRow = Schema['chatRooms']['$inferSelect'];

export interface RoomRights {
  read: boolean;
  post: boolean;
  moderate: boolean;
}

export const NO_RIGHTS: RoomRights = { read: false, post: false, moderate: false };

export class ChatAccess {
  readonly #db: Database;
  readonly #friends: FriendsRepository;
  readonly #groups: GroupsRepository;
  readonly #events: EventsRepository;
  readonly #eventAccess: EventAccess;

  constructor(d: { db: Database; friends: FriendsRepository; groups: GroupsRepository; events: EventsRepository; eventAccess: EventAccess }) {
    this.#db = d.db;
    this.#friends = d.friends;
    this.#groups = d.groups;
    this.#events = d.events;
    this.#eventAccess = d.eventAccess;
  }

  async #memberRole(roomId: string, userId: string): Promise<'owner' | 'member' | null> {
    const { chatMembers: m } = this.#db.t;
    return (await this.#db.q.select({ role: m.role }).from(m).where(and(eq(m.roomId, roomId), eq(m.userId, userId))))[0]?.role ?? null;
  }

  async #members(roomId: string): Promise<string[]> {
    const { chatMembers: m } = this.#db.t;
    return (await this.#db.q.select({ u: m.userId }).from(m).where(eq(m.roomId, roomId))).map((r) => r.u);
  }

  async rights(userId: string, room: RoomRow): Promise<RoomRights> {
    switch (room.kind) {
      case 'direct': {
        const members = await this.#members(room.id);
        if (!members.includes(userId)) return NO_RIGHTS;
        const other = members.find((u) => u !== userId) ?? null;
        if (other && (await this.#friends.blockedEither(userId, other))) return NO_RIGHTS;
        return { read: true, post: other !== null, moderate: false };
      }
      case 'private': {
        const role = await this.#memberRole(room.id, userId);
        if (!role) return NO_RIGHTS;
        return { read: true, post: true, moderate: role === 'owner' };
      }
      case 'group': {
        if (!room.groupId) return NO_RIGHTS;
        const role = await this.#groups.role(room.groupId, userId);
        if (!role) return NO_RIGHTS;
        const organizer = role === 'organizer' || role === 'admin';
        return { read: true, post: !room.readOnly || organizer, moderate: organizer };
      }
      case 'event': {
        if (!room.eventId) return NO_RIGHTS;
        const event = await this.#events.byId(room.eventId);
        if (!event) return NO_RIGHTS;
        if (await this.#eventAccess.isOrganizer(userId, event)) return { read: true, post: true, moderate: true };
        const rsvp = await this.#events.rsvp(event.id, userId);
        if (rsvp?.status !== 'going') return NO_RIGHTS;
        if (event.creatorId && (await this.#friends.blockedEither(userId, event.creatorId))) return NO_RIGHTS;
        return { read: true, post: true, moderate: false };
      }
    }
  }
}
