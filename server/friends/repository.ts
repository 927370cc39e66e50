// Storage of the social graph: friend requests, friendships (one row per direction), blocks.
import { and, count, desc, eq, inArray, ne, notInArray, or, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { summaryFields, type SummaryColumns } from '../profiles/summary.ts';

export class FriendsRepository {
  readonly #db: Database;
  readonly #areFriends: (p: { a: string; b: string }) => Promise<unknown[]>;
  readonly #blocked: (p: { a: string; b: string }) => Promise<unknown[]>;

  constructor(db: Database) {
    this.#db = db;
    const { friendships: f, blocks: b } = db.t;
    this.#areFriends = db.prepared('are_friends', (q) =>
      q
        .select({ x: f.userId })
        .from(f)
        .where(and(eq(f.userId, sql.placeholder('a')), eq(f.friendId, sql.placeholder('b')))),
    );
    this.#blocked = db.prepared('blocked_either', (q) =>
      q
        .select({ x: b.blockerId })
        .from(b)
        .where(
          or(
            and(eq(b.blockerId, sql.placeholder('a')), eq(b.blockedId, sql.placeholder('b'))),
            and(eq(b.blockerId, sql.placeholder('b')), eq(b.blockedId, sql.placeholder('a'))),
          ),
        ),
    );
  }

  async areFriends(a: string, b: string): Promise<boolean> {
    return (await this.#areFriends({ a, b })).length > 0;
  }

  /** Whether either member blocked the other. */
  async blockedEither(a: string, b: string): Promise<boolean> {
    return (await this.#blocked({ a, b })).length > 0;
  }

  async hasBlocked(blocker: string, blocked: string): Promise<boolean> {
    const { blocks: b } = this.#db.t;
    return (await this.#db.q.select({ x: b.blockerId }).from(b).where(and(eq(b.blockerId, blocker), eq(b.blockedId, blocked)))).length > 0;
  }

  /** Ids of members who blocked this member or whom this member blocked. */
  async blockedIds(userId: string): Promise<string[]> {
    const { blocks: b } = this.#db.t;
    const rows = await this.#db.q
      .select({ blocker: b.blockerId, blocked: b.blockedId })
      .from(b)
      .where(or(eq(b.blockerId, userId), eq(b.blockedId, userId)));
    return [...new Set(rows.map((r) => (r.blocker === userId ? r.blocked : r.blocker)))];
  }

  async friendIds(userId: string): Promise<string[]> {
    const { friendships: f } = this.#db.t;
    return (await this.#db.q.select({ id: f.friendId }).from(f).where(eq(f.userId, userId))).map((r) => r.id);
  }

  async countFriends(userId: string): Promise<number> {
    const { friendships: f } = this.#db.t;
    return Number((await this.#db.q.select({ n: count() }).from(f).where(eq(f.userId, userId)))[0]?.n ?? 0);
  }

  /** Friends of a member, as summaries, by name; optionally leaving out some ids. */
  async friendsOf(userId: string, exclude: string[], limit: number, offset: number): Promise<SummaryColumns[]> {
    const { friendships: f, users } = this.#db.t;
    return this.#db.q
      .select(summaryFields(users))
      .from(f)
      .innerJoin(users, eq(users.id, f.friendId))
      .where(and(eq(f.userId, userId), eq(users.status, 'active'), exclude.length ? notInArray(users.id, exclude) : undefined))
      .orderBy(users.displayName, users.id)
      .limit(limit)
      .offset(offset);
  }

  async request(fromId: string, toId: string): Promise<{ createdAt: Date; uri: string | null } | undefined> {
    const { friendRequests: r } = this.#db.t;
    return (await this.#db.q.select({ createdAt: r.createdAt, uri: r.uri }).from(r).where(and(eq(r.fromId, fromId), eq(r.toId, toId))))[0];
  }

  /** Inserts a request (with the Follow that carries it, from another server); false if it exists. */
  async insertRequest(fromId: string, toId: string, at: Date, uri: string | null = null): Promise<boolean> {
    const { friendRequests: r } = this.#db.t;
    const rows = await this.#db.w.insert(r).values({ fromId, toId, createdAt: at, uri }).onConflictDoNothing().returning({ f: r.fromId });
    return rows.length > 0;
  }

  /** The Follows that carry a friendship with someone of another server: ours to them, theirs to us. */
  async followUris(a: string, b: string): Promise<{ ours: string | null; theirs: string | null }> {
    const { friendships: f } = this.#db.t;
    const rows = await this.#db.q
      .select({ u: f.userId, uri: f.followUri })
      .from(f)
      .where(or(and(eq(f.userId, a), eq(f.friendId, b)), and(eq(f.userId, b), eq(f.friendId, a))));
    return { ours: rows.find((r) => r.u === a)?.uri ?? null, theirs: rows.find((r) => r.u === b)?.uri ?? null };
  }

  /** Records the Follow from `from` to `to` that carries their friendship. */
  async setFollowUri(from: string, to: string, uri: string): Promise<void> {
    const { friendships: f } = this.#db.t;
    await this.#db.w.update(f).set({ followUri: uri }).where(and(eq(f.userId, from), eq(f.friendId, to)));
  }

  /** Deletes a request; false if there was none (already answered or cancelled). */
  async deleteRequest(fromId: string, toId: string): Promise<boolean> {
    const { friendRequests: r } = this.#db.t;
    return (await this.#db.w.delete(r).where(and(eq(r.fromId, fromId), eq(r.toId, toId))).returning({ f: r.fromId })).length > 0;
  }

  async insertFriendship(a: string, b: string, at: Date): Promise<void> {
    const { friendships: f } = this.#db.t;
    await this.#db.w
      .insert(f)
      .values([
        { userId: a, friendId: b, since: at },
        { userId: b, friendId: a, since: at },
      ])
      .onConflictDoNothing();
  }

  /** Removes a friendship (both rows); false if there was none. */
  async deleteFriendship(a: string, b: string): Promise<boolean> {
    const { friendships: f } = this.#db.t;
    const rows = await this.#db.w
      .delete(f)
      .where(or(and(eq(f.userId, a), eq(f.friendId, b)), and(eq(f.userId, b), eq(f.friendId, a))))
      .returning({ u: f.userId });
    return rows.length > 0;
  }

  async insertBlock(blocker: string, blocked: string, at: Date): Promise<void> {
    const { blocks: b, friendRequests: r } = this.#db.t;
    await this.#db.w.insert(b).values({ blockerId: blocker, blockedId: blocked, createdAt: at }).onConflictDoNothing();
    await this.#db.w.delete(r).where(or(and(eq(r.fromId, blocker), eq(r.toId, blocked)), and(eq(r.fromId, blocked), eq(r.toId, blocker))));
    await this.deleteFriendship(blocker, blocked);
  }

  async deleteBlock(blocker: string, blocked: string): Promise<boolean> {
    const { blocks: b } = this.#db.t;
    return (await this.#db.w.delete(b).where(and(eq(b.blockerId, blocker), eq(b.blockedId, blocked))).returning({ x: b.blockerId })).length > 0;
  }

  /** Requests received (incoming) or sent (outgoing), newest first, with the other member. */
  async requests(userId: string, direction: 'incoming' | 'outgoing'): Promise<(SummaryColumns & { createdAt: Date })[]> {
    const { friendRequests: r, users } = this.#db.t;
    const mine = direction === 'incoming' ? r.toId : r.fromId;
    const other = direction === 'incoming' ? r.fromId : r.toId;
    return this.#db.q
      .select({ ...summaryFields(users), createdAt: r.createdAt })
      .from(r)
      .innerJoin(users, eq(users.id, other))
      .where(and(eq(mine, userId), eq(users.status, 'active')))
      .orderBy(desc(r.createdAt))
      .limit(200);
  }

  async blockedBy(userId: string): Promise<(SummaryColumns & { createdAt: Date })[]> {
    const { blocks: b, users } = this.#db.t;
    return this.#db.q
      .select({ ...summaryFields(users), createdAt: b.createdAt })
      .from(b)
      .innerJoin(users, eq(users.id, b.blockedId))
      .where(eq(b.blockerId, userId))
      .orderBy(desc(b.createdAt));
  }

  /** How many friends two members have in common. */
  async mutualCount(a: string, b: string): Promise<number> {
    const { friendships: f } = this.#db.t;
    const theirs = this.#db.q.select({ id: f.friendId }).from(f).where(eq(f.userId, b));
    const rows = await this.#db.q
      .select({ n: count() })
      .from(f)
      .where(and(eq(f.userId, a), inArray(f.friendId, theirs)));
    return Number(rows[0]?.n ?? 0);
  }

  /** Friends of my friends who are not my friends, ranked by how many friends we share. */
  async friendsOfFriends(userId: string, exclude: string[], limit: number): Promise<{ id: string; mutual: number }[]> {
    const { friendships: f } = this.#db.t;
    const f2 = sql`friendships`;
    const rows = await this.#db.all<{ id: string; mutual: number | string }>(sql`
      select fof.friend_id as id, count(*) as mutual
      from ${f} mine join ${f2} fof on fof.user_id = mine.friend_id
      where mine.user_id = ${userId} and fof.friend_id <> ${userId}
        and fof.friend_id not in (select friend_id from ${f} where user_id = ${userId})
        ${exclude.length ? sql`and fof.friend_id not in (${sql.join(exclude.map((e) => sql`${e}`), sql`, `)})` : sql``}
      group by fof.friend_id
      order by mutual desc, fof.friend_id
      limit ${limit}`);
    return rows.map((r) => ({ id: r.id, mutual: Number(r.mutual) }));
  }

  /** Members who share a group with this member (not friends yet), by number of shared groups. */
  async sameGroups(userId: string, exclude: string[], limit: number): Promise<{ id: string; shared: number }[]> {
    const { groupMembers: m, friendships: f } = this.#db.t;
    const rows = await this.#db.all<{ id: string; shared: number | string }>(sql`
      select other.user_id as id, count(*) as shared
      from ${m} mine join ${m} other on other.group_id = mine.group_id
      where mine.user_id = ${userId} and other.user_id <> ${userId}
        and other.user_id not in (select friend_id from ${f} where user_id = ${userId})
        ${exclude.length ? sql`and other.user_id not in (${sql.join(exclude.map((e) => sql`${e}`), sql`, `)})` : sql``}
      group by other.user_id
      order by shared desc, other.user_id
      limit ${limit}`);
    return rows.map((r) => ({ id: r.id, shared: Number(r.shared) }));
  }

  /** Members around a point (bounding box), searchable and active, optionally with a skill. */
  async nearby(center: { lat: number; lon: number }, km: number, opts: { exclude: string[]; skill?: string; limit: number }) {
    const { users } = this.#db.t;
    const dLat = km / 111;
    const dLon = km / (111 * Math.max(0.2, Math.cos((center.lat * Math.PI) / 180)));
    return this.#db.q
      .select({ ...summaryFields(users), lat: users.lat, lon: users.lon, skills: users.skills, showCommune: users.showCommune })
      .from(users)
      .where(
        and(
          eq(users.status, 'active'),
          eq(users.searchable, true),
          sql`${users.lat} between ${center.lat - dLat} and ${center.lat + dLat}`,
          sql`${users.lon} between ${center.lon - dLon} and ${center.lon + dLon}`,
          opts.exclude.length ? notInArray(users.id, opts.exclude) : undefined,
          opts.skill ? sql`${users.skills} like ${`%"${opts.skill}"%`}` : undefined,
        ),
      )
      .limit(opts.limit);
  }

  /** Summaries of members by id: active ones who accept to appear in suggestions. */
  async suggestable(ids: string[]): Promise<SummaryColumns[]> {
    if (!ids.length) return [];
    const { users } = this.#db.t;
    return this.#db.q
      .select(summaryFields(users))
      .from(users)
      .where(and(inArray(users.id, ids), eq(users.status, 'active'), ne(users.searchable, false)));
  }
}
