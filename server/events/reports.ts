// Field reports ("fiches d'observation"): after an action, its organizers (and its confirmed
// participants when the organizers allow it) say what it achieved and what the people met were
// worried about. One report per author and event, editable. Reports are read by the event's
// organizers (its group's organizers included), by the instance's coordinators, and each by its
// author; coordinators also see them aggregated by commune and département over a period.
//
// Counting: each author counts what they did themselves (doors knocked, leaflets handed, people
// spoken to), so those add up across reports; the number of people who took part is one figure
// per action: the highest reported, or the check-in count (present + walk-ins) if higher.
import { and, asc, count, desc, eq, gte, inArray, lt, ne, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import { fail } from '../errors.ts';
import { type Actor, requireActor } from '../accounts/actor.ts';
import { newId } from '../accounts/secrets.ts';
import { communeCentre, departementName } from '../geo/communes.ts';
import { processPostImage } from '../media/images.ts';
import type { MediaStore } from '../media/store.ts';
import { memberSummary, summaryFields, type MemberSummary } from '../profiles/summary.ts';
import type { RateLimits } from '../security/rate-limits.ts';
import { departementFilter, parse } from '../validation.ts';
import type { Locale } from '../../web/lib/i18n/index.ts';
import type { EventAccess } from './access.ts';
import { DAY_RE, optionalInt, plain } from './schemas.ts';
import type { EventService } from './service.ts';
import { DEFAULT_TIME_ZONE, instantToLocal, localToInstant } from './time.ts';
import type { VocabService } from './vocab.ts';

export const MAX_REPORT_PHOTOS = 6;
const COUNT_MAX = 1_000_000;
const PERIOD_MAX_DAYS = 3 * 366;

const reportSchema = z.object({
  participants: optionalInt(0, 100_000, 'report.count_invalid'),
  doors: optionalInt(0, COUNT_MAX, 'report.count_invalid'),
  leaflets: optionalInt(0, COUNT_MAX, 'report.count_invalid'),
  people: optionalInt(0, COUNT_MAX, 'report.count_invalid'),
  concerns: z
    .preprocess((v) => (v === undefined || v === '' || v === null ? [] : Array.isArray(v) ? v : [v]), z.array(z.string().max(60)).max(20, 'report.too_many_concerns'))
    .transform((list) => [...new Set(list)]),
  worked: plain(3000).optional().default(''),
  didNotWork: plain(3000).optional().default(''),
});

const periodSchema = z.object({
  from: z.preprocess((v) => (v === '' ? undefined : v), z.string().regex(DAY_RE, 'event.date_invalid').optional()),
  to: z.preprocess((v) => (v === '' ? undefined : v), z.string().regex(DAY_RE, 'event.date_invalid').optional()),
  departement: departementFilter,
});

export interface ReportView {
  id: string;
  eventId: string;
  author: MemberSummary | null;
  participants: number | null;
  doors: number | null;
  leaflets: number | null;
  people: number | null;
  concerns: { key: string; label: string }[];
  worked: string;
  didNotWork: string;
  photos: { id: string; url: string; width: number; height: number }[];
  createdAt: Date;
  updatedAt: Date;
  mine: boolean;
}

export interface Totals {
  actions: number;
  participants: number;
  doors: number;
  leaflets: number;
  people: number;
}

export interface Aggregate {
  from: string;
  to: string;
  departement: string;
  totals: Totals & { reports: number; held: number };
  byKind: (Totals & { kind: string; label: string })[];
  byDepartement: (Totals & { code: string; name: string })[];
  byCommune: (Totals & { code: string; name: string; departement: string; lat: number | null; lon: number | null })[];
  concerns: { key: string; label: string; count: number }[];
  weeks: { week: string; actions: number; people: number }[];
  /** `visible`: the coordinator may open the action's page (else the report is shown alone). */
  latest: { id: string; eventId: string; visible: boolean; title: string; kindLabel: string; communeName: string | null; startsAt: Date; author: MemberSummary | null; worked: string; didNotWork: string; concerns: string[] }[];
}

const zero = (): Totals => ({ actions: 0, participants: 0, doors: 0, leaflets: 0, people: 0 });
const isoDay = (d: Date) => d.toISOString().slice(0, 10);
/** The calendar day of an instant in Paris time, as the periods count days. */
const parisDay = (d: Date) => instantToLocal(d, DEFAULT_TIME_ZONE).slice(0, 10);

export class ReportService {
  readonly #db: Database;
  readonly #events: EventService;
  readonly #access: EventAccess;
  readonly #vocab: VocabService;
  readonly #media: MediaStore;
  readonly #limits: RateLimits;
  readonly #uploadLimit: number;

  constructor(d: { db: Database; events: EventService; access: EventAccess; vocab: VocabService; media: MediaStore; limits: RateLimits; uploadLimitBytes: number }) {
    this.#db = d.db;
    this.#events = d.events;
    this.#access = d.access;
    this.#vocab = d.vocab;
    this.#media = d.media;
    this.#limits = d.limits;
    this.#uploadLimit = d.uploadLimitBytes;
  }

  /** Files (or edits) the actor's report on an event that has started. */
  async file(actor: Actor | null, eventId: unknown, input: unknown, photos: Buffer[] = []): Promise<ReportView> {
    const a = requireActor(actor);
    const { event, rights } = await this.#events.visible(a, eventId);
    if (event.startsAt.getTime() > Date.now()) throw fail.conflict('report.too_early');
    if (!rights.organizer && !(event.participantReports && rights.rsvp?.status === 'going')) throw fail.forbidden('report.not_allowed');
    const v = parse(reportSchema, input);
    const { eventReports: r, eventReportConcerns: c, eventReportPhotos: p } = this.#db.t;
    const existing = (await this.#db.q.select().from(r).where(and(eq(r.eventId, event.id), eq(r.authorId, a.userId))))[0];
    const previous = existing ? new Set((await this.#db.q.select({ k: c.concern }).from(c).where(eq(c.reportId, existing.id))).map((x) => x.k)) : new Set<string>();
    for (const key of v.concerns) if (!previous.has(key) && !(await this.#vocab.isActive('concern', key))) throw fail.invalid({ concerns: 'report.concern_invalid' });
    const have = existing ? Number((await this.#db.q.select({ n: count() }).from(p).where(eq(p.reportId, existing.id)))[0]?.n ?? 0) : 0;
    if (have + photos.length > MAX_REPORT_PHOTOS) throw fail.invalid({ photos: ['report.too_many_photos', { max: MAX_REPORT_PHOTOS }] });
    await this.#limits.consume(['report:account', a.userId]);
    const processed: { bytes: Buffer; width: number; height: number }[] = [];
    for (const bytes of photos) {
      if (bytes.length > this.#uploadLimit) throw fail.tooLarge('avatar.too_large', { mb: Math.round(this.#uploadLimit / 1048576) });
      processed.push(await processPostImage(bytes));
    }
    if (processed.length) await this.#limits.consume(['upload:account', a.userId]);
    const keys: string[] = [];
    for (const img of processed) keys.push(await this.#media.put('reports', 'webp', img.bytes));
    const now = new Date();
    const id = existing?.id ?? newId();
    try {
      await this.#db.tx(async () => {
        const fields = { participants: v.participants, doors: v.doors, leaflets: v.leaflets, people: v.people, worked: v.worked, didNotWork: v.didNotWork, updatedAt: now };
        if (existing) await this.#db.w.update(r).set(fields).where(eq(r.id, id));
        else {
          // Two first sendings of the same report at once: the second is told to retry (its
          // retry edits the report the first one created).
          const made = await this.#db.w.insert(r).values({ id, eventId: event.id, authorId: a.userId, ...fields, createdAt: now }).onConflictDoNothing().returning({ id: r.id });
          if (!made.length) throw fail.conflict('error.conflict');
        }
        await this.#db.w.delete(c).where(eq(c.reportId, id));
        if (v.concerns.length) await this.#db.w.insert(c).values(v.concerns.map((concern) => ({ reportId: id, concern })));
        if (processed.length) await this.#db.w.insert(p).values(processed.map((img, i) => ({ id: newId(), reportId: id, mediaKey: keys[i], width: img.width, height: img.height, position: have + i })));
      });
    } catch (e) {
      for (const key of keys) await this.#media.delete(key);
      throw e;
    }
    return (await this.#views([id], a, 'fr'))[0];
  }

  async #report(id: unknown) {
    if (typeof id !== 'string' || id.length > 64) throw fail.notFound();
    const { eventReports: r } = this.#db.t;
    const row = (await this.#db.q.select().from(r).where(eq(r.id, id)))[0];
    if (!row) throw fail.notFound();
    return row;
  }

  /** Whether the actor may read the reports of an event. */
  async #mayRead(a: Actor, eventId: string): Promise<boolean> {
    if (await this.#access.isCoordinator(a)) return true;
    const { event, rights } = await this.#events.visible(a, eventId).catch(() => ({ event: null, rights: null }));
    return Boolean(event && rights?.organizer);
  }

  /** Deletes a report (its author, or the event's organizers). */
  async delete(actor: Actor | null, reportId: unknown): Promise<void> {
    const a = requireActor(actor);
    const report = await this.#report(reportId);
    if (report.authorId !== a.userId) {
      const { event, rights } = await this.#events.visible(a, report.eventId);
      if (!event || !rights.organizer) throw fail.forbidden('report.not_allowed');
    }
    const { eventReports: r, eventReportPhotos: p } = this.#db.t;
    const photos = await this.#db.q.select({ key: p.mediaKey }).from(p).where(eq(p.reportId, report.id));
    await this.#db.tx(() => this.#db.w.delete(r).where(eq(r.id, report.id)));
    for (const photo of photos) await this.#media.delete(photo.key);
  }

  /** Removes one photo of the actor's report. */
  async deletePhoto(actor: Actor | null, reportId: unknown, photoId: unknown): Promise<void> {
    const a = requireActor(actor);
    const report = await this.#report(reportId);
    if (report.authorId !== a.userId) throw fail.forbidden('report.not_allowed');
    const { eventReportPhotos: p } = this.#db.t;
    const photo = (await this.#db.q.select().from(p).where(and(eq(p.id, String(photoId)), eq(p.reportId, report.id))))[0];
    if (!photo) throw fail.notFound();
    await this.#db.tx(() => this.#db.w.delete(p).where(eq(p.id, photo.id)));
    await this.#media.delete(photo.mediaKey);
  }

  /** The reports of an event: all of them for organizers and coordinators, else only one's own. */
  async forEvent(actor: Actor | null, eventId: unknown, locale: Locale): Promise<ReportView[]> {
    const a = requireActor(actor);
    const { event } = await this.#events.visible(a, eventId);
    const { eventReports: r } = this.#db.t;
    const all = await this.#mayRead(a, event.id);
    const ids = (
      await this.#db.q
        .select({ id: r.id })
        .from(r)
        .where(and(eq(r.eventId, event.id), all ? undefined : eq(r.authorId, a.userId)))
        .orderBy(asc(r.createdAt))
    ).map((x) => x.id);
    return this.#views(ids, a, locale);
  }

  async #views(ids: string[], viewer: Actor, locale: Locale): Promise<ReportView[]> {
    if (!ids.length) return [];
    const { eventReports: r, eventReportConcerns: c, eventReportPhotos: p, users } = this.#db.t;
    const rows = await this.#db.q.select({ r, author: summaryFields(users) }).from(r).leftJoin(users, eq(users.id, r.authorId)).where(inArray(r.id, ids)).orderBy(asc(r.createdAt));
    const concerns = await this.#db.q.select().from(c).where(inArray(c.reportId, ids));
    const photos = await this.#db.q.select().from(p).where(inArray(p.reportId, ids)).orderBy(asc(p.position));
    const labels = await this.#vocab.labels('concern', locale);
    return rows.map(({ r: row, author }) => ({
      id: row.id,
      eventId: row.eventId,
      author: author?.id ? memberSummary(author) : null,
      participants: row.participants,
      doors: row.doors,
      leaflets: row.leaflets,
      people: row.people,
      concerns: concerns.filter((x) => x.reportId === row.id).map((x) => ({ key: x.concern, label: labels.get(x.concern) ?? x.concern })),
      worked: row.worked,
      didNotWork: row.didNotWork,
      photos: photos.filter((x) => x.reportId === row.id).map((x) => ({ id: x.id, url: `/media/${x.mediaKey}`, width: x.width, height: x.height })),
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
      mine: row.authorId === viewer.userId,
    }));
  }

  /** The coordinators' view: reports of a period (default: the last 90 days), aggregated. */
  async aggregate(actor: Actor | null, input: unknown, locale: Locale): Promise<Aggregate> {
    const a = requireActor(actor);
    if (!(await this.#access.isCoordinator(a))) throw fail.forbidden('report.coordinators_only');
    const v = parse(periodSchema, input ?? {});
    const today = parisDay(new Date());
    const toDay = v.to ?? today;
    const fromDay = v.from ?? parisDay(new Date(Date.now() - 90 * 86_400_000));
    const from = localToInstant(`${fromDay}T00:00`, DEFAULT_TIME_ZONE);
    const toStart = localToInstant(`${toDay}T00:00`, DEFAULT_TIME_ZONE);
    if (!from || !toStart) throw fail.invalid({ from: 'event.date_invalid' });
    const to = new Date(toStart.getTime() + 86_400_000);
    if (to <= from) throw fail.invalid({ to: 'event.range_invalid' });
    if (to.getTime() - from.getTime() > PERIOD_MAX_DAYS * 86_400_000) throw fail.invalid({ from: 'report.period_too_long' });

    const { eventReports: r, eventReportConcerns: c, events: e, eventRsvps: x, users } = this.#db.t;
    const inPeriod = and(gte(e.startsAt, from), lt(e.startsAt, to), v.departement ? eq(e.departementCode, v.departement) : undefined);
    const perEvent = await this.#db.q
      .select({
        id: e.id,
        kind: e.kind,
        communeCode: e.communeCode,
        communeName: e.communeName,
        departementCode: e.departementCode,
        startsAt: e.startsAt,
        walkIns: e.walkIns,
        reports: count(),
        participants: sql<number | null>`max(${r.participants})`,
        doors: sql<number | null>`sum(${r.doors})`,
        leaflets: sql<number | null>`sum(${r.leaflets})`,
        people: sql<number | null>`sum(${r.people})`,
        present: sql<number>`(select count(*) from ${x} where ${x.eventId} = ${e.id} and ${x.status} = 'going' and ${x.attendance} = 'present')`,
      })
      .from(r)
      .innerJoin(e, eq(e.id, r.eventId))
      .where(inPeriod)
      .groupBy(e.id, e.kind, e.communeCode, e.communeName, e.departementCode, e.startsAt, e.walkIns);
    const held = Number(
      (await this.#db.q.select({ n: count() }).from(e).where(and(inPeriod, ne(e.status, 'cancelled'), lt(e.endsAt, new Date()))))[0]?.n ?? 0,
    );
    const kindLabels = await this.#vocab.labels('kind', locale);
    const concernLabels = await this.#vocab.labels('concern', locale);

    const totals = { ...zero(), reports: 0, held };
    const byKind = new Map<string, Totals>();
    const byDep = new Map<string, Totals>();
    const byCommune = new Map<string, Totals & { name: string; departement: string }>();
    const weeks = new Map<string, { actions: number; people: number }>();
    const add = (t: Totals, ev: Totals) => {
      t.actions += ev.actions;
      t.participants += ev.participants;
      t.doors += ev.doors;
      t.leaflets += ev.leaflets;
      t.people += ev.people;
    };
    for (const row of perEvent) {
      const ev: Totals = {
        actions: 1,
        participants: Math.max(Number(row.participants ?? 0), Number(row.present) + row.walkIns),
        doors: Number(row.doors ?? 0),
        leaflets: Number(row.leaflets ?? 0),
        people: Number(row.people ?? 0),
      };
      totals.reports += Number(row.reports);
      add(totals, ev);
      add(byKind.get(row.kind) ?? byKind.set(row.kind, zero()).get(row.kind)!, ev);
      const dep = row.departementCode ?? '';
      add(byDep.get(dep) ?? byDep.set(dep, zero()).get(dep)!, ev);
      if (row.communeCode) {
        const entry = byCommune.get(row.communeCode) ?? byCommune.set(row.communeCode, { ...zero(), name: row.communeName ?? row.communeCode, departement: dep }).get(row.communeCode)!;
        add(entry, ev);
      }
      const week = weekOf(row.startsAt);
      const w = weeks.get(week) ?? weeks.set(week, { actions: 0, people: 0 }).get(week)!;
      w.actions += 1;
      w.people += ev.people;
    }
    const byActions = <T extends Totals>(list: T[]) => list.sort((p, q) => q.actions - p.actions || q.people - p.people);
    const concerns = await this.#db.q
      .select({ key: c.concern, n: count() })
      .from(c)
      .innerJoin(r, eq(r.id, c.reportId))
      .innerJoin(e, eq(e.id, r.eventId))
      .where(inPeriod)
      .groupBy(c.concern)
      .orderBy(desc(count()))
      .limit(12);
    const latestRows = await this.#db.q
      .select({ r, title: e.title, kind: e.kind, communeName: e.communeName, startsAt: e.startsAt, author: summaryFields(users) })
      .from(r)
      .innerJoin(e, eq(e.id, r.eventId))
      .leftJoin(users, eq(users.id, r.authorId))
      .where(inPeriod)
      .orderBy(desc(r.createdAt))
      .limit(20);
    const latestConcerns = latestRows.length
      ? await this.#db.q.select().from(c).where(inArray(c.reportId, latestRows.map((l) => l.r.id)))
      : [];
    return {
      from: fromDay,
      to: toDay,
      departement: v.departement,
      totals,
      byKind: byActions([...byKind].map(([kind, t]) => ({ kind, label: kindLabels.get(kind) ?? kind, ...t }))),
      byDepartement: byActions([...byDep].map(([code, t]) => ({ code, name: code ? departementName(code) : '—', ...t }))),
      byCommune: byActions(
        [...byCommune].map(([code, t]) => {
          const centre = communeCentre(code);
          return { code, ...t, lat: centre?.lat ?? null, lon: centre?.lon ?? null };
        }),
      ).slice(0, 200),
      concerns: concerns.map((x) => ({ key: x.key, label: concernLabels.get(x.key) ?? x.key, count: Number(x.n) })),
      weeks: fillWeeks(from, to, weeks),
      latest: await Promise.all(latestRows.map(async (l) => ({
        id: l.r.id,
        eventId: l.r.eventId,
        visible: await this.#events.visible(a, l.r.eventId).then(() => true, () => false),
        title: l.title,
        kindLabel: kindLabels.get(l.kind) ?? l.kind,
        communeName: l.communeName,
        startsAt: l.startsAt,
        author: l.author?.id ? memberSummary(l.author) : null,
        worked: l.r.worked,
        didNotWork: l.r.didNotWork,
        concerns: latestConcerns.filter((x) => x.reportId === l.r.id).map((x) => concernLabels.get(x.concern) ?? x.concern),
      }))),
    };
  }
}

/** The Monday of an instant's week, as a day in Paris time like the period's bounds. */
function weekOf(d: Date): string {
  const day = new Date(`${parisDay(d)}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7));
  return isoDay(day);
}

/** Every week of the period, in order, zeros included (a chart with gaps would lie). */
function fillWeeks(from: Date, to: Date, weeks: Map<string, { actions: number; people: number }>) {
  const out: { week: string; actions: number; people: number }[] = [];
  for (let t = new Date(weekOf(from)).getTime(); t < to.getTime(); t += 7 * 86_400_000) {
    const week = isoDay(new Date(t));
    out.push({ week, ...(weeks.get(week) ?? { actions: 0, people: 0 }) });
  }
  return out.slice(-160);
}
