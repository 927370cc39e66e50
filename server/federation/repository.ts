// Queries of the federation layer: who of another server should receive what.
import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import type { RemoteActorRow } from './actors.ts';

export interface RemoteRecipient {
  /** Our row id. */
  id: string;
  uri: string;
  inbox: string;
  sharedInbox: string | null;
  host: string;
}

const toRecipient = (r: Pick<RemoteActorRow, 'id' | 'uri' | 'inbox' | 'sharedInbox' | 'host'>): RemoteRecipient => ({
  id: r.id,
  uri: r.uri,
  inbox: r.inbox,
  sharedInbox: r.sharedInbox,
  host: r.host,
});

export class FederationRepository {
  readonly #db: Database;
  constructor(db: Database) {
    this.#db = db;
  }

  /** The friends of a member who live on other servers. */
  async remoteFriends(userId: string): Promise<RemoteRecipient[]> {
    const { friendships: f, remoteActors: r } = this.#db.t;
    const rows = await this.#db.q
      .select({ id: r.id, uri: r.uri, inbox: r.inbox, sharedInbox: r.sharedInbox, host: r.host })
      .from(f)
      .innerJoin(r, eq(r.id, f.friendId))
      .where(eq(f.userId, userId));
    return rows.map(toRecipient);
  }

  async remoteByIds(ids: string[]): Promise<RemoteRecipient[]> {
    if (!ids.length) return [];
    const { remoteActors: r } = this.#db.t;
    return (await this.#db.q.select().from(r).where(inArray(r.id, ids))).map(toRecipient);
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
