// Events of other servers (decision 0017), kept so that members see them in lists, on the map and
// in their calendar, and can answer them (the answer goes to the organizers' server, which decides).
// Only public ones are kept; only their organizer (as their server says) changes or deletes them.
import { eq } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import type { EventBus } from '../events.ts';
import { newId } from '../accounts/secrets.ts';
import { normalizeForSearch } from '../search/normalize.ts';
import type { NotificationService } from '../notifications/service.ts';
import type { EventRow, EventsRepository } from './repository.ts';
import type { RemoteEventFields } from '../federation/event-in.ts';

/** The kind given to events of other servers (theirs have no equivalent of ours). */
export const REMOTE_EVENT_KIND = 'meeting';

export class RemoteEvents {
  readonly #db: Database;
  readonly #repo: EventsRepository;
  readonly #notifications: NotificationService;
  readonly #bus: EventBus;

  constructor(d: { db: Database; repo: EventsRepository; notifications: NotificationService; bus: EventBus }) {
    this.#db = d.db;
    this.#repo = d.repo;
    this.#notifications = d.notifications;
    this.#bus = d.bus;
  }

  async byId(id: string): Promise<EventRow | undefined> {
    return this.#repo.byId(id);
  }

  async byUri(uri: string): Promise<EventRow | undefined> {
    const { events } = this.#db.t;
    return (await this.#db.q.select().from(events).where(eq(events.uri, uri)))[0];
  }

  /** Creates or (by its organizer) updates an event of another server; returns its id here. */
  async store(organizerId: string, f: RemoteEventFields): Promise<string | null> {
    if (!f.isPublic) return null;
    const row = {
      title: f.title,
      kind: REMOTE_EVENT_KIND,
      description: f.description,
      descriptionHtml: f.descriptionHtml,
      searchText: normalizeForSearch(`${f.title} ${f.description} ${f.placeName} ${f.communeName ?? ''}`),
      startsAt: f.startsAt,
      endsAt: f.endsAt,
      timeZone: f.timeZone,
      placeName: f.placeName,
      street: f.street,
      postalCode: f.postalCode,
      communeCode: f.communeCode,
      communeName: f.communeName,
      departementCode: f.departementCode,
      lat: f.lat,
      lon: f.lon,
      cell: f.cell,
      exactLat: f.lat,
      exactLon: f.lon,
      onlineUrl: f.onlineUrl,
      capacity: f.capacity,
      imageKey: f.imageUrl ? `remote:${f.imageUrl}` : null,
      visibility: 'public' as const,
      joinMode: f.joinMode,
      externalUrl: f.externalUrl,
      status: f.status,
      url: f.url,
    };
    const existing = await this.byUri(f.uri);
    if (existing) {
      if (existing.creatorId !== organizerId) return null;
      const cancelled = existing.status !== 'cancelled' && f.status === 'cancelled';
      // An address kept for participants (see setParticipantAddress) stays when the public document has none.
      const kept = existing.hideAddress && existing.street && !f.street ? { street: existing.street, exactLat: existing.exactLat, exactLon: existing.exactLon, hideAddress: true } : {};
      await this.#db.tx(() => this.#repo.update(existing.id, { ...row, ...kept, sequence: existing.sequence + 1 }));
      if (cancelled) await this.#tellParticipants(existing.id, organizerId);
      this.#bus.emit('event.changed', { eventId: existing.id });
      return existing.id;
    }
    const id = newId();
    const now = new Date();
    await this.#db.tx(() => this.#repo.insert({ id, creatorId: organizerId, groupId: null, uri: f.uri, ...row, createdAt: now, updatedAt: now }));
    this.#bus.emit('event.changed', { eventId: id });
    return id;
  }

  /**
   * The address an organizer's server gives a confirmed participant (fetched signed as them): kept
   * on our copy as an address for confirmed participants, which our rules show to them alone.
   */
  async setParticipantAddress(eventId: string, f: RemoteEventFields): Promise<void> {
    const e = await this.#repo.byId(eventId);
    if (!e?.uri || e.uri !== f.uri || !f.street) return;
    await this.#db.tx(() => this.#repo.update(e.id, { street: f.street, hideAddress: true, exactLat: f.lat, exactLon: f.lon }));
  }

  async #tellParticipants(eventId: string, organizerId: string) {
    const { eventRsvps: r } = this.#db.t;
    const ids = (await this.#db.q.select({ u: r.userId }).from(r).where(eq(r.eventId, eventId))).map((x) => x.u);
    await this.#notifications.notifyAll(ids, { type: 'event_cancelled', actorId: organizerId, eventId });
  }

  /** Deletes an event of another server, asked by its organizer. */
  async deleteByUri(organizerId: string, uri: string): Promise<boolean> {
    const e = await this.byUri(uri);
    if (!e || e.creatorId !== organizerId) return false;
    await this.#db.tx(() => this.#repo.delete(e.id));
    this.#bus.emit('event.changed', { eventId: e.id });
    return true;
  }
}
