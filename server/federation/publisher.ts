// The way out (decision 0017): services commit and announce domain events; here each event that
// concerns someone of another server becomes a job on our database queue, and a worker turns the
// job into an activity handed to Fedify, which fans it out to the inboxes (one queue message per
// inbox, retried with backoff: a dead or slow server delays nobody else). Nothing here runs in a
// member's request. Jobs carry ids, not content: the worker reads the current state, so an edit
// made before delivery is what leaves.
import { Accept, Delete, Follow, Like, Reject, Tombstone, Undo, Update, Create, type Activity } from '@fedify/vocab';
import type { Recipient } from '@fedify/vocab';
import { and, eq } from 'drizzle-orm';
import { exportJwk, importJwk } from '@fedify/fedify';
import type { ActorKeys } from './keys.ts';
import type { Database } from '../db/client.ts';
import type { EventBus } from '../events.ts';
import type { DbMessageQueue } from '../queue/db-queue.ts';
import { newId } from '../accounts/secrets.ts';
import type { AccountsRepository } from '../accounts/repository.ts';
import type { PostsRepository, PostRow } from '../posts/repository.ts';
import { personFor, type AppFederation } from './federation.ts';
import type { RemoteActors } from './actors.ts';
import type { FederationPolicy } from './policy.ts';
import type { FederationRepository, RemoteRecipient } from './repository.ts';
import { addressing, commentNote, postNote, type Mentioned, type NoteAuthor } from './vocab.ts';

export type PublishJob =
  | { t: 'follow'; fromId: string; toId: string }
  | { t: 'accept'; localId: string; remoteId: string; followUri: string; followBack: boolean }
  | { t: 'reject'; localId: string; remoteId: string; followUri: string }
  | { t: 'undo-follow'; localId: string; remoteId: string; followUri: string }
  | { t: 'post'; postId: string; update: boolean }
  | { t: 'post-delete'; postId: string; authorId: string; audience: PostRow['audience']; mentioned: string[] }
  | { t: 'comment'; commentId: string; update: boolean }
  | { t: 'comment-delete'; commentId: string; postId: string; authorId: string }
  | { t: 'like'; postId: string; userId: string; liked: boolean }
  | { t: 'profile'; userId: string }
  /** An erased member: signed with the key read before it went (the RSA private key travels in the job, deleted once sent). */
  | { t: 'actor-delete'; actorUri: string; keyId: string; privateJwk: JsonWebKey; to: RemoteRecipient[] };

export class Publisher {
  readonly #db: Database;
  readonly #federation: AppFederation;
  readonly #queue: DbMessageQueue;
  readonly #actors: RemoteActors;
  readonly #policy: FederationPolicy;
  readonly #repo: FederationRepository;
  readonly #accounts: AccountsRepository;
  readonly #posts: PostsRepository;
  readonly #origin: URL;

  constructor(d: {
    db: Database;
    bus: EventBus;
    federation: AppFederation;
    queue: DbMessageQueue;
    actors: RemoteActors;
    policy: FederationPolicy;
    repo: FederationRepository;
    accounts: AccountsRepository;
    posts: PostsRepository;
    publicUrl: URL;
  }) {
    this.#db = d.db;
    this.#federation = d.federation;
    this.#queue = d.queue;
    this.#actors = d.actors;
    this.#policy = d.policy;
    this.#repo = d.repo;
    this.#accounts = d.accounts;
    this.#posts = d.posts;
    this.#origin = d.publicUrl;
    this.#subscribe(d.bus);
  }

  /**
   * The privacy service's eraser (run inside the erasure's transaction, before the keys go): queues
   * the Delete of the member's actor to the servers of their remote friends, in the same
   * transaction, so that the notice leaves even if the process stops right after.
   */
  async eraseMember(userId: string, keys: ActorKeys): Promise<void> {
    const user = await this.#accounts.userById(userId);
    if (!user || user.host) return;
    const friends = await this.#repo.remoteFriends(userId);
    if (!friends.length) return;
    const rsa = (await keys.pairs(userId))[0];
    if (!rsa) return;
    const actorUri = this.#actorUri(userId);
    await this.enqueue({ t: 'actor-delete', actorUri: actorUri.href, keyId: `${actorUri.href}#main-key`, privateJwk: await exportJwk(rsa.privateKey), to: friends });
  }

  /** Queues a job (also used by the inbox, to answer a Follow). */
  async enqueue(job: PublishJob): Promise<void> {
    await this.#queue.enqueue(job);
  }

  async #remote(id: string): Promise<boolean> {
    return (await this.#accounts.userById(id))?.host != null;
  }

  #subscribe(bus: EventBus) {
    const later = (job: () => Promise<PublishJob | null>) => async () => {
      const j = await job();
      if (j) await this.enqueue(j);
    };
    bus.on('friend.requested', ({ fromId, toId }) => later(async () => ((await this.#remote(toId)) ? { t: 'follow', fromId, toId } : null))());
    bus.on('friend.accepted', ({ userId, friendId, requestUri }) =>
      later(async () => ((await this.#remote(friendId)) && requestUri ? { t: 'accept', localId: userId, remoteId: friendId, followUri: requestUri, followBack: true } : null))(),
    );
    bus.on('friend.declined', ({ fromId, toId, requestUri }) =>
      later(async () => ((await this.#remote(fromId)) && requestUri ? { t: 'reject', localId: toId, remoteId: fromId, followUri: requestUri } : null))(),
    );
    bus.on('friend.withdrawn', ({ fromId, toId, requestUri }) =>
      later(async () => ((await this.#remote(toId)) && requestUri ? { t: 'undo-follow', localId: fromId, remoteId: toId, followUri: requestUri } : null))(),
    );
    bus.on('friend.ended', async ({ userId, otherId, ourFollow, theirFollow }) => {
      if (!(await this.#remote(otherId))) return;
      if (ourFollow) await this.enqueue({ t: 'undo-follow', localId: userId, remoteId: otherId, followUri: ourFollow });
      if (theirFollow) await this.enqueue({ t: 'reject', localId: userId, remoteId: otherId, followUri: theirFollow });
    });
    bus.on('post.created', ({ postId, audience }) => (audience === 'private' ? undefined : this.enqueue({ t: 'post', postId, update: false })));
    bus.on('post.updated', ({ postId }) => this.enqueue({ t: 'post', postId, update: true }));
    bus.on('post.deleted', ({ postId, authorId, audience, uri, mentioned }) =>
      uri || audience === 'private' ? undefined : this.enqueue({ t: 'post-delete', postId, authorId, audience, mentioned }),
    );
    bus.on('comment.created', ({ commentId }) => this.enqueue({ t: 'comment', commentId, update: false }));
    bus.on('comment.updated', ({ commentId }) => this.enqueue({ t: 'comment', commentId, update: true }));
    bus.on('comment.deleted', ({ commentId, postId, authorId, uri }) => (uri ? undefined : this.enqueue({ t: 'comment-delete', commentId, postId, authorId })));
    bus.on('post.liked', ({ postId, userId, liked }) => this.enqueue({ t: 'like', postId, userId, liked }));
    bus.on('user.updated', async ({ userId }) => {
      if (!(await this.#remote(userId))) await this.enqueue({ t: 'profile', userId });
    });
  }

  /** Runs the worker until the signal aborts (node.ts starts it with the other queues). */
  listen(signal: AbortSignal): Promise<void> {
    return this.#queue.listen((job: PublishJob) => this.handle(job), { signal });
  }

  #ctx() {
    return this.#federation.createContext(this.#origin, null);
  }

  #recipient(r: RemoteRecipient): Recipient {
    return { id: new URL(r.uri), inboxId: new URL(r.inbox), endpoints: r.sharedInbox ? { sharedInbox: new URL(r.sharedInbox) } : null };
  }

  /** Sends from a member to remote people, leaving out servers the policy does not federate with. */
  async #send(fromId: string, to: RemoteRecipient[], activity: Activity, opts: { shared?: boolean; orderingKey?: string } = {}) {
    const allowed: RemoteRecipient[] = [];
    for (const r of to) if (await this.#policy.federatesWith(r.host)) allowed.push(r);
    if (!allowed.length) return;
    await this.#ctx().sendActivity({ identifier: fromId }, allowed.map((r) => this.#recipient(r)), activity, {
      preferSharedInbox: opts.shared ?? false,
      orderingKey: opts.orderingKey,
    });
  }

  #actorUri(id: string): URL {
    return this.#ctx().getActorUri(id);
  }

  #author(id: string): NoteAuthor {
    return { uri: this.#actorUri(id), followers: this.#ctx().getFollowersUri(id) };
  }

  async handle(job: PublishJob): Promise<void> {
    switch (job.t) {
      case 'follow': {
        const target = await this.#repo.remoteById(job.toId);
        if (!target) return;
        const id = new URL(`/users/${job.fromId}/follows/${newId()}`, this.#origin);
        await this.#repo.setRequestUri(job.fromId, job.toId, id.href);
        await this.#send(job.fromId, [target], new Follow({ id, actor: this.#actorUri(job.fromId), object: new URL(target.uri), to: new URL(target.uri) }));
        return;
      }
      case 'accept':
      case 'reject': {
        const target = await this.#repo.remoteById(job.remoteId);
        if (!target) return;
        const follow = new Follow({ id: new URL(job.followUri), actor: new URL(target.uri), object: this.#actorUri(job.localId) });
        const Kind = job.t === 'accept' ? Accept : Reject;
        const activity = new Kind({ id: new URL(`/users/${job.localId}/${job.t}s/${newId()}`, this.#origin), actor: this.#actorUri(job.localId), object: follow, to: new URL(target.uri) });
        await this.#send(job.localId, [target], activity, { orderingKey: `relation:${job.localId}:${job.remoteId}` });
        if (job.t === 'accept' && job.followBack) {
          // Our side of the friendship: follow them back, so that their posts reach us.
          const { friendships: f } = this.#db.t;
          const row = (await this.#db.q.select({ uri: f.followUri }).from(f).where(and(eq(f.userId, job.localId), eq(f.friendId, job.remoteId))))[0];
          if (!row || row.uri) return;
          const id = new URL(`/users/${job.localId}/follows/${newId()}`, this.#origin);
          await this.#db.tx(() => this.#db.w.update(f).set({ followUri: id.href }).where(and(eq(f.userId, job.localId), eq(f.friendId, job.remoteId))));
          await this.#send(job.localId, [target], new Follow({ id, actor: this.#actorUri(job.localId), object: new URL(target.uri), to: new URL(target.uri) }), {
            orderingKey: `relation:${job.localId}:${job.remoteId}`,
          });
        }
        return;
      }
      case 'undo-follow': {
        const target = await this.#repo.remoteById(job.remoteId);
        if (!target) return;
        const follow = new Follow({ id: new URL(job.followUri), actor: this.#actorUri(job.localId), object: new URL(target.uri) });
        await this.#send(job.localId, [target], new Undo({ id: new URL(`/users/${job.localId}/undos/${newId()}`, this.#origin), actor: this.#actorUri(job.localId), object: follow, to: new URL(target.uri) }), {
          orderingKey: `relation:${job.localId}:${job.remoteId}`,
        });
        return;
      }
      case 'post':
        return this.#post(job.postId, job.update);
      case 'post-delete': {
        const recipients = await this.#postRecipients(job.authorId, job.audience, job.mentioned);
        const id = new URL(`/posts/${job.postId}`, this.#origin);
        await this.#send(job.authorId, recipients.list, new Delete({ id: new URL(`#delete-${newId()}`, id), actor: this.#actorUri(job.authorId), object: new Tombstone({ id }), tos: recipients.to, ccs: recipients.cc }), {
          shared: job.audience === 'public',
          orderingKey: `post:${job.postId}`,
        });
        return;
      }
      case 'comment':
        return this.#comment(job.commentId, job.update);
      case 'comment-delete': {
        const post = await this.#posts.byId(job.postId);
        if (!post) return;
        const target = await this.#commentRecipients(post);
        const id = new URL(`/posts/${job.commentId}`, this.#origin);
        await this.#send(job.authorId, target.list, new Delete({ id: new URL(`#delete-${newId()}`, id), actor: this.#actorUri(job.authorId), object: new Tombstone({ id }), tos: target.to, ccs: target.cc }), {
          orderingKey: `comment:${job.commentId}`,
        });
        return;
      }
      case 'like': {
        const post = await this.#posts.byId(job.postId);
        if (!post?.uri || (await this.#remote(job.userId))) return;
        const author = await this.#repo.remoteById(post.authorId);
        if (!author) return;
        const like = new Like({ id: new URL(`/users/${job.userId}/likes/${post.id}`, this.#origin), actor: this.#actorUri(job.userId), object: new URL(post.uri), to: new URL(author.uri) });
        const activity = job.liked ? like : new Undo({ id: new URL(`/users/${job.userId}/undos/${newId()}`, this.#origin), actor: this.#actorUri(job.userId), object: like, to: new URL(author.uri) });
        await this.#send(job.userId, [author], activity, { orderingKey: `like:${job.userId}:${post.id}` });
        return;
      }
      case 'actor-delete': {
        const privateKey = await importJwk(job.privateJwk, 'private');
        const actor = new URL(job.actorUri);
        const allowed: RemoteRecipient[] = [];
        for (const r of job.to) if (await this.#policy.federatesWith(r.host)) allowed.push(r);
        if (!allowed.length) return;
        await this.#ctx().sendActivity(
          [{ keyId: new URL(job.keyId), privateKey }],
          allowed.map((r) => this.#recipient(r)),
          new Delete({ id: new URL(`#delete-${newId()}`, actor), actor, object: new Tombstone({ id: actor }), tos: [new URL('https://www.w3.org/ns/activitystreams#Public')] }),
          { preferSharedInbox: true },
        );
        return;
      }
      case 'profile': {
        const friends = await this.#repo.remoteFriends(job.userId);
        if (!friends.length) return;
        const user = await this.#accounts.userById(job.userId);
        if (!user || user.host || user.status !== 'active') return;
        const person = await personFor(this.#ctx(), user, this.#origin);
        await this.#send(job.userId, friends, new Update({ id: new URL(`/users/${job.userId}#update-${newId()}`, this.#origin), actor: person.id, object: person, tos: friends.map((f) => new URL(f.uri)) }), {
          shared: true,
        });
        return;
      }
    }
  }

  /** Who receives a post of a member: their remote friends, and for a public post the remote people it mentions. */
  async #postRecipients(authorId: string, audience: PostRow['audience'], mentionedIds: string[]): Promise<{ list: RemoteRecipient[]; to: URL[]; cc: URL[] }> {
    const friends = await this.#repo.remoteFriends(authorId);
    const mentioned = audience === 'public' ? await this.#repo.remoteByIds(mentionedIds) : [];
    const list = [...new Map([...friends, ...mentioned].map((r) => [r.id, r])).values()];
    const { to, cc } = addressing(
      audience,
      this.#author(authorId),
      friends.map((f) => new URL(f.uri)),
      mentioned.map((m) => new URL(m.uri)),
    );
    return { list, to, cc };
  }

  async #mentions(ids: string[]): Promise<Mentioned[]> {
    const out: Mentioned[] = [];
    for (const id of ids) {
      const user = await this.#accounts.userById(id);
      if (!user) continue;
      const remote = user.host ? await this.#repo.remoteById(id) : null;
      out.push({ uri: remote ? new URL(remote.uri) : this.#actorUri(id), handle: `@${user.host ? user.username : `${user.username}@${this.#origin.host}`}` });
    }
    return out;
  }

  async #post(postId: string, update: boolean) {
    const post = await this.#posts.byId(postId);
    // Only our members' posts to the public or their friends leave (groups come with Group actors).
    if (!post || post.uri || post.groupId || (post.audience !== 'public' && post.audience !== 'friends')) return;
    const mentionedIds = await this.#posts.mentionedIds(post.id);
    const r = await this.#postRecipients(post.authorId, post.audience, mentionedIds);
    if (!r.list.length) return;
    const note = postNote(this.#origin.origin, post, this.#author(post.authorId), {
      to: r.to,
      cc: r.cc,
      images: await this.#posts.images([post.id]),
      mentions: await this.#mentions(mentionedIds),
      hashtags: await this.#posts.hashtagsOf(post.id),
    });
    const Kind = update ? Update : Create;
    const activity = new Kind({ id: new URL(`/posts/${post.id}#${update ? `update-${newId()}` : 'create'}`, this.#origin), actor: this.#actorUri(post.authorId), object: note, tos: r.to, ccs: r.cc });
    await this.#send(post.authorId, r.list, activity, { shared: post.audience === 'public', orderingKey: `post:${post.id}` });
  }

  /** A comment goes to the post's author when the post is remote, or to the post's remote audience when it is ours. */
  async #commentRecipients(post: PostRow): Promise<{ list: RemoteRecipient[]; to: URL[]; cc: URL[] }> {
    if (post.uri) {
      const author = await this.#repo.remoteById(post.authorId);
      if (!author) return { list: [], to: [], cc: [] };
      return { list: [author], to: [new URL(author.uri)], cc: post.audience === 'public' ? [new URL('https://www.w3.org/ns/activitystreams#Public')] : [] };
    }
    if (post.groupId || (post.audience !== 'public' && post.audience !== 'friends')) return { list: [], to: [], cc: [] };
    return this.#postRecipients(post.authorId, post.audience, []);
  }

  async #comment(commentId: string, update: boolean) {
    const comment = await this.#posts.comment(commentId);
    if (!comment || comment.uri || (await this.#remote(comment.authorId))) return;
    const post = await this.#posts.byId(comment.postId);
    if (!post) return;
    const r = await this.#commentRecipients(post);
    if (!r.list.length) return;
    const parent = comment.parentId ? await this.#posts.comment(comment.parentId) : null;
    const inReplyTo = parent ? new URL(parent.uri ?? `/posts/${parent.id}`, this.#origin) : new URL(post.uri ?? `/posts/${post.id}`, this.#origin);
    const note = commentNote(this.#origin.origin, comment, this.#author(comment.authorId), inReplyTo, { to: r.to, cc: r.cc });
    const Kind = update ? Update : Create;
    const activity = new Kind({
      id: new URL(`/posts/${comment.id}#${update ? `update-${newId()}` : 'create'}`, this.#origin),
      actor: this.#actorUri(comment.authorId),
      object: note,
      tos: r.to,
      ccs: r.cc,
    });
    await this.#send(comment.authorId, r.list, activity, { shared: post.audience === 'public', orderingKey: `comment:${comment.id}` });
  }
}
