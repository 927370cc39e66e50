// Calendars: an .ics file per event, a subscribable feed of a group's public events, and each
// member's own feed ("my events") at a secret address they can revoke. What a file says is what
// its reader may see: the exact address only for confirmed participants.
//
// Reminders: the day before and an hour before, each confirmed participant is notified (in the
// app and by mail, with the calendar file attached, as their preferences say).
import { eq } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { fail } from '../errors.ts';
import { type Actor, requireActor } from '../accounts/actor.ts';
import { hashSecret, newSecret } from '../accounts/secrets.ts';
import type { GroupsRepository } from '../groups/repository.ts';
import type { NotificationService } from '../notifications/service.ts';
import type { Locale } from '../../web/lib/i18n/index.ts';
import { t } from '../../web/lib/i18n/index.ts';
import type { EventAccess } from './access.ts';
import { calendar, type IcsEvent } from './ics.ts';
import type { EventRow, EventsRepository } from './repository.ts';
import { formatRange } from './time.ts';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export class CalendarService {
  readonly #db: Database;
  readonly #repo: EventsRepository;
  readonly #access: EventAccess;
  readonly #groups: GroupsRepository;
  readonly #notifications: NotificationService;
  readonly #publicUrl: URL;
  readonly #instanceName: () => Promise<string>;

  constructor(d: { db: Database; repo: EventsRepository; access: EventAccess; groups: GroupsRepository; notifications: NotificationService; publicUrl: URL; instanceName: () => Promise<string> }) {
    this.#db = d.db;
    this.#repo = d.repo;
    this.#access = d.access;
    this.#groups = d.groups;
    this.#notifications = d.notifications;
    this.#publicUrl = d.publicUrl;
    this.#instanceName = d.instanceName;
    d.notifications.setEventHooks({
      visible: async (userId, eventId) => {
        const event = await this.#repo.byId(eventId);
        return Boolean(event && (await this.#access.rights({ userId, role: 'member', sessionId: null }, event)).see);
      },
      when: async (eventId, locale) => {
        const event = await this.#repo.byId(eventId);
        return event ? formatRange(event.startsAt, event.endsAt, event.timeZone, locale) : '';
      },
      attachment: async (userId, eventId, locale) => {
        const event = await this.#repo.byId(eventId);
        if (!event) return null;
        const entry = await this.#entry({ userId, role: 'member', sessionId: null }, event, locale, 'mail');
        return entry ? { name: 'evenement.ics', type: 'text/calendar; charset=utf-8; method=PUBLISH', content: calendar(event.title, [entry]) } : null;
      },
    });
  }

  /**
   * The event as the reader may see it, for a calendar; null if they may not see it. A hidden
   * address goes only into files downloaded from the event's page: mails and subscribed feeds
   * pass through mail and calendar providers, so they say where to find it instead.
   */
  async #entry(reader: Actor | null, event: EventRow, locale: Locale, channel: 'download' | 'mail' | 'feed' = 'download'): Promise<IcsEvent | null> {
    const found = await this.#access.rights(reader, event);
    if (!found.see) return null;
    const rights = channel !== 'download' && event.hideAddress ? { ...found, exactAddress: false } : found;
    const url = new URL(`/events/${event.id}`, this.#publicUrl).href;
    const place = rights.exactAddress ? [event.placeName, event.street, [event.postalCode, event.communeName].filter(Boolean).join(' ')] : [event.communeName ?? ''];
    const lines = [event.description];
    if (rights.exactAddress && event.onlineUrl) lines.push('', event.onlineUrl);
    if (!rights.exactAddress && event.hideAddress) lines.push('', t(locale, found.exactAddress ? 'event.ics_address_on_page' : 'event.ics_address_hidden'), url);
    return {
      uid: `${event.id}@${this.#publicUrl.host}`,
      sequence: event.sequence,
      title: event.title,
      description: lines.join('\n').trim(),
      url,
      start: event.startsAt,
      end: event.endsAt,
      location: place.filter(Boolean).join(', '),
      geo: rights.exactAddress && event.exactLat !== null && event.exactLon !== null ? { lat: event.exactLat, lon: event.exactLon } : null,
      status: event.status,
      updatedAt: event.updatedAt,
    };
  }

  /** The .ics file of one event. */
  async eventFile(reader: Actor | null, eventId: unknown, locale: Locale): Promise<string> {
    if (typeof eventId !== 'string' || eventId.length > 64) throw fail.notFound();
    const event = await this.#repo.byId(eventId);
    const entry = event ? await this.#entry(reader, event, locale) : null;
    if (!event || !entry) throw fail.notFound();
    return calendar(event.title, [entry]);
  }

  /** A group's public events (recent and upcoming), for anyone to subscribe to. */
  async groupFeed(handle: unknown, locale: Locale): Promise<string> {
    if (typeof handle !== 'string' || handle.length > 64) throw fail.notFound();
    const group = (await this.#groups.byHandle(handle.toLowerCase())) ?? (await this.#groups.byId(handle));
    if (!group) throw fail.notFound();
    const rows = [...(await this.#repo.ofGroup(group.id, null, true, 200)), ...(await this.#repo.ofGroup(group.id, null, false, 50))];
    const entries = (await Promise.all(rows.map((e) => this.#entry(null, e, locale)))).filter((x): x is IcsEvent => x !== null);
    return calendar(`${group.name} — ${await this.#instanceName()}`, entries);
  }

  /** Whether the member has a feed address in use. */
  async hasFeed(actor: Actor | null): Promise<boolean> {
    const a = requireActor(actor);
    const { calendarFeeds: f } = this.#db.t;
    return (await this.#db.q.select({ u: f.userId }).from(f).where(eq(f.userId, a.userId))).length > 0;
  }

  /** Issues a new secret address; the old one stops working at once. */
  async renewFeed(actor: Actor | null): Promise<string> {
    const a = requireActor(actor);
    const token = newSecret();
    const { calendarFeeds: f } = this.#db.t;
    await this.#db.tx(() =>
      this.#db.w
        .insert(f)
        .values({ userId: a.userId, tokenHash: hashSecret(token), createdAt: new Date() })
        .onConflictDoUpdate({ target: f.userId, set: { tokenHash: hashSecret(token), createdAt: new Date() } }),
    );
    return new URL(`/calendar/${token}.ics`, this.#publicUrl).href;
  }

  /** Stops the member's feed. */
  async revokeFeed(actor: Actor | null): Promise<void> {
    const a = requireActor(actor);
    const { calendarFeeds: f } = this.#db.t;
    await this.#db.tx(() => this.#db.w.delete(f).where(eq(f.userId, a.userId)));
  }

  /** The feed behind a secret address: the member's events of the last 90 days and to come. */
  async personalFeed(token: unknown, locale: Locale): Promise<string> {
    if (typeof token !== 'string' || !/^[a-z0-9]{10,64}$/.test(token)) throw fail.notFound();
    const { calendarFeeds: f, users } = this.#db.t;
    const row = (await this.#db.q.select({ userId: f.userId, role: users.role, status: users.status, locale: users.locale }).from(f).innerJoin(users, eq(users.id, f.userId)).where(eq(f.tokenHash, hashSecret(token))))[0];
    if (!row || row.status !== 'active') throw fail.notFound();
    const reader: Actor = { userId: row.userId, role: row.role, sessionId: null };
    const rows = await this.#repo.mine(row.userId, new Date(Date.now() - 90 * DAY_MS), null, 'asc', 500);
    const lang = row.locale === 'en' ? 'en' : locale;
    const entries = (await Promise.all(rows.map((e) => this.#entry(reader, e, lang, 'feed')))).filter((x): x is IcsEvent => x !== null);
    return calendar(`${t(lang, 'calendar.my_events')} — ${await this.#instanceName()}`, entries);
  }

  /**
   * Sends the reminders due (worker loop, every minute): a day before (between 24 h and 1 h
   * before the start) and an hour before. Each is sent once per participant; idempotent.
   */
  async sendReminders(now = new Date()): Promise<number> {
    let sent = 0;
    for (const [which, lead] of [
      ['day', DAY_MS],
      ['hour', HOUR_MS],
    ] as const) {
      for (const due of await this.#repo.dueReminders(which, now, lead)) {
        // The day-before reminder is pointless when the hour-before one is due as well.
        if (which === 'day') {
          const event = await this.#repo.byId(due.eventId);
          if (event && event.startsAt.getTime() - now.getTime() <= HOUR_MS) {
            await this.#db.tx(() => this.#repo.markReminded('day', due.eventId, due.userId, now));
            continue;
          }
        }
        await this.#db.tx(async () => {
          if (!(await this.#repo.markReminded(which, due.eventId, due.userId, now))) return;
          await this.#notifications.notify({ userId: due.userId, type: 'event_reminder', eventId: due.eventId });
          sent++;
        });
      }
    }
    return sent;
  }
}
