// Posts, comments and likes. A post goes to one audience — public, friends, a group's members,
// or only its author — and every read goes through AudienceRules. Text is safe Markdown;
// pictures are re-encoded without metadata.
import { and, eq, inArray, isNull, notInArray, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import type { EventBus } from '../events.ts';
import { fail } from '../errors.ts';
import { parse } from '../validation.ts';
import { type Actor, requireActor } from '../accounts/actor.ts';
import type { AccountsRepository } from '../accounts/repository.ts';
import { newId } from '../accounts/secrets.ts';
import type { FriendsRepository } from '../friends/repository.ts';
import type { GroupsRepository } from '../groups/repository.ts';
import { processPostImage } from '../media/images.ts';
import type { MediaStore } from '../media/store.ts';
import type { NotificationService } from '../notifications/service.ts';
import { memberSummary, type MemberSummary } from '../profiles/summary.ts';
import type { RateLimits } from '../security/rate-limits.ts';
import { normalizeForSearch, searchTerms } from '../search/normalize.ts';
import { MAX_SOURCE_LENGTH, normaliseTag, renderMarkdown, type RenderedText } from './markdown.ts';
import type { Audience, AudienceRules } from './audience.ts';
import type { Cursor, PostRow, PostWithAuthor, PostsRepository } from './repository.ts';

export const MAX_IMAGES = 4;
export const COMMENT_MAX = 2000;
const PAGE = 20;

export interface PostView {
  id: string;
  author: MemberSummary;
  group: { id: string; handle: string; name: string } | null;
  audience: Audience;
  html: string;
  createdAt: Date;
  editedAt: Date | null;
  images: { url: string; width: number; height: number; alt: string }[];
  likeCount: number;
  commentCount: number;
  likedByMe: boolean;
  canEdit: boolean;
  canDelete: boolean;
}

export interface CommentView {
  id: string;
  author: MemberSummary;
  html: string;
  createdAt: Date;
  editedAt: Date | null;
  canEdit: boolean;
  canDelete: boolean;
  replies: CommentView[];
}

export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface UploadedImage {
  bytes: Buffer;
  alt?: string;
}

const body = (max: number) =>
  z
    .string({ error: 'post.body_required' })
    .transform((s) => s.normalize('NFC').replace(/\r\n?/g, '\n').trim())
    .pipe(z.string().max(max, 'post.body_too_long'));

const createSchema = z.object({
  body: body(MAX_SOURCE_LENGTH),
  audience: z.enum(['public', 'friends', 'group', 'private'], { error: 'post.audience_invalid' }),
  groupId: z.string().max(64).optional().nullable(),
});
const editSchema = z.object({ body: body(MAX_SOURCE_LENGTH) });
const commentSchema = z.object({
  body: body(COMMENT_MAX).pipe(z.string().min(1, 'post.body_required')),
  parentId: z.string().max(64).optional().nullable(),
});
const cursorSchema = z
  .string()
  .regex(/^\d{1,15}_[a-z0-9]{1,32}$/)
  .transform((c): Cursor => {
    const [ms, id] = c.split('_');
    return { at: new Date(Number(ms)), id };
  });

export function encodeCursor(post: { createdAt: Date; id: string }): string {
  return `${post.createdAt.getTime()}_${post.id}`;
}

function decodeCursor(raw: unknown): Cursor | null {
  if (raw === undefined || raw === null || raw === '') return null;
  const r = cursorSchema.safeParse(raw);
  if (!r.success) throw fail.invalid({ cursor: 'validation.invalid' });
  return r.data;
}

export class PostService {
  readonly #db: Database;
  readonly #repo: PostsRepository;
  readonly #audience: AudienceRules;
  readonly #friends: FriendsRepository;
  readonly #groups: GroupsRepository;
  readonly #accounts: AccountsRepository;
  readonly #notifications: NotificationService;
  readonly #media: MediaStore;
  readonly #limits: RateLimits;
  readonly #events: EventBus;

  constructor(d: {
    db: Database;
    repo: PostsRepository;
    audience: AudienceRules;
    friends: FriendsRepository;
    groups: GroupsRepository;
    accounts: AccountsRepository;
    notifications: NotificationService;
    media: MediaStore;
    limits: RateLimits;
    events: EventBus;
  }) {
    this.#db = d.db;
    this.#repo = d.repo;
    this.#audience = d.audience;
    this.#friends = d.friends;
    this.#groups = d.groups;
    this.#accounts = d.accounts;
    this.#notifications = d.notifications;
    this.#media = d.media;
    this.#limits = d.limits;
    this.#events = d.events;
  }

  /** Pictures of posts from other servers ("remote:<address>") go through the media proxy, if any. */
  #remoteImage: (url: string) => string | null = () => null;
  #hiddenHosts: () => Promise<string[]> = async () => [];
  /** The servers whose posts stay out of public lists (the federation policy's silenced and blocked ones). */
  useHiddenHosts(hosts: () => Promise<string[]>): void {
    this.#hiddenHosts = hosts;
  }
  /** Keeps public lists to members and to servers that are not silenced. */
  async #notHidden(): Promise<SQL | undefined> {
    const hidden = await this.#hiddenHosts();
    if (!hidden.length) return undefined;
    const { users } = this.#db.t;
    return or(isNull(users.host), notInArray(users.host, hidden));
  }

  useRemoteMedia(urlFor: (url: string) => string | null): void {
    this.#remoteImage = urlFor;
  }
  #imageUrl(mediaKey: string): string | null {
    return mediaKey.startsWith('remote:') ? this.#remoteImage(mediaKey.slice(7)) : `/media/${mediaKey}`;
  }

  /** Renders text, linking mentions of existing, active members only. */
  async #render(source: string): Promise<RenderedText & { mentionIds: string[] }> {
    // First pass finds the names; the second links those that exist.
    // Local names, and name@host of people of other servers already known here.
    const names = renderMarkdown(source).mentions;
    const found = new Map<string, string>();
    for (const name of names.slice(0, 20)) {
      const user = await this.#accounts.userByUsername(name);
      if (user && user.status === 'active') found.set(name, user.id);
    }
    const rendered = renderMarkdown(source, { resolveMention: (n) => (found.has(n) ? `/@${n}` : null), hashtagBase: '/tags/' });
    return { ...rendered, mentionIds: [...found.values()] };
  }

  async #canModerateGroupPost(actor: Actor, post: PostRow): Promise<boolean> {
    if (!post.groupId) return false;
    const role = await this.#groups.role(post.groupId, actor.userId);
    return role === 'organizer' || role === 'admin';
  }

  async #views(viewer: Actor | null, rows: PostWithAuthor[]): Promise<PostView[]> {
    const ids = rows.map((r) => r.post.id);
    const [images, liked] = await Promise.all([this.#repo.images(ids), viewer ? this.#repo.likedBy(viewer.userId, ids) : Promise.resolve(new Set<string>())]);
    const staff = viewer?.role === 'admin' || viewer?.role === 'moderator';
    // One role lookup per group on the page, not one per post.
    const roles = new Map<string, Promise<boolean>>();
    const moderates = (post: PostRow) => {
      if (!viewer || !post.groupId) return Promise.resolve(false);
      if (!roles.has(post.groupId)) roles.set(post.groupId, this.#canModerateGroupPost(viewer, post));
      return roles.get(post.groupId)!;
    };
    const out: PostView[] = [];
    for (const { post, author, group } of rows) {
      const mine = viewer?.userId === post.authorId;
      out.push({
        id: post.id,
        author: memberSummary(author),
        group,
        audience: post.audience,
        html: post.html,
        createdAt: post.createdAt,
        editedAt: post.editedAt,
        images: images
          .filter((i) => i.postId === post.id)
          .map((i) => ({ url: this.#imageUrl(i.mediaKey), width: i.width, height: i.height, alt: i.alt }))
          .filter((i): i is typeof i & { url: string } => i.url !== null),
        likeCount: post.likeCount,
        commentCount: post.commentCount,
        likedByMe: liked.has(post.id),
        canEdit: mine,
        canDelete: mine || staff || (await moderates(post)),
      });
    }
    return out;
  }

  async #pageOf(viewer: Actor | null, where: SQL | undefined, cursor: unknown, limit = PAGE): Promise<Page<PostView>> {
    const rows = await this.#repo.page(and(where, this.#audience.visibleTo(viewer?.userId ?? null)), decodeCursor(cursor), limit + 1);
    const items = await this.#views(viewer, rows.slice(0, limit));
    return { items, next: rows.length > limit ? encodeCursor(rows[limit - 1].post) : null };
  }

  /** A post, if the viewer may see it; "not found" otherwise (existence is not revealed). */
  async get(viewer: Actor | null, postId: string): Promise<PostView> {
    const post = typeof postId === 'string' && postId.length <= 64 ? await this.#repo.byId(postId) : undefined;
    if (!post || !(await this.#audience.canSee(viewer?.userId ?? null, post))) throw fail.notFound();
    const { posts } = this.#db.t;
    const [row] = await this.#repo.page(eq(posts.id, post.id), null, 1);
    return (await this.#views(viewer, [row]))[0];
  }

  /** The Markdown source of the actor's own post, for the edit form. */
  async source(actor: Actor | null, postId: string): Promise<string> {
    const a = requireActor(actor);
    const post = await this.#visiblePost(a, postId);
    if (post.authorId !== a.userId) throw fail.forbidden();
    return post.source;
  }

  /** Writes a post (with up to four pictures). Group posts need membership. */
  async create(actor: Actor | null, input: unknown, images: UploadedImage[] = []): Promise<PostView> {
    const a = requireActor(actor);
    const v = parse(createSchema, input);
    if (!v.body && !images.length) throw fail.invalid({ body: 'post.body_required' });
    if (images.length > MAX_IMAGES) throw fail.invalid({ images: ['post.too_many_images', { max: MAX_IMAGES }] });
    let groupId: string | null = null;
    if (v.groupId) {
      const role = await this.#groups.role(v.groupId, a.userId);
      if (!role) throw fail.forbidden('post.not_group_member');
      if (v.audience !== 'group' && v.audience !== 'public') throw fail.invalid({ audience: 'post.audience_invalid' });
      groupId = v.groupId;
    } else if (v.audience === 'group') {
      throw fail.invalid({ groupId: 'post.group_required' });
    }
    await this.#limits.consume(['post:account', a.userId]);
    if (images.length) await this.#limits.consume(['upload:account', a.userId]);
    const processed: { bytes: Buffer; width: number; height: number; alt: string }[] = [];
    for (const image of images) processed.push({ ...(await processPostImage(image.bytes)), alt: (image.alt ?? '').slice(0, 500) });
    const rendered = await this.#render(v.body);
    const id = newId();
    const keys: string[] = [];
    try {
      for (const p of processed) keys.push(await this.#media.put('posts', 'webp', p.bytes));
      await this.#db.tx(async () => {
        const post = await this.#repo.insert({
          id,
          authorId: a.userId,
          groupId,
          audience: v.audience,
          source: v.body,
          html: rendered.html,
          searchText: normalizeForSearch(rendered.text),
          createdAt: new Date(),
        });
        await this.#repo.insertImages(processed.map((p, i) => ({ id: newId(), postId: id, mediaKey: keys[i], width: p.width, height: p.height, alt: p.alt, position: i })));
        await this.#repo.setHashtags(id, rendered.hashtags);
        await this.#mention(a, post, rendered.mentionIds, null);
      });
    } catch (e) {
      for (const key of keys) await this.#media.delete(key);
      throw e;
    }
    await this.#announce(id, a.userId, groupId, v.audience);
    return this.get(a, id);
  }

  /** Mentions: stored, and notified to those who can see the post. */
  async #mention(a: Actor, post: PostRow, mentionIds: string[], commentId: string | null, alreadyNotified: string[] = []) {
    const visible: string[] = [];
    for (const userId of mentionIds) if (await this.#audience.canSee(userId, post)) visible.push(userId);
    if (!commentId) await this.#repo.setMentions(post.id, visible);
    for (const userId of visible) {
      if (alreadyNotified.includes(userId)) continue;
      await this.#notifications.notify({ userId, type: 'mention', actorId: a.userId, postId: post.id, commentId });
    }
  }

  /** Live feeds: who may see the new post gets its id (and fetches it, checked, by id). */
  async #announce(postId: string, authorId: string, groupId: string | null, audience: Audience) {
    const userIds = audience === 'private' || groupId ? [authorId] : [authorId, ...(await this.#friends.friendIds(authorId))];
    this.#events.emit('post.created', { postId, userIds, groupId, audience });
  }

  /** Edits the text of the actor's own post ("edited" is shown). */
  async edit(actor: Actor | null, postId: string, input: unknown): Promise<PostView> {
    const a = requireActor(actor);
    const v = parse(editSchema, input);
    const post = await this.#repo.byId(String(postId));
    if (!post || !(await this.#audience.canSee(a.userId, post))) throw fail.notFound();
    if (post.authorId !== a.userId) throw fail.forbidden();
    const images = await this.#repo.images([post.id]);
    if (!v.body && !images.length) throw fail.invalid({ body: 'post.body_required' });
    const rendered = await this.#render(v.body);
    await this.#db.tx(async () => {
      const before = await this.#repo.mentionedIds(post.id);
      const updated = (await this.#repo.update(post.id, { source: v.body, html: rendered.html, searchText: normalizeForSearch(rendered.text), editedAt: new Date() }))!;
      await this.#repo.setHashtags(post.id, rendered.hashtags);
      await this.#mention(a, updated, rendered.mentionIds, null, before);
    });
    this.#events.emit('post.updated', { postId: post.id });
    return this.get(a, post.id);
  }

  /** Deletes a post: its author, an organizer of its group, or the instance's staff. */
  async delete(actor: Actor | null, postId: string): Promise<void> {
    const a = requireActor(actor);
    const post = await this.#repo.byId(String(postId));
    if (!post) throw fail.notFound();
    const staff = a.role === 'admin' || a.role === 'moderator';
    const allowed = post.authorId === a.userId || staff || (await this.#canModerateGroupPost(a, post));
    if (!allowed) {
      // Someone who cannot even see the post learns nothing about it.
      if (!(await this.#audience.canSee(a.userId, post))) throw fail.notFound();
      throw fail.forbidden();
    }
    const mentioned = await this.#repo.mentionedIds(post.id);
    const images = await this.#db.tx(async () => {
      const { groups } = this.#db.t;
      if (post.groupId) await this.#db.w.update(groups).set({ pinnedPostId: null }).where(and(eq(groups.id, post.groupId), eq(groups.pinnedPostId, post.id)));
      return this.#repo.delete(post.id);
    });
    for (const image of images) if (!image.mediaKey.startsWith('remote:')) await this.#media.delete(image.mediaKey);
    this.#events.emit('post.deleted', { postId: post.id, authorId: post.authorId, audience: post.audience, groupId: post.groupId, uri: post.uri, mentioned });
  }

  /** The actor's home feed: their posts, their friends', their groups' and the groups they follow. */
  async feed(actor: Actor | null, cursor?: unknown): Promise<Page<PostView>> {
    const a = requireActor(actor);
    const after = decodeCursor(cursor);
    // Look back a week first, then 8 weeks, then 64, then without limit: an active member's
    // page is found in the first window, reading a few hundred rows instead of every post
    // their friends and groups ever wrote; a quiet feed costs a few cheap queries more.
    const top = after?.at.getTime() ?? Date.now();
    let ids: string[] = [];
    for (const days of [7, 56, 448, null]) {
      ids = await this.#repo.feedIds(a.userId, after, PAGE + 1, days === null ? null : new Date(top - days * 86_400_000));
      if (ids.length > PAGE) break;
    }
    if (!ids.length) return { items: [], next: null };
    // The audience rule is applied again on these rows (see #pageOf): the feed's joins choose
    // what is relevant, the rule alone decides what may be shown (a suspended friend's or a
    // blocked group member's posts drop out here). The next page starts after the last
    // candidate, shown or not, so that a dropped row never ends the feed early.
    const { posts } = this.#db.t;
    const shown = ids.slice(0, PAGE);
    const { items } = await this.#pageOf(a, inArray(posts.id, shown), null, PAGE);
    const last = ids.length > PAGE ? await this.#repo.byId(shown[PAGE - 1]) : undefined;
    return { items, next: last ? encodeCursor(last) : null };
  }

  /** The instance's public posts (readable without an account). */
  async publicTimeline(viewer: Actor | null, cursor?: unknown): Promise<Page<PostView>> {
    const { posts } = this.#db.t;
    return this.#pageOf(viewer, and(eq(posts.audience, 'public'), await this.#notHidden()), cursor);
  }

  /** A member's posts that the viewer may see. */
  async byMember(viewer: Actor | null, userId: string, cursor?: unknown): Promise<Page<PostView>> {
    const { posts } = this.#db.t;
    return this.#pageOf(viewer, eq(posts.authorId, userId), cursor);
  }

  /** A group's posts that the viewer may see. */
  async byGroup(viewer: Actor | null, groupId: string, cursor?: unknown): Promise<Page<PostView>> {
    const { posts } = this.#db.t;
    return this.#pageOf(viewer, eq(posts.groupId, groupId), cursor);
  }

  /** Posts with a hashtag that the viewer may see. */
  async byTag(viewer: Actor | null, tag: string, cursor?: unknown): Promise<Page<PostView>> {
    const normal = normaliseTag(String(tag ?? ''));
    if (!normal) throw fail.notFound();
    const { posts, postHashtags } = this.#db.t;
    const tagged = this.#db.q.select({ id: postHashtags.postId }).from(postHashtags).where(eq(postHashtags.tag, normal));
    return this.#pageOf(viewer, and(inArray(posts.id, tagged), await this.#notHidden()), cursor);
  }

  /** Public posts whose text has every word of the query (accent-insensitive). */
  async search(viewer: Actor | null, query: string, limit = 20): Promise<PostView[]> {
    const words = searchTerms(query);
    const ids = await this.#repo.searchIds(words, 500);
    if (!ids.length) return [];
    const { posts } = this.#db.t;
    return (await this.#pageOf(viewer, and(inArray(posts.id, ids), eq(posts.audience, 'public'), await this.#notHidden()), null, limit)).items;
  }

  async #visiblePost(viewer: Actor | null, postId: unknown): Promise<PostRow> {
    const post = typeof postId === 'string' && postId.length <= 64 ? await this.#repo.byId(postId) : undefined;
    if (!post || !(await this.#audience.canSee(viewer?.userId ?? null, post))) throw fail.notFound();
    return post;
  }

  /** Likes or unlikes a post the actor can see; the author is told of a like. */
  async like(actor: Actor | null, postId: string, like: boolean): Promise<{ likeCount: number; likedByMe: boolean }> {
    const a = requireActor(actor);
    const post = await this.#visiblePost(a, postId);
    await this.#db.tx(async () => {
      const changed = await this.#repo.setLike(post.id, a.userId, like, new Date());
      if (changed && like) await this.#notifications.notify({ userId: post.authorId, type: 'like', actorId: a.userId, postId: post.id });
      if (changed) this.#db.afterCommit(() => this.#events.emit('post.liked', { postId: post.id, userId: a.userId, liked: like }));
    });
    const fresh = (await this.#repo.byId(post.id))!;
    return { likeCount: fresh.likeCount, likedByMe: like };
  }

  /** Comments a post (or replies to one of its top-level comments). */
  async comment(actor: Actor | null, postId: string, input: unknown): Promise<CommentView> {
    const a = requireActor(actor);
    const post = await this.#visiblePost(a, postId);
    const v = parse(commentSchema, input);
    await this.#limits.consume(['comment:account', a.userId]);
    let parent = null;
    if (v.parentId) {
      parent = await this.#repo.comment(v.parentId);
      if (!parent || parent.postId !== post.id) throw fail.invalid({ parentId: 'post.comment_not_found' });
      // One level of threading: a reply to a reply attaches to its top-level comment.
      if (parent.parentId) parent = (await this.#repo.comment(parent.parentId)) ?? parent;
    }
    const rendered = await this.#render(v.body);
    const id = newId();
    await this.#db.tx(async () => {
      await this.#repo.insertComment({ id, postId: post.id, authorId: a.userId, parentId: parent?.id ?? null, source: v.body, html: rendered.html, createdAt: new Date(), editedAt: null });
      const told = new Set<string>([a.userId]);
      if (!told.has(post.authorId)) {
        await this.#notifications.notify({ userId: post.authorId, type: 'comment', actorId: a.userId, postId: post.id, commentId: id });
        told.add(post.authorId);
      }
      if (parent && !told.has(parent.authorId) && (await this.#audience.canSee(parent.authorId, post))) {
        await this.#notifications.notify({ userId: parent.authorId, type: 'reply', actorId: a.userId, postId: post.id, commentId: id });
        told.add(parent.authorId);
      }
      await this.#mention(a, post, rendered.mentionIds, id, [...told]);
    });
    this.#events.emit('comment.created', { commentId: id, postId: post.id });
    const all = await this.comments(a, post.id);
    return all.flatMap((c) => [c, ...c.replies]).find((c) => c.id === id)!;
  }

  /** The comments of a post the viewer can see, as a one-level thread. */
  async comments(viewer: Actor | null, postId: string): Promise<CommentView[]> {
    const post = await this.#visiblePost(viewer, postId);
    const exclude = viewer ? await this.#friends.blockedIds(viewer.userId) : [];
    const rows = await this.#repo.comments(post.id, exclude);
    const staff = viewer?.role === 'admin' || viewer?.role === 'moderator';
    const moderator = viewer ? post.authorId === viewer.userId || staff || (await this.#canModerateGroupPost(viewer, post)) : false;
    const views = new Map<string, CommentView>();
    const top: CommentView[] = [];
    for (const c of rows) {
      const mine = viewer?.userId === c.authorId;
      const view: CommentView = {
        id: c.id,
        author: memberSummary(c.author),
        html: c.html,
        createdAt: c.createdAt,
        editedAt: c.editedAt,
        canEdit: mine,
        canDelete: mine || moderator,
        replies: [],
      };
      views.set(c.id, view);
      if (c.parentId && views.has(c.parentId)) views.get(c.parentId)!.replies.push(view);
      else if (!c.parentId) top.push(view);
    }
    return top;
  }

  async editComment(actor: Actor | null, commentId: string, input: unknown): Promise<void> {
    const a = requireActor(actor);
    const comment = typeof commentId === 'string' ? await this.#repo.comment(commentId) : undefined;
    if (!comment) throw fail.notFound();
    await this.#visiblePost(a, comment.postId);
    if (comment.authorId !== a.userId) throw fail.forbidden();
    const v = parse(commentSchema, input);
    const rendered = await this.#render(v.body);
    await this.#db.tx(() => this.#repo.updateComment(comment.id, { source: v.body, html: rendered.html, editedAt: new Date() }));
    this.#events.emit('comment.updated', { commentId: comment.id, postId: comment.postId });
  }

  /** Deletes a comment (and its replies): its author, the post's author, group organizers, staff. */
  async deleteComment(actor: Actor | null, commentId: string): Promise<void> {
    const a = requireActor(actor);
    const comment = typeof commentId === 'string' ? await this.#repo.comment(commentId) : undefined;
    if (!comment) throw fail.notFound();
    const post = await this.#visiblePost(a, comment.postId);
    const staff = a.role === 'admin' || a.role === 'moderator';
    if (!(comment.authorId === a.userId || post.authorId === a.userId || staff || (await this.#canModerateGroupPost(a, post)))) throw fail.forbidden();
    await this.#db.tx(() => this.#repo.deleteComment(comment));
    this.#events.emit('comment.deleted', { commentId: comment.id, postId: post.id, authorId: comment.authorId, uri: comment.uri });
  }
}
