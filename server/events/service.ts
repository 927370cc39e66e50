// Events: creating and managing them, and showing them as each viewer may see them.
//   - any member creates a personal event; organizers and admins of a group create events in its
//     name (a member cannot speak for a group);
//   - organizers (personal ones and the group's organizers) edit, change the status (participants
//     are told), duplicate, invite, delete; staff may delete any event (moderation);
//   - a hidden address is shown to confirmed participants only; others see the commune, and
//     geo search only knows the commune's centre (see access.ts and grid.ts).
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import type { EventBus } from '../events.ts';
import { fail } from '../errors.ts';
import { type Actor, requireActor } from '../accounts/actor.ts';
import { resolveCommune } from '../accounts/commune.ts';
import type { AccountsRepository } from '../accounts/repository.ts';
import { newId } from '../accounts/secrets.ts';
import type { FriendsRepository } from '../friends/repository.ts';
import type { GroupsRepository } from '../groups/repository.ts';
import { cellOf } from '../geo/grid.ts';
import { distanceKm } from '../geo/communes.ts';
import { processPostImage } from '../media/images.ts';
import type { MediaStore } from '../media/store.ts';
import type { NotificationService } from '../notifications/service.ts';
import { renderMarkdown } from '../posts/markdown.ts';
import { memberSummary, type MemberSummary } from '../profiles/summary.ts';
import type { RateLimits } from '../security/rate-limits.ts';
import { normalizeForSearch } from '../search/normalize.ts';
import { parse } from '../validation.ts';
import type { Locale } from '../../web/lib/i18n/index.ts';
import type { EventAccess, EventRights } from './access.ts';
import type { EventNotifier } from './notifier.ts';
import { type EventRow, type EventsRepository, type ListedEvent, MAX_DURATION_DAYS, type NewEvent, type RsvpRow, type RsvpStatus } from './repository.ts';
import { eventSchema, statusSchema, type EventInput } from './schemas.ts';
import { formatRange, instantToLocal, localToInstant, shiftDays } from './time.ts';
import type { VocabService } from './vocab.ts';

/** How far the adjusted pin may move from the commune's centre. */
const MAX_PIN_KM = 40;
const PAST_DAYS = 30;
const FUTURE_DAYS = 2 * 366;

export interface EventSummary {
  id: string;
  title: string;
  kind: string;
  kindLabel: string;
  startsAt: Date;
  endsAt: Date;
  timeZone: string;
  when: string;
  status: EventRow['status'];
  visibility: EventRow['visibility'];
  joinMode: EventRow['joinMode'];
  communeName: string | null;
  departementCode: string | null;
  /** The place's name, unless it is kept for confirmed participants. */
  placeName: string | null;
  online: boolean;
  /** The public position (the commune's centre when the address is hidden). */
  lat: number | null;
  lon: number | null;
  imageUrl: string | null;
  group: { id: string; handle: string; name: string } | null;
  goingCount: number;
  seatsTaken: number;
  capacity: number | null;
  seatsLeft: number | null;
  myStatus: RsvpStatus | null;
  distanceKm?: number;
  past: boolean;
}

export interface MyRsvp {
  status: RsvpStatus;
  guests: number;
  showToFriends: boolean;
  shareContact: boolean;
  /** Place in the waiting list (1 = next). */
  position: number | null;
  attendance: 'present' | 'absent' | null;
}

export interface EventView extends EventSummary {
  description: string;
  descriptionHtml: string;
  imageAlt: string;
  /** The exact place, for those who may see it. */
  street: string | null;
  postalCode: string | null;
  communeCode: string | null;
  exactLat: number | null;
  exactLon: number | null;
  addressHidden: boolean;
  onlineUrl: string | null;
  externalUrl: string | null;
  contact: string | null;
  guestsMax: number;
  interestedCount: number;
  waitlistCount: number;
  walkIns: number;
  participantReports: boolean;
  organizers: MemberSummary[];
  friendsGoing: MemberSummary[];
  myRsvp: MyRsvp | null;
  invited: boolean;
  rights: { organizer: boolean; confirmed: boolean; participants: boolean; canAnswer: boolean; canReport: boolean; canCheckIn: boolean };
  createdAt: Date;
  updatedAt: Date;
}

/** Form values of an event, as the create/edit form shows them. */
export type EventFormValues = Record<string, string>;

/** Pictures of events of other servers ("remote:<address>") go through the media proxy (services.ts sets it). */
let remoteImage: (url: string) => string | null = () => null;
export function useRemoteEventImages(urlFor: (url: string) => string | null): void {
  remoteImage = urlFor;
}
const media = (key: string | null) => (key ? (key.startsWith('remote:') ? remoteImage(key.slice(7)) : `/media/${key}`) : null);

export class EventService {
  readonly #db: Database;
  readonly #repo: EventsRepository;
  readonly #access: EventAccess;
  readonly #vocab: VocabService;
  readonly #groups: GroupsRepository;
  readonly #accounts: AccountsRepository;
  readonly #friends: FriendsRepository;
  readonly #notifications: NotificationService;
  readonly #notifier: EventNotifier;
  readonly #media: MediaStore;
  readonly #limits: RateLimits;
  readonly #bus: EventBus;
  readonly #uploadLimit: number;

  constructor(d: {
    db: Database;
    repo: EventsRepository;
    access: EventAccess;
    vocab: VocabService;
    groups: GroupsRepository;
    accounts: AccountsRepository;
    friends: FriendsRepository;
    notifications: NotificationService;
    notifier: EventNotifier;
    media: MediaStore;
    limits: RateLimits;
    bus: EventBus;
    uploadLimitBytes: number;
  }) {
    this.#db = d.db;
    this.#repo = d.repo;
    this.#access = d.access;
    this.#vocab = d.vocab;
    this.#groups = d.groups;
    this.#accounts = d.accounts;
    this.#friends = d.friends;
    this.#notifications = d.notifications;
    this.#notifier = d.notifier;
    this.#media = d.media;
    this.#limits = d.limits;
    this.#bus = d.bus;
    this.#uploadLimit = d.uploadLimitBytes;
  }

  /** The event and the viewer's rights; "not found" when they may not see it (nothing told). */
  async visible(viewer: Actor | null, id: unknown): Promise<{ event: EventRow; rights: EventRights }> {
    if (typeof id !== 'string' || id.length > 64) throw fail.notFound();
    const event = await this.#repo.byId(id);
    if (!event) throw fail.notFound();
    const rights = await this.#access.rights(viewer, event);
    if (!rights.see) throw fail.notFound();
    return { event, rights };
  }

  /** The event, if the actor organises it. */
  async organized(actor: Actor | null, id: unknown): Promise<{ event: EventRow; rights: EventRights; actor: Actor }> {
    const a = requireActor(actor);
    const found = await this.visible(a, id);
    if (!found.rights.organizer) throw fail.forbidden('event.organizer_required');
    return { ...found, actor: a };
  }

  /** Checks and turns form input into the stored fields (and the personal organizers). */
  async #prepare(a: Actor, v: EventInput, existing?: EventRow): Promise<{ row: Omit<NewEvent, 'id' | 'createdAt' | 'updatedAt'>; organizerIds: string[] }> {
    if (!(await this.#vocab.isActive('kind', v.kind)) && v.kind !== existing?.kind) throw fail.invalid({ kind: 'event.kind_invalid' });
    const startsAt = localToInstant(v.start, v.timeZone);
    const endsAt = localToInstant(v.end, v.timeZone);
    if (!startsAt) throw fail.invalid({ start: 'event.start_invalid' });
    if (!endsAt) throw fail.invalid({ end: 'event.end_invalid' });
    if (endsAt <= startsAt) throw fail.invalid({ end: 'event.end_before_start' });
    if (endsAt.getTime() - startsAt.getTime() > MAX_DURATION_DAYS * 86_400_000) throw fail.invalid({ end: ['event.too_long', { days: MAX_DURATION_DAYS }] });
    const now = Date.now();
    const startMoved = !existing || existing.startsAt.getTime() !== startsAt.getTime();
    if (startMoved && startsAt.getTime() < now - PAST_DAYS * 86_400_000) throw fail.invalid({ start: ['event.start_too_old', { days: PAST_DAYS }] });
    if (startsAt.getTime() > now + FUTURE_DAYS * 86_400_000) throw fail.invalid({ start: 'event.start_too_far' });

    // Place: a commune from the postal code; the pin defaults to its centre and may be moved a little.
    let place: Pick<NewEvent, 'postalCode' | 'communeCode' | 'communeName' | 'departementCode' | 'lat' | 'lon' | 'cell' | 'exactLat' | 'exactLon'> = {
      postalCode: null,
      communeCode: null,
      communeName: null,
      departementCode: null,
      lat: null,
      lon: null,
      cell: null,
      exactLat: null,
      exactLon: null,
    };
    if (v.postalCode) {
      const c = resolveCommune(v.postalCode, v.communeCode ?? null);
      if ((v.lat === null) !== (v.lon === null)) throw fail.invalid({ lat: 'event.coordinates_invalid' });
      const centre = c.lat !== null && c.lon !== null ? { lat: c.lat, lon: c.lon } : null;
      const pin = v.lat !== null && v.lon !== null ? { lat: v.lat, lon: v.lon } : centre;
      if (pin && centre && distanceKm(pin, centre) > MAX_PIN_KM) throw fail.invalid({ lat: ['event.coordinates_far', { km: MAX_PIN_KM }] });
      // Hidden address: the public position is the commune's centre, never the pin.
      const shown = v.hideAddress ? centre : pin;
      place = {
        postalCode: c.postalCode,
        communeCode: c.code,
        communeName: c.name,
        departementCode: c.departementCode,
        lat: shown?.lat ?? null,
        lon: shown?.lon ?? null,
        cell: shown ? cellOf(shown.lat, shown.lon) : null,
        exactLat: pin?.lat ?? null,
        exactLon: pin?.lon ?? null,
      };
    } else if (v.street || v.placeName) {
      throw fail.invalid({ postalCode: 'event.postal_code_required' });
    }
    if (!v.postalCode && !v.onlineUrl) throw fail.invalid({ postalCode: 'event.place_or_online_required', onlineUrl: 'event.place_or_online_required' });
    if (v.joinMode === 'external' && !v.externalUrl) throw fail.invalid({ externalUrl: 'event.external_url_required' });
    if (existing && v.capacity !== null && v.capacity < existing.seatsTaken) {
      throw fail.invalid({ capacity: ['event.capacity_below_taken', { taken: existing.seatsTaken }] });
    }

    // In a group's name only for its organizers; a group event needs a group.
    if (v.groupId && v.groupId !== existing?.groupId) {
      const role = await this.#groups.role(v.groupId, a.userId);
      if (role !== 'organizer' && role !== 'admin') throw fail.invalid({ groupId: 'event.group_role_required' });
    }
    if (v.visibility === 'group' && !v.groupId) throw fail.invalid({ visibility: 'event.group_required' });

    // Personal organizers: the creator (unless the event is the group's alone) and the members named.
    const organizerIds = existing ? [] : [a.userId];
    for (const username of v.organizers) {
      const user = await this.#accounts.userByUsername(username);
      if (!user || user.status !== 'active') throw fail.invalid({ organizers: ['event.organizer_unknown', { username }] });
      if (existing?.creatorId && (await this.#friends.blockedEither(user.id, existing.creatorId))) throw fail.invalid({ organizers: ['event.organizer_unknown', { username }] });
      if (!existing && (await this.#friends.blockedEither(user.id, a.userId))) throw fail.invalid({ organizers: ['event.organizer_unknown', { username }] });
      if (!organizerIds.includes(user.id)) organizerIds.push(user.id);
    }
    const rendered = renderMarkdown(v.description);
    return {
      row: {
        title: v.title,
        kind: v.kind,
        description: v.description,
        descriptionHtml: rendered.html,
        searchText: normalizeForSearch(`${v.title} ${rendered.text} ${v.placeName} ${place.communeName ?? ''}`),
        startsAt,
        endsAt,
        timeZone: v.timeZone,
        placeName: v.placeName,
        street: v.street,
        ...place,
        onlineUrl: v.onlineUrl,
        capacity: v.capacity,
        guestsMax: v.guestsMax,
        contact: v.contact,
        visibility: v.visibility,
        hideAddress: v.hideAddress && Boolean(v.postalCode),
        joinMode: v.joinMode,
        externalUrl: v.joinMode === 'external' ? v.externalUrl : null,
        groupId: v.groupId,
        participantReports: v.participantReports,
        imageAlt: v.imageAlt,
      },
      organizerIds,
    };
  }

  /** Creates an event; its creator organises it. */
  async create(actor: Actor | null, input: unknown, image?: Buffer | null): Promise<EventView> {
    const a = requireActor(actor);
    const v = parse(eventSchema, input);
    const { row, organizerIds } = await this.#prepare(a, v);
    await this.#limits.consume(['event-create:account', a.userId]);
    const imageKey = image?.length ? await this.#storeImage(a, image) : null;
    const id = newId();
    const now = new Date();
    try {
      await this.#db.tx(async () => {
        await this.#repo.insert({ id, creatorId: a.userId, ...row, imageKey, createdAt: now, updatedAt: now });
        const added = await this.#repo.setOrganizers(id, organizerIds, now);
        for (const userId of added) await this.#notifications.notify({ userId, type: 'event_organizer_added', actorId: a.userId, eventId: id });
        if (row.groupId && (row.visibility === 'public' || row.visibility === 'group') && row.endsAt! > now) {
          await this.#notifier.announce(id, 'event_new', a.userId, { groupMembers: true });
        }
      });
    } catch (e) {
      await this.#media.delete(imageKey);
      throw e;
    }
    this.#bus.emit('event.changed', { eventId: id });
    return this.view(a, id, 'fr');
  }

  /**
   * Changes an event (organizers). Participants are told when the time or the place changes.
   * A new picture (or its removal) can come with the change.
   */
  async update(actor: Actor | null, id: unknown, input: unknown, locale: Locale = 'fr', picture?: { bytes: Buffer } | { remove: true }): Promise<EventView> {
    const { event, actor: a } = await this.organized(actor, id);
    const current = await this.#formValues(event);
    const merged = { ...current, ...(typeof input === 'object' && input ? (input as Record<string, unknown>) : {}) };
    const v = parse(eventSchema, merged);
    // The picture is checked (and stored) first: a bad file changes nothing.
    const imageKey = picture ? ('bytes' in picture && picture.bytes.length ? await this.#storeImage(a, picture.bytes) : null) : event.imageKey;
    try {
      await this.#db.tx(async () => {
        const locked = (await this.#repo.lock(event.id))!;
        const { row, organizerIds } = await this.#prepare(a, v, locked);
        const moved =
          row.startsAt!.getTime() !== locked.startsAt.getTime() ||
          row.endsAt!.getTime() !== locked.endsAt.getTime() ||
          row.street !== locked.street ||
          row.placeName !== locked.placeName ||
          row.communeCode !== locked.communeCode ||
          row.exactLat !== locked.exactLat ||
          row.exactLon !== locked.exactLon ||
          row.onlineUrl !== locked.onlineUrl;
        await this.#repo.update(event.id, { ...row, imageKey, sequence: locked.sequence + (moved ? 1 : 0) });
        // The personal organizers are the members named (an event of a group may have none).
        if (!organizerIds.length && !row.groupId) throw fail.invalid({ organizers: 'event.organizer_needed' });
        const added = await this.#repo.setOrganizers(event.id, organizerIds, new Date());
        for (const userId of added) await this.#notifications.notify({ userId, type: 'event_organizer_added', actorId: a.userId, eventId: event.id });
        if (row.capacity == null || row.capacity > locked.seatsTaken) await this.#fillSeats?.(event.id);
        if (moved) await this.#notifier.announce(event.id, 'event_updated', a.userId, { participants: ['going', 'waitlist', 'pending', 'interested'] });
      });
    } catch (e) {
      if (picture && imageKey) await this.#media.delete(imageKey);
      throw e;
    }
    if (picture) await this.#media.delete(event.imageKey);
    this.#bus.emit('event.changed', { eventId: event.id });
    return this.view(a, event.id, locale);
  }

  /** Given by the RSVP service: fills freed seats from the waiting list (inside the transaction). */
  #fillSeats: ((eventId: string) => Promise<void>) | null = null;
  setSeatFiller(fill: (eventId: string) => Promise<void>): void {
    this.#fillSeats = fill;
  }

  /** Scheduled, postponed or cancelled (organizers); participants are told. */
  async setStatus(actor: Actor | null, id: unknown, input: unknown): Promise<void> {
    const { event, actor: a } = await this.organized(actor, id);
    const { status } = parse(statusSchema, input);
    if (status === event.status) return;
    await this.#db.tx(async () => {
      await this.#repo.update(event.id, { status, sequence: event.sequence + 1 });
      const type = status === 'cancelled' ? 'event_cancelled' : status === 'postponed' ? 'event_postponed' : 'event_updated';
      await this.#notifier.announce(event.id, type, a.userId, { participants: ['going', 'waitlist', 'pending', 'interested'] });
    });
    this.#bus.emit('event.changed', { eventId: event.id });
  }

  /**
   * Deletes an event (organizers, or staff for moderation). An upcoming event with participants
   * must be cancelled first, so that they are told.
   */
  async delete(actor: Actor | null, id: unknown): Promise<void> {
    const a = requireActor(actor);
    if (typeof id !== 'string' || id.length > 64) throw fail.notFound();
    const event = await this.#repo.byId(id);
    if (!event) throw fail.notFound();
    // Staff delete for moderation; their own events follow the organizers' rule.
    const organizer = await this.#access.isOrganizer(a.userId, event);
    const moderating = !organizer && (a.role === 'admin' || a.role === 'moderator');
    if (!moderating) await this.organized(a, id);
    const upcoming = event.endsAt.getTime() > Date.now();
    if (!moderating && upcoming && event.status !== 'cancelled' && event.goingCount + event.waitlistCount > 0) throw fail.conflict('event.cancel_first');
    const photos = await this.#reportPhotoKeys(event.id);
    // Who answered it, for the servers of those who live elsewhere (told of the deletion).
    const { eventRsvps: r } = this.#db.t;
    const answered = (await this.#db.q.select({ u: r.userId }).from(r).where(eq(r.eventId, event.id))).map((x) => x.u);
    await this.#db.tx(() => this.#repo.delete(event.id));
    for (const key of [event.imageKey, ...photos]) if (!key?.startsWith('remote:')) await this.#media.delete(key);
    this.#bus.emit('event.changed', { eventId: event.id });
    this.#bus.emit('event.deleted', { eventId: event.id, creatorId: event.creatorId, visibility: event.visibility, uri: event.uri, answered });
  }

  async #reportPhotoKeys(eventId: string): Promise<string[]> {
    const { eventReports: r, eventReportPhotos: p } = this.#db.t;
    const rows = await this.#db.q.select({ key: p.mediaKey }).from(p).innerJoin(r, eq(r.id, p.reportId)).where(eq(r.eventId, eventId));
    return rows.map((x) => x.key);
  }

  async #storeImage(a: Actor, bytes: Buffer): Promise<string> {
    await this.#limits.consume(['upload:account', a.userId]);
    if (bytes.length > this.#uploadLimit) throw fail.tooLarge('avatar.too_large', { mb: Math.round(this.#uploadLimit / 1048576) });
    const processed = await processPostImage(bytes);
    return this.#media.put('events', 'webp', processed.bytes);
  }

  /** Sets (or, with no bytes, removes) the event's picture (organizers). */
  async setImage(actor: Actor | null, id: unknown, bytes: Buffer | null): Promise<void> {
    const { event, actor: a } = await this.organized(actor, id);
    const key = bytes?.length ? await this.#storeImage(a, bytes) : null;
    await this.#db.tx(() => this.#repo.update(event.id, { imageKey: key }));
    await this.#media.delete(event.imageKey);
  }

  /** A co-organizer steps down (the event must keep an organizer). */
  async stepDown(actor: Actor | null, id: unknown): Promise<void> {
    const { event, actor: a } = await this.organized(actor, id);
    await this.#db.tx(async () => {
      const ids = await this.#repo.organizerIds(event.id);
      if (!ids.includes(a.userId)) throw fail.conflict('event.not_personal_organizer');
      if (ids.length <= 1 && !event.groupId) throw fail.conflict('event.last_organizer');
      await this.#repo.removeOrganizer(event.id, a.userId);
    });
  }

  /** Invites members by username (organizers); they are told and may then answer, whatever the join mode. */
  async invite(actor: Actor | null, id: unknown, input: unknown): Promise<{ invited: number }> {
    const { event, actor: a } = await this.organized(actor, id);
    const { usernames } = parse(z.object({ usernames: eventSchema.shape.organizers }), input);
    if (!usernames.length) throw fail.invalid({ usernames: 'validation.required' });
    await this.#limits.consume(['event-invite:account', a.userId]);
    const users: { id: string }[] = [];
    for (const username of usernames) {
      const user = await this.#accounts.userByUsername(username);
      if (!user || user.status !== 'active' || (await this.#friends.blockedEither(user.id, a.userId))) throw fail.invalid({ usernames: ['event.organizer_unknown', { username }] });
      users.push(user);
    }
    let invited = 0;
    await this.#db.tx(async () => {
      for (const user of users) {
        if (!(await this.#repo.invite(event.id, user.id, a.userId, new Date()))) continue;
        invited++;
        await this.#notifications.notify({ userId: user.id, type: 'event_invitation', actorId: a.userId, eventId: event.id });
      }
    });
    return { invited };
  }

  async invitations(actor: Actor | null, id: unknown): Promise<MemberSummary[]> {
    const { event } = await this.organized(actor, id);
    return (await this.#repo.invitations(event.id)).map(memberSummary);
  }

  /** Form values of a stored event (local times in its zone). */
  async #formValues(e: EventRow): Promise<EventFormValues & { organizers: string }> {
    const organizers = await this.#repo.organizers(e.id);
    return {
      title: e.title,
      kind: e.kind,
      description: e.description,
      start: instantToLocal(e.startsAt, e.timeZone),
      end: instantToLocal(e.endsAt, e.timeZone),
      timeZone: e.timeZone,
      placeName: e.placeName,
      street: e.street,
      postalCode: e.postalCode ?? '',
      communeCode: e.communeCode ?? '',
      lat: e.exactLat === null || !e.postalCode ? '' : String(e.exactLat),
      lon: e.exactLon === null || !e.postalCode ? '' : String(e.exactLon),
      onlineUrl: e.onlineUrl ?? '',
      capacity: e.capacity === null ? '' : String(e.capacity),
      guestsMax: String(e.guestsMax),
      contact: e.contact,
      visibility: e.visibility,
      hideAddress: e.hideAddress ? 'on' : '',
      joinMode: e.joinMode,
      externalUrl: e.externalUrl ?? '',
      groupId: e.groupId ?? '',
      organizers: organizers.map((o) => o.username).join(', '),
      participantReports: e.participantReports ? 'on' : '',
      imageAlt: e.imageAlt,
    };
  }

  /** The edit form's values (organizers). */
  async formValues(actor: Actor | null, id: unknown): Promise<EventFormValues> {
    const { event } = await this.organized(actor, id);
    return this.#formValues(event);
  }

  /** The values of a copy of the event a week later, to post the next action (organizers). */
  async draftFrom(actor: Actor | null, id: unknown, days = 7): Promise<EventFormValues> {
    const { event } = await this.organized(actor, id);
    const values = await this.#formValues(event);
    const start = shiftDays(event.startsAt, event.timeZone, days);
    const end = shiftDays(event.endsAt, event.timeZone, days);
    return { ...values, start: instantToLocal(start, event.timeZone), end: instantToLocal(end, event.timeZone) };
  }

  /** Creates a copy of the event `days` later (organizers); fields in `input` override. */
  async duplicate(actor: Actor | null, id: unknown, input: unknown = {}): Promise<EventView> {
    const { days } = parse(z.object({ days: z.coerce.number().int().min(1).max(366).optional().default(7) }), input ?? {});
    const draft = await this.draftFrom(actor, id, days);
    const { days: _d, ...overrides } = (typeof input === 'object' && input ? input : {}) as Record<string, unknown>;
    const { event } = await this.visible(actor, id);
    return this.create(actor, { ...draft, ...overrides }, event.imageKey ? await this.#media.read(event.imageKey) : null);
  }

  /** The event as the viewer may see it. */
  async view(viewer: Actor | null, id: unknown, locale: Locale): Promise<EventView> {
    const { event, rights } = await this.visible(viewer, id);
    const [summary] = await this.summaries(viewer, [event], locale, { rsvps: new Map(rights.rsvp ? [[event.id, rights.rsvp]] : []), exact: rights.exactAddress });
    const organizers = (await this.#repo.organizers(event.id)).map(memberSummary);
    const friendsGoing = viewer ? (await this.#repo.friendsGoing(event.id, viewer.userId)).map(memberSummary) : [];
    const rsvp = rights.rsvp;
    let position: number | null = null;
    if (rsvp?.status === 'waitlist') position = (await this.#repo.waitlist(event.id)).findIndex((r) => r.userId === rsvp.userId) + 1 || null;
    const now = Date.now();
    const started = event.startsAt.getTime() <= now;
    const ended = event.endsAt.getTime() < now;
    const answerable = event.status !== 'cancelled' && !ended;
    return {
      ...summary,
      description: event.description,
      descriptionHtml: event.descriptionHtml,
      imageAlt: event.imageAlt,
      street: rights.exactAddress ? event.street || null : null,
      postalCode: event.postalCode,
      communeCode: event.communeCode,
      exactLat: rights.exactAddress ? event.exactLat : null,
      exactLon: rights.exactAddress ? event.exactLon : null,
      addressHidden: !rights.exactAddress,
      onlineUrl: rights.exactAddress ? event.onlineUrl : null,
      externalUrl: event.externalUrl,
      contact: rights.contact ? event.contact || null : null,
      guestsMax: event.guestsMax,
      interestedCount: event.interestedCount,
      waitlistCount: event.waitlistCount,
      walkIns: rights.organizer ? event.walkIns : 0,
      participantReports: event.participantReports,
      organizers,
      friendsGoing,
      myRsvp: rsvp ? { status: rsvp.status, guests: rsvp.guests, showToFriends: rsvp.showToFriends, shareContact: rsvp.shareContact, position, attendance: rsvp.attendance } : null,
      invited: rights.invited,
      rights: {
        organizer: rights.organizer,
        confirmed: rights.confirmed,
        participants: rights.participants,
        canAnswer: viewer !== null && answerable && event.joinMode !== 'external' && (event.joinMode !== 'invite' || rights.invited || rights.organizer || rsvp !== null),
        canReport: viewer !== null && started && (rights.organizer || (event.participantReports && rsvp?.status === 'going')),
        canCheckIn: rights.organizer && now >= event.startsAt.getTime() - 86_400_000 && now <= event.endsAt.getTime() + 7 * 86_400_000,
      },
      createdAt: event.createdAt,
      updatedAt: event.updatedAt,
    };
  }

  /** Summaries of events for lists, as the viewer may see them (rows already filtered by visibility). */
  async summaries(
    viewer: Actor | null,
    rows: ListedEvent[],
    locale: Locale,
    opts: { rsvps?: Map<string, RsvpRow>; exact?: boolean; center?: { lat: number; lon: number } | null } = {},
  ): Promise<EventSummary[]> {
    if (!rows.length) return [];
    const labels = await this.#vocab.labels('kind', locale);
    const rsvps = opts.rsvps ?? (viewer ? await this.#repo.rsvpsOf(viewer.userId, rows.map((r) => r.id)) : new Map<string, RsvpRow>());
    const groupIds = [...new Set(rows.map((r) => r.groupId).filter((g): g is string => g !== null))];
    const groups = new Map((await this.#groups.byIds(groupIds)).map((g) => [g.id, { id: g.id, handle: g.handle, name: g.name }]));
    const now = Date.now();
    return rows.map((e) => {
      const mine = rsvps.get(e.id) ?? null;
      const exact = opts.exact ?? (!e.hideAddress || mine?.status === 'going');
      return {
        id: e.id,
        title: e.title,
        kind: e.kind,
        kindLabel: labels.get(e.kind) ?? e.kind,
        startsAt: e.startsAt,
        endsAt: e.endsAt,
        timeZone: e.timeZone,
        when: formatRange(e.startsAt, e.endsAt, e.timeZone, locale),
        status: e.status,
        visibility: e.visibility,
        joinMode: e.joinMode,
        communeName: e.communeName,
        departementCode: e.departementCode,
        placeName: exact ? e.placeName || null : null,
        online: e.onlineUrl !== null,
        lat: e.lat,
        lon: e.lon,
        imageUrl: media(e.imageKey),
        group: e.groupId ? (groups.get(e.groupId) ?? null) : null,
        goingCount: e.goingCount,
        seatsTaken: e.seatsTaken,
        capacity: e.capacity,
        seatsLeft: e.capacity === null ? null : Math.max(0, e.capacity - e.seatsTaken),
        myStatus: mine?.status ?? null,
        ...(opts.center && e.lat !== null && e.lon !== null ? { distanceKm: Math.round(distanceKm(opts.center, { lat: e.lat, lon: e.lon })) } : {}),
        past: e.endsAt.getTime() < now,
      };
    });
  }

  /** Groups in whose name the member may post events. */
  async groupsForEvents(actor: Actor | null): Promise<{ id: string; name: string; handle: string }[]> {
    const a = requireActor(actor);
    return (await this.#groups.groupsOf(a.userId)).filter((g) => g.role !== 'member').map((g) => ({ id: g.id, name: g.name, handle: g.handle }));
  }
}
