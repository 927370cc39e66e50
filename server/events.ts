// Domain events: what services announce after they commit, for the outbound side (real-time,
// federation publisher, notifier) to act on. Services never call those layers directly.
import { EventEmitter } from 'node:events';
import type { MessageView } from './chat/service.ts';

export interface DomainEvents {
  /** These sessions no longer exist (logout, password change, suspension, deletion). */
  'sessions.ended': { userId: string; sessionIds: string[] };
  'user.created': { userId: string };
  'user.updated': { userId: string };
  'user.deleted': { userId: string };
  'user.suspended': { userId: string };
  /** A member's unread count may have changed. */
  'notification.created': { userId: string };
  /** A new post, for the live feeds of those who may see it (they fetch it, checked, by id). */
  'post.created': { postId: string; userIds: string[]; groupId: string | null; audience: 'public' | 'friends' | 'group' | 'private' };
  /** A post was edited, deleted, liked or unliked; a comment written, edited or deleted (for the publisher). */
  'post.updated': { postId: string };
  'post.deleted': { postId: string; authorId: string; audience: 'public' | 'friends' | 'group' | 'private'; groupId: string | null; uri: string | null; mentioned: string[] };
  'post.liked': { postId: string; userId: string; liked: boolean };
  'comment.created': { commentId: string; postId: string };
  'comment.updated': { commentId: string; postId: string };
  'comment.deleted': { commentId: string; postId: string; authorId: string; uri: string | null };
  /** A member's standing with a group changed: member or not, follower or not (live rooms follow). */
  'group.membership': { groupId: string; userId: string; member: boolean; following: boolean };
  /**
   * Groups across servers (the federation publisher turns these into Join, Leave, Follow, Undo,
   * Accept and Reject): a member asked to join, left or (un)followed a group of another server;
   * a group here answered someone of another server (`approved` false also when they are removed).
   */
  'group.remote_join': { groupId: string; userId: string };
  'group.remote_leave': { groupId: string; userId: string; joinUri: string | null };
  'group.remote_follow': { groupId: string; userId: string; follow: boolean; uri: string | null };
  'group.answered': { groupId: string; userId: string; approved: boolean; joinUri: string | null };
  /** An event was created, changed or deleted (for the federation publisher, later). */
  'event.changed': { eventId: string };
  /** An event was deleted (the publisher tells the servers that had it). */
  'event.deleted': { eventId: string; creatorId: string | null; visibility: 'public' | 'group' | 'friends' | 'unlisted'; uri: string | null; answered: string[] };
  /** A member's answer to an event changed (live counts, chat rooms later). */
  'event.rsvp': { eventId: string; userId: string };
  /** Answers to these events were removed (an account was erased): counts and waiting lists move. */
  'event.answers_removed': { eventIds: string[] };
  /**
   * Friendship across servers (the federation publisher turns these into Follow, Accept, Reject
   * and Undo when one side is remote). `requestUri` / `…Follow`: the Follow activities that carried
   * the request or the friendship, when they came from or went to another server.
   */
  'friend.requested': { fromId: string; toId: string };
  'friend.accepted': { userId: string; friendId: string; requestUri: string | null };
  'friend.declined': { fromId: string; toId: string; requestUri: string | null };
  'friend.withdrawn': { fromId: string; toId: string; requestUri: string | null };
  'friend.ended': { userId: string; otherId: string; ourFollow: string | null; theirFollow: string | null };
  /** A member blocked another (rooms between them close at once). */
  'relation.blocked': { blockerId: string; blockedId: string };
  /** Members gained or lost access to a direct or private chat room. */
  'chat.access': { roomId: string; userIds: string[]; granted: boolean };
  /** A group got a new channel (its members' sockets join it). */
  'chat.group_room': { groupId: string; roomId: string };
  'chat.room_deleted': { roomId: string };
  /**
   * A message was stored (`created`: the room's kind and the members it mentions, for
   * notifications), or changed (edit, deletion, reaction: `created` is null), for live sockets.
   */
  'chat.message': {
    roomId: string;
    message: MessageView;
    created: { roomKind: 'direct' | 'private' | 'group' | 'event'; mentioned: string[] } | null;
    /** The room has someone of another server (the federation publisher sends the message on). */
    federated: boolean;
  };
  /** A member's read position moved (their other devices update their counts). */
  'chat.read': { userId: string; roomId: string; readSeq: number; total: number };
}

export class EventBus {
  readonly #emitter = new EventEmitter();
  constructor() {
    this.#emitter.setMaxListeners(50);
  }
  emit<K extends keyof DomainEvents>(name: K, payload: DomainEvents[K]): void {
    // A failing listener must not undo or fail the committed action that emitted the event.
    for (const listener of this.#emitter.listeners(name)) {
      try {
        const r = (listener as (p: DomainEvents[K]) => unknown)(payload);
        if (r instanceof Promise) r.catch((e) => this.#emitter.emit('error', e));
      } catch (e) {
        this.#emitter.emit('error', e);
      }
    }
  }
  on<K extends keyof DomainEvents>(name: K, listener: (payload: DomainEvents[K]) => void | Promise<void>): () => void {
    this.#emitter.on(name, listener);
    return () => this.#emitter.off(name, listener);
  }
  onError(handler: (e: unknown) => void) {
    this.#emitter.on('error', handler);
  }
}
