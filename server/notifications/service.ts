// Notifications: recorded when something happens to a member, shown live in the notification
// centre, and mailed at once or in a daily digest according to the member's preferences. The
// text is composed when shown (in the reader's language), after checking the reader may still
// see what it is about. Mails say what happened and link to it; they never carry the content
// (it would leave the instance through mail providers).
import { and, count, desc, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import type { EventBus } from '../events.ts';
import { fail } from '../errors.ts';
import { isLocale, type Locale, type MessageKey, t } from '../../web/lib/i18n/index.ts';
import type { MailService } from '../mail/service.ts';
import { parse } from '../validation.ts';
import { type Actor, requireActor } from '../accounts/actor.ts';
import { newId, newSecret } from '../accounts/secrets.ts';
import type { FriendsRepository } from '../friends/repository.ts';
import type { AudienceRules } from '../posts/audience.ts';
import { memberSummary, summaryFields, type MemberSummary } from '../profiles/summary.ts';

export const NOTIFICATION_TYPES = [
  'friend_request',
  'friend_accept',
  'comment',
  'reply',
  'like',
  'mention',
  'group_join_request',
  'group_join_approved',
  'group_join_declined',
  'group_invitation',
  'event_new',
  'event_join_request',
  'event_rsvp_approved',
  'event_rsvp_declined',
  'event_promoted',
  'event_invitation',
  'event_organizer_added',
  'event_updated',
  'event_postponed',
  'event_cancelled',
  'event_reminder',
  'chat_message',
  'chat_mention',
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export const CHANNELS = ['in_app', 'email_instant', 'email_digest', 'off'] as const;
export type Channel = (typeof CHANNELS)[number];

/** What a member gets before choosing: mail for what asks for an answer, digest for the rest. */
export const DEFAULT_CHANNEL: Record<NotificationType, Channel> = {
  friend_request: 'email_instant',
  friend_accept: 'in_app',
  comment: 'email_digest',
  reply: 'email_digest',
  like: 'in_app',
  mention: 'email_digest',
  group_join_request: 'email_instant',
  group_join_approved: 'email_instant',
  group_join_declined: 'in_app',
  group_invitation: 'email_instant',
  event_new: 'email_digest',
  event_join_request: 'email_instant',
  event_rsvp_approved: 'email_instant',
  event_rsvp_declined: 'in_app',
  event_promoted: 'email_instant',
  event_invitation: 'email_instant',
  event_organizer_added: 'email_instant',
  event_updated: 'email_instant',
  event_postponed: 'email_instant',
  event_cancelled: 'email_instant',
  event_reminder: 'email_instant',
  // One mail per conversation until the member reads it (notify coalesces), not one per line.
  chat_message: 'email_instant',
  chat_mention: 'email_instant',
};

/**
 * What the notification centre needs to know about events, supplied by the events domain (which
 * depends on this service, not the reverse): whether the recipient may still see an event, how
 * to say when it happens, and its calendar file for the mail.
 */
export interface EventNotificationHooks {
  visible(userId: string, eventId: string): Promise<boolean>;
  when(eventId: string, locale: Locale): Promise<string>;
  attachment(userId: string, eventId: string, locale: Locale): Promise<{ name: string; type: string; content: string } | null>;
}

export interface NewNotification {
  userId: string;
  type: NotificationType;
  actorId?: string | null;
  postId?: string | null;
  commentId?: string | null;
  groupId?: string | null;
  eventId?: string | null;
  chatRoomId?: string | null;
}

/** Whether the recipient may still read a chat room (supplied by the chat domain). */
export interface ChatNotificationHooks {
  readable(userId: string, roomId: string): Promise<boolean>;
}

export interface NotificationView {
  id: string;
  type: NotificationType;
  actor: MemberSummary | null;
  text: string;
  link: string;
  createdAt: Date;
  read: boolean;
}

const PAGE = 30;
const DIGEST_HOUR = 8; // Europe/Paris

const prefsSchema = z.partialRecord(z.enum(NOTIFICATION_TYPES), z.enum(CHANNELS, { error: 'validation.invalid' }));
const unsubscribeSchema = z.object({
  token: z.string().min(10).max(64),
  type: z.union([z.enum(NOTIFICATION_TYPES), z.literal('all')]).default('all'),
});

export class NotificationService {
  readonly #db: Database;
  readonly #friends: FriendsRepository;
  readonly #audience: AudienceRules;
  readonly #mail: MailService;
  readonly #events: EventBus;
  readonly #publicUrl: URL;
  #eventHooks: EventNotificationHooks | null = null;
  #chatHooks: ChatNotificationHooks | null = null;

  constructor(d: { db: Database; friends: FriendsRepository; audience: AudienceRules; mail: MailService; events: EventBus; publicUrl: URL }) {
    this.#db = d.db;
    this.#friends = d.friends;
    this.#audience = d.audience;
    this.#mail = d.mail;
    this.#events = d.events;
    this.#publicUrl = d.publicUrl;
  }

  /** Plugs in the events domain (see EventNotificationHooks). */
  setEventHooks(hooks: EventNotificationHooks): void {
    this.#eventHooks = hooks;
  }

  /** Plugs in the chat domain (see ChatNotificationHooks). */
  setChatHooks(hooks: ChatNotificationHooks): void {
    this.#chatHooks = hooks;
  }

  /** The member read a chat room: its notifications are read too (the next message notifies again). */
  async readChatRoom(userId: string, roomId: string): Promise<void> {
    const { notifications: n } = this.#db.t;
    const done = await this.#db.tx(() =>
      this.#db.w
        .update(n)
        .set({ readAt: new Date() })
        .where(and(eq(n.userId, userId), eq(n.chatRoomId, roomId), isNull(n.readAt)))
        .returning({ id: n.id }),
    );
    if (done.length) this.#events.emit('notification.created', { userId });
  }

  async #channel(userId: string, type: NotificationType): Promise<Channel> {
    const { notificationPrefs: p } = this.#db.t;
    const row = (await this.#db.q.select({ c: p.channel }).from(p).where(and(eq(p.userId, userId), eq(p.type, type))))[0];
    return row?.c ?? DEFAULT_CHANNEL[type];
  }

  /** Records a notification (in the caller's transaction), unless the member turned it off. */
  async notify(n: NewNotification): Promise<void> {
    if (n.actorId && n.actorId === n.userId) return;
    // People of other servers are told by their own server, not by us.
    const { users } = this.#db.t;
    if ((await this.#db.q.select({ host: users.host }).from(users).where(eq(users.id, n.userId)))[0]?.host) return;
    if (n.actorId && (await this.#friends.blockedEither(n.userId, n.actorId))) return;
    const channel = await this.#channel(n.userId, n.type);
    if (channel === 'off') return;
    const id = newId();
    const { notifications } = this.#db.t;
    // Chat: while a notification about the room is unread, later messages add nothing to it.
    if (n.chatRoomId) {
      const open = await this.#db.q
        .select({ id: notifications.id })
        .from(notifications)
        .where(and(eq(notifications.userId, n.userId), eq(notifications.type, n.type), eq(notifications.chatRoomId, n.chatRoomId), isNull(notifications.readAt)))
        .limit(1);
      if (open.length) return;
    }
    await this.#db.tx(async () => {
      await this.#db.w.insert(notifications).values({
        id,
        userId: n.userId,
        type: n.type,
        actorId: n.actorId ?? null,
        postId: n.postId ?? null,
        commentId: n.commentId ?? null,
        groupId: n.groupId ?? null,
        eventId: n.eventId ?? null,
        chatRoomId: n.chatRoomId ?? null,
        createdAt: new Date(),
        emailState: channel === 'email_digest' ? 'digest' : 'none',
      });
      if (channel === 'email_instant') await this.#mailOne(id, n.userId);
    });
    this.#db.afterCommit(() => this.#events.emit('notification.created', { userId: n.userId }));
  }

  /** Notifications for several members at once (e.g. the organizers of a group). */
  async notifyAll(userIds: string[], n: Omit<NewNotification, 'userId'>): Promise<void> {
    for (const userId of new Set(userIds)) await this.notify({ ...n, userId });
  }

  async #unsubscribeLink(userId: string, type: NotificationType | 'all'): Promise<string> {
    const { users } = this.#db.t;
    const row = (await this.#db.q.select({ token: users.unsubscribeToken }).from(users).where(eq(users.id, userId)))[0];
    let token = row?.token;
    if (!token) {
      token = newSecret();
      await this.#db.tx(() => this.#db.w.update(users).set({ unsubscribeToken: token }).where(eq(users.id, userId)));
    }
    return new URL(`/unsubscribe?token=${token}&type=${type}`, this.#publicUrl).href;
  }

  async #recipient(userId: string) {
    const { users } = this.#db.t;
    return (await this.#db.q.select({ email: users.email, locale: users.locale, name: users.displayName, status: users.status }).from(users).where(eq(users.id, userId)))[0];
  }

  /** Mails one notification now (it joins the caller's transaction: sent only if that commits). */
  async #mailOne(notificationId: string, userId: string): Promise<void> {
    const recipient = await this.#recipient(userId);
    if (!recipient || recipient.status !== 'active') return;
    const locale: Locale = isLocale(recipient.locale) ? recipient.locale : 'fr';
    const [view] = await this.#views([notificationId], locale);
    if (!view) return;
    const attachment = view.eventId && this.#eventHooks ? await this.#eventHooks.attachment(userId, view.eventId, locale) : null;
    await this.#mail.send({
      attachment,
      to: recipient.email,
      userId,
      template: 'notification',
      locale,
      params: {
        name: recipient.name,
        headline: view.text,
        link: new URL(view.link, this.#publicUrl).href,
        unsubscribe: await this.#unsubscribeLink(userId, view.type),
      },
    });
    const { notifications } = this.#db.t;
    await this.#db.w.update(notifications).set({ emailState: 'sent' }).where(eq(notifications.id, notificationId));
  }

  async #rows(ids: string[]) {
    if (!ids.length) return [];
    const { notifications: n, users, groups, posts, events } = this.#db.t;
    return this.#db.q
      .select({
        n,
        eventTitle: events.title,
        actor: summaryFields(users),
        groupHandle: groups.handle,
        groupName: groups.name,
        postAuthor: posts.authorId,
        postGroup: posts.groupId,
        postAudience: posts.audience,
      })
      .from(n)
      .leftJoin(users, eq(users.id, n.actorId))
      .leftJoin(groups, eq(groups.id, n.groupId))
      .leftJoin(posts, eq(posts.id, n.postId))
      .leftJoin(events, eq(events.id, n.eventId))
      .where(inArray(n.id, ids))
      .orderBy(desc(n.createdAt), desc(n.id));
  }

  /** Views of notifications, leaving out those about posts or events the recipient can no longer see. */
  async #views(ids: string[], locale: Locale | null): Promise<(NotificationView & { eventId: string | null })[]> {
    const rows = await this.#rows(ids);
    const out: (NotificationView & { eventId: string | null })[] = [];
    for (const r of rows) {
      if (r.n.postId && r.postAuthor) {
        const visible = await this.#audience.canSee(r.n.userId, { authorId: r.postAuthor, groupId: r.postGroup, audience: r.postAudience! });
        if (!visible) continue;
      }
      if (r.n.eventId && (!this.#eventHooks || !(await this.#eventHooks.visible(r.n.userId, r.n.eventId)))) continue;
      if (r.n.chatRoomId && (!this.#chatHooks || !(await this.#chatHooks.readable(r.n.userId, r.n.chatRoomId)))) continue;
      const actor = r.actor?.id ? memberSummary(r.actor) : null;
      const type = r.n.type as NotificationType;
      const when = r.n.eventId && this.#eventHooks ? await this.#eventHooks.when(r.n.eventId, locale ?? 'fr') : '';
      const params = { name: actor?.displayName ?? '?', group: r.groupName ?? '', event: r.eventTitle ?? '', when };
      const link = r.n.chatRoomId
        ? `/chat/${r.n.chatRoomId}`
        : r.n.eventId
          ? type === 'event_join_request'
            ? `/events/${r.n.eventId}/manage`
            : `/events/${r.n.eventId}`
          : type === 'friend_request'
          ? '/friends'
          : type === 'friend_accept'
            ? `/@${actor?.username ?? ''}`
            : r.n.postId
              ? `/posts/${r.n.postId}${r.n.commentId ? `#comment-${r.n.commentId}` : ''}`
              : type === 'group_join_request'
                ? `/g/${r.groupHandle}/manage`
                : r.groupHandle
                  ? `/g/${r.groupHandle}`
                  : '/notifications';
      out.push({
        id: r.n.id,
        type,
        actor,
        text: t(locale ?? 'fr', `notification.${type}` as MessageKey, params),
        link,
        createdAt: r.n.createdAt,
        read: r.n.readAt !== null,
        eventId: r.n.eventId,
      });
    }
    return out;
  }

  /** The actor's notifications, newest first, a page at a time. */
  async list(actor: Actor | null, locale: Locale, before?: string | null): Promise<{ items: NotificationView[]; next: string | null }> {
    const a = requireActor(actor);
    const { notifications: n } = this.#db.t;
    const cursor = typeof before === 'string' && before ? await this.#db.q.select({ at: n.createdAt }).from(n).where(and(eq(n.id, before), eq(n.userId, a.userId))) : [];
    const rows = await this.#db.q
      .select({ id: n.id })
      .from(n)
      .where(and(eq(n.userId, a.userId), cursor[0] ? or(lt(n.createdAt, cursor[0].at), and(eq(n.createdAt, cursor[0].at), lt(n.id, before!))) : undefined))
      .orderBy(desc(n.createdAt), desc(n.id))
      .limit(PAGE + 1);
    const ids = rows.slice(0, PAGE).map((r) => r.id);
    return { items: await this.#views(ids, locale), next: rows.length > PAGE ? ids[ids.length - 1] : null };
  }

  async unreadCount(actor: Actor | null): Promise<number> {
    const a = requireActor(actor);
    const { notifications: n } = this.#db.t;
    return Number((await this.#db.q.select({ c: count() }).from(n).where(and(eq(n.userId, a.userId), isNull(n.readAt))))[0]?.c ?? 0);
  }

  /** Marks some (or all) of the actor's notifications read; others' ids are ignored. */
  async markRead(actor: Actor | null, input: unknown): Promise<number> {
    const a = requireActor(actor);
    const { ids } = parse(z.object({ ids: z.union([z.literal('all'), z.array(z.string().max(64)).max(500)]) }), input);
    const { notifications: n } = this.#db.t;
    await this.#db.tx(() =>
      this.#db.w
        .update(n)
        .set({ readAt: new Date() })
        .where(and(eq(n.userId, a.userId), isNull(n.readAt), ids === 'all' ? undefined : inArray(n.id, ids.length ? ids : ['']))),
    );
    this.#events.emit('notification.created', { userId: a.userId });
    return this.unreadCount(a);
  }

  /** The actor's channel for each type (defaults filled in). */
  async prefs(actor: Actor | null): Promise<Record<NotificationType, Channel>> {
    const a = requireActor(actor);
    const { notificationPrefs: p } = this.#db.t;
    const rows = await this.#db.q.select().from(p).where(eq(p.userId, a.userId));
    const out = { ...DEFAULT_CHANNEL };
    for (const r of rows) if ((NOTIFICATION_TYPES as readonly string[]).includes(r.type)) out[r.type as NotificationType] = r.channel;
    return out;
  }

  async setPrefs(actor: Actor | null, input: unknown): Promise<Record<NotificationType, Channel>> {
    const a = requireActor(actor);
    const prefs = parse(prefsSchema, input);
    await this.#savePrefs(a.userId, prefs);
    return this.prefs(a);
  }

  async #savePrefs(userId: string, prefs: Partial<Record<NotificationType, Channel>>) {
    const { notificationPrefs: p } = this.#db.t;
    await this.#db.tx(async () => {
      for (const [type, channel] of Object.entries(prefs) as [NotificationType, Channel][]) {
        await this.#db.w
          .insert(p)
          .values({ userId, type, channel })
          .onConflictDoUpdate({ target: [p.userId, p.type], set: { channel } });
      }
    });
  }

  /** Whether an unsubscribe link is valid (the page shows a button; GET changes nothing). */
  async unsubscribeTarget(input: unknown): Promise<{ type: NotificationType | 'all' } | null> {
    const r = unsubscribeSchema.safeParse(input);
    if (!r.success) return null;
    const { users } = this.#db.t;
    const found = (await this.#db.q.select({ id: users.id }).from(users).where(eq(users.unsubscribeToken, r.data.token)))[0];
    return found ? { type: r.data.type } : null;
  }

  /** Stops the mails of a type (or all) for the member the token belongs to; no login needed. */
  async unsubscribe(input: unknown): Promise<void> {
    const v = parse(unsubscribeSchema, input);
    const { users } = this.#db.t;
    const found = (await this.#db.q.select({ id: users.id }).from(users).where(eq(users.unsubscribeToken, v.token)))[0];
    if (!found) throw fail.gone();
    const current = await this.prefs({ userId: found.id, role: 'member', sessionId: null });
    const types = v.type === 'all' ? NOTIFICATION_TYPES : [v.type];
    const update: Partial<Record<NotificationType, Channel>> = {};
    for (const type of types) if (current[type] === 'email_instant' || current[type] === 'email_digest') update[type] = 'in_app';
    await this.#savePrefs(found.id, update);
    const { notifications: n } = this.#db.t;
    await this.#db.tx(() =>
      this.#db.w
        .update(n)
        .set({ emailState: 'none' })
        .where(and(eq(n.userId, found.id), eq(n.emailState, 'digest'), inArray(n.type, [...types]))),
    );
  }

  /**
   * Sends the daily digests due: once a day, after 8:00 Paris time, one mail per member with
   * pending digest notifications. Called by the worker's maintenance loop; idempotent.
   */
  async sendDigests(now = new Date(), batch = 200): Promise<number> {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23' })
        .formatToParts(now)
        .map((p) => [p.type, p.value]),
    );
    if (Number(parts.hour) < DIGEST_HOUR) return 0;
    // The start of today's digest window: today 8:00 in Paris, as an instant.
    const offsetMs = new Date(now.toLocaleString('en-US', { timeZone: 'Europe/Paris' })).getTime() - new Date(now.toLocaleString('en-US', { timeZone: 'UTC' })).getTime();
    const windowStart = new Date(Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), DIGEST_HOUR) - offsetMs);
    const { notifications: n, users } = this.#db.t;
    const due = await this.#db.q
      .selectDistinct({ userId: n.userId })
      .from(n)
      .innerJoin(users, eq(users.id, n.userId))
      .where(and(eq(n.emailState, 'digest'), eq(users.status, 'active'), or(isNull(users.digestSentAt), lt(users.digestSentAt, windowStart))))
      .limit(batch);
    let sent = 0;
    for (const { userId } of due) {
      const recipient = await this.#recipient(userId);
      if (!recipient) continue;
      const locale: Locale = isLocale(recipient.locale) ? recipient.locale : 'fr';
      const pending = await this.#db.q
        .select({ id: n.id })
        .from(n)
        .where(and(eq(n.userId, userId), eq(n.emailState, 'digest')))
        .orderBy(desc(n.createdAt))
        .limit(50);
      const views = await this.#views(
        pending.map((p) => p.id),
        locale,
      );
      await this.#db.tx(async () => {
        if (views.length) {
          await this.#mail.send({
            to: recipient.email,
            userId,
            template: 'digest',
            locale,
            params: {
              name: recipient.name,
              lines: views.map((v) => ({ text: v.text, link: new URL(v.link, this.#publicUrl).href })),
              unsubscribe: await this.#unsubscribeLink(userId, 'all'),
            },
          });
          sent++;
        }
        await this.#db.w
          .update(n)
          .set({ emailState: 'sent' })
          .where(and(eq(n.userId, userId), eq(n.emailState, 'digest')));
        await this.#db.w.update(users).set({ digestSentAt: now }).where(eq(users.id, userId));
      });
    }
    return sent;
  }

  /** Deletes read notifications older than 90 days. */
  async purge(now = new Date()): Promise<void> {
    const { notifications: n } = this.#db.t;
    await this.#db.tx(() =>
      this.#db.w.delete(n).where(and(lt(n.createdAt, new Date(now.getTime() - 90 * 86_400_000)), sql`${n.readAt} is not null`)),
    );
  }
}
