// Storage of events, their organizers, answers (RSVPs), invitations, and the discovery queries.
import { and, asc, count, eq, gte, inArray, isNull, lte, ne, Param, sql, type SQL } from 'drizzle-orm';
import { isPostgres, type Database, type Schema } from '../db/client.ts';
import { summaryFields, type SummaryColumns } from '../profiles/summary.ts';
import { escapeLike } from '../search/normalize.ts';
import type { BBox } from '../geo/grid.ts';

export type EventRow = Schema['events']['$inferSelect'];
export type NewEvent = Schema['events']['$inferInsert'];
export type RsvpRow = Schema['eventRsvps']['$inferSelect'];

/**
 * What lists and maps show of an event (EventService.summaries): discovery reads these columns
 * only. A map page is 500 rows, and decoding whole rows (descriptions, search text, exact
 * coordinates…) cost PostgreSQL's client more than the query itself (docs/performance.md).
 */
const LISTED = [
  'id', 'title', 'kind', 'startsAt', 'endsAt', 'timeZone', 'status', 'visibility', 'joinMode', 'communeName', 'departementCode', 'placeName',
  'hideAddress', 'onlineUrl', 'lat', 'lon', 'imageKey', 'groupId', 'goingCount', 'seatsTaken', 'capacity',
] as const satisfies readonly (keyof EventRow)[];
export type ListedEvent = Pick<EventRow, (typeof LISTED)[number]>;
export type RsvpStatus = RsvpRow['status'];

/** Answers that keep a member in touch with the event (they see it, get its news). */
export const ACTIVE_STATUSES: RsvpStatus[] = ['going', 'waitlist', 'pending', 'interested'];
/** The longest event we accept: discovery scans start this far before the window. */
export const MAX_DURATION_DAYS = 31;
/** Discovery over cells first reads the events of this many days (see discover). */
const FIRST_WINDOW_DAYS = 3;

export interface ParticipantRow extends SummaryColumns {
  status: RsvpStatus;
  guests: number;
  attendance: 'present' | 'absent' | null;
  walkIn: boolean;
  shareContact: boolean;
  email: string;
  phone: string | null;
  queuedAt: Date | null;
  createdAt: Date;
}

export interface DiscoveryQuery {
  viewerId: string | null;
  /** Events overlapping [from, to). */
  from: Date;
  to: Date | null;
  /** Cells to look in (radius and city-sized map queries), or null for any. */
  cells: number[] | null;
  /** Exact bounding box on the public position. */
  box: BBox | null;
  /** Exact radius on the public position (with the box as a pre-filter). */
  circle: { lat: number; lon: number; km: number } | null;
  kinds: string[];
  groupId: string | null;
  /** Normalised words, all of which must appear. */
  words: string[];
  online: boolean;
  /** Only events of the viewer's groups, friends, or their own. */
  relatedOnly: boolean;
  after: { at: Date; id: string } | null;
  limit: number;
}

export class EventsRepository {
  readonly #db: Database;
  constructor(db: Database) {
    this.#db = db;
  }

  async byId(id: string): Promise<EventRow | undefined> {
    const { events } = this.#db.t;
    return (await this.#db.q.select().from(events).where(eq(events.id, id)))[0];
  }

  async byIds(ids: string[]): Promise<EventRow[]> {
    if (!ids.length) return [];
    const { events } = this.#db.t;
    return this.#db.q.select().from(events).where(inArray(events.id, ids));
  }

  /**
   * Re-reads an event inside the current transaction, locking its row on PostgreSQL (SQLite has
   * one writer at a time already): every rule about seats runs after this, so two members taking
   * the last seat at once are served one after the other.
   */
  async lock(id: string): Promise<EventRow | undefined> {
    if (isPostgres(this.#db)) await this.#db.all(sql`select id from events where id = ${id} for update`);
    return this.byId(id);
  }

  async insert(row: NewEvent): Promise<EventRow> {
    const { events } = this.#db.t;
    return (await this.#db.w.insert(events).values(row).returning())[0];
  }

  async update(id: string, patch: Partial<NewEvent>): Promise<EventRow | undefined> {
    const { events } = this.#db.t;
    return (await this.#db.w.update(events).set({ ...patch, updatedAt: new Date() }).where(eq(events.id, id)).returning())[0];
  }

  async delete(id: string): Promise<void> {
    const { events } = this.#db.t;
    await this.#db.w.delete(events).where(eq(events.id, id));
  }

  // Organizers

  async organizerIds(eventId: string): Promise<string[]> {
    const { eventOrganizers: o } = this.#db.t;
    return (await this.#db.q.select({ id: o.userId }).from(o).where(eq(o.eventId, eventId)).orderBy(asc(o.addedAt))).map((r) => r.id);
  }

  async organizers(eventId: string): Promise<SummaryColumns[]> {
    const { eventOrganizers: o, users } = this.#db.t;
    return this.#db.q
      .select(summaryFields(users))
      .from(o)
      .innerJoin(users, eq(users.id, o.userId))
      .where(and(eq(o.eventId, eventId), eq(users.status, 'active')))
      .orderBy(asc(o.addedAt));
  }

  async isPersonalOrganizer(eventId: string, userId: string): Promise<boolean> {
    const { eventOrganizers: o } = this.#db.t;
    return (await this.#db.q.select({ u: o.userId }).from(o).where(and(eq(o.eventId, eventId), eq(o.userId, userId)))).length > 0;
  }

  /** Replaces the personal organizers; returns those added. */
  async setOrganizers(eventId: string, userIds: string[], at: Date): Promise<string[]> {
    const { eventOrganizers: o } = this.#db.t;
    const current = new Set(await this.organizerIds(eventId));
    const wanted = new Set(userIds);
    const removed = [...current].filter((id) => !wanted.has(id));
    if (removed.length) await this.#db.w.delete(o).where(and(eq(o.eventId, eventId), inArray(o.userId, removed)));
    const added = [...wanted].filter((id) => !current.has(id));
    if (added.length) await this.#db.w.insert(o).values(added.map((userId) => ({ eventId, userId, addedAt: at })));
    return added;
  }

  async removeOrganizer(eventId: string, userId: string): Promise<boolean> {
    const { eventOrganizers: o } = this.#db.t;
    return (await this.#db.w.delete(o).where(and(eq(o.eventId, eventId), eq(o.userId, userId))).returning({ u: o.userId })).length > 0;
  }

  // Answers

  async rsvp(eventId: string, userId: string): Promise<RsvpRow | undefined> {
    const { eventRsvps: r } = this.#db.t;
    return (await this.#db.q.select().from(r).where(and(eq(r.eventId, eventId), eq(r.userId, userId))))[0];
  }

  async upsertRsvp(row: Schema['eventRsvps']['$inferInsert']): Promise<void> {
    const { eventRsvps: r } = this.#db.t;
    const { eventId: _e, userId: _u, createdAt: _c, ...patch } = row;
    await this.#db.w.insert(r).values(row).onConflictDoUpdate({ target: [r.eventId, r.userId], set: patch });
  }

  async updateRsvp(eventId: string, userId: string, patch: Partial<RsvpRow>): Promise<boolean> {
    const { eventRsvps: r } = this.#db.t;
    return (await this.#db.w.update(r).set({ ...patch, updatedAt: new Date() }).where(and(eq(r.eventId, eventId), eq(r.userId, userId))).returning({ u: r.userId })).length > 0;
  }

  /** The viewer's answers to several events. */
  async rsvpsOf(userId: string, eventIds: string[]): Promise<Map<string, RsvpRow>> {
    if (!eventIds.length) return new Map();
    const { eventRsvps: r } = this.#db.t;
    const rows = await this.#db.q.select().from(r).where(and(eq(r.userId, userId), inArray(r.eventId, eventIds)));
    return new Map(rows.map((row) => [row.eventId, row]));
  }

  /** The waiting list, in order. */
  async waitlist(eventId: string): Promise<RsvpRow[]> {
    const { eventRsvps: r } = this.#db.t;
    return this.#db.q
      .select()
      .from(r)
      .where(and(eq(r.eventId, eventId), eq(r.status, 'waitlist')))
      .orderBy(asc(r.queuedAt), asc(r.userId));
  }

  /**
   * Recomputes the event's counters from its answers (in the caller's transaction, after the
   * row lock): seats are never a running total that could drift.
   */
  async recount(eventId: string): Promise<EventRow> {
    const { eventRsvps: r, events } = this.#db.t;
    const rows = await this.#db.q
      .select({ status: r.status, walkIn: r.walkIn, people: count(), guests: sql<number>`coalesce(sum(${r.guests}), 0)` })
      .from(r)
      .where(eq(r.eventId, eventId))
      .groupBy(r.status, r.walkIn);
    let seats = 0;
    let going = 0;
    let interested = 0;
    let waitlist = 0;
    for (const row of rows) {
      const people = Number(row.people);
      if (row.status === 'going') {
        going += people;
        if (!row.walkIn) seats += people + Number(row.guests);
      } else if (row.status === 'interested') interested += people;
      else if (row.status === 'waitlist') waitlist += people;
    }
    return (await this.#db.w
      .update(events)
      .set({ seatsTaken: seats, goingCount: going, interestedCount: interested, waitlistCount: waitlist })
      .where(eq(events.id, eventId))
      .returning())[0];
  }

  /** Every answer with the member's summary and contact columns (the service filters them). */
  async participants(eventId: string, statuses: RsvpStatus[] = ['going', 'waitlist', 'pending']): Promise<ParticipantRow[]> {
    const { eventRsvps: r, users } = this.#db.t;
    const rows = await this.#db.q
      .select({
        ...summaryFields(users),
        status: r.status,
        guests: r.guests,
        attendance: r.attendance,
        walkIn: r.walkIn,
        shareContact: r.shareContact,
        email: users.email,
        phone: users.phone,
        queuedAt: r.queuedAt,
        createdAt: r.createdAt,
      })
      .from(r)
      .innerJoin(users, eq(users.id, r.userId))
      .where(and(eq(r.eventId, eventId), inArray(r.status, statuses)))
      .orderBy(asc(users.displayName), asc(users.id))
      .limit(20_000);
    return rows as ParticipantRow[];
  }

  /** Ids of members with one of these answers (for notifications). */
  async answerIds(eventId: string, statuses: RsvpStatus[]): Promise<string[]> {
    const { eventRsvps: r } = this.#db.t;
    return (await this.#db.q.select({ id: r.userId }).from(r).where(and(eq(r.eventId, eventId), inArray(r.status, statuses)))).map((x) => x.id);
  }

  /** The viewer's friends who are going and agreed to be shown to friends. */
  async friendsGoing(eventId: string, viewerId: string, limit = 12): Promise<SummaryColumns[]> {
    const { eventRsvps: r, friendships: f, users } = this.#db.t;
    return this.#db.q
      .select(summaryFields(users))
      .from(f)
      .innerJoin(r, and(eq(r.userId, f.friendId), eq(r.eventId, eventId)))
      .innerJoin(users, eq(users.id, f.friendId))
      .where(and(eq(f.userId, viewerId), eq(r.status, 'going'), eq(r.showToFriends, true), eq(users.status, 'active')))
      .orderBy(asc(users.displayName))
      .limit(limit);
  }

  // Invitations

  async invited(eventId: string, userId: string): Promise<boolean> {
    const { eventInvitations: i } = this.#db.t;
    return (await this.#db.q.select({ u: i.userId }).from(i).where(and(eq(i.eventId, eventId), eq(i.userId, userId)))).length > 0;
  }

  async invite(eventId: string, userId: string, inviterId: string, at: Date): Promise<boolean> {
    const { eventInvitations: i } = this.#db.t;
    return (await this.#db.w.insert(i).values({ eventId, userId, inviterId, createdAt: at }).onConflictDoNothing().returning({ u: i.userId })).length > 0;
  }

  async invitations(eventId: string): Promise<SummaryColumns[]> {
    const { eventInvitations: i, users } = this.#db.t;
    return this.#db.q.select(summaryFields(users)).from(i).innerJoin(users, eq(users.id, i.userId)).where(eq(i.eventId, eventId)).orderBy(asc(users.displayName));
  }

  // Visibility as SQL (the check for one event is in access.ts; both must agree)

  /**
   * Events a viewer may find in lists: public ones, and for a member those of their groups
   * (group events), of their friends (friends events), those they organise, are invited to or
   * answered. Unlisted events are never listed. Events of a member blocking the viewer, or
   * blocked by them, are left out.
   */
  listedFor(viewerId: string | null): SQL {
    const { events: e } = this.#db.t;
    if (!viewerId) return sql`${e.visibility} = 'public'`;
    return sql`${e.visibility} <> 'unlisted' and (${e.visibility} = 'public' or ${this.#related(viewerId)}) and ${this.#notBlocked(viewerId)}`;
  }

  /**
   * No block between the viewer and the event's creator, either way. The members on the other
   * side of the viewer's blocks are listed once per query (both databases keep the list in memory
   * and probe it per event): a correlated `exists … or …` made PostgreSQL scan the blocks table
   * again for every candidate event. An event whose creator's account is gone has no creator to
   * be blocked by (the `is null`: `not in` alone would drop it).
   */
  #notBlocked(viewerId: string): SQL {
    const { events: e } = this.#db.t;
    return sql`(${e.creatorId} is null or ${e.creatorId} not in (select b.blocked_id from blocks b where b.blocker_id = ${viewerId}
      union all select b.blocker_id from blocks b where b.blocked_id = ${viewerId}))`;
  }

  /**
   * The viewer organises the event, is in its group (or organises the group), is a friend of an
   * organizer, is invited or answered. The friends test keeps its condition on the event inside
   * the subquery: that way PostgreSQL probes the two keys per event instead of first listing
   * every event any friend ever organised (a scan of event_organizers, 100 ms at 1M events).
   */
  #related(viewerId: string): SQL {
    const { events: e } = this.#db.t;
    return sql`(exists (select 1 from event_organizers o where o.event_id = ${e.id} and o.user_id = ${viewerId})
      or (${e.groupId} is not null and exists (select 1 from group_members m where m.group_id = ${e.groupId} and m.user_id = ${viewerId}
            and (${e.visibility} <> 'friends' or m.role in ('organizer', 'admin'))))
      or exists (select 1 from event_organizers o join friendships f on f.friend_id = o.user_id
            where o.event_id = ${e.id} and f.user_id = ${viewerId} and ${e.visibility} <> 'group')
      or exists (select 1 from event_invitations i where i.event_id = ${e.id} and i.user_id = ${viewerId})
      or exists (select 1 from event_rsvps r where r.event_id = ${e.id} and r.user_id = ${viewerId} and r.status in ('going', 'waitlist', 'pending', 'interested')))`;
  }

  /**
   * Discovery: events matching the query that the viewer may find, soonest first.
   *
   * With cells, the index hands rows over cell by cell, not in time order, so the database reads
   * and sorts every match of the whole time range before it can cut the page: a month of events
   * around Paris for a page of 30. The walk is therefore bounded by a window first, a few days
   * from the start, then grown by the density it found; the whole range is read only when the
   * page is still not full. A window that did not fill the page holds every match starting in it,
   * so the next one starts where it ended and asks only for the rest of the page: nothing is read
   * twice, and only the first window reaches back for long events that started earlier.
   */
  async discover(q: DiscoveryQuery): Promise<ListedEvent[]> {
    const found: ListedEvent[] = [];
    let since: Date | null = null;
    if (q.cells?.length) {
      const start = Math.max(q.from.getTime(), q.after?.at.getTime() ?? 0);
      let end = start;
      let span = FIRST_WINDOW_DAYS * 86_400_000;
      for (let attempt = 0; attempt < 2; attempt++) {
        // Close to the whole range already: read the range.
        if (q.to && end + 1.5 * span >= q.to.getTime()) break;
        const until = new Date(end + span);
        const rows = await this.#discover({ ...q, limit: q.limit - found.length }, since, until);
        found.push(...rows);
        if (found.length >= q.limit) return found;
        since = until;
        end = until.getTime();
        // Grow by the density found, with a margin: twice the span that would have filled the page.
        span = (end - start) * Math.max(2, (2 * q.limit) / Math.max(1, found.length)) - (end - start);
      }
    }
    found.push(...(await this.#discover({ ...q, limit: q.limit - found.length }, since, q.to)));
    return found;
  }

  /**
   * The discovery query for events starting in [`since`, `until`) (null: no bound; without
   * `since`, from the longest duration before `from`, for events that started and go on).
   */
  async #discover(q: DiscoveryQuery, since: Date | null, until: Date | null): Promise<ListedEvent[]> {
    const { events: e } = this.#db.t;
    const at = (d: Date) => new Param(d, e.startsAt);
    const conditions: (SQL | undefined)[] = [
      ne(e.status, 'cancelled'),
      gte(e.endsAt, q.from),
      // The b-tree walks start_at: bound it below by the longest duration an event may have.
      since ? gte(e.startsAt, since) : gte(e.startsAt, new Date(q.from.getTime() - MAX_DURATION_DAYS * 86_400_000)),
      until ? sql`${e.startsAt} < ${at(until)}` : undefined,
      q.cells ? (q.cells.length ? inArray(e.cell, q.cells) : sql`1 = 0`) : undefined,
      q.box ? and(gte(e.lat, q.box.minLat), lte(e.lat, q.box.maxLat), gte(e.lon, q.box.minLon), lte(e.lon, q.box.maxLon)) : undefined,
      q.circle ? this.#within(q.circle) : undefined,
      q.kinds.length ? inArray(e.kind, q.kinds) : undefined,
      q.groupId ? eq(e.groupId, q.groupId) : undefined,
      q.online ? sql`${e.onlineUrl} is not null` : undefined,
      ...q.words.map((w) => sql`${e.searchText} like ${`%${escapeLike(w)}%`} escape '\\'`),
      // Related only: the listing rule and "related" reduce to "related, not unlisted, no block"
      // (public-or-related and related is related): the relation is tested once, not twice.
      ...(q.relatedOnly && q.viewerId ? [sql`${e.visibility} <> 'unlisted'`, this.#related(q.viewerId), this.#notBlocked(q.viewerId)] : [this.listedFor(q.viewerId)]),
      q.after ? sql`(${e.startsAt}, ${e.id}) > (${at(q.after.at)}, ${q.after.id})` : undefined,
    ];
    return this.#db.q
      .select(Object.fromEntries(LISTED.map((k) => [k, e[k]])) as { [K in (typeof LISTED)[number]]: (typeof e)[K] })
      .from(e)
      .where(and(...conditions))
      .orderBy(asc(e.startsAt), asc(e.id))
      .limit(q.limit);
  }

  /** Equirectangular distance test: exact enough at these scales, and plain arithmetic in SQL. */
  #within(c: { lat: number; lon: number; km: number }): SQL {
    const { events: e } = this.#db.t;
    const k = Math.cos((c.lat * Math.PI) / 180);
    const r = c.km / 111.2;
    return sql`((${e.lat} - ${c.lat}) * (${e.lat} - ${c.lat}) + (${e.lon} - ${c.lon}) * (${e.lon} - ${c.lon}) * ${k * k}) <= ${r * r}`;
  }

  /**
   * Events the member organises or answered (going, waiting, pending, interested), in a window;
   * an answered event is left out across a block with its creator (access.ts: they no longer see it).
   */
  async mine(userId: string, from: Date, to: Date | null, order: 'asc' | 'desc', limit: number): Promise<EventRow[]> {
    const { events: e } = this.#db.t;
    const rows = await this.#db.q
      .select()
      .from(e)
      .where(
        and(
          sql`(exists (select 1 from event_organizers o where o.event_id = ${e.id} and o.user_id = ${userId})
            or (exists (select 1 from event_rsvps r where r.event_id = ${e.id} and r.user_id = ${userId} and r.status in ('going', 'waitlist', 'pending', 'interested'))
              and ${this.#notBlocked(userId)}))`,
          gte(e.endsAt, from),
          to ? sql`${e.startsAt} < ${new Param(to, e.startsAt)}` : undefined,
        ),
      )
      .orderBy(order === 'asc' ? asc(e.startsAt) : sql`${e.startsAt} desc`)
      .limit(limit);
    return rows;
  }

  /** A group's events (visibility applied by the caller with listedFor). */
  async ofGroup(groupId: string, viewerId: string | null, upcoming: boolean, limit: number): Promise<EventRow[]> {
    const { events: e } = this.#db.t;
    const now = new Date();
    return this.#db.q
      .select()
      .from(e)
      .where(and(eq(e.groupId, groupId), upcoming ? gte(e.endsAt, now) : sql`${e.endsAt} < ${new Param(now, e.endsAt)}`, this.listedFor(viewerId)))
      .orderBy(upcoming ? asc(e.startsAt) : sql`${e.startsAt} desc`)
      .limit(limit);
  }

  /**
   * Confirmed participants due a reminder: events starting within `lead` from now that have not
   * started, whose reminder of that kind was not sent yet.
   */
  async dueReminders(which: 'day' | 'hour', now: Date, lead: number, limit = 500): Promise<{ eventId: string; userId: string }[]> {
    const { events: e, eventRsvps: r } = this.#db.t;
    const column = which === 'day' ? r.remindedDayAt : r.remindedHourAt;
    return this.#db.q
      .select({ eventId: r.eventId, userId: r.userId })
      .from(r)
      .innerJoin(e, eq(e.id, r.eventId))
      .where(
        and(
          eq(r.status, 'going'),
          isNull(column),
          ne(e.status, 'cancelled'),
          gte(e.startsAt, now),
          lte(e.startsAt, new Date(now.getTime() + lead)),
        ),
      )
      .limit(limit);
  }

  async markReminded(which: 'day' | 'hour', eventId: string, userId: string, at: Date): Promise<boolean> {
    const { eventRsvps: r } = this.#db.t;
    const column = which === 'day' ? r.remindedDayAt : r.remindedHourAt;
    const set = which === 'day' ? { remindedDayAt: at } : { remindedHourAt: at };
    return (await this.#db.w.update(r).set(set).where(and(eq(r.eventId, eventId), eq(r.userId, userId), isNull(column))).returning({ u: r.userId })).length > 0;
  }
}
