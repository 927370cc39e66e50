// Answers to events (RSVPs), the waiting list, and check-in on the day.
//   - going / interested / can't go, with guests up to the event's limit; "going" becomes
//     "pending" when organizers approve participants, and "waitlist" when the seats are taken;
//   - seats = confirmed participants + their guests, never above the capacity: every rule on
//     seats runs after locking the event's row, inside one transaction;
//   - a freed seat goes to the waiting list in order (first come, first served; someone whose
//     party does not fit yet keeps their place and the next one who fits is served), each
//     promoted member being told;
//   - organizers see the list, approve or decline, check people in and add walk-ins.
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import type { EventBus } from '../events.ts';
import { fail } from '../errors.ts';
import { type Actor, requireActor } from '../accounts/actor.ts';
import type { AccountsRepository } from '../accounts/repository.ts';
import type { FriendsRepository } from '../friends/repository.ts';
import type { GroupsRepository } from '../groups/repository.ts';
import { csvTable } from '../csv.ts';
import type { NotificationService } from '../notifications/service.ts';
import { memberSummary, type MemberSummary } from '../profiles/summary.ts';
import type { RateLimits } from '../security/rate-limits.ts';
import { parse } from '../validation.ts';
import { type EventRow, type EventsRepository, type RsvpStatus } from './repository.ts';
import { optionalInt, rsvpSchema } from './schemas.ts';
import type { EventService, MyRsvp } from './service.ts';

export interface ParticipantView extends MemberSummary {
  status: RsvpStatus;
  guests: number;
  attendance: 'present' | 'absent' | null;
  walkIn: boolean;
  /** Only when the participant agreed to share them with organizers. */
  email?: string;
  phone?: string | null;
  answeredAt: Date;
}

export interface ParticipantList {
  going: ParticipantView[];
  waitlist: ParticipantView[];
  pending: ParticipantView[];
  seatsTaken: number;
  capacity: number | null;
  present: number;
  walkIns: number;
}

/** Check-in opens a day before the start and closes a week after the end. */
const CHECKIN_BEFORE_MS = 86_400_000;
const CHECKIN_AFTER_MS = 7 * 86_400_000;

export class RsvpService {
  readonly #db: Database;
  readonly #repo: EventsRepository;
  readonly #events: EventService;
  readonly #accounts: AccountsRepository;
  readonly #groups: GroupsRepository;
  readonly #friends: FriendsRepository;
  readonly #notifications: NotificationService;
  readonly #limits: RateLimits;
  readonly #bus: EventBus;

  constructor(d: { db: Database; repo: EventsRepository; events: EventService; accounts: AccountsRepository; groups: GroupsRepository; friends: FriendsRepository; notifications: NotificationService; limits: RateLimits; bus: EventBus }) {
    this.#db = d.db;
    this.#repo = d.repo;
    this.#events = d.events;
    this.#accounts = d.accounts;
    this.#groups = d.groups;
    this.#friends = d.friends;
    this.#notifications = d.notifications;
    this.#limits = d.limits;
    this.#bus = d.bus;
    d.events.setSeatFiller((eventId) => this.#fillSeats(eventId));
    d.bus.on('event.answers_removed', async ({ eventIds }) => {
      for (const id of eventIds) {
        await this.#db.tx(async () => {
          if (!(await this.#repo.lock(id))) return;
          await this.#repo.recount(id);
          await this.#fillSeats(id);
        });
      }
    });
  }

  /** Answers an event: going, interested, or can't go (which also cancels a participation). */
  async answer(actor: Actor | null, eventId: unknown, input: unknown): Promise<MyRsvp> {
    const a = requireActor(actor);
    const v = parse(rsvpSchema, input);
    const { event, rights } = await this.#events.visible(a, eventId);
    if (event.joinMode === 'external' && v.status !== 'not_going') throw fail.conflict('event.external_join');
    await this.#limits.consume(['rsvp:account', a.userId]);
    await this.#db.tx(async () => {
      const e = (await this.#repo.lock(event.id))!;
      if (e.status === 'cancelled') throw fail.conflict('event.cancelled');
      if (e.endsAt.getTime() < Date.now()) throw fail.conflict('event.past');
      if (v.guests > e.guestsMax) throw fail.invalid({ guests: e.guestsMax ? ['event.guests_max', { max: e.guestsMax }] : 'event.guests_not_allowed' });
      const current = (await this.#repo.rsvp(e.id, a.userId)) ?? null;
      if (current?.status === 'rejected' && v.status !== 'not_going') throw fail.forbidden('event.rsvp_rejected');
      if (e.joinMode === 'invite' && v.status !== 'not_going' && !current && !rights.invited && !rights.organizer) throw fail.forbidden('event.invitation_required');
      const now = new Date();
      let status: RsvpStatus = v.status;
      let queuedAt = current?.queuedAt ?? null;
      if (e.uri && v.status === 'going') {
        // An event of another server: its organizers' server decides (seats, approval); the
        // answer waits for their Accept (decision 0017).
        status = current?.status === 'going' ? 'going' : 'pending';
      } else if (v.status === 'going') {
        const seats = 1 + v.guests;
        if (current?.status === 'going') {
          // Changing one's guests: the extra seats must be free.
          const delta = seats - (1 + current.guests);
          if (e.capacity !== null && delta > 0 && e.seatsTaken + delta > e.capacity) throw fail.conflict('event.not_enough_seats');
          status = 'going';
        } else if (current?.status === 'waitlist' || current?.status === 'pending') {
          status = current.status; // keeps the place in line (the party size may change)
        } else if (e.joinMode === 'approval' && !rights.organizer) {
          status = 'pending';
        } else if (e.capacity !== null && e.seatsTaken + seats > e.capacity) {
          status = 'waitlist';
          queuedAt = now;
        } else {
          status = 'going';
        }
      }
      if (status !== 'waitlist') queuedAt = null;
      await this.#repo.upsertRsvp({
        eventId: e.id,
        userId: a.userId,
        status,
        guests: status === 'interested' || status === 'not_going' ? 0 : v.guests,
        showToFriends: v.showToFriends,
        shareContact: v.shareContact,
        queuedAt,
        // Attendance belongs to a confirmed participation: it goes with it.
        ...(status === 'going' ? {} : { attendance: null, checkedInAt: null }),
        createdAt: now,
        updatedAt: now,
      });
      if (status === 'pending' && current?.status !== 'pending' && !e.uri) {
        await this.#notifications.notifyAll(await this.#organizerIds(e), { type: 'event_join_request', actorId: a.userId, eventId: e.id });
      }
      // Free seats (someone left, came with fewer guests, or a waiting party got smaller) go to the waiting list.
      const after = await this.#repo.recount(e.id);
      if (after.waitlistCount > 0 && (after.capacity === null || after.seatsTaken < after.capacity)) await this.#fillSeats(e.id);
    });
    this.#bus.emit('event.rsvp', { eventId: event.id, userId: a.userId });
    const view = await this.#events.view(a, event.id, 'fr');
    return view.myRsvp!;
  }

  // From other servers (decision 0017).

  /**
   * Someone of another server answers an event here (Join, Leave): the same rules as members'
   * (visibility, capacity, approval, invitation); the Join's id is kept to answer it.
   */
  async remoteAnswer(remoteId: string, eventId: string, status: 'going' | 'interested' | 'not_going', joinUri: string | null): Promise<RsvpStatus | null> {
    const actor: Actor = { userId: remoteId, role: 'member', sessionId: null };
    const answer = await this.answer(actor, eventId, { status, guests: 0 }).catch(() => null);
    if (answer && joinUri) {
      await this.#db.tx(() => this.#repo.updateRsvp(eventId, remoteId, { uri: joinUri }));
      // Again, now that the Join's id is known: its answer names it.
      this.#bus.emit('event.rsvp', { eventId, userId: remoteId });
    }
    return answer?.status ?? null;
  }

  /**
   * A Like of an event from another server (what Mastodon sends for a star): "interested", unless
   * they already answered more; its Undo withdraws only that. `likeUri`: the Like's id.
   */
  async remoteInterest(remoteId: string, eventId: string, likeUri: string, on: boolean): Promise<void> {
    const current = await this.#repo.rsvp(eventId, remoteId);
    if (on) {
      if (current && current.status !== 'not_going' && current.status !== 'interested') return;
      await this.remoteAnswer(remoteId, eventId, 'interested', likeUri);
    } else if (current?.status === 'interested' && current.uri === likeUri) {
      await this.remoteAnswer(remoteId, eventId, 'not_going', null);
    }
  }

  /** The event and person a Like's id made "interested" (for its Undo). */
  async interestByUri(likeUri: string): Promise<{ eventId: string; userId: string } | null> {
    const { eventRsvps: r } = this.#db.t;
    return (await this.#db.q.select({ eventId: r.eventId, userId: r.userId }).from(r).where(and(eq(r.uri, likeUri), eq(r.status, 'interested'))))[0] ?? null;
  }

  /** The organizers' server of an event of another server answered a member's Join. */
  async joinAnswered(joinUri: string, organizerId: string, accepted: boolean): Promise<{ eventId: string; userId: string } | null> {
    const { eventRsvps: r, events } = this.#db.t;
    const row = (await this.#db.q.select({ eventId: r.eventId, userId: r.userId, creatorId: events.creatorId }).from(r).innerJoin(events, eq(events.id, r.eventId)).where(eq(r.uri, joinUri)))[0];
    // Only the event's organizer (as their server knows them) answers for it.
    if (!row || row.creatorId !== organizerId) return null;
    await this.#db.tx(async () => {
      await this.#repo.lock(row.eventId);
      await this.#repo.updateRsvp(row.eventId, row.userId, { status: accepted ? 'going' : 'rejected', queuedAt: null });
      await this.#repo.recount(row.eventId);
    });
    await this.#notifications.notify({ userId: row.userId, type: accepted ? 'event_rsvp_approved' : 'event_rsvp_declined', actorId: organizerId, eventId: row.eventId });
    this.#bus.emit('event.rsvp', { eventId: row.eventId, userId: row.userId });
    return { eventId: row.eventId, userId: row.userId };
  }

  /** Organizers: personal ones and the group's (for notifications). */
  async #organizerIds(e: EventRow): Promise<string[]> {
    const ids = await this.#repo.organizerIds(e.id);
    if (e.groupId) ids.push(...(await this.#groups.organizerIds(e.groupId)));
    return [...new Set(ids)];
  }

  /**
   * Gives free seats to the waiting list, in order (inside the caller's transaction, after the
   * row lock). Each promoted member is told.
   */
  async #fillSeats(eventId: string): Promise<void> {
    let e = (await this.#repo.lock(eventId))!;
    if (e.status === 'cancelled') return;
    for (const r of await this.#repo.waitlist(eventId)) {
      const free = e.capacity === null ? Infinity : e.capacity - e.seatsTaken;
      if (free <= 0) break;
      if (1 + r.guests > free) continue;
      await this.#repo.updateRsvp(eventId, r.userId, { status: 'going', queuedAt: null });
      e = await this.#repo.recount(eventId);
      await this.#notifications.notify({ userId: r.userId, type: 'event_promoted', eventId });
      this.#db.afterCommit(() => this.#bus.emit('event.rsvp', { eventId, userId: r.userId }));
    }
  }

  /** Approves a pending participant (a seat if one is free, else the waiting list) or declines them. */
  async decide(actor: Actor | null, eventId: unknown, userId: unknown, approve: boolean): Promise<RsvpStatus> {
    const { event, actor: a } = await this.#events.organized(actor, eventId);
    return this.#db.tx(async () => {
      const e = (await this.#repo.lock(event.id))!;
      const r = typeof userId === 'string' ? await this.#repo.rsvp(e.id, userId) : undefined;
      if (!r || r.status !== 'pending') throw fail.conflict('event.request_gone');
      let status: RsvpStatus = 'rejected';
      if (approve) status = e.capacity !== null && e.seatsTaken + 1 + r.guests > e.capacity ? 'waitlist' : 'going';
      await this.#repo.updateRsvp(e.id, r.userId, { status, queuedAt: status === 'waitlist' ? new Date() : null });
      await this.#repo.recount(e.id);
      await this.#notifications.notify({ userId: r.userId, type: approve ? 'event_rsvp_approved' : 'event_rsvp_declined', actorId: a.userId, eventId: e.id });
      this.#db.afterCommit(() => this.#bus.emit('event.rsvp', { eventId: e.id, userId: r.userId }));
      return status;
    });
  }

  /** The participants (organizers): names, answers, attendance; contacts only with consent. */
  async participants(actor: Actor | null, eventId: unknown): Promise<ParticipantList> {
    const { event } = await this.#events.organized(actor, eventId);
    const rows = await this.#repo.participants(event.id);
    const view = (r: (typeof rows)[number]): ParticipantView => ({
      ...memberSummary(r),
      status: r.status,
      guests: r.guests,
      attendance: r.attendance,
      walkIn: r.walkIn,
      ...(r.shareContact ? { email: r.email, phone: r.phone } : {}),
      answeredAt: r.createdAt,
    });
    const waitlist = rows.filter((r) => r.status === 'waitlist').sort((x, y) => (x.queuedAt?.getTime() ?? 0) - (y.queuedAt?.getTime() ?? 0) || (x.id < y.id ? -1 : 1));
    const going = rows.filter((r) => r.status === 'going');
    return {
      going: going.map(view),
      waitlist: waitlist.map(view),
      pending: rows.filter((r) => r.status === 'pending').map(view),
      seatsTaken: event.seatsTaken,
      capacity: event.capacity,
      present: going.filter((r) => r.attendance === 'present').length,
      walkIns: event.walkIns,
    };
  }

  /** The participant list as CSV (organizers), contacts only for those who agreed. */
  async exportCsv(actor: Actor | null, eventId: unknown): Promise<{ filename: string; csv: string }> {
    const list = await this.participants(actor, eventId);
    const rows = [...list.going, ...list.waitlist, ...list.pending].map((p) => [p.displayName, p.username, p.status, p.guests, p.attendance ?? '', p.walkIn ? 'yes' : '', p.email ?? '', p.phone ?? '']);
    return { filename: `participants-${String(eventId)}.csv`, csv: csvTable(['display_name', 'username', 'status', 'guests', 'attendance', 'walk_in', 'email', 'phone'], rows) };
  }

  #checkinOpen(e: EventRow) {
    const now = Date.now();
    if (now < e.startsAt.getTime() - CHECKIN_BEFORE_MS || now > e.endsAt.getTime() + CHECKIN_AFTER_MS) throw fail.conflict('event.checkin_closed');
  }

  /** Marks a confirmed participant present or absent, or clears it (organizers, on the day). */
  async setAttendance(actor: Actor | null, eventId: unknown, userId: unknown, input: unknown): Promise<void> {
    const { event } = await this.#events.organized(actor, eventId);
    const { attendance } = parse(z.object({ attendance: z.enum(['present', 'absent', 'none'], { error: 'validation.invalid' }) }), input);
    this.#checkinOpen(event);
    await this.#db.tx(async () => {
      const r = typeof userId === 'string' ? await this.#repo.rsvp(event.id, userId) : undefined;
      if (!r || r.status !== 'going') throw fail.notFound('event.not_participant');
      await this.#repo.updateRsvp(event.id, r.userId, { attendance: attendance === 'none' ? null : attendance, checkedInAt: attendance === 'none' ? null : new Date() });
    });
  }

  /**
   * Adds a walk-in (organizers, on the day): a member by username, present at once (they came,
   * so capacity does not apply), or a count of people without an account.
   */
  async addWalkIn(actor: Actor | null, eventId: unknown, input: unknown): Promise<void> {
    const { event, actor: a } = await this.#events.organized(actor, eventId);
    const actorId = a.userId;
    const v = parse(z.object({ username: z.string().trim().max(64).optional().default(''), count: optionalInt(-1000, 1000, 'event.walkins_invalid') }), input);
    this.#checkinOpen(event);
    if (!v.username && !v.count) throw fail.invalid({ username: 'validation.required' });
    await this.#db.tx(async () => {
      const e = (await this.#repo.lock(event.id))!;
      if (v.count) {
        const walkIns = e.walkIns + v.count;
        if (walkIns < 0) throw fail.invalid({ count: 'event.walkins_invalid' });
        await this.#repo.update(e.id, { walkIns });
      }
      if (v.username) {
        const user = await this.#accounts.userByUsername(v.username.replace(/^@/, '').toLowerCase());
        if (!user || user.status !== 'active' || (await this.#friends.blockedEither(user.id, actorId))) throw fail.invalid({ username: ['event.organizer_unknown', { username: v.username }] });
        const current = await this.#repo.rsvp(e.id, user.id);
        const now = new Date();
        if (current?.status === 'going') await this.#repo.updateRsvp(e.id, user.id, { attendance: 'present', checkedInAt: now });
        else {
          await this.#repo.upsertRsvp({ eventId: e.id, userId: user.id, status: 'going', guests: 0, walkIn: true, attendance: 'present', checkedInAt: now, queuedAt: null, createdAt: now, updatedAt: now });
          await this.#repo.recount(e.id);
        }
      }
    });
  }
}
