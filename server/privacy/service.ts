// The one place that lists where personal data lives (GDPR art. 30 record, art. 15/20 export,
// art. 17 erasure). Every table of the schema must appear in PERSONAL_DATA or in NOT_PERSONAL
// (checked by a test), so a new table cannot be forgotten by export and erasure.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { and, asc, count, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import { strToU8, zipSync } from 'fflate';
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import type { EventBus } from '../events.ts';
import { fail } from '../errors.ts';
import type { MediaStore } from '../media/store.ts';
import { parse } from '../validation.ts';
import { type Actor, requireActor } from '../accounts/actor.ts';
import type { AccountsRepository, UserRow } from '../accounts/repository.ts';
import type { SessionService } from '../accounts/sessions.ts';
import type { GroupsRepository } from '../groups/repository.ts';
import { csvTable } from '../csv.ts';

/** Tables with rows about a member: what the row holds, and how erasure treats it. */
export const PERSONAL_DATA = {
  users: 'the account: email, names, postal code and commune, phone, skills, bio, settings, consent — deleted',
  sessions: 'open sessions (device label, dates; no IP) — deleted with the account',
  email_challenges: 'pending codes for the account or its email — deleted',
  mails: 'mails to the member (bodies dropped once sent, all purged after 7 days) — deleted',
  actor_keys: "the member's federation key pairs — deleted",
  friend_requests: 'friend requests sent and received — deleted',
  friendships: 'friendships (both directions) — deleted',
  blocks: 'members blocked and blocking — deleted',
  group_members: 'memberships, roles, contact-sharing consent — deleted (a sole group admin hands over first)',
  group_join_requests: 'pending requests to join groups, with answers — deleted',
  group_invitations: 'invitations received — deleted; as inviter, the link to the member is removed',
  group_follows: 'groups followed — deleted',
  posts: 'posts (text, audience, dates) — deleted with their comments, likes and images',
  post_images: 'pictures attached to posts (files deleted too)',
  post_mentions: 'mentions of the member in posts — deleted',
  comments: 'comments written — deleted, with the replies to them',
  likes: 'likes given — deleted',
  notifications: 'notifications received, and those the member caused — deleted',
  notification_prefs: 'notification preferences — deleted',
  events: 'events the member organises alone (no group, no co-organizer) — deleted; others stay, without the link to their creator',
  event_organizers: 'events the member co-organises — deleted',
  event_rsvps: 'answers to events (going, waiting, interested…), guests, attendance — deleted (seats freed go to the waiting lists)',
  event_invitations: 'invitations to events received — deleted; as inviter, the link to the member is removed',
  event_reports: 'field reports written — their free texts and photos are deleted; counts and concerns stay, anonymous (movement statistics)',
  event_report_photos: 'photos of field reports — deleted (files too)',
  calendar_feeds: "the secret address of the member's calendar feed (hashed) — deleted",
  chat_members: 'membership of direct and private conversations — deleted',
  chat_reads: 'how far the member read each conversation — deleted',
  chat_messages: "messages written — their text is erased (a \"deleted message\" mark stays in the others' history)",
  chat_reactions: 'reactions given to messages — deleted',
  chat_images: 'pictures sent in messages — deleted (files too)',
  chat_files: 'documents (PDF) sent in messages — deleted (files too)',
} as const;

/** Tables without personal data of local members (or with a retention rule of their own). */
export const NOT_PERSONAL = {
  instance_settings: 'instance configuration',
  kv_entries: 'federation caches (remote documents, keys), expiring',
  queue_messages: 'pending jobs; a job about a deleted member finds nothing and ends',
  inbound_activities: 'raw activities received from other servers (audit), purged after 30 days',
  known_instances: 'other servers we heard from: host, dates, the last actor whose signature verified',
  groups: 'groups (collective data: name, place, description); not deleted with one member',
  post_hashtags: 'hashtags of posts, deleted with the posts',
  event_vocab: 'kinds of action and concerns, as the administrator names them',
  event_report_concerns: 'concerns ticked in field reports (anonymous once the author is gone)',
  chat_rooms: 'conversations and channels (kind, name, counters); the starter link is removed with the account',
  remote_actors: 'people and groups of other servers, as their servers publish them (address, inbox, picture address, document); not members of this instance',
  federation_policies: 'what the administrator decided about other servers (allowed, blocked, limits), with who decided',
} as const;

const deleteSchema = z.object({ confirm: z.string().max(100) });

/** What deleting the account will do, shown before the member confirms. */
export interface DeletionPreview {
  posts: number;
  comments: number;
  likes: number;
  friends: number;
  groups: number;
  /** Events the member organises alone, deleted with the account. */
  events: number;
  /** Groups where the member is the only admin: who takes over, or deletion if nobody is left. */
  handovers: { group: string; handle: string; to: string | null }[];
}

function csv(rows: Record<string, unknown>[], columns: string[]): string {
  return csvTable(columns, rows.map((r) => columns.map((c) => r[c])));
}

export class PrivacyService {
  readonly #db: Database;
  readonly #repo: AccountsRepository;
  readonly #sessions: SessionService;
  readonly #media: MediaStore;
  readonly #events: EventBus;
  readonly #groups: GroupsRepository;
  /** Each returns the media files to delete once the erasure committed. */
  readonly #erasers: ((userId: string) => Promise<string[] | void>)[] = [];

  constructor(deps: { db: Database; repo: AccountsRepository; sessions: SessionService; media: MediaStore; events: EventBus; groups: GroupsRepository }) {
    this.#db = deps.db;
    this.#repo = deps.repo;
    this.#sessions = deps.sessions;
    this.#media = deps.media;
    this.#events = deps.events;
    this.#groups = deps.groups;
  }

  /** Other domains' erasure steps, run in the deletion's transaction before the account goes. */
  addEraser(eraser: (userId: string) => Promise<string[] | void>): void {
    this.#erasers.push(eraser);
  }

  /** Everything the instance keeps about the actor, as one JSON object (no secrets). */
  async export(actor: Actor | null): Promise<Record<string, unknown>> {
    const a = requireActor(actor);
    const user = await this.#repo.userById(a.userId);
    if (!user) throw fail.unauthenticated();
    const { passwordHash, unsubscribeToken, searchName, ...account } = user;
    const t = this.#db.t;
    const q = this.#db.q;
    const posts = await q
      .select({ id: t.posts.id, createdAt: t.posts.createdAt, editedAt: t.posts.editedAt, audience: t.posts.audience, group: t.groups.handle, text: t.posts.source })
      .from(t.posts)
      .leftJoin(t.groups, eq(t.groups.id, t.posts.groupId))
      .where(eq(t.posts.authorId, user.id))
      .orderBy(asc(t.posts.createdAt));
    const images = posts.length
      ? await q
          .select({ postId: t.postImages.postId, file: t.postImages.mediaKey, alt: t.postImages.alt })
          .from(t.postImages)
          .where(inArray(t.postImages.postId, posts.map((p) => p.id)))
      : [];
    const comments = await q
      .select({ id: t.comments.id, postId: t.comments.postId, createdAt: t.comments.createdAt, editedAt: t.comments.editedAt, text: t.comments.source })
      .from(t.comments)
      .where(eq(t.comments.authorId, user.id))
      .orderBy(asc(t.comments.createdAt));
    const likes = await q.select({ postId: t.likes.postId, createdAt: t.likes.createdAt }).from(t.likes).where(eq(t.likes.userId, user.id));
    const friends = await q
      .select({ username: t.users.username, displayName: t.users.displayName, since: t.friendships.since })
      .from(t.friendships)
      .innerJoin(t.users, eq(t.users.id, t.friendships.friendId))
      .where(eq(t.friendships.userId, user.id));
    const requests = await q
      .select({ from: t.friendRequests.fromId, to: t.friendRequests.toId, createdAt: t.friendRequests.createdAt })
      .from(t.friendRequests)
      .where(or(eq(t.friendRequests.fromId, user.id), eq(t.friendRequests.toId, user.id)));
    const blocked = await q
      .select({ username: t.users.username, createdAt: t.blocks.createdAt })
      .from(t.blocks)
      .innerJoin(t.users, eq(t.users.id, t.blocks.blockedId))
      .where(eq(t.blocks.blockerId, user.id));
    const memberships = await q
      .select({ group: t.groups.handle, name: t.groups.name, role: t.groupMembers.role, shareContact: t.groupMembers.shareContact, joinedAt: t.groupMembers.joinedAt })
      .from(t.groupMembers)
      .innerJoin(t.groups, eq(t.groups.id, t.groupMembers.groupId))
      .where(eq(t.groupMembers.userId, user.id));
    const joinRequests = await q
      .select({ group: t.groups.handle, answer: t.groupJoinRequests.answer, createdAt: t.groupJoinRequests.createdAt })
      .from(t.groupJoinRequests)
      .innerJoin(t.groups, eq(t.groups.id, t.groupJoinRequests.groupId))
      .where(eq(t.groupJoinRequests.userId, user.id));
    const follows = await q
      .select({ group: t.groups.handle, createdAt: t.groupFollows.createdAt })
      .from(t.groupFollows)
      .innerJoin(t.groups, eq(t.groups.id, t.groupFollows.groupId))
      .where(eq(t.groupFollows.userId, user.id));
    const notificationPrefs = await q.select({ type: t.notificationPrefs.type, channel: t.notificationPrefs.channel }).from(t.notificationPrefs).where(eq(t.notificationPrefs.userId, user.id));
    const notifications = await q
      .select({ type: t.notifications.type, createdAt: t.notifications.createdAt, readAt: t.notifications.readAt })
      .from(t.notifications)
      .where(eq(t.notifications.userId, user.id));
    const eventsOrganised = await q
      .select({ id: t.events.id, title: t.events.title, startsAt: t.events.startsAt, visibility: t.events.visibility, status: t.events.status })
      .from(t.eventOrganizers)
      .innerJoin(t.events, eq(t.events.id, t.eventOrganizers.eventId))
      .where(eq(t.eventOrganizers.userId, user.id));
    const answers = await q
      .select({ eventId: t.eventRsvps.eventId, title: t.events.title, startsAt: t.events.startsAt, status: t.eventRsvps.status, guests: t.eventRsvps.guests, attendance: t.eventRsvps.attendance, showToFriends: t.eventRsvps.showToFriends, shareContact: t.eventRsvps.shareContact, answeredAt: t.eventRsvps.createdAt })
      .from(t.eventRsvps)
      .innerJoin(t.events, eq(t.events.id, t.eventRsvps.eventId))
      .where(eq(t.eventRsvps.userId, user.id));
    const reports = await q
      .select({ eventId: t.eventReports.eventId, participants: t.eventReports.participants, doors: t.eventReports.doors, leaflets: t.eventReports.leaflets, people: t.eventReports.people, worked: t.eventReports.worked, didNotWork: t.eventReports.didNotWork, createdAt: t.eventReports.createdAt })
      .from(t.eventReports)
      .where(eq(t.eventReports.authorId, user.id));
    const calendarFeed = (await q.select({ createdAt: t.calendarFeeds.createdAt }).from(t.calendarFeeds).where(eq(t.calendarFeeds.userId, user.id)))[0] ?? null;
    const chatMessages = await q
      .select({ roomId: t.chatMessages.roomId, kind: t.chatRooms.kind, seq: t.chatMessages.seq, createdAt: t.chatMessages.createdAt, editedAt: t.chatMessages.editedAt, text: t.chatMessages.body })
      .from(t.chatMessages)
      .innerJoin(t.chatRooms, eq(t.chatRooms.id, t.chatMessages.roomId))
      .where(and(eq(t.chatMessages.authorId, user.id), isNull(t.chatMessages.deletedAt)))
      .orderBy(asc(t.chatMessages.createdAt));
    const mails = await q
      .select({ to: t.mails.toAddress, subject: t.mails.subject, status: t.mails.status, createdAt: t.mails.createdAt })
      .from(t.mails)
      .where(or(eq(t.mails.userId, user.id), eq(t.mails.toAddress, user.email)));
    return {
      exportedAt: new Date().toISOString(),
      account: { ...account, skills: JSON.parse(account.skills), skillTags: JSON.parse(account.skillTags), hasPassword: passwordHash !== null },
      posts: posts.map((p) => ({ ...p, images: images.filter((i) => i.postId === p.id).map((i) => ({ file: i.file, alt: i.alt })) })),
      comments,
      likes,
      friends,
      friendRequests: requests.map((r) => ({ direction: r.from === user.id ? 'sent' : 'received', createdAt: r.createdAt })),
      blocked,
      memberships,
      joinRequests,
      groupsFollowed: follows,
      notificationPrefs,
      notifications,
      eventsOrganised,
      eventAnswers: answers,
      eventReports: reports,
      calendarFeed,
      chatMessages,
      sessions: (await this.#sessions.list(a)).map(({ id: _id, ...s }) => s),
      mails,
    };
  }

  /** The export as a .zip: data.json, CSV files of the main lists, and the member's pictures. */
  async exportArchive(actor: Actor | null): Promise<{ filename: string; bytes: Uint8Array }> {
    const data = await this.export(actor);
    const files: Record<string, Uint8Array> = {
      'data.json': strToU8(JSON.stringify(data, null, 2)),
      'posts.csv': strToU8(csv(data.posts as Record<string, unknown>[], ['id', 'createdAt', 'editedAt', 'audience', 'group', 'text'])),
      'comments.csv': strToU8(csv(data.comments as Record<string, unknown>[], ['id', 'postId', 'createdAt', 'editedAt', 'text'])),
      'friends.csv': strToU8(csv(data.friends as Record<string, unknown>[], ['username', 'displayName', 'since'])),
      'memberships.csv': strToU8(csv(data.memberships as Record<string, unknown>[], ['group', 'name', 'role', 'shareContact', 'joinedAt'])),
      'event-answers.csv': strToU8(csv(data.eventAnswers as Record<string, unknown>[], ['eventId', 'title', 'startsAt', 'status', 'guests', 'attendance', 'answeredAt'])),
    };
    const keys = [
      (data.account as { avatarKey: string | null }).avatarKey,
      ...(data.posts as { images: { file: string }[] }[]).flatMap((p) => p.images.map((i) => i.file)),
    ].filter((k): k is string => Boolean(k));
    for (const key of keys) {
      try {
        files[`media/${key}`] = await readFile(join(this.#media.root, key));
      } catch {
        // A missing file is left out of the archive.
      }
    }
    const username = (data.account as { username: string }).username;
    return { filename: `${username}-data.zip`, bytes: zipSync(files, { level: 6 }) };
  }

  /** Sole-admin groups of a member, and who takes over each (oldest organizer, else oldest member). */
  async #handovers(userId: string) {
    const out: { groupId: string; group: string; handle: string; to: { id: string; name: string } | null }[] = [];
    for (const g of await this.#groups.groupsOf(userId)) {
      if (g.role !== 'admin' || (await this.#groups.countAdmins(g.id)) > 1) continue;
      const next = (await this.#groups.members(g.id, 1000))
        .filter((x) => x.id !== userId)
        .sort((x, y) => (x.role === y.role ? x.joinedAt.getTime() - y.joinedAt.getTime() : x.role === 'organizer' ? -1 : 1))[0];
      out.push({ groupId: g.id, group: g.name, handle: g.handle, to: next ? { id: next.id, name: next.displayName } : null });
    }
    return out;
  }

  /** Events with no group whose only personal organizer is the member: they go with the account. */
  async #soleEvents(userId: string): Promise<{ id: string; imageKey: string | null }[]> {
    const t = this.#db.t;
    return this.#db.q
      .select({ id: t.events.id, imageKey: t.events.imageKey })
      .from(t.eventOrganizers)
      .innerJoin(t.events, eq(t.events.id, t.eventOrganizers.eventId))
      .where(
        and(
          eq(t.eventOrganizers.userId, userId),
          isNull(t.events.groupId),
          sql`not exists (select 1 from ${t.eventOrganizers} o2 where o2.event_id = ${t.events.id} and o2.user_id <> ${userId})`,
        ),
      );
  }

  async deletionPreview(actor: Actor | null): Promise<DeletionPreview> {
    const a = requireActor(actor);
    const t = this.#db.t;
    const q = this.#db.q;
    const n = (rows: { c: number }[]) => Number(rows[0]?.c ?? 0);
    return {
      posts: n(await q.select({ c: count() }).from(t.posts).where(eq(t.posts.authorId, a.userId))),
      comments: n(await q.select({ c: count() }).from(t.comments).where(eq(t.comments.authorId, a.userId))),
      likes: n(await q.select({ c: count() }).from(t.likes).where(eq(t.likes.userId, a.userId))),
      friends: n(await q.select({ c: count() }).from(t.friendships).where(eq(t.friendships.userId, a.userId))),
      groups: (await this.#groups.groupIdsOf(a.userId)).length,
      events: (await this.#soleEvents(a.userId)).length,
      handovers: (await this.#handovers(a.userId)).map((h) => ({ group: h.group, handle: h.handle, to: h.to?.name ?? null })),
    };
  }

  /**
   * Erases the actor's account and personal data. The member confirms by typing their
   * username; the last administrator cannot leave the instance without one. Groups the member
   * alone administers pass to their oldest organizer (or member), or are deleted when empty.
   */
  async deleteAccount(actor: Actor | null, input: unknown): Promise<void> {
    const a = requireActor(actor);
    const { confirm } = parse(deleteSchema, input);
    const user = await this.#repo.userById(a.userId);
    if (!user) throw fail.unauthenticated();
    if (confirm.trim().toLowerCase().replace(/^@/, '') !== user.username) throw fail.invalid({ confirm: 'delete.confirm_mismatch' });
    const sessionIds = (await this.#sessions.list(a)).map((s) => s.id);
    await this.#erase(user);
    this.#events.emit('sessions.ended', { userId: user.id, sessionIds });
  }

  /**
   * Erases a person of another server whose server says their account is gone (Delete of the
   * actor): their content here, their relations, their row.
   */
  async eraseRemote(userId: string): Promise<void> {
    const user = await this.#repo.userById(userId);
    if (!user?.host) return;
    await this.#erase(user);
  }

  async #erase(user: UserRow): Promise<void> {
    const t = this.#db.t;
    const handovers = await this.#handovers(user.id);
    const files: (string | null)[] = [user.avatarKey];
    const leftGroups: string[] = [];
    const seatsFreed: string[] = [];
    await this.#db.tx(async () => {
      if (user.role === 'admin' && user.status === 'active' && (await this.#repo.countActiveAdmins()) <= 1) {
        throw fail.conflict('admin.last_admin');
      }
      const w = this.#db.w;
      for (const h of handovers) {
        if (h.to) await this.#groups.setRole(h.groupId, h.to.id, 'admin');
        else {
          const group = await this.#groups.byId(h.groupId);
          files.push(group?.avatarKey ?? null, group?.bannerKey ?? null);
          const groupImages = await this.#db.q
            .select({ key: t.postImages.mediaKey })
            .from(t.postImages)
            .innerJoin(t.posts, eq(t.posts.id, t.postImages.postId))
            .where(eq(t.posts.groupId, h.groupId));
          files.push(...groupImages.map((i) => i.key));
          await this.#groups.delete(h.groupId);
        }
      }
      // Memberships one by one, so that member counts stay right.
      for (const groupId of await this.#groups.groupIdsOf(user.id)) {
        await this.#groups.removeMember(groupId, user.id);
        leftGroups.push(groupId);
      }
      // Counters of other members' posts: likes given, comments written (and replies to them).
      await w
        .update(t.posts)
        .set({ likeCount: sql`${t.posts.likeCount} - 1` })
        .where(inArray(t.posts.id, this.#db.q.select({ id: t.likes.postId }).from(t.likes).where(eq(t.likes.userId, user.id))));
      const mine = this.#db.q.select({ id: t.comments.id }).from(t.comments).where(eq(t.comments.authorId, user.id));
      const touched = (
        await this.#db.q
          .selectDistinct({ postId: t.comments.postId })
          .from(t.comments)
          .where(eq(t.comments.authorId, user.id))
      ).map((r) => r.postId);
      await w.delete(t.comments).where(or(eq(t.comments.authorId, user.id), inArray(t.comments.parentId, mine)));
      if (touched.length) {
        await w
          .update(t.posts)
          .set({ commentCount: sql`(select count(*) from ${t.comments} where ${t.comments.postId} = ${t.posts.id})` })
          .where(inArray(t.posts.id, touched));
      }
      const images = await this.#db.q
        .select({ key: t.postImages.mediaKey })
        .from(t.postImages)
        .innerJoin(t.posts, eq(t.posts.id, t.postImages.postId))
        .where(eq(t.posts.authorId, user.id));
      files.push(...images.map((i) => i.key));
      await w
        .update(t.groups)
        .set({ pinnedPostId: null })
        .where(inArray(t.groups.pinnedPostId, this.#db.q.select({ id: t.posts.id }).from(t.posts).where(eq(t.posts.authorId, user.id))));
      // Events: those the member organises alone go; the seats they held free up (after commit,
      // the waiting lists move); their field reports lose free texts and photos, keep the counts.
      const soleEvents = await this.#soleEvents(user.id);
      const eventFiles = soleEvents.length
        ? await this.#db.q
            .select({ key: t.eventReportPhotos.mediaKey })
            .from(t.eventReportPhotos)
            .innerJoin(t.eventReports, eq(t.eventReports.id, t.eventReportPhotos.reportId))
            .where(inArray(t.eventReports.eventId, soleEvents.map((e) => e.id)))
        : [];
      files.push(...soleEvents.map((e) => e.imageKey), ...eventFiles.map((f) => f.key));
      if (soleEvents.length) await w.delete(t.events).where(inArray(t.events.id, soleEvents.map((e) => e.id)));
      seatsFreed.push(...(await this.#db.q.select({ id: t.eventRsvps.eventId }).from(t.eventRsvps).where(eq(t.eventRsvps.userId, user.id))).map((r) => r.id));
      const myReports = this.#db.q.select({ id: t.eventReports.id }).from(t.eventReports).where(eq(t.eventReports.authorId, user.id));
      const reportPhotos = await this.#db.q.select({ key: t.eventReportPhotos.mediaKey }).from(t.eventReportPhotos).where(inArray(t.eventReportPhotos.reportId, myReports));
      files.push(...reportPhotos.map((p) => p.key));
      await w.delete(t.eventReportPhotos).where(inArray(t.eventReportPhotos.reportId, myReports));
      await w.update(t.eventReports).set({ worked: '', didNotWork: '' }).where(eq(t.eventReports.authorId, user.id));
      await w.delete(t.mails).where(or(eq(t.mails.userId, user.id), eq(t.mails.toAddress, user.email)));
      await w.delete(t.emailChallenges).where(or(eq(t.emailChallenges.userId, user.id), eq(t.emailChallenges.email, user.email)));
      // Erasers of other domains first (the federation one still signs with the keys).
      for (const erase of this.#erasers) files.push(...((await erase(user.id)) ?? []));
      await w.delete(t.actorKeys).where(eq(t.actorKeys.actorId, user.id));
      await w.delete(t.remoteActors).where(eq(t.remoteActors.id, user.id));
      // The rest follows the account by foreign-key cascade: sessions, posts (with their
      // comments, likes, pictures, mentions, hashtags), likes, friendships, requests, blocks,
      // join requests, invitations, follows, notifications and preferences.
      await this.#repo.deleteUser(user.id);
    });
    for (const key of files) if (key && !key.startsWith('remote:')) await this.#media.delete(key);
    this.#events.emit('user.deleted', { userId: user.id });
    for (const groupId of leftGroups) this.#events.emit('group.membership', { groupId, userId: user.id, member: false, following: false });
    if (seatsFreed.length) this.#events.emit('event.answers_removed', { eventIds: [...new Set(seatsFreed)] });
  }
}
