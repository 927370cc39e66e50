// Finding events: the list with its filters, the map, "near me this week", my events and a
// group's agenda. Every query applies the listing rule of the viewer (repository.listedFor) and
// only reads public positions.
import { fail } from '../errors.ts';
import type { Actor } from '../accounts/actor.ts';
import { requireActor } from '../accounts/actor.ts';
import type { AccountsRepository } from '../accounts/repository.ts';
import { communesForPostalCode } from '../geo/communes.ts';
import { boxAround, cellsOf } from '../geo/grid.ts';
import type { GroupsRepository } from '../groups/repository.ts';
import { normalizeForSearch } from '../search/normalize.ts';
import { parse } from '../validation.ts';
import type { Locale } from '../../web/lib/i18n/index.ts';
import type { DiscoveryQuery, EventsRepository } from './repository.ts';
import { discoverSchema, mapSchema } from './schemas.ts';
import type { EventService, EventSummary } from './service.ts';
import { DEFAULT_TIME_ZONE, localToInstant } from './time.ts';

const PAGE = 30;
const MAP_LIMIT = 500;
const RELATED_FIRST = 10;

export interface EventList {
  events: EventSummary[];
  /** Events of the viewer's groups and friends matching the same filters (first page only). */
  related: EventSummary[];
  next: string | null;
  /** Where distances are measured from, when a distance filter is on. */
  center: { label: string; lat: number; lon: number } | null;
}

export interface MapPoint {
  id: string;
  title: string;
  kindLabel: string;
  when: string;
  lat: number;
  lon: number;
  /** The point is the commune's centre: the address is kept for confirmed participants. */
  approximate: boolean;
}

const encodeCursor = (e: { startsAt: Date; id: string }) => `${e.startsAt.getTime()}.${e.id}`;
function decodeCursor(value: string | undefined): { at: Date; id: string } | null {
  if (!value) return null;
  // At most 13 digits: instants up to the year 2286, which every database can store.
  const m = /^(\d{1,13})\.([a-z0-9]{1,64})$/.exec(value);
  if (!m) throw fail.invalid({ cursor: 'validation.invalid' });
  return { at: new Date(Number(m[1])), id: m[2] };
}

/** A calendar day in Paris time, as the start of that day (the filters speak in days). */
function dayStart(day: string | undefined, field: 'from' | 'to'): Date | null {
  if (!day) return null;
  // The schema checks the form; a day that does not exist (2026-02-30) is refused here, not ignored.
  const start = localToInstant(`${day}T00:00`, DEFAULT_TIME_ZONE);
  if (!start) throw fail.invalid({ [field]: 'event.date_invalid' });
  return start;
}

export class DiscoveryService {
  readonly #repo: EventsRepository;
  readonly #events: EventService;
  readonly #accounts: AccountsRepository;
  readonly #groups: GroupsRepository;

  constructor(d: { repo: EventsRepository; events: EventService; accounts: AccountsRepository; groups: GroupsRepository }) {
    this.#repo = d.repo;
    this.#events = d.events;
    this.#accounts = d.accounts;
    this.#groups = d.groups;
  }

  async #center(viewer: Actor | null, near: 'me' | 'postal' | undefined, postalCode: string): Promise<{ label: string; lat: number; lon: number } | null> {
    if (near === 'postal' || (!near && postalCode)) {
      const commune = communesForPostalCode(postalCode).find((c) => c.lat !== null && c.lon !== null);
      if (!commune) throw fail.invalid({ postalCode: postalCode ? 'postal_code.unknown' : 'validation.required' });
      return { label: `${commune.postalCode} ${commune.name}`, lat: commune.lat!, lon: commune.lon! };
    }
    const me = viewer ? await this.#accounts.userById(viewer.userId) : undefined;
    if (!me || me.lat === null || me.lon === null) throw fail.invalid({ km: 'event.no_commune' });
    return { label: me.communeName ?? '', lat: me.lat, lon: me.lon };
  }

  async #groupId(value: string | undefined): Promise<string | null> {
    if (!value) return null;
    const group = (await this.#groups.byId(value)) ?? (await this.#groups.byHandle(value.toLowerCase()));
    if (!group) throw fail.invalid({ group: 'event.group_unknown' });
    return group.id;
  }

  /** The list of upcoming events (or of a date range), with filters, soonest first. */
  async list(viewer: Actor | null, input: unknown, locale: Locale): Promise<EventList> {
    const v = parse(discoverSchema, input ?? {});
    const from = dayStart(v.from, 'from') ?? new Date();
    const toDay = dayStart(v.to, 'to');
    const to = toDay ? new Date(toDay.getTime() + 86_400_000) : null;
    if (to && to <= from) throw fail.invalid({ to: 'event.range_invalid' });
    const center = v.km ? await this.#center(viewer, v.near, v.postalCode) : null;
    const box = center && v.km ? boxAround(center, v.km) : null;
    const query: DiscoveryQuery = {
      viewerId: viewer?.userId ?? null,
      from,
      to,
      cells: box ? cellsOf(box) : null,
      box,
      circle: center && v.km ? { lat: center.lat, lon: center.lon, km: v.km } : null,
      kinds: v.kind,
      groupId: await this.#groupId(v.group),
      words: normalizeForSearch(v.q).split(/\s+/).filter((w) => w.length > 0).slice(0, 5),
      online: v.online,
      relatedOnly: v.scope === 'mine' && viewer !== null,
      after: decodeCursor(v.cursor),
      limit: PAGE + 1,
    };
    // The page and "my groups and friends first" are independent: on PostgreSQL they run at once.
    const [rows, relatedRows] = await Promise.all([
      this.#repo.discover(query),
      viewer && !query.after && !query.relatedOnly ? this.#repo.discover({ ...query, relatedOnly: true, limit: RELATED_FIRST }) : [],
    ]);
    const page = rows.slice(0, PAGE);
    const [events, related] = await Promise.all([this.#events.summaries(viewer, page, locale, { center }), this.#events.summaries(viewer, relatedRows, locale, { center })]);
    return {
      events,
      related,
      next: rows.length > PAGE ? encodeCursor(page[page.length - 1]) : null,
      center,
    };
  }

  /** Points for the map: the events in a bounding box ("west,south,east,north"), at most 500. */
  async map(viewer: Actor | null, input: unknown, locale: Locale): Promise<{ points: MapPoint[]; truncated: boolean }> {
    const v = parse(mapSchema, input ?? {});
    const [west, south, east, north] = v.bbox;
    const box = { minLat: south, maxLat: north, minLon: west, maxLon: east };
    const from = dayStart(v.from, 'from') ?? new Date();
    const toDay = dayStart(v.to, 'to');
    const to = toDay ? new Date(toDay.getTime() + 86_400_000) : new Date(from.getTime() + 60 * 86_400_000);
    const rows = await this.#repo.discover({
      viewerId: viewer?.userId ?? null,
      from,
      to,
      // City-sized views walk the cells; wider ones walk time and check the box.
      cells: cellsOf(box),
      box,
      circle: null,
      kinds: v.kind,
      groupId: await this.#groupId(v.group),
      words: normalizeForSearch(v.q).split(/\s+/).filter(Boolean).slice(0, 5),
      online: false,
      relatedOnly: false,
      after: null,
      limit: MAP_LIMIT + 1,
    });
    const summaries = await this.#events.summaries(viewer, rows.slice(0, MAP_LIMIT), locale);
    const hidden = new Map(rows.map((r) => [r.id, r.hideAddress]));
    return {
      points: summaries
        .filter((s) => s.lat !== null && s.lon !== null)
        .map((s) => ({ id: s.id, title: s.title, kindLabel: s.kindLabel, when: s.when, lat: s.lat!, lon: s.lon!, approximate: hidden.get(s.id) === true })),
      truncated: rows.length > MAP_LIMIT,
    };
  }

  /** Events near the member's commune in the next days: their groups' and friends' first. */
  async nearMe(actor: Actor | null, locale: Locale, opts: { days?: number; km?: number; limit?: number } = {}): Promise<EventSummary[]> {
    const a = requireActor(actor);
    const me = await this.#accounts.userById(a.userId);
    if (!me || me.lat === null || me.lon === null) return [];
    const center = { lat: me.lat, lon: me.lon };
    const km = opts.km ?? 30;
    const box = boxAround(center, km);
    const now = new Date();
    const base: DiscoveryQuery = {
      viewerId: a.userId,
      from: now,
      to: new Date(now.getTime() + (opts.days ?? 7) * 86_400_000),
      cells: cellsOf(box),
      box,
      circle: { ...center, km },
      kinds: [],
      groupId: null,
      words: [],
      online: false,
      relatedOnly: true,
      after: null,
      limit: opts.limit ?? 6,
    };
    const related = await this.#repo.discover(base);
    const others = related.length < base.limit ? await this.#repo.discover({ ...base, relatedOnly: false, limit: base.limit * 2 }) : [];
    const seen = new Set(related.map((r) => r.id));
    const rows = [...related, ...others.filter((r) => !seen.has(r.id))].slice(0, base.limit);
    return this.#events.summaries(a, rows, locale, { center });
  }

  /** The member's events: upcoming ones soonest first, or past ones latest first. */
  async mine(actor: Actor | null, locale: Locale, which: 'upcoming' | 'past' = 'upcoming'): Promise<EventSummary[]> {
    const a = requireActor(actor);
    const now = new Date();
    const rows =
      which === 'upcoming'
        ? await this.#repo.mine(a.userId, now, null, 'asc', 100)
        : (await this.#repo.mine(a.userId, new Date(now.getTime() - 365 * 86_400_000), now, 'desc', 100)).filter((e) => e.endsAt < now);
    return this.#events.summaries(a, rows, locale);
  }

  /** A group's agenda as the viewer may see it (the group by id or handle). */
  async ofGroup(viewer: Actor | null, group: string, locale: Locale): Promise<{ upcoming: EventSummary[]; past: EventSummary[] }> {
    const groupId = await this.#groupId(group).catch(() => null);
    if (!groupId) throw fail.notFound();
    const [upcoming, past] = await Promise.all([this.#repo.ofGroup(groupId, viewer?.userId ?? null, true, 50), this.#repo.ofGroup(groupId, viewer?.userId ?? null, false, 10)]);
    return { upcoming: await this.#events.summaries(viewer, upcoming, locale), past: await this.#events.summaries(viewer, past, locale) };
  }
}
