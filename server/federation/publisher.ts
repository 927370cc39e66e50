// The way out (decision 0017): services commit and announce domain events; here each event that
// concerns someone of another server becomes a job on our database queue, and a worker turns the
// job into an activity handed to Fedify, which fans it out to the inboxes (one queue message per
// inbox, retried with backoff: a dead or slow server delays nobody else). Nothing here runs in a
// member's request. Jobs carry ids, not content: the worker reads the current state, so an edit
// made before delivery is what leaves.
import { Accept, Delete, Follow, Join, Leave, Like, Reject, Tombstone, Undo, Update, Create, type Activity } from '@fedify/vocab';
import type { Recipient } from '@fedify/vocab';
import { and, eq, isNotNull } from 'drizzle-orm';
import { exportJwk, importJwk, signRequest } from '@fedify/fedify';
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
import { EVENT_CONTEXT, PUBLIC, eventDocument } from './event-document.ts';
import type { EventRow, EventsRepository } from '../events/repository.ts';
import type { GroupsRepository } from '../groups/repository.ts';
import { GroupsOut, type GroupJob } from './groups-out.ts';
import { ChatOut, type ChatJob } from './chat-out.ts';
import type { ChatService } from '../chat/service.ts';

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
  | { t: 'event'; eventId: string }
  | { t: 'event-delete'; eventId: string; creatorId: string; answered: string[] }
  | { t: 'rsvp'; eventId: string; userId: string }
  /** A Join we cannot take (the event takes no answers here, or the person may not see it). */
  | { t: 'reject-join'; eventId: string; remoteId: string; joinUri: string }
  /** One signed POST of a document we wrote ourselves (events: Fedify's vocabulary would drop their keys). */
  | { t: 'deliver'; from: string; inbox: string; host: string; body: string }
  /** An erased member: signed with the key read before it went (the RSA private key travels in the job, deleted once sent). */
  | { t: 'actor-delete'; actorUri: string; keyId: string; privateJwk: JsonWebKey; to: RemoteRecipient[] }
  | GroupJob
  | ChatJob;

export class Publisher {
  readonly #db: Database;
  readonly #federation: AppFederation;
  readonly #queue: DbMessageQueue;
  readonly #actors: RemoteActors;
  readonly #policy: FederationPolicy;
  readonly #repo: FederationRepository;
  readonly #accounts: AccountsRepository;
  readonly #posts: PostsRepository;
  readonly #events: EventsRepository;
  readonly #origin: URL;
  readonly #groupsOut: GroupsOut;
  readonly #chatOut: ChatOut;
  readonly #chat: ChatService;

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
    events: EventsRepository;
    groups: GroupsRepository;
    chat: ChatService;
    publicUrl: URL;
  }) {
    this.#events = d.events;
    this.#db = d.db;
    this.#federation = d.federation;
    this.#queue = d.queue;
    this.#actors = d.actors;
    this.#policy = d.policy;
    this.#repo = d.repo;
    this.#accounts = d.accounts;
    this.#posts = d.posts;
    this.#origin = d.publicUrl;
    const send = (fromId: string, to: RemoteRecipient[], activity: Activity, opts?: { shared?: boolean; orderingKey?: string }) => this.#send(fromId, to, activity, opts);
    this.#groupsOut = new GroupsOut({
      db: d.db,
      federation: d.federation,
      publicUrl: d.publicUrl,
      groups: d.groups,
      posts: d.posts,
      accounts: d.accounts,
      repo: d.repo,
      send,
      mentions: (ids) => this.#mentions(ids),
    });
    this.#chat = d.chat;
    this.#chatOut = new ChatOut({
      federation: d.federation,
      publicUrl: d.publicUrl,
      chat: d.chat,
      groups: d.groups,
      accounts: d.accounts,
      repo: d.repo,
      send,
    });
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
  async enqueue(job: PublishJob, orderingKey?: string): Promise<void> {
    await this.#queue.enqueue(job, orderingKey ? { orderingKey } : undefined);
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
    bus.on('post.deleted', ({ postId, authorId, audience, groupId, uri, mentioned }) => {
      if (groupId) return this.enqueue({ t: 'group-post-delete', postId, groupId, authorId, audience, uri });
      return uri || audience === 'private' ? undefined : this.enqueue({ t: 'post-delete', postId, authorId, audience, mentioned });
    });
    bus.on('comment.created', ({ commentId }) => this.enqueue({ t: 'comment', commentId, update: false }));
    bus.on('comment.updated', ({ commentId }) => this.enqueue({ t: 'comment', commentId, update: true }));
    bus.on('comment.deleted', async ({ commentId, postId, authorId, uri }) => {
      if ((await this.#posts.byId(postId))?.groupId) return this.enqueue({ t: 'group-comment-delete', commentId, postId, authorId, uri });
      return uri ? undefined : this.enqueue({ t: 'comment-delete', commentId, postId, authorId });
    });
    // Chat across servers (server/federation/chat-out.ts): the room says whether it leaves; one
    // room's jobs in turn, so that the worker hands them to Fedify in the order they were stored.
    bus.on('chat.message', async ({ roomId, message, created, federated }) => {
      if (federated) await this.enqueue({ t: created ? 'chat-message' : 'chat-change', messageId: message.id }, `chat:${roomId}`);
    });
    bus.on('group.membership', async ({ groupId, userId, member }) => {
      if (member && (await this.#remote(userId))) await this.#chat.markGroupFederated(groupId);
    });
    // Groups across servers (server/federation/groups-out.ts).
    bus.on('group.remote_join', ({ groupId, userId }) => this.enqueue({ t: 'group-join', groupId, userId }));
    bus.on('group.remote_leave', ({ groupId, userId, joinUri }) => this.enqueue({ t: 'group-leave', groupId, userId, joinUri }));
    bus.on('group.remote_follow', ({ groupId, userId, follow, uri }) => this.enqueue({ t: 'group-follow', groupId, userId, follow, uri }));
    bus.on('group.answered', async ({ groupId, userId, approved, joinUri }) => {
      if (await this.#remote(userId)) await this.enqueue({ t: 'group-answer', groupId, remoteId: userId, approved, joinUri });
    });
    bus.on('post.liked', ({ postId, userId, liked }) => this.enqueue({ t: 'like', postId, userId, liked }));
    bus.on('event.changed', ({ eventId }) => this.enqueue({ t: 'event', eventId }));
    bus.on('event.rsvp', ({ eventId, userId }) => this.enqueue({ t: 'rsvp', eventId, userId }));
    bus.on('event.deleted', ({ eventId, creatorId, visibility, uri, answered }) =>
      !uri && creatorId && visibility === 'public' ? this.enqueue({ t: 'event-delete', eventId, creatorId, answered }) : undefined,
    );
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

  /**
   * Sends from a member to remote people, leaving out servers the policy does not federate with.
   * `shared`: one delivery per server (its shared inbox), the people named in `to`/`cc` — also
   * for friends-only posts, which name each friend and never a collection a server would expand.
   */
  async #send(fromId: string, to: RemoteRecipient[], activity: Activity, opts: { shared?: boolean; orderingKey?: string } = {}) {
    const allowed: RemoteRecipient[] = [];
    for (const r of to) if (await this.#policy.federatesWith(r.host)) allowed.push(r);
    if (!allowed.length) return;
    await this.#ctx().sendActivity({ identifier: fromId }, allowed.map((r) => this.#recipient(r)), activity, {
      preferSharedInbox: opts.shared ?? false,
      orderingKey: opts.orderingKey,
    });
  }

  /**
   * Sends what is built for each audience: public → one activity to everyone (to Public, cc the
   * followers and the people mentioned); friends → one per server, naming only that server's
   * friends, so that no server learns who else the member counts as a friend (and no one
   * activity grows with the size of the friend list).
   */
  async #sendAddressed(fromId: string, audience: PostRow['audience'], r: { list: RemoteRecipient[]; to: URL[]; cc: URL[] }, build: (to: URL[], cc: URL[]) => Activity, orderingKey: string) {
    if (audience !== 'friends') return this.#send(fromId, r.list, build(r.to, r.cc), { shared: true, orderingKey });
    const byServer = new Map<string, RemoteRecipient[]>();
    for (const x of r.list) {
      const key = x.sharedInbox ?? x.inbox;
      byServer.set(key, [...(byServer.get(key) ?? []), x]);
    }
    for (const group of byServer.values()) await this.#send(fromId, group, build(group.map((x) => new URL(x.uri)), []), { shared: true, orderingKey });
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
        const deletion = new URL(`#delete-${newId()}`, id);
        await this.#sendAddressed(job.authorId, job.audience, recipients, (tos, ccs) => new Delete({ id: deletion, actor: this.#actorUri(job.authorId), object: new Tombstone({ id }), tos, ccs }), `post:${job.postId}`);
        return;
      }
      case 'comment':
        return this.#comment(job.commentId, job.update);
      case 'comment-delete': {
        const post = await this.#posts.byId(job.postId);
        if (!post) return;
        const target = await this.#commentRecipients(post);
        const id = new URL(`/posts/${job.commentId}`, this.#origin);
        const deletion = new URL(`#delete-${newId()}`, id);
        await this.#sendAddressed(job.authorId, post.uri ? 'public' : post.audience, target, (tos, ccs) => new Delete({ id: deletion, actor: this.#actorUri(job.authorId), object: new Tombstone({ id }), tos, ccs }), `comment:${job.commentId}`);
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
      case 'event':
        return this.#event(job.eventId);
      case 'event-delete': {
        const user = await this.#accounts.userById(job.creatorId);
        if (!user || user.host) return;
        const url = `${this.#origin.origin}/events/${job.eventId}`;
        const actor = this.#actorUri(job.creatorId).href;
        const to = [...(await this.#repo.remoteFriends(job.creatorId)), ...(await this.#repo.remoteByIds(job.answered))];
        // Gancio deletes an event only when the object says it was one.
        await this.#deliverRaw(job.creatorId, to, {
          '@context': EVENT_CONTEXT,
          id: `${url}#delete-${newId()}`,
          type: 'Delete',
          actor,
          to: [PUBLIC],
          object: { id: url, type: 'Tombstone', formerType: 'Event' },
        });
        return;
      }
      case 'deliver':
        return this.#deliver(job);
      case 'rsvp':
        return this.#rsvp(job.eventId, job.userId);
      case 'reject-join': {
        const e = await this.#events.byId(job.eventId);
        const participant = await this.#repo.remoteById(job.remoteId);
        if (!e?.creatorId || e.uri || !participant || (await this.#remote(e.creatorId))) return;
        const join = new Join({ id: new URL(job.joinUri), actor: new URL(participant.uri), object: new URL(`/events/${e.id}`, this.#origin) });
        await this.#send(e.creatorId, [participant], new Reject({ id: new URL(`/users/${e.creatorId}/rejects/${newId()}`, this.#origin), actor: this.#actorUri(e.creatorId), object: join, to: new URL(participant.uri) }));
        return;
      }
      case 'group-join':
      case 'group-leave':
      case 'group-follow':
      case 'group-answer':
      case 'group-accept-follow':
      case 'group-post-delete':
      case 'group-comment-delete':
        return this.#groupsOut.handle(job);
      case 'chat-message':
      case 'chat-change':
        return this.#chatOut.handle(job);
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

  /**
   * Queues one signed POST per server (shared inbox when it has one) of a document we wrote
   * ourselves; each retried on its own by the queue (a dead server delays nobody else).
   */
  async #deliverRaw(from: string, to: RemoteRecipient[], activity: Record<string, unknown>) {
    const inboxes = new Map<string, string>();
    for (const r of to) inboxes.set(r.sharedInbox ?? r.inbox, r.host);
    const body = JSON.stringify(activity);
    for (const [inbox, host] of inboxes) {
      if (!(await this.#policy.federatesWith(host))) continue;
      await this.#queue.enqueue({ t: 'deliver', from, inbox, host, body } satisfies PublishJob, { orderingKey: `deliver:${inbox}` });
    }
  }

  async #deliver(job: Extract<PublishJob, { t: 'deliver' }>) {
    if (!(await this.#policy.federatesWith(job.host))) return;
    const key = (await this.#ctx().getActorKeyPairs(job.from)).find((k) => k.privateKey.algorithm.name === 'RSASSA-PKCS1-v1_5');
    if (!key) return;
    const request = new Request(job.inbox, { method: 'POST', headers: { 'content-type': 'application/activity+json', accept: 'application/activity+json' }, body: job.body });
    // draft-cavage: what Mobilizon and Gancio verify (and Mastodon still does).
    const res = await fetch(await signRequest(request, key.privateKey, key.keyId));
    await res.body?.cancel();
    if (res.ok) return;
    // A refusal will not change by trying again (but a server asking to slow down may).
    if (res.status >= 400 && res.status < 500 && res.status !== 429 && res.status !== 408) return;
    throw new Error(`delivery to ${job.inbox}: HTTP ${res.status}`);
  }

  #eventDoc(e: EventRow, forParticipant = false): Record<string, unknown> {
    const actor = this.#actorUri(e.creatorId!).href;
    return eventDocument({
      origin: this.#origin.origin,
      event: e,
      attributedTo: actor,
      actor,
      cc: [this.#ctx().getFollowersUri(e.creatorId!).href],
      imageUrl: e.imageKey && !e.imageKey.startsWith('remote:') ? new URL(`/media/${e.imageKey}`, this.#origin).href : null,
      hashtags: [],
      forParticipant,
    });
  }

  /**
   * The ActivityStreams document of one of our public events (for servers that fetch it), or null.
   * `viewerId`: the person of another server whose key signed the fetch; a confirmed participant
   * gets the address kept for participants (their server shows it to them alone).
   */
  async eventDocumentOf(eventId: string, viewerId: string | null = null): Promise<{ doc: Record<string, unknown>; private: boolean } | null> {
    const e = await this.#events.byId(eventId);
    if (!e || e.uri || e.visibility !== 'public' || !e.creatorId || (await this.#remote(e.creatorId))) return null;
    const confirmed = Boolean(viewerId && e.hideAddress && (await this.#events.rsvp(e.id, viewerId))?.status === 'going' && (await this.#remote(viewerId)));
    return { doc: this.#eventDoc(e, confirmed), private: confirmed };
  }

  /** A public event of a member's: to their remote friends and to the remote people who answered it. */
  async #event(eventId: string) {
    const e = await this.#events.byId(eventId);
    if (!e || e.uri || e.visibility !== 'public' || !e.creatorId) return;
    const creator = await this.#accounts.userById(e.creatorId);
    if (!creator || creator.host) return;
    const { eventRsvps: r, users } = this.#db.t;
    const answered = (await this.#db.q.select({ u: r.userId }).from(r).innerJoin(users, eq(users.id, r.userId)).where(and(eq(r.eventId, e.id), isNotNull(users.host)))).map((x) => x.u);
    const to = [...(await this.#repo.remoteFriends(e.creatorId)), ...(await this.#repo.remoteByIds(answered))];
    if (!to.length) return;
    const actor = this.#actorUri(e.creatorId).href;
    const followers = this.#ctx().getFollowersUri(e.creatorId).href;
    const doc = this.#eventDoc(e);
    const fresh = e.updatedAt.getTime() - e.createdAt.getTime() < 2000;
    await this.#deliverRaw(e.creatorId, to, {
      '@context': EVENT_CONTEXT,
      id: `${doc.id}#${fresh ? 'create' : `update-${e.updatedAt.getTime()}`}`,
      type: fresh ? 'Create' : 'Update',
      actor,
      to: [PUBLIC],
      cc: [followers],
      object: { ...doc, '@context': undefined },
    });
  }

  /**
   * Answers to events across servers, addressed to the organizer and the participant only (never
   * to followers: who goes to an action is nobody else's business). A member's answer to an event
   * of another server is a Join (or a Leave); an answer here from someone of another server is
   * accepted once they have a seat, or refused.
   */
  async #rsvp(eventId: string, userId: string) {
    const e = await this.#events.byId(eventId);
    const user = await this.#accounts.userById(userId);
    if (!e?.creatorId || !user) return;
    const { eventRsvps: r } = this.#db.t;
    const rsvp = (await this.#db.q.select().from(r).where(and(eq(r.eventId, eventId), eq(r.userId, userId))))[0];
    const key = { orderingKey: `rsvp:${eventId}:${userId}` };
    if (e.uri && !user.host) {
      const organizer = await this.#repo.remoteById(e.creatorId);
      if (!organizer) return;
      const actor = this.#actorUri(userId);
      if (rsvp?.status === 'pending' && !rsvp.uri) {
        const id = new URL(`/users/${userId}/joins/${newId()}`, this.#origin);
        await this.#db.tx(() => this.#db.w.update(r).set({ uri: id.href }).where(and(eq(r.eventId, eventId), eq(r.userId, userId))));
        await this.#send(userId, [organizer], new Join({ id, actor, object: new URL(e.uri), to: new URL(organizer.uri) }), key);
      } else if (rsvp?.uri && (rsvp.status === 'not_going' || rsvp.status === 'interested')) {
        await this.#db.tx(() => this.#db.w.update(r).set({ uri: null }).where(and(eq(r.eventId, eventId), eq(r.userId, userId))));
        await this.#send(userId, [organizer], new Leave({ id: new URL(`/users/${userId}/leaves/${newId()}`, this.#origin), actor, object: new URL(e.uri), to: new URL(organizer.uri) }), key);
      }
      return;
    }
    if (!e.uri && user.host && rsvp?.uri && (rsvp.status === 'going' || rsvp.status === 'rejected')) {
      if (await this.#remote(e.creatorId)) return;
      const participant = await this.#repo.remoteById(userId);
      if (!participant) return;
      const join = new Join({ id: new URL(rsvp.uri), actor: new URL(participant.uri), object: new URL(`/events/${e.id}`, this.#origin) });
      const Kind = rsvp.status === 'going' ? Accept : Reject;
      await this.#send(e.creatorId, [participant], new Kind({ id: new URL(`/users/${e.creatorId}/${rsvp.status === 'going' ? 'accepts' : 'rejects'}/${newId()}`, this.#origin), actor: this.#actorUri(e.creatorId), object: join, to: new URL(participant.uri) }), key);
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
    if (post?.groupId) return this.#groupsOut.post(post, update);
    // Only our members' posts to the public or their friends leave.
    if (!post || post.uri || (post.audience !== 'public' && post.audience !== 'friends')) return;
    const mentionedIds = await this.#posts.mentionedIds(post.id);
    const r = await this.#postRecipients(post.authorId, post.audience, mentionedIds);
    if (!r.list.length) return;
    const images = await this.#posts.images([post.id]);
    const mentions = await this.#mentions(mentionedIds);
    const hashtags = await this.#posts.hashtagsOf(post.id);
    const Kind = update ? Update : Create;
    const id = new URL(`/posts/${post.id}#${update ? `update-${newId()}` : 'create'}`, this.#origin);
    await this.#sendAddressed(
      post.authorId,
      post.audience,
      r,
      (tos, ccs) => new Kind({ id, actor: this.#actorUri(post.authorId), object: postNote(this.#origin.origin, post, this.#author(post.authorId), { to: tos, cc: ccs, images, mentions, hashtags }), tos, ccs }),
      `post:${post.id}`,
    );
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
    if (!comment) return;
    const post = await this.#posts.byId(comment.postId);
    if (!post) return;
    if (post.groupId) return this.#groupsOut.comment(comment, post, update);
    if (comment.uri || (await this.#remote(comment.authorId))) return;
    const r = await this.#commentRecipients(post);
    if (!r.list.length) return;
    const parent = comment.parentId ? await this.#posts.comment(comment.parentId) : null;
    const inReplyTo = parent ? new URL(parent.uri ?? `/posts/${parent.id}`, this.#origin) : new URL(post.uri ?? `/posts/${post.id}`, this.#origin);
    const Kind = update ? Update : Create;
    const id = new URL(`/posts/${comment.id}#${update ? `update-${newId()}` : 'create'}`, this.#origin);
    // A comment on a friends-only post of ours goes like the post; on a remote post, to its author.
    const audience = post.uri ? 'public' : post.audience;
    await this.#sendAddressed(
      comment.authorId,
      audience,
      r,
      (tos, ccs) => new Kind({ id, actor: this.#actorUri(comment.authorId), object: commentNote(this.#origin.origin, comment, this.#author(comment.authorId), inReplyTo, { to: tos, cc: ccs }), tos, ccs }),
      `comment:${comment.id}`,
    );
  }
}
