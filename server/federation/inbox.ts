// The way in (decision 0017). Fedify has verified the HTTP signature and that the key belongs to
// the activity's actor before any listener runs. Each listener then: checks the instance policy,
// resolves the actor to our row (fetched from its own origin), checks ownership (only an object's
// author updates, deletes or undoes it: FEP-fe34), and calls the same services as the web pages,
// on behalf of that row. What we do not handle is kept raw for 30 days (the inbound log) and
// otherwise ignored.
import { getLogger } from '@logtape/logtape';
import { Accept, Activity, Announce, ChatMessage, Create, Delete, Event as ApEvent, Follow, Join, Leave, Like, Note, Reject, Undo, Update, Article, Page, type Object as ApObject } from '@fedify/vocab';
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
import type { GroupService } from '../groups/service.ts';
import type { GroupsRepository } from '../groups/repository.ts';
import type { ChatService } from '../chat/service.ts';
import { remoteText, sanitizeRemoteHtml } from './content.ts';

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
  groups: GroupService;
  groupsRepo: GroupsRepository;
  chat: ChatService;
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

  /** Our member a URI names (/users/{id}), if it is one of ours (groups share the address space). */
  const localMember = (ctx: Ctx, uri: URL | null): string | null => {
    const parsed = ctx.parseUri(uri);
    return parsed?.type === 'actor' && parsed.identifier !== 'instance' ? parsed.identifier : null;
  };
  /** Our group a URI names, if it is one of ours. */
  const localGroup = async (ctx: Ctx, uri: URL | string | null): Promise<string | null> => {
    const id = localMember(ctx, uri ? new URL(uri) : null);
    if (!id) return null;
    const group = await d.groupsRepo.byId(id);
    return group && !group.host ? group.id : null;
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
    // Posted in one of our groups, by one of its members: the group's post (the group redistributes it).
    let groupId: string | null = null;
    for (const uri of note.addressed) if ((groupId = await localGroup(ctx, uri))) break;
    if (groupId) {
      if (note.inReplyTo) {
        const t = await target(ctx, note.inReplyTo);
        if (t && t.post.groupId === groupId) await d.remotePosts.storeComment(from.id, t.post, t.commentId, note.text);
        return;
      }
      if (!(await d.groupsRepo.role(groupId, from.id))) return;
      await d.remotePosts.storePost(from.id, { ...note.text, audience: note.isPublic ? 'public' : 'group', groupId, hashtags: note.hashtags, images: note.images });
      return;
    }
    if (note.inReplyTo) {
      const t = await target(ctx, note.inReplyTo);
      if (t) await d.remotePosts.storeComment(from.id, t.post, t.commentId, note.text);
      return;
    }
    if (!note.audience) return;
    // Kept when someone here is their friend, or, unless their server is silenced here, when it mentions a member.
    const friended = await d.repo.hasLocalFriend(from.id);
    if (!friended && ((await d.policy.rules(from.remote.host)).silenced || !(await mentionsLocal(note)))) return;
    await d.remotePosts.storePost(from.id, { ...note.text, audience: note.audience, hashtags: note.hashtags, images: note.images });
  };
  /**
   * A chat message of the sender's (LitePub's ChatMessage): to a member here, into their
   * one-to-one room; to a group here, into its main room (members only). `group`: redistributed
   * by that group of another server, which vouches for its members. Stored once (by its id), in
   * the order its server sent it (one sender's activities are handled in turn).
   */
  const storeChat = async (ctx: Ctx, from: ResolvedActor, object: ChatMessage, update: boolean, group: ResolvedActor | null = null) => {
    if (from.kind !== 'person' || !object.id || object.id.origin !== new URL(from.remote.uri).origin) return;
    if (!object.attributionIds.some((u) => u.href === from.remote.uri)) return;
    const html = sanitizeRemoteHtml(object.content?.toString() ?? '');
    const text = remoteText(html, 5000);
    if (!text) return;
    if (update) {
      const row = await d.chat.remoteMessage(object.id.href);
      if (row && row.authorId === from.id) await d.chat.editRemote(row, { html, text });
      return;
    }
    const addressed = [...object.toIds, ...object.ccIds, ...object.audienceIds].map((u) => u.href);
    let room = null;
    if (group) {
      if (addressed.includes(group.remote.uri)) room = await d.chat.remoteRoom(from.id, { groupId: group.id, vouchedByGroup: true });
    } else {
      for (const uri of addressed) {
        const groupId = await localGroup(ctx, uri);
        const memberId = groupId ? null : localMember(ctx, new URL(uri));
        room = groupId ? await d.chat.remoteRoom(from.id, { groupId }) : memberId ? await d.chat.remoteRoom(from.id, { memberId }) : null;
        if (room) break;
      }
    }
    if (!room) return;
    const published = object.published ? new Date(object.published.epochMilliseconds) : new Date();
    await d.chat.receiveRemote(from.id, room, { uri: object.id.href, html, text, createdAt: published });
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
      // A group here: followed for its public posts, accepted at once.
      const groupId = await localGroup(ctx, follow.objectId);
      if (groupId) {
        if (await d.groups.remoteFollow(from.id, groupId, true, follow.id.href)) await d.publisher.enqueue({ t: 'group-accept-follow', groupId, remoteId: from.id, followUri: follow.id.href });
        return;
      }
      const answer = await d.friends.remoteRequest(from.id, localId, follow.id.href);
      if (answer === 'accept') await d.publisher.enqueue({ t: 'accept', localId, remoteId: from.id, followUri: follow.id.href, followBack: true });
      if (answer === 'reject') await d.publisher.enqueue({ t: 'reject', localId, remoteId: from.id, followUri: follow.id.href });
    })
    .on(Accept, async (ctx, accept) => {
      const from = await sender(ctx, accept);
      if (from?.kind === 'group') {
        const member = await joinOf(ctx, from.id, accept);
        if (member) await d.groups.joinAnswered(from.id, member, true);
        return;
      }
      if (!from || from.kind !== 'person') return;
      // The Follow it accepts is one of ours: found by its id among the requests we sent.
      const followId = accept.objectId?.href;
      const requester = followId ? await requestBy(from.id, followId) : null;
      if (requester) await d.friends.remoteAccepted(from.id, requester);
      // Or a member's Join of one of their events: once confirmed, the event is read again signed
      // as the member, so that the organizer's server gives them the address kept for participants.
      else if (followId) {
        const answered = await d.rsvps.joinAnswered(followId, from.id, true);
        const e = answered ? await d.remoteEvents.byId(answered.eventId) : undefined;
        if (answered && e?.uri) {
          const loader = await ctx.getDocumentLoader({ identifier: answered.userId });
          const raw = await loader(e.uri).then((x) => x.document as Record<string, unknown>).catch(() => null);
          const fields = raw && typeof raw === 'object' ? readEvent(raw, new URL(from.remote.uri).origin) : null;
          if (fields) await d.remoteEvents.setParticipantAddress(e.id, fields);
        }
      }
    })
    .on(Reject, async (ctx, reject) => {
      const from = await sender(ctx, reject);
      if (from?.kind === 'group') {
        const member = await joinOf(ctx, from.id, reject);
        if (member) await d.groups.joinAnswered(from.id, member, false);
        else {
          // Our Follow of the group, refused or ended.
          const follower = reject.objectId ? await groupFollowBy(from.id, reject.objectId.href) : null;
          if (follower) await d.db.tx(() => d.groupsRepo.setFollow(from.id, follower, false, new Date()));
        }
        return;
      }
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
      // Their Follow of a group here.
      const followed = await groupFollowOf(from.id, objectId);
      if (followed) return void (await d.groups.remoteFollow(from.id, followed, false, null));
      const interest = await d.rsvps.interestByUri(objectId);
      if (interest && interest.userId === from.id) return d.rsvps.remoteInterest(from.id, interest.eventId, objectId, false);
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
      else if (object instanceof ChatMessage) await storeChat(ctx, from, object, false);
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
      else if (object instanceof ChatMessage) await storeChat(ctx, from, object, true);
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
      if (from.kind === 'group') return void (await deleteInGroup(from, objectId));
      // A chat message, by its author.
      const message = await d.chat.remoteMessage(objectId);
      if (message) {
        if (message.authorId === from.id) await d.chat.removeRemote(message);
        return;
      }
      // A post or comment in one of our groups: the group tells its other members' servers.
      const post = await d.remotePosts.byUri(objectId);
      const comment = post ? undefined : await d.remotePosts.commentByUri(objectId);
      const inGroup = post?.groupId ?? (comment ? (await d.posts.byId(comment.postId))?.groupId : null) ?? null;
      if (await d.remotePosts.deleteByUri(from.id, objectId)) {
        if (inGroup && post) await d.publisher.enqueue({ t: 'group-post-delete', postId: post.id, groupId: inGroup, authorId: from.id, audience: post.audience, uri: objectId });
        else if (inGroup && comment) await d.publisher.enqueue({ t: 'group-comment-delete', commentId: comment.id, postId: comment.postId, authorId: from.id, uri: objectId });
        return;
      }
      await d.remoteEvents.deleteByUri(from.id, objectId);
    })
    .on(Join, async (ctx, join) => {
      const from = await sender(ctx, join);
      const groupId = await localGroup(ctx, join.objectId);
      if (groupId) {
        if (from?.kind === 'person' && join.id) await d.groups.remoteJoin(from.id, groupId, join.id.href);
        return;
      }
      const eventId = ourEvent(join.objectId);
      if (!from || from.kind !== 'person' || !join.id || !eventId) return;
      const status = await d.rsvps.remoteAnswer(from.id, eventId, 'going', join.id.href);
      // Accepted (or later, once approved or given a seat) by the publisher; refused here at once.
      if (!status) await d.publisher.enqueue({ t: 'reject-join', eventId, remoteId: from.id, joinUri: join.id.href });
    })
    .on(Leave, async (ctx, leave) => {
      const from = await sender(ctx, leave);
      const groupId = await localGroup(ctx, leave.objectId);
      if (groupId) {
        if (from?.kind === 'person') await d.groups.remoteLeave(from.id, groupId);
        return;
      }
      const eventId = ourEvent(leave.objectId);
      if (!from || from.kind !== 'person' || !eventId) return;
      await d.rsvps.remoteAnswer(from.id, eventId, 'not_going', null);
    })
    .on(Like, async (ctx, like) => {
      const from = await sender(ctx, like);
      if (!from || from.kind !== 'person' || !like.objectId) return;
      // A Like of one of our events (Mastodon's star on an event it shows as a post): interested.
      const likedEvent = ourEvent(like.objectId);
      if (likedEvent) {
        if (like.id) await d.rsvps.remoteInterest(from.id, likedEvent, like.id.href, true);
        return;
      }
      const t = await target(ctx, like.objectId);
      if (t && !t.commentId) await d.remotePosts.like(from.id, t.post, like.id?.href ?? null, true);
    })
    .on(Announce, async (ctx, announce) => {
      const from = await sender(ctx, announce);
      // Groups of other servers redistribute what is posted in them (FEP-1b12); boosts by people are not kept.
      if (!from || from.kind !== 'group') return;
      if (!(await d.repo.groupHasLocalAudience(from.id, true)) && !(await d.repo.groupHasLocalAudience(from.id, false))) return;
      await receiveFromGroup(ctx, from, announce);
    })
    .on(Activity, async (ctx, activity) => {
      // Anything else: kept for audits (and the issues that will handle it).
      await sender(ctx, activity);
    })
    .onError((_ctx, error) => {
      log.warn('inbox delivery not processed: {error}', { error });
    });

  /**
   * What a group of another server redistributes: the Create, Update or Delete of a post or
   * comment (embedded, or by address), or a post's address (Mastodon's form). The group's server
   * is trusted for what it hosts and for deletions in the group (its moderators); an object of a
   * third server is read again from its own origin.
   */
  const receiveFromGroup = async (ctx: Ctx, group: ResolvedActor, announce: Announce) => {
    const groupOrigin = new URL(group.remote.uri).origin;
    const documentLoader = await ctx.getDocumentLoader({ identifier: 'instance' });
    const inner = await announce.getObject({ documentLoader }).catch(() => null);
    if (!inner) return;
    if (inner instanceof Delete) {
      if (inner.objectId) await deleteInGroup(group, inner.objectId.href);
      return;
    }
    let object: ApObject | null = inner instanceof Create || inner instanceof Update ? await inner.getObject({ documentLoader }).catch(() => null) : inner;
    if (!object?.id || d.actors.isLocal(object.id)) return;
    if (object instanceof ChatMessage) {
      // A message of the group's room: taken when the group's server hosts it (chat messages are
      // not served at their address, so one of a third server cannot be confirmed).
      if (object.id.origin !== groupOrigin) return;
      const authorUri = object.attributionIds[0];
      const author = authorUri && !d.actors.isLocal(authorUri) ? await d.actors.resolve(authorUri) : null;
      if (author) await storeChat(ctx, author, object, inner instanceof Update, group);
      return;
    }
    if (!(object instanceof Note || object instanceof Article || object instanceof Page)) return;
    if (object.id.origin !== groupOrigin) {
      const fetched = await d.actors.fetchObject(object.id.href).catch(() => null);
      object = fetched instanceof Note || fetched instanceof Article || fetched instanceof Page ? fetched : null;
      if (!object?.id) return;
    }
    const authorUri = object.attributionIds[0];
    if (!authorUri || d.actors.isLocal(authorUri)) return;
    const author = await d.actors.resolve(authorUri);
    if (author?.kind !== 'person') return;
    const note = await readNote(object, author, d.actors, ctx);
    if (!note || !note.addressed.includes(group.remote.uri)) return;
    if (note.inReplyTo) {
      const t = await target(ctx, note.inReplyTo);
      if (t && t.post.groupId === group.id) await d.remotePosts.storeComment(author.id, t.post, t.commentId, note.text, { vouchedByGroup: true });
      return;
    }
    await d.remotePosts.storePost(author.id, { ...note.text, audience: note.isPublic ? 'public' : 'group', groupId: group.id, hashtags: note.hashtags, images: note.images });
  };

  /** A deletion a group of another server announces: a post, a comment or a message of its room. */
  const deleteInGroup = async (group: ResolvedActor, uri: string) => {
    if (await d.remotePosts.deleteInGroup(group.id, uri)) return;
    const message = await d.chat.remoteMessage(uri);
    const room = message ? await d.chat.roomById(message.roomId) : null;
    if (message && room?.groupId === group.id) await d.chat.removeRemote(message);
  };

  /** Our member whose Join an Accept or Reject from a group answers: by the Join's id, or the embedded Join's actor. */
  const joinOf = async (ctx: Ctx, groupId: string, answer: Accept | Reject): Promise<string | null> => {
    const { groupJoinRequests: r, groupMembers: m } = d.db.t;
    const joinId = answer.objectId?.href;
    if (joinId) {
      const row =
        (await d.db.q.select({ u: r.userId }).from(r).where(and(eq(r.groupId, groupId), eq(r.uri, joinId))))[0] ??
        (await d.db.q.select({ u: m.userId }).from(m).where(and(eq(m.groupId, groupId), eq(m.uri, joinId))))[0];
      if (row) return row.u;
    }
    const object = await answer.getObject().catch(() => null);
    if (!(object instanceof Join)) return null;
    const member = localMember(ctx, object.actorId);
    if (!member || !(await d.groupsRepo.joinRequest(groupId, member)) && !(await d.groupsRepo.role(groupId, member))) return null;
    return member;
  };

  const { friendRequests: q, friendships: f, groupFollows: gf } = d.db.t;
  /** Our member whose Follow of a group of another server has this id. */
  const groupFollowBy = async (groupId: string, followId: string) =>
    (await d.db.q.select({ u: gf.userId }).from(gf).where(and(eq(gf.groupId, groupId), eq(gf.uri, followId))))[0]?.u ?? null;
  /** The group here that a remote person's Follow (by its id) follows. */
  const groupFollowOf = async (remoteId: string, followId: string) =>
    (await d.db.q.select({ g: gf.groupId }).from(gf).where(and(eq(gf.userId, remoteId), eq(gf.uri, followId))))[0]?.g ?? null;
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
