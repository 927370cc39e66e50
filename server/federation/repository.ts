// Queries of the federation layer: who of another server should receive what.
import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Database } from '../db/client.ts';

export interface RemoteRecipient {
  /** Our row id. */
  id: string;
  uri: string;
  inbox: string;
  sharedInbox: string | null;
  host: string;
}

export class FederationRepository {
  readonly #db: Database;
  constructor(db: Database) {
    this.#db = db;
  }

  /** The columns of `remote_actors` that make a RemoteRecipient. */
  #recipient() {
    const { remoteActors: r } = this.#db.t;
    return { id: r.id, uri: r.uri, inbox: r.inbox, sharedInbox: r.sharedInbox, host: r.host };
  }

  /** The friends of a member who live on other servers. */
  async remoteFriends(userId: string): Promise<RemoteRecipient[]> {
    const { friendships: f, remoteActors: r } = this.#db.t;
    const rows = await this.#db.q
      .select(this.#recipient())
      .from(f)
      .innerJoin(r, eq(r.id, f.friendId))
      .where(eq(f.userId, userId));
    return rows;
  }

  async remoteByIds(ids: string[]): Promise<RemoteRecipient[]> {
    if (!ids.length) return [];
    const { remoteActors: r } = this.#db.t;
    return this.#db.q.select(this.#recipient()).from(r).where(inArray(r.id, ids));
  }

  async remoteById(id: string): Promise<RemoteRecipient | null> {
    return (await this.remoteByIds([id]))[0] ?? null;
  }

  async requestUri(fromId: string, toId: string): Promise<string | null> {
    const { friendRequests: q } = this.#db.t;
    return (await this.#db.q.select({ u: q.uri }).from(q).where(and(eq(q.fromId, fromId), eq(q.toId, toId))))[0]?.u ?? null;
  }

  async setRequestUri(fromId: string, toId: string, uri: string): Promise<void> {
    const { friendRequests: q } = this.#db.t;
    await this.#db.tx(() => this.#db.w.update(q).set({ uri }).where(and(eq(q.fromId, fromId), eq(q.toId, toId))));
  }

  /** People of other servers who are members of a group here (they get everything posted in it). */
  async remoteMembers(groupId: string): Promise<RemoteRecipient[]> {
    const { groupMembers: m, remoteActors: r } = this.#db.t;
    const rows = await this.#db.q
      .select(this.#recipient())
      .from(m)
      .innerJoin(r, eq(r.id, m.userId))
      .where(eq(m.groupId, groupId));
    return rows;
  }

  /** People of other servers who follow a group here (they get its public posts). */
  async remoteGroupFollowers(groupId: string): Promise<RemoteRecipient[]> {
    const { groupFollows: f, remoteActors: r } = this.#db.t;
    const rows = await this.#db.q
      .select(this.#recipient())
      .from(f)
      .innerJoin(r, eq(r.id, f.userId))
      .where(eq(f.groupId, groupId));
    return rows;
  }

  /** Whether members here belong to (or follow) a group of another server: what it sends is worth keeping. */
  async groupHasLocalAudience(groupId: string, members: boolean): Promise<boolean> {
    const { groupMembers: m, groupFollows: f, users } = this.#db.t;
    const t = members ? m : f;
    const row = await this.#db.q
      .select({ id: t.userId })
      .from(t)
      .innerJoin(users, eq(users.id, t.userId))
      .where(and(eq(t.groupId, groupId), eq(users.status, 'active'), isNull(users.host)))
      .limit(1);
    return row.length > 0;
  }

  /** Whether a server (by host) has a member of a group (the group's fetches of its posts are allowed to it). */
  async hostHasMember(groupId: string, host: string): Promise<boolean> {
    const { groupMembers: m, remoteActors: r } = this.#db.t;
    const row = await this.#db.q.select({ id: m.userId }).from(m).innerJoin(r, eq(r.id, m.userId)).where(and(eq(m.groupId, groupId), eq(r.host, host))).limit(1);
    return row.length > 0;
  }

  /** Whether anyone here is a friend of a remote person (their posts are worth keeping). */
  async hasLocalFriend(remoteId: string): Promise<boolean> {
    const { friendships: f, users } = this.#db.t;
    const row = await this.#db.q
      .select({ id: f.userId })
      .from(f)
      .innerJoin(users, eq(users.id, f.userId))
      .where(and(eq(f.friendId, remoteId), eq(users.status, 'active'), isNull(users.host)))
      .limit(1);
    return row.length > 0;
  }
}
