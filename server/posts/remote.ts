// Posts, comments and likes that arrive from other servers (decision 0017). The federation layer
// has checked the signature, the policy and that the author is who sent it, resolved the author to
// our row and cleaned the HTML; here the same rules as for members apply: a comment only on a post
// its author may see, nothing across a block, mentions notified to those who may see the post.
import { and, eq } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import type { EventBus } from '../events.ts';
import { newId } from '../accounts/secrets.ts';
import { normalizeForSearch } from '../search/normalize.ts';
import type { NotificationService } from '../notifications/service.ts';
import type { FriendsRepository } from '../friends/repository.ts';
import type { AudienceRules } from './audience.ts';
import type { CommentRow, PostRow, PostsRepository } from './repository.ts';

export interface RemoteText {
  uri: string;
  url: string | null;
  /** Sanitised HTML. */
  html: string;
  /** Plain text (search, excerpts). */
  text: string;
  createdAt: Date;
  editedAt: Date | null;
  /** Our members (and known remote people) it mentions. */
  mentionIds: string[];
}

export interface RemotePostInput extends RemoteText {
  /** 'group': written in a group (groupId), for its members. */
  audience: 'public' | 'friends' | 'group';
  groupId?: string | null;
  hashtags: string[];
  /** Pictures: their addresses on the author's server (shown through our media proxy). */
  images: { url: string; alt: string }[];
}

export class RemotePosts {
  readonly #db: Database;
  readonly #repo: PostsRepository;
  readonly #audience: AudienceRules;
  readonly #friends: FriendsRepository;
  readonly #notifications: NotificationService;
  readonly #bus: EventBus;

  constructor(d: { db: Database; repo: PostsRepository; audience: AudienceRules; friends: FriendsRepository; notifications: NotificationService; bus: EventBus }) {
    this.#db = d.db;
    this.#repo = d.repo;
    this.#audience = d.audience;
    this.#friends = d.friends;
    this.#notifications = d.notifications;
    this.#bus = d.bus;
  }

  async byUri(uri: string): Promise<PostRow | undefined> {
    const { posts } = this.#db.t;
    return (await this.#db.q.select().from(posts).where(eq(posts.uri, uri)))[0];
  }

  async commentByUri(uri: string) {
    const { comments } = this.#db.t;
    return (await this.#db.q.select().from(comments).where(eq(comments.uri, uri)))[0];
  }

  /** Stores (or, from its author, updates) a post of another server; returns its id here. */
  async storePost(authorId: string, v: RemotePostInput): Promise<string> {
    const existing = await this.byUri(v.uri);
    if (existing) {
      if (existing.authorId !== authorId) return existing.id; // only its author changes it
      await this.#db.tx(async () => {
        await this.#repo.update(existing.id, { html: v.html, searchText: normalizeForSearch(v.text), editedAt: v.editedAt ?? new Date() });
        await this.#repo.setHashtags(existing.id, v.hashtags);
      });
      this.#bus.emit('post.updated', { postId: existing.id });
      return existing.id;
    }
    const id = newId();
    await this.#db.tx(async () => {
      const post = await this.#repo.insert({
        id,
        authorId,
        groupId: v.groupId ?? null,
        audience: v.audience,
        source: v.text,
        html: v.html,
        searchText: normalizeForSearch(v.text),
        uri: v.uri,
        url: v.url,
        createdAt: v.createdAt,
        editedAt: v.editedAt,
      });
      await this.#repo.insertImages(v.images.slice(0, 4).map((img, i) => ({ id: newId(), postId: id, mediaKey: `remote:${img.url}`, width: 0, height: 0, alt: img.alt.slice(0, 500), position: i })));
      await this.#repo.setHashtags(id, v.hashtags);
      const visible: string[] = [];
      for (const userId of v.mentionIds) if (userId !== authorId && (await this.#audience.canSee(userId, post))) visible.push(userId);
      await this.#repo.setMentions(id, visible);
      for (const userId of visible) await this.#notifications.notify({ userId, type: 'mention', actorId: authorId, postId: id });
    });
    const friends = v.groupId ? [] : await this.#friends.friendIds(authorId);
    this.#bus.emit('post.created', { postId: id, userIds: friends, groupId: v.groupId ?? null, audience: v.audience });
    return id;
  }

  /**
   * A reply from another server to a post here (ours or one we keep), as a comment; `parentId`
   * when it answers a comment. Null when its author may not see the post (or is blocked by its author).
   */
  async storeComment(authorId: string, post: PostRow, parentId: string | null, v: RemoteText, opts: { vouchedByGroup?: boolean } = {}): Promise<string | null> {
    const existing = await this.commentByUri(v.uri);
    if (existing) {
      if (existing.authorId !== authorId) return existing.id;
      await this.#db.tx(() => this.#repo.updateComment(existing.id, { source: v.text, html: v.html, editedAt: v.editedAt ?? new Date() }));
      return existing.id;
    }
    // A comment in a group of another server comes through the group, which knows its members (we
    // know only ours): the group vouches that its author may see the post.
    if (!opts.vouchedByGroup && !(await this.#audience.canSee(authorId, post))) return null;
    if (await this.#friends.blockedEither(authorId, post.authorId)) return null;
    let parent = parentId ? await this.#repo.comment(parentId) : null;
    if (parent && parent.postId !== post.id) parent = null;
    if (parent?.parentId) parent = (await this.#repo.comment(parent.parentId)) ?? parent;
    const id = newId();
    await this.#db.tx(async () => {
      await this.#repo.insertComment({ id, postId: post.id, authorId, parentId: parent?.id ?? null, source: v.text, html: v.html, uri: v.uri, createdAt: v.createdAt, editedAt: v.editedAt });
      const told = new Set<string>([authorId]);
      if (!told.has(post.authorId)) {
        await this.#notifications.notify({ userId: post.authorId, type: 'comment', actorId: authorId, postId: post.id, commentId: id });
        told.add(post.authorId);
      }
      if (parent && !told.has(parent.authorId) && (await this.#audience.canSee(parent.authorId, post))) {
        await this.#notifications.notify({ userId: parent.authorId, type: 'reply', actorId: authorId, postId: post.id, commentId: id });
        told.add(parent.authorId);
      }
      for (const userId of v.mentionIds)
        if (!told.has(userId) && (await this.#audience.canSee(userId, post))) await this.#notifications.notify({ userId, type: 'mention', actorId: authorId, postId: post.id, commentId: id });
    });
    // Our members' other remote friends hear of it like of a member's comment.
    this.#bus.emit('comment.created', { commentId: id, postId: post.id });
    return id;
  }

  /** Deletes a post or comment of another server, asked by its author. */
  deleteByUri(authorId: string, uri: string): Promise<boolean> {
    return this.#deleteIf(uri, async (x) => ('post' in x ? x.post.authorId : x.comment.authorId) === authorId);
  }

  /** Deletes a post or comment in a group of another server, asked by the group (its moderators, or relaying its author). */
  deleteInGroup(groupId: string, uri: string): Promise<boolean> {
    return this.#deleteIf(uri, async (x) => ('post' in x ? x.post.groupId : (await this.#repo.byId(x.comment.postId))?.groupId) === groupId);
  }

  /** Deletes the post, or else the comment, of another server with this address, if `may` allows it. */
  async #deleteIf(uri: string, may: (x: { post: PostRow } | { comment: CommentRow }) => Promise<boolean>): Promise<boolean> {
    const post = await this.byUri(uri);
    if (post) {
      if (!(await may({ post }))) return false;
      await this.#db.tx(() => this.#repo.delete(post.id));
      return true;
    }
    const comment = await this.commentByUri(uri);
    if (!comment || !(await may({ comment }))) return false;
    await this.#db.tx(() => this.#repo.deleteComment(comment));
    return true;
  }

  /** A like (or its Undo) from someone of another server, on a post they may see. */
  async like(userId: string, post: PostRow, uri: string | null, on: boolean): Promise<void> {
    if (!(await this.#audience.canSee(userId, post))) return;
    if (on && (await this.#friends.blockedEither(userId, post.authorId))) return;
    await this.#db.tx(async () => {
      const changed = await this.#repo.setLike(post.id, userId, on, new Date());
      if (changed && on) {
        if (uri) {
          const { likes } = this.#db.t;
          await this.#db.w.update(likes).set({ uri }).where(and(eq(likes.postId, post.id), eq(likes.userId, userId)));
        }
        await this.#notifications.notify({ userId: post.authorId, type: 'like', actorId: userId, postId: post.id });
      }
    });
  }

  /** Which post a Like's Undo was about (by the Like's id). */
  async likedByUri(uri: string): Promise<{ postId: string; userId: string } | undefined> {
    const { likes } = this.#db.t;
    return (await this.#db.q.select({ postId: likes.postId, userId: likes.userId }).from(likes).where(eq(likes.uri, uri)))[0];
  }
}
