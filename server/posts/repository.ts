// Storage of posts, their pictures, mentions, hashtags, comments and likes.
import { and, asc, desc, eq, inArray, lt, or, Param, sql, type SQL } from 'drizzle-orm';
import type { Database, Schema } from '../db/client.ts';
import { summaryFields, type SummaryColumns } from '../profiles/summary.ts';

export type PostRow = Schema['posts']['$inferSelect'];
export type NewPost = Schema['posts']['$inferInsert'];
export type CommentRow = Schema['comments']['$inferSelect'];
export type ImageRow = Schema['postImages']['$inferSelect'];

/** A page position: the last item's time and id (ids break ties). */
export interface Cursor {
  at: Date;
  id: string;
}

export interface PostWithAuthor {
  post: PostRow;
  author: SummaryColumns;
  group: { id: string; handle: string; name: string } | null;
}

export class PostsRepository {
  readonly #db: Database;
  constructor(db: Database) {
    this.#db = db;
  }

  get db(): Database {
    return this.#db;
  }

  async byId(id: string): Promise<PostRow | undefined> {
    const { posts } = this.#db.t;
    return (await this.#db.q.select().from(posts).where(eq(posts.id, id)))[0];
  }

  async insert(post: NewPost): Promise<PostRow> {
    const { posts } = this.#db.t;
    return (await this.#db.w.insert(posts).values(post).returning())[0];
  }

  async update(id: string, patch: Partial<NewPost>): Promise<PostRow | undefined> {
    const { posts } = this.#db.t;
    return (await this.#db.w.update(posts).set(patch).where(eq(posts.id, id)).returning())[0];
  }

  async delete(id: string): Promise<ImageRow[]> {
    const { posts, postImages } = this.#db.t;
    const images = await this.#db.q.select().from(postImages).where(eq(postImages.postId, id));
    await this.#db.w.delete(posts).where(eq(posts.id, id));
    return images;
  }

  async insertImages(rows: ImageRow[]): Promise<void> {
    if (!rows.length) return;
    const { postImages } = this.#db.t;
    await this.#db.w.insert(postImages).values(rows);
  }

  async setMentions(postId: string, userIds: string[]): Promise<void> {
    const { postMentions: m } = this.#db.t;
    await this.#db.w.delete(m).where(eq(m.postId, postId));
    if (userIds.length) await this.#db.w.insert(m).values(userIds.map((userId) => ({ postId, userId }))).onConflictDoNothing();
  }

  async hashtagsOf(postId: string): Promise<string[]> {
    const { postHashtags: h } = this.#db.t;
    return (await this.#db.q.select({ tag: h.tag }).from(h).where(eq(h.postId, postId))).map((r) => r.tag);
  }

  async mentionedIds(postId: string): Promise<string[]> {
    const { postMentions: m } = this.#db.t;
    return (await this.#db.q.select({ id: m.userId }).from(m).where(eq(m.postId, postId))).map((r) => r.id);
  }

  async setHashtags(postId: string, tags: string[]): Promise<void> {
    const { postHashtags: h } = this.#db.t;
    await this.#db.w.delete(h).where(eq(h.postId, postId));
    if (tags.length) await this.#db.w.insert(h).values(tags.map((tag) => ({ postId, tag }))).onConflictDoNothing();
  }

  /**
   * The ids of the next `limit` posts of a member's home feed, newest first: their own posts,
   * their friends' personal posts (public or friends), the posts of their groups, and the public
   * posts of the groups they follow. Candidates only: the audience rule (suspended and blocked
   * authors included) is applied by the caller.
   *
   * Each source is a join that walks an index from the member (friendships → posts by author;
   * memberships → posts by group), so the cost grows with the posts of the member's circles,
   * never with the size of the instance; one OR over all sources would scan the whole table.
   * `since` bounds the walk to a time window (see PostService.feed).
   */
  async feedIds(userId: string, cursor: Cursor | null, limit: number, since: Date | null = null): Promise<string[]> {
    const { posts: p, friendships: f, groupMembers: m, groupFollows: gf } = this.#db.t;
    const at = cursor ? new Param(cursor.at, p.createdAt) : null;
    const after = sql`${cursor ? sql` and (${p.createdAt}, ${p.id}) < (${at}, ${cursor.id})` : sql``}${
      since ? sql` and ${p.createdAt} >= ${new Param(since, p.createdAt)}` : sql``
    }`;
    const rows = await this.#db.all<{ id: string }>(sql`
      select id from (
        select ${p.id} as id, ${p.createdAt} as at from ${p}
          where ${p.authorId} = ${userId} and ${p.groupId} is null${after}
        union
        select ${p.id}, ${p.createdAt} from ${f} join ${p} on ${p.authorId} = ${f.friendId}
          where ${f.userId} = ${userId} and ${p.groupId} is null and ${p.audience} in ('public', 'friends')${after}
        union
        select ${p.id}, ${p.createdAt} from ${m} join ${p} on ${p.groupId} = ${m.groupId}
          where ${m.userId} = ${userId}${after}
        union
        select ${p.id}, ${p.createdAt} from ${gf} join ${p} on ${p.groupId} = ${gf.groupId}
          where ${gf.userId} = ${userId} and ${p.audience} = 'public'${after}
      ) feed
      order by at desc, id desc
      limit ${limit}`);
    return rows.map((r) => r.id);
  }

  /**
   * A page of posts matching `where` (already including the audience rule), newest first,
   * with their author and group.
   */
  async page(where: SQL | undefined, cursor: Cursor | null, limit: number): Promise<PostWithAuthor[]> {
    const { posts, users, groups } = this.#db.t;
    const after = cursor ? or(lt(posts.createdAt, cursor.at), and(eq(posts.createdAt, cursor.at), lt(posts.id, cursor.id))) : undefined;
    const rows = await this.#db.q
      .select({ post: posts, author: summaryFields(users), groupId: groups.id, groupHandle: groups.handle, groupName: groups.name })
      .from(posts)
      .innerJoin(users, eq(users.id, posts.authorId))
      .leftJoin(groups, eq(groups.id, posts.groupId))
      .where(and(where, after))
      .orderBy(desc(posts.createdAt), desc(posts.id))
      .limit(limit);
    return rows.map((r) => ({
      post: r.post,
      author: r.author,
      group: r.groupId ? { id: r.groupId, handle: r.groupHandle!, name: r.groupName! } : null,
    }));
  }

  async images(postIds: string[]): Promise<ImageRow[]> {
    if (!postIds.length) return [];
    const { postImages } = this.#db.t;
    return this.#db.q.select().from(postImages).where(inArray(postImages.postId, postIds)).orderBy(asc(postImages.position));
  }

  async likedBy(userId: string, postIds: string[]): Promise<Set<string>> {
    if (!postIds.length) return new Set();
    const { likes } = this.#db.t;
    const rows = await this.#db.q
      .select({ p: likes.postId })
      .from(likes)
      .where(and(eq(likes.userId, userId), inArray(likes.postId, postIds)));
    return new Set(rows.map((r) => r.p));
  }

  /** Adds or removes a like and keeps the count; returns whether anything changed. */
  async setLike(postId: string, userId: string, like: boolean, at: Date): Promise<boolean> {
    const { likes, posts } = this.#db.t;
    const changed = like
      ? (await this.#db.w.insert(likes).values({ postId, userId, createdAt: at }).onConflictDoNothing().returning({ p: likes.postId })).length > 0
      : (await this.#db.w.delete(likes).where(and(eq(likes.postId, postId), eq(likes.userId, userId))).returning({ p: likes.postId })).length > 0;
    if (changed) {
      await this.#db.w
        .update(posts)
        .set({ likeCount: sql`${posts.likeCount} ${like ? sql`+` : sql`-`} 1` })
        .where(eq(posts.id, postId));
    }
    return changed;
  }

  // Comments

  async comment(id: string): Promise<CommentRow | undefined> {
    const { comments } = this.#db.t;
    return (await this.#db.q.select().from(comments).where(eq(comments.id, id)))[0];
  }

  async insertComment(row: Omit<CommentRow, 'uri'> & { uri?: string | null }): Promise<void> {
    const { comments, posts } = this.#db.t;
    await this.#db.w.insert(comments).values(row);
    await this.#db.w.update(posts).set({ commentCount: sql`${posts.commentCount} + 1` }).where(eq(posts.id, row.postId));
  }

  async updateComment(id: string, patch: Partial<CommentRow>): Promise<void> {
    const { comments } = this.#db.t;
    await this.#db.w.update(comments).set(patch).where(eq(comments.id, id));
  }

  /** Deletes a comment and its replies; keeps the post's count. */
  async deleteComment(comment: CommentRow): Promise<void> {
    const { comments, posts } = this.#db.t;
    const removed = await this.#db.w
      .delete(comments)
      .where(or(eq(comments.id, comment.id), eq(comments.parentId, comment.id)))
      .returning({ id: comments.id });
    await this.#db.w
      .update(posts)
      .set({ commentCount: sql`${posts.commentCount} - ${removed.length}` })
      .where(eq(posts.id, comment.postId));
  }

  /** The comments of a post, oldest first, with authors (blocked authors left out by the caller's list). */
  async comments(postId: string, exclude: string[]): Promise<(CommentRow & { author: SummaryColumns })[]> {
    const { comments, users } = this.#db.t;
    const rows = await this.#db.q
      .select({ comment: comments, author: summaryFields(users) })
      .from(comments)
      .innerJoin(users, eq(users.id, comments.authorId))
      .where(and(eq(comments.postId, postId), eq(users.status, 'active'), exclude.length ? sql`${comments.authorId} not in (${sql.join(exclude.map((e) => sql`${e}`), sql`, `)})` : undefined))
      .orderBy(asc(comments.createdAt), asc(comments.id))
      .limit(500);
    return rows.map((r) => ({ ...r.comment, author: r.author }));
  }

  /** Post ids whose text matches the search words (full-text index of each dialect). */
  /** The newest public posts whose text has every word (each as a prefix). */
  async searchIds(words: string[], limit: number): Promise<string[]> {
    if (!words.length) return [];
    if (this.#db.dialect === 'sqlite') {
      // Each word quoted (no FTS syntax from members), as a prefix, all required.
      const match = words.map((w) => `"${w.replace(/"/g, '""')}"*`).join(' ');
      const rows = await this.#db.all<{ id: string }>(sql`
        select m.post_id as id from posts_fts f join posts_search_rowids m on m.rowid = f.rowid
          join posts p on p.id = m.post_id
        where posts_fts match ${match} and p.audience = 'public' order by f.rowid desc limit ${limit}`);
      return rows.map((r) => r.id);
    }
    const query = words.map((w) => `${w.replace(/[^\p{L}\p{N}_]/gu, '')}:*`).join(' & ');
    const rows = await this.#db.all<{ id: string }>(sql`
      select id from posts where to_tsvector('simple', search_text) @@ to_tsquery('simple', ${query}) and audience = 'public'
      order by created_at desc limit ${limit}`);
    return rows.map((r) => r.id);
  }

  /** Hashtags starting with a prefix, with how many posts use them. */
  async hashtags(prefix: string, limit: number): Promise<{ tag: string; uses: number }[]> {
    const { postHashtags: h } = this.#db.t;
    const rows = await this.#db.q
      .select({ tag: h.tag, uses: sql<number>`count(*)`.mapWith(Number) })
      .from(h)
      .where(sql`${h.tag} like ${`${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`} escape '\\'`)
      .groupBy(h.tag)
      .orderBy(desc(sql`count(*)`))
      .limit(limit);
    return rows;
  }
}
