// Groups across servers, the way out (FEP-1b12). A group here is a Group actor: people of other
// servers join it (Join → Accept or Reject, by the group's rules), follow it for its public posts
// (Follow → Accept), and everything posted in it is redistributed by the group itself (Announce):
// to members' servers as the Announce of the Create, Update or Delete (what group-aware servers
// read), and, for public posts, to followers' servers as the Announce of the post's address (a
// boost, what Mastodon reads). A member of ours in a group of another server asks with a Join,
// leaves with a Leave, and posts with a Create addressed to the group, which redistributes it.
// Group-only posts are addressed to the group, never to its members by name (the member list stays
// with the group's server).
import { Accept, Announce, Create, Delete, Follow, Join, Leave, Reject, Tombstone, Undo, Update, PUBLIC_COLLECTION, type Activity } from '@fedify/vocab';
import type { Database } from '../db/client.ts';
import { newId } from '../accounts/secrets.ts';
import type { AccountsRepository } from '../accounts/repository.ts';
import type { GroupsRepository } from '../groups/repository.ts';
import type { PostRow, PostsRepository } from '../posts/repository.ts';
import type { AppFederation } from './federation.ts';
import type { FederationRepository, RemoteRecipient } from './repository.ts';
import { commentNote, groupAddressing, postNote, type Mentioned } from './vocab.ts';
import type { CommentRow } from '../posts/repository.ts';

export type GroupJob =
  | { t: 'group-join'; groupId: string; userId: string }
  | { t: 'group-leave'; groupId: string; userId: string; joinUri: string | null }
  | { t: 'group-follow'; groupId: string; userId: string; follow: boolean; uri: string | null }
  | { t: 'group-answer'; groupId: string; remoteId: string; approved: boolean; joinUri: string | null }
  | { t: 'group-accept-follow'; groupId: string; remoteId: string; followUri: string }
  | { t: 'group-post-delete'; postId: string; groupId: string; authorId: string; audience: PostRow['audience']; uri: string | null }
  | { t: 'group-comment-delete'; commentId: string; postId: string; authorId: string; uri: string | null };

type Send = (fromId: string, to: RemoteRecipient[], activity: Activity, opts?: { shared?: boolean; orderingKey?: string }) => Promise<void>;

export class GroupsOut {
  readonly #db: Database;
  readonly #federation: AppFederation;
  readonly #origin: URL;
  readonly #groups: GroupsRepository;
  readonly #posts: PostsRepository;
  readonly #accounts: AccountsRepository;
  readonly #repo: FederationRepository;
  readonly #send: Send;
  readonly #mentions: (ids: string[]) => Promise<Mentioned[]>;

  constructor(d: {
    db: Database;
    federation: AppFederation;
    publicUrl: URL;
    groups: GroupsRepository;
    posts: PostsRepository;
    accounts: AccountsRepository;
    repo: FederationRepository;
    send: Send;
    mentions: (ids: string[]) => Promise<Mentioned[]>;
  }) {
    this.#db = d.db;
    this.#federation = d.federation;
    this.#origin = d.publicUrl;
    this.#groups = d.groups;
    this.#posts = d.posts;
    this.#accounts = d.accounts;
    this.#repo = d.repo;
    this.#send = d.send;
    this.#mentions = d.mentions;
  }

  #ctx() {
    return this.#federation.createContext(this.#origin, null);
  }

  #uri(id: string): URL {
    return this.#ctx().getActorUri(id);
  }

  #id(actorId: string, kind: string): URL {
    return new URL(`/users/${actorId}/${kind}/${newId()}`, this.#origin);
  }

  /** Who a group here redistributes a post to: members' servers, and followers' for public posts. */
  async #audience(groupId: string, audience: PostRow['audience']) {
    const members = await this.#repo.remoteMembers(groupId);
    const ids = new Set(members.map((m) => m.id));
    const followers = audience === 'public' ? (await this.#repo.remoteGroupFollowers(groupId)).filter((f) => !ids.has(f.id)) : [];
    return { members, followers };
  }

  /** Sends the group's Announce: of the activity to members' servers, of the object's address to followers' (Mastodon's boost). */
  async #announce(groupId: string, audience: PostRow['audience'], inner: Activity | URL, objectUri: URL, orderingKey: string) {
    const { members, followers } = await this.#audience(groupId, audience);
    const group = this.#uri(groupId);
    const { to, cc } = audience === 'public' ? { to: [PUBLIC_COLLECTION], cc: [this.#ctx().getFollowersUri(groupId)] } : { to: [this.#ctx().getFollowersUri(groupId)], cc: [] };
    if (members.length) await this.#send(groupId, members, new Announce({ id: this.#id(groupId, 'announces'), actor: group, object: inner, tos: to, ccs: cc }), { shared: true, orderingKey });
    if (followers.length && !(inner instanceof Delete))
      await this.#send(groupId, followers, new Announce({ id: this.#id(groupId, 'announces'), actor: group, object: objectUri, tos: to, ccs: cc }), { shared: true, orderingKey });
  }

  /** A post in a group (created or edited): ours to a group of another server, or redistributed by a group here. */
  async post(post: PostRow, update: boolean): Promise<void> {
    if (!post.groupId || (post.audience !== 'public' && post.audience !== 'group')) return;
    const group = await this.#groups.byId(post.groupId);
    if (!group) return;
    const Kind = update ? Update : Create;
    if (group.host) {
      if (post.uri) return; // theirs: the group's server has it
      const target = await this.#repo.remoteById(group.id);
      if (!target) return;
      const note = await this.#note(post, new URL(target.uri));
      const { to, cc } = groupAddressing(new URL(target.uri), post.audience);
      const id = new URL(`/posts/${post.id}#${update ? `update-${newId()}` : 'create'}`, this.#origin);
      await this.#send(post.authorId, [target], new Kind({ id, actor: this.#uri(post.authorId), object: note, tos: to, ccs: cc }), { orderingKey: `post:${post.id}` });
      return;
    }
    const objectUri = new URL(post.uri ?? `/posts/${post.id}`, this.#origin);
    // A member's post of another server: announced by its address (their server is its origin).
    const inner = post.uri
      ? objectUri
      : new Kind({
          id: new URL(`/posts/${post.id}#${update ? `update-${newId()}` : 'create'}`, this.#origin),
          actor: this.#uri(post.authorId),
          object: await this.#note(post, this.#uri(group.id)),
          ...this.#addressingOf(this.#uri(group.id), post.audience),
        });
    await this.#announce(group.id, post.audience, inner, objectUri, `post:${post.id}`);
  }

  #addressingOf(group: URL, audience: PostRow['audience']) {
    const { to, cc } = groupAddressing(group, audience);
    return { tos: to, ccs: cc };
  }

  async #note(post: PostRow, group: URL) {
    const author = { uri: this.#uri(post.authorId), followers: null };
    const { to, cc } = groupAddressing(group, post.audience);
    const mentions = await this.#mentions(await this.#posts.mentionedIds(post.id));
    const note = postNote(this.#origin.origin, post, author, { to, cc, images: await this.#posts.images([post.id]), mentions, hashtags: await this.#posts.hashtagsOf(post.id) });
    return note.clone({ audience: group });
  }

  /** A comment on a post in a group: ours on a group of another server goes to the group; here, the group redistributes it. */
  async comment(comment: CommentRow, post: PostRow, update: boolean): Promise<void> {
    if (!post.groupId || (post.audience !== 'public' && post.audience !== 'group')) return;
    const group = await this.#groups.byId(post.groupId);
    if (!group) return;
    const parent = comment.parentId ? await this.#posts.comment(comment.parentId) : null;
    const inReplyTo = new URL(parent ? (parent.uri ?? `/posts/${parent.id}`) : (post.uri ?? `/posts/${post.id}`), this.#origin);
    const Kind = update ? Update : Create;
    const groupUri = group.host ? new URL((await this.#repo.remoteById(group.id))?.uri ?? '') : this.#uri(group.id);
    const { to, cc } = groupAddressing(groupUri, post.audience);
    const build = () =>
      new Kind({
        id: new URL(`/posts/${comment.id}#${update ? `update-${newId()}` : 'create'}`, this.#origin),
        actor: this.#uri(comment.authorId),
        object: commentNote(this.#origin.origin, comment, { uri: this.#uri(comment.authorId), followers: null }, inReplyTo, { to, cc }).clone({ audience: groupUri }),
        tos: to,
        ccs: cc,
      });
    if (group.host) {
      if (comment.uri) return;
      const target = await this.#repo.remoteById(group.id);
      if (target) await this.#send(comment.authorId, [target], build(), { orderingKey: `comment:${comment.id}` });
      return;
    }
    const objectUri = new URL(comment.uri ?? `/posts/${comment.id}`, this.#origin);
    await this.#announce(group.id, post.audience, comment.uri ? objectUri : build(), objectUri, `comment:${comment.id}`);
  }

  /** A post or comment deleted in a group: ours in a group of another server, or one the group here tells its members of. */
  async #deleted(objectId: string, groupId: string, audience: PostRow['audience'], authorId: string, uri: string | null): Promise<void> {
    const group = await this.#groups.byId(groupId);
    if (!group) return;
    const object = new URL(uri ?? `/posts/${objectId}`, this.#origin);
    if (group.host) {
      // Our member's own post or comment in a group of another server: the group is told, and tells its members.
      const author = await this.#accounts.userById(authorId);
      const target = await this.#repo.remoteById(group.id);
      if (uri || !author || author.host || !target) return;
      await this.#send(authorId, [target], new Delete({ id: new URL(`#delete-${newId()}`, object), actor: this.#uri(authorId), object: new Tombstone({ id: object }), to: new URL(target.uri) }), {
        orderingKey: `post:${objectId}`,
      });
      return;
    }
    // Here: the group tells its members' servers (the author's deletion, or a moderator's).
    const deletion = new Delete({ id: new URL(`#delete-${newId()}`, this.#uri(group.id)), actor: this.#uri(group.id), object: new Tombstone({ id: object }), ...this.#addressingOf(this.#uri(group.id), audience) });
    await this.#announce(group.id, audience, deletion, object, `post:${objectId}`);
  }

  async handle(job: GroupJob): Promise<void> {
    switch (job.t) {
      case 'group-join': {
        const target = await this.#repo.remoteById(job.groupId);
        const request = await this.#groups.joinRequest(job.groupId, job.userId);
        if (!target || !request || request.uri) return;
        const id = this.#id(job.userId, 'joins');
        await this.#db.tx(() => this.#groups.setUri('request', job.groupId, job.userId, id.href));
        await this.#send(job.userId, [target], new Join({ id, actor: this.#uri(job.userId), object: new URL(target.uri), to: new URL(target.uri) }), { orderingKey: `group:${job.groupId}:${job.userId}` });
        return;
      }
      case 'group-leave': {
        const target = await this.#repo.remoteById(job.groupId);
        if (!target) return;
        await this.#send(job.userId, [target], new Leave({ id: this.#id(job.userId, 'leaves'), actor: this.#uri(job.userId), object: new URL(target.uri), to: new URL(target.uri) }), {
          orderingKey: `group:${job.groupId}:${job.userId}`,
        });
        return;
      }
      case 'group-follow': {
        const target = await this.#repo.remoteById(job.groupId);
        if (!target) return;
        const key = { orderingKey: `group-follow:${job.groupId}:${job.userId}` };
        if (job.follow) {
          const row = await this.#groups.follow(job.groupId, job.userId);
          if (!row || row.uri) return;
          const id = this.#id(job.userId, 'follows');
          await this.#db.tx(() => this.#groups.setUri('follow', job.groupId, job.userId, id.href));
          await this.#send(job.userId, [target], new Follow({ id, actor: this.#uri(job.userId), object: new URL(target.uri), to: new URL(target.uri) }), key);
        } else if (job.uri) {
          const follow = new Follow({ id: new URL(job.uri), actor: this.#uri(job.userId), object: new URL(target.uri) });
          await this.#send(job.userId, [target], new Undo({ id: this.#id(job.userId, 'undos'), actor: this.#uri(job.userId), object: follow, to: new URL(target.uri) }), key);
        }
        return;
      }
      case 'group-answer': {
        const person = await this.#repo.remoteById(job.remoteId);
        const group = await this.#groups.byId(job.groupId);
        if (!person || !group || group.host) return;
        const join = new Join({ id: job.joinUri ? new URL(job.joinUri) : null, actor: new URL(person.uri), object: this.#uri(group.id) });
        const Kind = job.approved ? Accept : Reject;
        await this.#send(group.id, [person], new Kind({ id: this.#id(group.id, job.approved ? 'accepts' : 'rejects'), actor: this.#uri(group.id), object: join, to: new URL(person.uri) }), {
          orderingKey: `group:${job.groupId}:${job.remoteId}`,
        });
        return;
      }
      case 'group-accept-follow': {
        const person = await this.#repo.remoteById(job.remoteId);
        const group = await this.#groups.byId(job.groupId);
        if (!person || !group || group.host) return;
        const follow = new Follow({ id: new URL(job.followUri), actor: new URL(person.uri), object: this.#uri(group.id) });
        await this.#send(group.id, [person], new Accept({ id: this.#id(group.id, 'accepts'), actor: this.#uri(group.id), object: follow, to: new URL(person.uri) }));
        return;
      }
      case 'group-post-delete':
        return this.#deleted(job.postId, job.groupId, job.audience, job.authorId, job.uri);
      case 'group-comment-delete': {
        // A comment's post is still there (a deleted post's group and audience travel in its job).
        const post = await this.#posts.byId(job.postId);
        if (post?.groupId) await this.#deleted(job.commentId, post.groupId, post.audience, job.authorId, job.uri);
        return;
      }
    }
  }
}
