// The way in (decision 0017). Fedify has verified the HTTP signature and that the key belongs to
// the activity's actor before any listener runs. Each listener then: checks the instance policy,
// resolves the actor to our row (fetched from its own origin), checks ownership (only an object's
// author updates, deletes or undoes it: FEP-fe34), and calls the same services as the web pages,
// on behalf of that row. What we do not handle is kept raw for 30 days (the inbound log) and
// otherwise ignored.
import { getLogger } from '@logtape/logtape';
import { Accept, Activity, Create, Delete, Event as ApEvent, Follow, Join, Leave, Like, Note, Reject, Undo, Update, Article, Page, type Object as ApObject } from '@fedify/vocab';
import type { InboxContext } from '@fedify/fedify';
import { and, eq } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import type { AppFederation } from './federation.ts';
import type { RemoteActors, ResolvedActor } from './actors.ts';
import type { FederationPolicy } from './policy.ts';
import type { InboundLog } from './inbound-log.ts';
import type { KnownInstances } from './instances.ts';
import type { Publisher } from './publisher.ts';
import type { FriendService } from '../friends/service.ts';
import type { PostsRepository } from '../posts/repository.ts';
import type { RemotePosts } from '../posts/remote.ts';
import type { FederationRepository } from './repository.ts';
import type { PrivacyService } from '../privacy/service.ts';
import { readNote, type ReadNote } from './notes.ts';
import { readEvent } from './event-in.ts';
import type { RemoteEvents } from '../events/remote.ts';
import type { RsvpService } from '../events/rsvp.ts';

export interface InboxDeps {
  db: Database;
  publicUrl: URL;
  actors: RemoteActors;
  policy: FederationPolicy;
  inbound: InboundLog;
  instances: KnownInstances;
  publisher: Publisher;
  friends: FriendService;
  posts: PostsRepository;
  remotePosts: RemotePosts;
  repo: FederationRepository;
  privacy: PrivacyService;
  remoteEvents: RemoteEvents;
  rsvps: RsvpService;
}

type Ctx = InboxContext<null>;

export function setupInbox(federation: AppFederation, d: InboxDeps) {
  const log = getLogger(['militant', 'federation', 'inbox']);

  /** The sender as our row, if its server is one we federate with; null to drop the activity. */
  const sender = async (ctx: Ctx, activity: Activity): Promise<ResolvedActor | null> => {
    const actorId = activity.actorId;
    if (!actorId || d.actors.isLocal(actorId)) return null;
    await d.inbound.record(activity, ctx.recipient ?? null);
    await d.instances.seen(actorId, true);
    if (!(await d.policy.federatesWith(actorId.host))) return null;
    return d.actors.resolve(actorId);
  };

  /** Our member a URI names (/users/{id}), if it is one of ours. */
  const localMember = (ctx: Ctx, uri: URL | null): string | null => {
    const parsed = ctx.parseUri(uri);
    return parsed?.type === 'actor' && parsed.identifier !== 'instance' ? parsed.identifier : null;
  };

  /** Our post or comment a URI names, or a remote one we keep. */
  const target = async (ctx: Ctx, uri: URL | null) => {
    if (!uri) return null;
    const parsed = ctx.parseUri(uri);
    if (parsed?.type === 'object') {
      // Ours: /posts/{id} names a post or a comment.
      const id = parsed.values.id;
      const own = await d.posts.byId(id);
      if (own) return { post: own, commentId: null };
      const comment = await d.posts.comment(id);
      const post = comment ? await d.posts.byId(comment.postId) : undefined;
      return post ? { post, commentId: comment!.id } : null;
    }
    const post = await d.remotePosts.byUri(uri.href);
    if (post) return { post, commentId: null };
    const comment = await d.remotePosts.commentByUri(uri.href);
    const parentPost = comment ? await d.posts.byId(comment.postId) : undefined;
    return parentPost ? { post: parentPost, commentId: comment!.id } : null;
  };

  /** A Note (or Article, Page) of the sender's: a reply becomes a comment, a post is kept if someone here follows its author. */
  const storeNote = async (ctx: Ctx, from: ResolvedActor, object: ApObject) => {
    if (from.kind !== 'person') return;
    const note = await readNote(object, from, d.actors, ctx);
    if (!note) return;
    if (note.inReplyTo) {
      const t = await target(ctx, note.inReplyTo);
      if (t) await d.remotePosts.storeComment(from.id, t.post, t.commentId, note.text);
      return;
    }
    if (!note.audience) return;
    if (!(await d.repo.hasLocalFriend(from.id)) && !(await mentionsLocal(note))) return;
    await d.remotePosts.storePost(from.id, { ...note.text, audience: note.audience, hashtags: note.hashtags, images: note.images });
  };
  /** An Event of the sender's (Mobilizon, Gancio, FEP-8a8e, ours): kept when someone here is their friend, or already kept. */
  const storeEvent = async (from: ResolvedActor, object: ApObject) => {
    if (from.kind !== 'person' || !object.id) return;
    // The document as its server publishes it: Fedify's vocabulary keeps none of the keys events
    // are made of (joinMode, timezone, PostalAddress…), so it is read again, raw, from its origin.
    const raw = await d.actors.fetchRaw(object.id.href);
    if (!raw) return;
    const fields = readEvent(raw, new URL(from.remote.uri).origin);
    if (!fields) return;
    const attributed = [object.attributionIds.map((u) => u.href), typeof raw.actor === 'string' ? [raw.actor] : []].flat();
    if (!attributed.includes(from.remote.uri)) return;
    if (!(await d.repo.hasLocalFriend(from.id)) && !(await d.remoteEvents.byUri(fields.uri))) return;
    await d.remoteEvents.store(from.id, fields);
  };
  /** The id of one of our events a URI names (/events/{id}). */
  const ourEvent = (uri: URL | null): string | null => {
    if (!uri || uri.origin !== d.publicUrl.origin) return null;
    return /^\/events\/([A-Za-z0-9_-]{1,64})$/.exec(uri.pathname)?.[1] ?? null;
  };
  const mentionsLocal = async (note: ReadNote) => {
    for (const id of note.text.mentionIds) if (!(await d.actors.byId(id))) return true;
    return false;
  };

  federation
    .setInboxListeners('/users/{identifier}/inbox', '/inbox')
    .on(Follow, async (ctx, follow) => {
      const from = await sender(ctx, follow);
      if (!from || !follow.id || from.kind !== 'person') return;
      const localId = localMember(ctx, follow.objectId);
      if (!localId) return;
      const answer = await d.friends.remoteRequest(from.id, localId, follow.id.href);
      if (answer === 'accept') await d.publisher.enqueue({ t: 'accept', localId, remoteId: from.id, followUri: follow.id.href, followBack: true });
      if (answer === 'reject') await d.publisher.enqueue({ t: 'reject', localId, remoteId: from.id, followUri: follow.id.href });
    })
    .on(Accept, async (ctx, accept) => {
      const from = await sender(ctx, accept);
      if (!from || from.kind !== 'person') return;
      // The Follow it accepts is one of ours: found by its id among the requests we sent.
      const followId = accept.objectId?.href;
      const requester = followId ? await requestBy(from.id, followId) : null;
      if (requester) await d.friends.remoteAccepted(from.id, requester);
      // Or a member's Join of one of their events.
      else if (followId) await d.rsvps.joinAnswered(followId, from.id, true);
    })
    .on(Reject, async (ctx, reject) => {
      const from = await sender(ctx, reject);
      if (!from || from.kind !== 'person') return;
      const followId = reject.objectId?.href;
      if (!followId) return;
      const local = (await requestBy(from.id, followId)) ?? (await followedBy(from.id, followId));
      if (local) await d.friends.remoteEnded(from.id, local);
      else await d.rsvps.joinAnswered(followId, from.id, false);
    })
    .on(Undo, async (ctx, undo) => {
      const from = await sender(ctx, undo);
      if (!from) return;
      const objectId = undo.objectId?.href;
      if (!objectId) return;
      // Their Follow (a request, or their side of a friendship), or their Like.
      const local = (await requestFrom(from.id, objectId)) ?? (await followFrom(from.id, objectId));
      if (local) return d.friends.remoteEnded(from.id, local);
      const liked = await d.remotePosts.likedByUri(objectId);
      if (liked && liked.userId === from.id) {
        const post = await d.posts.byId(liked.postId);
        if (post) await d.remotePosts.like(from.id, post, null, false);
      }
    })
    .on(Create, async (ctx, create) => {
      const from = await sender(ctx, create);
      if (!from) return;
      const object = await create.getObject().catch(() => null);
      if (object instanceof Note || object instanceof Article || object instanceof Page) await storeNote(ctx, from, object);
      else if (object instanceof ApEvent) await storeEvent(from, object);
    })
    .on(Update, async (ctx, update) => {
      const from = await sender(ctx, update);
      if (!from) return;
      if (update.objectId?.href === from.remote.uri) {
        // A profile changed: read it again from its origin rather than from the activity.
        await d.actors.resolve(update.objectId, { refresh: true });
        return;
      }
      const object = await update.getObject().catch(() => null);
      if (object instanceof Note || object instanceof Article || object instanceof Page) await storeNote(ctx, from, object);
      else if (object instanceof ApEvent) await storeEvent(from, object);
    })
    .on(Delete, async (ctx, del) => {
      const actorId = del.actorId;
      if (!actorId) return;
      const objectId = del.objectId?.href;
      if (objectId === actorId.href) {
        // An account deleted on its server: its content goes here too (Fedify has checked the signature).
        const known = await d.actors.byUri(actorId.href);
        if (known?.kind === 'person') await d.privacy.eraseRemote(known.id);
        return;
      }
      const from = await sender(ctx, del);
      if (!from || !objectId) return;
      if (!(await d.remotePosts.deleteByUri(from.id, objectId))) await d.remoteEvents.deleteByUri(from.id, objectId);
    })
    .on(Join, async (ctx, join) => {
      const from = await sender(ctx, join);
      const eventId = ourEvent(join.objectId);
      if (!from || from.kind !== 'person' || !join.id || !eventId) return;
      const status = await d.rsvps.remoteAnswer(from.id, eventId, 'going', join.id.href);
      // Accepted (or later, once approved or given a seat) by the publisher; refused here at once.
      if (!status) await d.publisher.enqueue({ t: 'reject-join', eventId, remoteId: from.id, joinUri: join.id.href });
    })
    .on(Leave, async (ctx, leave) => {
      const from = await sender(ctx, leave);
      const eventId = ourEvent(leave.objectId);
      if (!from || from.kind !== 'person' || !eventId) return;
      await d.rsvps.remoteAnswer(from.id, eventId, 'not_going', null);
    })
    .on(Like, async (ctx, like) => {
      const from = await sender(ctx, like);
      if (!from || from.kind !== 'person' || !like.objectId) return;
      const t = await target(ctx, like.objectId);
      if (t && !t.commentId) await d.remotePosts.like(from.id, t.post, like.id?.href ?? null, true);
    })
    .on(Activity, async (ctx, activity) => {
      // Anything else: kept for audits (and the issues that will handle it).
      await sender(ctx, activity);
    })
    .onError((_ctx, error) => {
      log.warn('inbox delivery not processed: {error}', { error });
    });

  const { friendRequests: q, friendships: f } = d.db.t;
  /** The member who sent the request this Follow id carries, to this remote person. */
  const requestBy = async (remoteId: string, followId: string) =>
    (await d.db.q.select({ u: q.fromId }).from(q).where(and(eq(q.toId, remoteId), eq(q.uri, followId))))[0]?.u ?? null;
  const requestFrom = async (remoteId: string, followId: string) =>
    (await d.db.q.select({ u: q.toId }).from(q).where(and(eq(q.fromId, remoteId), eq(q.uri, followId))))[0]?.u ?? null;
  /** The member whose Follow (their side of a friendship) has this id. */
  const followedBy = async (remoteId: string, followId: string) =>
    (await d.db.q.select({ u: f.userId }).from(f).where(and(eq(f.friendId, remoteId), eq(f.followUri, followId))))[0]?.u ?? null;
  const followFrom = async (remoteId: string, followId: string) =>
    (await d.db.q.select({ u: f.friendId }).from(f).where(and(eq(f.userId, remoteId), eq(f.followUri, followId))))[0]?.u ?? null;
}
