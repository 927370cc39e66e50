// Events benchmark (issue "Events", performance part). A database of 1,000,000 events over two
// years, a few thousand members, groups and friendships; a member living in Paris 11e with 10
// groups and 100 friends. Measured, against a primary-key read of one event in the same run:
//   1. server time (median, p95) of the discovery queries: "within 20 km of Paris 11e, next 30
//      days, door-to-door" (repository alone and the whole DiscoveryService.list), the same
//      without a kind, and the map for a city-sized viewport (Lyon) and for all of France;
//   2. the same requests over HTTP on a real node serving the seeded database, against
//      GET /api/health;
//   3. 200 concurrent RSVPs for the last 10 seats of an event (exactly 10 must get a seat).
//   npm run exec -- node tests/bench/events.bench.ts           (SQLite; PostgreSQL too when
//   DATABASE_URL_TEST is set)
// Knobs: BENCH_EVENTS, BENCH_MEMBERS, BENCH_GROUPS, BENCH_RUNS to scale down; BENCH_PARTS
// (db,http,rsvp) and BENCH_DIALECTS (sqlite,postgres) to run some parts only; BENCH_EXPLAIN=1 prints the plans of the main queries;
// BENCH_KEEP=1 keeps the seeded databases (their URLs are printed) and BENCH_REUSE_SQLITE /
// BENCH_REUSE_PG=<url> measure an already seeded one again (same BENCH_* sizes) without seeding.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql, type SQL } from 'drizzle-orm';
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/db.ts';
import { freePort, startTestNode } from '../helpers/node.ts';
import { eventInput } from '../helpers/events.ts';
import { buildServices } from '../../server/services.ts';
import { loadConfig } from '../../server/config.ts';
import { startNode } from '../../server/node.ts';
import { setupLogging } from '../../server/logging.ts';
import { openDatabase, type Database, type Dialect } from '../../server/db/client.ts';
import { EventsRepository, type DiscoveryQuery } from '../../server/events/repository.ts';
import { boxAround, cellOf, cellsOf, type BBox } from '../../server/geo/grid.ts';
import { communesForPostalCode, distanceKm, type CommunesDataFile } from '../../server/geo/communes.ts';
import { normalizeForSearch } from '../../server/search/normalize.ts';
import { instantToLocal, localToInstant } from '../../server/events/time.ts';
import type { Actor } from '../../server/accounts/actor.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 5_000);
const GROUPS = Number(process.env.BENCH_GROUPS ?? 300);
const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const PARTS = new Set((process.env.BENCH_PARTS ?? 'db,http,rsvp').split(','));
const MY_GROUPS = 10;
const MY_FRIENDS = 100;
const DAY = 86_400_000;

/** A small deterministic generator, so that both dialects get the same data. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const id = (prefix: string, i: number) => `${prefix}${i.toString(36).padStart(15 - prefix.length, '0')}`;
const VIEWER = id('u', 0);

/**
 * Lets the event loop turn, as a server does between requests: better-sqlite3 frees a statement
 * only in a finalizer that runs on the loop, and drizzle prepares one per query. A tight loop of
 * awaits on synchronous SQLite calls never lets it run (seeding 1M rows grew to 5 GB without this).
 */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

async function batches<T>(db: Database, rows: () => Generator<T>, insert: (chunk: T[]) => Promise<unknown>, size = 2000) {
  let chunk: T[] = [];
  for (const row of rows()) {
    chunk.push(row);
    if (chunk.length === size) {
      const c = chunk;
      await db.tx(() => insert(c));
      await tick();
      chunk = [];
    }
  }
  if (chunk.length) await db.tx(() => insert(chunk));
}

// ---------------------------------------------------------------------------------------------
// Places: metropolitan communes (with a postal code and coordinates) from the commune data file.

interface Place {
  code: string;
  name: string;
  dep: string;
  postal: string;
  lat: number;
  lon: number;
}
const communeFile = JSON.parse(readFileSync(new URL('../../server/geo/communes.data.json', import.meta.url), 'utf8')) as CommunesDataFile;
const METRO: Place[] = communeFile.communes
  .filter((r) => r[3] !== '' && r[4] !== null && r[5] !== null && !r[2].startsWith('97') && !r[2].startsWith('98'))
  .map((r) => ({ code: r[0], name: r[1], dep: r[2], postal: r[3].split(' ')[0], lat: r[4]!, lon: r[5]! }));
const CITIES: [string, number, number][] = [
  ['Paris', 48.8566, 2.3522],
  ['Lyon', 45.764, 4.8357],
  ['Marseille', 43.2965, 5.3698],
  ['Toulouse', 43.6047, 1.4442],
  ['Lille', 50.6292, 3.0573],
  ['Bordeaux', 44.8378, -0.5792],
  ['Nantes', 47.2184, -1.5536],
  ['Strasbourg', 48.5734, 7.7521],
];
const around = (lat: number, lon: number, km: number) => METRO.filter((p) => distanceKm(p, { lat, lon }) <= km);
/** Region 0: within 30 km of Paris; 1–7: within 15 km of the next big cities; 8: all of France. */
const POOLS: Place[][] = [around(CITIES[0][1], CITIES[0][2], 30), ...CITIES.slice(1).map(([, lat, lon]) => around(lat, lon, 15)), METRO];
const PARIS = 0;
const ELSEWHERE = 8;
function regionOf(r: number): number {
  if (r < 0.2) return PARIS;
  if (r < 0.3) return 1 + Math.min(6, Math.floor(((r - 0.2) / 0.1) * 7));
  return ELSEWHERE;
}
const pick = <T>(list: T[], r: number): T => list[Math.min(list.length - 1, Math.floor(r * list.length))];

const KINDS: [string, number, string][] = [
  ['leafleting', 0.25, 'Tractage'],
  ['door_to_door', 0.2, 'Porte-à-porte'],
  ['meeting', 0.2, 'Réunion'],
  ['rally', 0.08, 'Rassemblement'],
  ['poster_run', 0.08, "Collage d'affiches"],
  ['training', 0.05, 'Formation'],
  ['debate', 0.05, 'Débat public'],
  ['festive', 0.04, 'Moment festif'],
  ['online_meeting', 0.03, 'Réunion en ligne'],
  ['other', 0.02, 'Action'],
];
function kindOf(r: number): [string, string] {
  let acc = 0;
  for (const [key, share, label] of KINDS) {
    acc += share;
    if (r < acc) return [key, label];
  }
  return [KINDS[KINDS.length - 1][0], KINDS[KINDS.length - 1][2]];
}

// ---------------------------------------------------------------------------------------------
// Seeding

interface World {
  /** When the data was generated: times are relative to it. */
  now: number;
  /** Region and start of each event (to aim the viewer's answers at events near them). */
  eventRegion: Uint8Array;
  eventStart: Float64Array;
}

async function seed(db: Database): Promise<World> {
  const t = db.t;
  const now = Date.now();
  const random = rng(42);

  // Members: the viewer lives in Paris 11e; the others spread like the events.
  const viewerHome = communesForPostalCode('75011')[0];
  const memberRegion = new Uint8Array(MEMBERS);
  const membersOf: number[][] = POOLS.map(() => []);
  const homes: Place[] = [];
  for (let i = 0; i < MEMBERS; i++) {
    const region = i === 0 ? PARIS : regionOf(random());
    memberRegion[i] = region;
    if (i > 0) membersOf[region].push(i);
    homes.push(i === 0 ? { code: viewerHome.code, name: viewerHome.name, dep: viewerHome.departementCode, postal: '75011', lat: viewerHome.lat!, lon: viewerHome.lon! } : pick(POOLS[region], random()));
  }
  await batches(
    db,
    function* () {
      const at = new Date(now - 400 * DAY);
      for (let i = 0; i < MEMBERS; i++) {
        const h = homes[i];
        yield {
          id: id('u', i),
          username: `member${i}`,
          email: `m${i}@example.org`,
          displayName: `Member ${i}`,
          searchName: `member ${i}`,
          postalCode: h.postal,
          communeCode: h.code,
          communeName: h.name,
          departementCode: h.dep,
          lat: h.lat,
          lon: h.lon,
          createdAt: at,
          updatedAt: at,
        };
      }
    },
    (c) => db.w.insert(t.users).values(c),
    500, // SQLite binds every column, defaults included: keep under its 32,766 variables
  );

  // Groups, local to a region; each member joins one or two of their region's. The first to join
  // administers the group, the second co-organises it.
  const groupsOf: number[][] = POOLS.map(() => []);
  const groupPlace: Place[] = [];
  for (let g = 0; g < GROUPS; g++) {
    const region = regionOf(random());
    groupsOf[region].push(g);
    groupPlace.push(pick(POOLS[region], random()));
  }
  for (const list of groupsOf) if (!list.length) list.push(Math.floor(random() * GROUPS));
  const membersOfGroup: { userId: number; role: 'admin' | 'organizer' | 'member' }[][] = Array.from({ length: GROUPS }, () => []);
  const join = (g: number, userId: number, role?: 'member') => {
    const list = membersOfGroup[g];
    if (list.some((m) => m.userId === userId)) return;
    list.push({ userId, role: role ?? (list.length === 0 ? 'admin' : list.length === 1 ? 'organizer' : 'member') });
  };
  for (let i = 1; i < MEMBERS; i++) {
    const k = random() < 0.4 ? 2 : 1;
    for (let j = 0; j < k; j++) join(pick(groupsOf[memberRegion[i]], random()), i);
  }
  for (let g = 0; g < GROUPS; g++) if (membersOfGroup[g].length === 0) join(g, 1 + Math.floor(random() * (MEMBERS - 1)));
  // The viewer: a plain member of 10 Paris groups.
  for (const g of groupsOf[PARIS].slice(0, MY_GROUPS)) join(g, 0, 'member');
  const organizersOf = membersOfGroup.map((list) => list.filter((m) => m.role !== 'member').map((m) => m.userId));
  await batches(
    db,
    function* () {
      const at = new Date(now - 300 * DAY);
      for (let g = 0; g < GROUPS; g++) {
        const p = groupPlace[g];
        yield {
          id: id('g', g),
          handle: `group${g}`,
          name: `Groupe ${p.name} ${g}`,
          searchName: normalizeForSearch(`groupe ${p.name} ${g}`),
          kind: 'local' as const,
          communeCode: p.code,
          communeName: p.name,
          departementCode: p.dep,
          lat: p.lat,
          lon: p.lon,
          memberCount: membersOfGroup[g].length,
          createdAt: at,
          updatedAt: at,
        };
      }
    },
    (c) => db.w.insert(t.groups).values(c),
    500,
  );
  await batches(
    db,
    function* () {
      const at = new Date(now - 250 * DAY);
      for (let g = 0; g < GROUPS; g++) for (const m of membersOfGroup[g]) yield { groupId: id('g', g), userId: id('u', m.userId), role: m.role, joinedAt: at };
    },
    (c) => db.w.insert(t.groupMembers).values(c).onConflictDoNothing(),
  );

  // Friendships: the viewer has 100 friends in Paris; everyone else about 10, mostly in their region.
  await batches(
    db,
    function* () {
      const at = new Date(now - 200 * DAY);
      const parisians = membersOf[PARIS];
      const mine = new Set<number>();
      while (mine.size < Math.min(MY_FRIENDS, parisians.length)) mine.add(pick(parisians, random()));
      for (const f of mine) {
        yield { userId: VIEWER, friendId: id('u', f), since: at };
        yield { userId: id('u', f), friendId: VIEWER, since: at };
      }
      for (let i = 1; i < MEMBERS; i++) {
        for (let k = 0; k < 5; k++) {
          const local = membersOf[memberRegion[i]];
          const j = random() < 0.8 && local.length > 1 ? pick(local, random()) : 1 + Math.floor(random() * (MEMBERS - 1));
          if (j === i) continue;
          yield { userId: id('u', i), friendId: id('u', j), since: at };
          yield { userId: id('u', j), friendId: id('u', i), since: at };
        }
      }
    },
    (c) => db.w.insert(t.friendships).values(c).onConflictDoNothing(),
  );
  // A few blocks, some of them the viewer's (both ways), so that the rule has work to do.
  await batches(
    db,
    function* () {
      const at = new Date(now - 100 * DAY);
      const parisians = membersOf[PARIS];
      for (let k = 0; k < 3; k++) yield { blockerId: VIEWER, blockedId: id('u', pick(parisians, random())), createdAt: at };
      for (let k = 0; k < 2; k++) yield { blockerId: id('u', pick(parisians, random())), blockedId: VIEWER, createdAt: at };
      for (let k = 0; k < MEMBERS / 20; k++) {
        const a = 1 + Math.floor(random() * (MEMBERS - 1));
        const b = 1 + Math.floor(random() * (MEMBERS - 1));
        if (a !== b) yield { blockerId: id('u', a), blockedId: id('u', b), createdAt: at };
      }
    },
    (c) => db.w.insert(t.blocks).values(c).onConflictDoNothing(),
  );

  // Events: starts uniform from 18 months ago to 6 months ahead, at day time; 98 % last 1–3 h,
  // 2 % several days (up to 31). Visibility 80 % public, 10 % group, 5 % friends, 5 % unlisted.
  const eventRegion = new Uint8Array(EVENTS);
  const eventStart = new Float64Array(EVENTS);
  const coOrganizers: [number, number][] = [];
  const creators = new Uint32Array(EVENTS);
  const firstDay = Math.floor((now - 548 * DAY) / DAY) * DAY;
  await batches(
    db,
    function* () {
      for (let e = 0; e < EVENTS; e++) {
        const [kind, label] = kindOf(random());
        const online = kind === 'online_meeting';
        const region = regionOf(random());
        const commune = pick(POOLS[region], random());
        // The pin: within about a kilometre of the commune's centre.
        const pin = { lat: commune.lat + (random() - 0.5) * 0.016, lon: commune.lon + (random() - 0.5) * 0.024 };
        const hide = !online && random() < 0.2;
        const shown = hide ? { lat: commune.lat, lon: commune.lon } : pin;
        const v = random();
        const visibility = v < 0.8 ? ('public' as const) : v < 0.9 ? ('group' as const) : v < 0.95 ? ('friends' as const) : ('unlisted' as const);
        const inGroup = visibility === 'group' || random() < 0.1;
        const group = inGroup ? pick(groupsOf[region], random()) : null;
        const creator = group !== null && organizersOf[group].length ? pick(organizersOf[group], random()) : pick(membersOf[region].length ? membersOf[region] : [1], random());
        creators[e] = creator;
        if (random() < 0.1) coOrganizers.push([e, pick(membersOf[region].length ? membersOf[region] : [1], random())]);
        const startsAt = new Date(firstDay + Math.floor(random() * 731) * DAY + (7 + Math.floor(random() * 13)) * 3_600_000 + Math.floor(random() * 4) * 900_000);
        const long = random() < 0.02;
        const duration = long ? (1 + Math.floor(random() * 30)) * DAY + Math.floor(random() * 10) * 3_600_000 : (60 + Math.floor(random() * 9) * 15) * 60_000;
        const s = random();
        const status = s < 0.02 ? ('cancelled' as const) : s < 0.04 ? ('postponed' as const) : ('scheduled' as const);
        const capacity = random() < 0.2 ? 10 + Math.floor(random() * 190) : null;
        const going = Math.floor(random() * 30);
        const j = random();
        const joinMode = j < 0.85 ? ('free' as const) : j < 0.95 ? ('approval' as const) : j < 0.98 ? ('invite' as const) : ('external' as const);
        eventRegion[e] = region;
        eventStart[e] = startsAt.getTime();
        const title = `${label} ${online ? 'en visio' : commune.name} n°${e}`;
        const description = `Rendez-vous pour l'action n°${e}. Venez nombreux, on fournit le matériel.`;
        const placeName = online ? '' : `Place du marché, ${commune.name}`;
        yield {
          id: id('e', e),
          creatorId: id('u', creator),
          groupId: group === null ? null : id('g', group),
          title,
          kind,
          description,
          descriptionHtml: `<p>${description}</p>`,
          searchText: normalizeForSearch(`${title} ${description} ${placeName} ${online ? '' : commune.name}`),
          startsAt,
          endsAt: new Date(startsAt.getTime() + duration),
          timeZone: 'Europe/Paris',
          placeName,
          street: online ? '' : `${1 + (e % 120)} rue de la République`,
          postalCode: online ? null : commune.postal,
          communeCode: online ? null : commune.code,
          communeName: online ? null : commune.name,
          departementCode: online ? null : commune.dep,
          lat: online ? null : shown.lat,
          lon: online ? null : shown.lon,
          cell: online ? null : cellOf(shown.lat, shown.lon),
          exactLat: online ? null : pin.lat,
          exactLon: online ? null : pin.lon,
          onlineUrl: online ? `https://visio.example.org/action-${e}` : null,
          capacity,
          guestsMax: random() < 0.3 ? 2 : 0,
          contact: '',
          visibility,
          hideAddress: hide,
          joinMode,
          externalUrl: joinMode === 'external' ? `https://billetterie.example.org/${e}` : null,
          status,
          seatsTaken: capacity === null ? going : Math.min(capacity, going),
          goingCount: capacity === null ? going : Math.min(capacity, going),
          interestedCount: Math.floor(random() * 10),
          createdAt: new Date(startsAt.getTime() - (1 + Math.floor(random() * 30)) * DAY),
          updatedAt: new Date(startsAt.getTime() - DAY),
        };
      }
    },
    (c) => db.w.insert(t.events).values(c),
    db.dialect === 'sqlite' ? 500 : 1000, // 45 columns: under SQLite's 32,766 variables, PostgreSQL's 65,535
  );
  // Personal organizers: the creator (as EventService.create does), and a co-organizer for 10 %.
  await batches(
    db,
    function* () {
      for (let e = 0; e < EVENTS; e++) yield { eventId: id('e', e), userId: id('u', creators[e]), addedAt: new Date(eventStart[e] - 30 * DAY) };
      for (const [e, u] of coOrganizers) if (u !== creators[e]) yield { eventId: id('e', e), userId: id('u', u), addedAt: new Date(eventStart[e] - 29 * DAY) };
    },
    (c) => db.w.insert(t.eventOrganizers).values(c).onConflictDoNothing(),
  );

  // Answers: one per five events from random members of the region, plus the viewer's own (300
  // events around Paris, 40 of them in the coming two months) and 50 invitations.
  const parisEvents: number[] = [];
  const parisSoon: number[] = [];
  for (let e = 0; e < EVENTS; e++) {
    if (eventRegion[e] !== PARIS) continue;
    parisEvents.push(e);
    if (eventStart[e] >= now && eventStart[e] < now + 60 * DAY) parisSoon.push(e);
  }
  const statuses = ['going', 'going', 'going', 'interested', 'interested', 'waitlist', 'not_going'] as const;
  await batches(
    db,
    function* () {
      const mine = new Set<number>();
      for (let k = 0; k < 40 && parisSoon.length; k++) mine.add(pick(parisSoon, random()));
      for (let k = 0; k < 260 && parisEvents.length; k++) mine.add(pick(parisEvents, random()));
      for (const e of mine) {
        const at = new Date(eventStart[e] - 5 * DAY);
        yield { eventId: id('e', e), userId: VIEWER, status: pick([...statuses], random()), createdAt: at, updatedAt: at };
      }
      for (let k = 0; k < EVENTS / 5; k++) {
        const e = Math.floor(random() * EVENTS);
        const local = membersOf[eventRegion[e]];
        const u = pick(local.length ? local : [1], random());
        const at = new Date(eventStart[e] - 5 * DAY);
        yield { eventId: id('e', e), userId: id('u', u), status: pick([...statuses], random()), createdAt: at, updatedAt: at };
      }
    },
    (c) => db.w.insert(t.eventRsvps).values(c).onConflictDoNothing(),
    1000,
  );
  await batches(
    db,
    function* () {
      for (let k = 0; k < 50 && parisEvents.length; k++) {
        const e = pick(parisEvents, random());
        yield { eventId: id('e', e), userId: VIEWER, inviterId: id('u', creators[e]), createdAt: new Date(eventStart[e] - 10 * DAY) };
      }
      for (let k = 0; k < EVENTS / 50; k++) {
        const e = Math.floor(random() * EVENTS);
        const u = 1 + Math.floor(random() * (MEMBERS - 1));
        yield { eventId: id('e', e), userId: id('u', u), inviterId: id('u', creators[e]), createdAt: new Date(eventStart[e] - 10 * DAY) };
      }
    },
    (c) => db.w.insert(t.eventInvitations).values(c).onConflictDoNothing(),
  );
  return { now, eventRegion, eventStart };
}

/** Fresh statistics for the planners, as an instance gets from PRAGMA optimize / autovacuum. */
async function analyze(db: Database) {
  if (db.dialect === 'sqlite') {
    await db.tx(async () => {
      (db.w as unknown as { run: (q: SQL) => unknown }).run(sql`analyze`);
    });
  } else {
    await db.all(sql`vacuum analyze`);
  }
}

// ---------------------------------------------------------------------------------------------
// Measuring

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { median: at(0.5), p95: at(0.95) };
}

async function time(fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 10; i++) await fn(); // warm-up: statement caches, pages in memory
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await tick();
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

const f = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1));

interface Line {
  name: string;
  rows: string;
  samples: number[];
}

function table(title: string, lines: Line[], baseline = 0) {
  const base = stats(lines[baseline].samples);
  console.log(`\n${title}`);
  console.log('| measure | rows | median ms | p95 ms | p95 ÷ baseline p95 |');
  console.log('|---|---|---|---|---|');
  for (const l of lines) {
    const s = stats(l.samples);
    console.log(`| ${l.name} | ${l.rows} | ${f(s.median)} | ${f(s.p95)} | ${(s.p95 / base.p95).toFixed(1)}× |`);
  }
}

/** The Paris day `days` from now, as the list filter takes it ("YYYY-MM-DD"). */
const parisDay = (days: number) => instantToLocal(new Date(Date.now() + days * DAY), 'Europe/Paris').slice(0, 10);
/** The end of that day: what DiscoveryService.list makes of `to`. */
const endOfParisDay = (day: string) => new Date(localToInstant(`${day}T00:00`, 'Europe/Paris')!.getTime() + DAY);

const HOME = communesForPostalCode('75011')[0];
const LYON_BBOX = '4.69,45.66,4.99,45.86'; // west,south,east,north: about 0.3° × 0.2°
const PARIS_BBOX = '2.20,48.76,2.50,48.96'; // the same around Paris: the densest city view
const FRANCE_BBOX = '-5.2,41.3,9.6,51.1';
const boxOf = (bbox: string): BBox => {
  const [west, south, east, north] = bbox.split(',').map(Number);
  return { minLat: south, maxLat: north, minLon: west, maxLon: east };
};

/** The query DiscoveryService.list builds for "within `km` of Paris 11e". */
function radiusQuery(viewerId: string | null, kinds: string[], to: Date | null, relatedOnly = false): DiscoveryQuery {
  const center = { lat: HOME.lat!, lon: HOME.lon! };
  const box = boxAround(center, 20);
  return { viewerId, from: new Date(), to, cells: cellsOf(box), box, circle: { ...center, km: 20 }, kinds, groupId: null, words: [], online: false, relatedOnly, after: null, limit: relatedOnly ? 10 : 31 };
}
/** The query DiscoveryService.map builds for a viewport over the next 60 days. */
function mapQuery(viewerId: string | null, bbox: string): DiscoveryQuery {
  const box = boxOf(bbox);
  const from = new Date();
  return { viewerId, from, to: new Date(from.getTime() + 60 * DAY), cells: cellsOf(box), box, circle: null, kinds: [], groupId: null, words: [], online: false, relatedOnly: false, after: null, limit: 501 };
}

/**
 * Captures the SQL text and parameters of the queries the repository sends (drizzle builds them
 * inside it), and returns their plans: EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL.
 */
async function explain(db: Database, run: () => Promise<unknown>): Promise<string> {
  const client = (db.q as unknown as { $client: any }).$client;
  const captured: { text: string; params: unknown[] }[] = [];
  const plans: string[] = [];
  if (db.dialect === 'sqlite') {
    const prepare = client.prepare;
    client.prepare = function (text: string) {
      const statement = prepare.call(client, text);
      const all = statement.all.bind(statement);
      statement.all = (...params: unknown[]) => {
        captured.push({ text, params });
        return all(...params);
      };
      return statement;
    };
    try {
      await run();
    } finally {
      client.prepare = prepare;
    }
    for (const c of captured) {
      const rows = client.prepare(`explain query plan ${c.text}`).all(...c.params) as { id: number; parent: number; detail: string }[];
      const depth = new Map<number, number>([[0, -1]]);
      const lines = rows.map((r) => {
        depth.set(r.id, (depth.get(r.parent) ?? 0) + 1);
        return `${'  '.repeat(depth.get(r.id)!)}${r.detail}`;
      });
      plans.push(lines.join('\n'));
    }
  } else {
    const unsafe = client.unsafe;
    client.unsafe = function (text: string, params: unknown[], opts: unknown) {
      captured.push({ text, params });
      return unsafe.call(client, text, params, opts);
    };
    try {
      await run();
    } finally {
      client.unsafe = unsafe;
    }
    for (const c of captured) {
      const rows = (await unsafe.call(client, `explain (analyze, buffers) ${c.text}`, c.params)) as { 'QUERY PLAN': string }[];
      plans.push(rows.map((r) => r['QUERY PLAN']).join('\n'));
    }
  }
  return plans.map((p, i) => `-- query ${i + 1} of ${plans.length}\n${p}`).join('\n');
}

async function databaseBench(dialect: Dialect, h: TestDatabase) {
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: '/tmp/militant-bench', LOG_LEVEL: 'error' });
  const services = buildServices(config, h.db, null);
  const repo = new EventsRepository(h.db);
  const viewer: Actor = { userId: VIEWER, role: 'member', sessionId: null };
  const to = parisDay(30);
  const toAt = endOfParisDay(to);
  const lines: Line[] = [];
  const measure = async (name: string, fn: () => Promise<number | string>) => {
    const rows = String(await fn());
    lines.push({ name, rows, samples: await time(fn) });
  };
  const { events } = h.db.t;
  await measure('primary-key read of a random event (baseline)', async () => (await h.db.q.select().from(events).where(eq(events.id, id('e', Math.floor(Math.random() * EVENTS))))).length);
  const discover = (q: () => DiscoveryQuery) => async () => (await repo.discover(q())).length;
  await measure('repository: 20 km, 30 days, door-to-door, member', discover(() => radiusQuery(VIEWER, ['door_to_door'], toAt)));
  await measure('repository: 20 km, 30 days, door-to-door, anonymous', discover(() => radiusQuery(null, ['door_to_door'], toAt)));
  await measure('repository: 20 km, 30 days, every kind, member', discover(() => radiusQuery(VIEWER, [], toAt)));
  await measure("repository: 20 km, 30 days, door-to-door, member's groups and friends only", discover(() => radiusQuery(VIEWER, ['door_to_door'], toAt, true)));
  await measure('repository: 20 km, no end date, door-to-door, member', discover(() => radiusQuery(VIEWER, ['door_to_door'], null)));
  await measure('repository: map of Lyon (0.3° × 0.2°), 60 days, member', discover(() => mapQuery(VIEWER, LYON_BBOX)));
  await measure('repository: map of Paris (0.3° × 0.2°), 60 days, member', discover(() => mapQuery(VIEWER, PARIS_BBOX)));
  await measure('repository: map of France, 60 days, member', discover(() => mapQuery(VIEWER, FRANCE_BBOX)));
  const list = (actor: Actor | null, input: Record<string, unknown>) => async () => {
    const r = await services.discovery.list(actor, input, 'fr');
    return `${r.events.length} + ${r.related.length}`;
  };
  await measure('service list: 20 km of me, 30 days, door-to-door, member', list(viewer, { km: 20, near: 'me', kind: 'door_to_door', to }));
  await measure('service list: 20 km of 75011, 30 days, door-to-door, anonymous', list(null, { km: 20, near: 'postal', postalCode: '75011', kind: 'door_to_door', to }));
  await measure('service list: 20 km of me, 30 days, every kind, member', list(viewer, { km: 20, near: 'me', to }));
  await measure('service list: 20 km of me, no end date, door-to-door, member', list(viewer, { km: 20, near: 'me', kind: 'door_to_door' }));
  const map = (bbox: string) => async () => {
    const r = await services.discovery.map(viewer, { bbox }, 'fr');
    return `${r.points.length}${r.truncated ? ' (truncated)' : ''}`;
  };
  await measure('service map: Lyon, 60 days, member', map(LYON_BBOX));
  await measure('service map: Paris, 60 days, member', map(PARIS_BBOX));
  await measure('service map: France, 60 days, member', map(FRANCE_BBOX));
  table(`${dialect}: server time, ${RUNS} runs each after 10 warm-up runs`, lines);

  // The same rows as the plain query: without cells, the box and the circle alone select the
  // events (the cells only pre-filter them for the index), and nothing is read by time windows.
  const checks: [string, DiscoveryQuery][] = [
    ['20 km, door-to-door, 30 days', radiusQuery(VIEWER, ['door_to_door'], toAt)],
    ['20 km, every kind, no end date', radiusQuery(VIEWER, [], null)],
    ['20 km, related only', radiusQuery(VIEWER, ['door_to_door'], toAt, true)],
    ['20 km, anonymous', radiusQuery(null, [], toAt)],
    ['map of Paris', mapQuery(VIEWER, PARIS_BBOX)],
    ['map of Lyon', mapQuery(VIEWER, LYON_BBOX)],
  ];
  for (const [name, q] of checks) {
    let after: DiscoveryQuery['after'] = null;
    for (let page = 1; page <= 3; page++) {
      const now = new Date();
      const got = await repo.discover({ ...q, from: now, after });
      const want = await repo.discover({ ...q, from: now, after, cells: null });
      const ids = (rows: { id: string }[]) => rows.map((r) => r.id).join(',');
      if (ids(got) !== ids(want)) throw new Error(`${dialect}: ${name}, page ${page}: the windowed walk differs from the plain query`);
      if (got.length < q.limit) break;
      const last = got[got.length - 1];
      after = { at: last.startsAt, id: last.id };
    }
  }
  console.log(`\n${dialect}: the windowed walks return the same rows as the plain query (${checks.length} queries, up to 3 pages each)`);

  if (process.env.BENCH_EXPLAIN) {
    const plans: [string, DiscoveryQuery][] = [
      ['20 km, 30 days, door-to-door, member', radiusQuery(VIEWER, ['door_to_door'], toAt)],
      ['20 km, 30 days, every kind, member', radiusQuery(VIEWER, [], toAt)],
      ['map of Lyon', mapQuery(VIEWER, LYON_BBOX)],
      ['map of Paris', mapQuery(VIEWER, PARIS_BBOX)],
      ['map of France', mapQuery(VIEWER, FRANCE_BBOX)],
    ];
    for (const [name, q] of plans) console.log(`\n${dialect} plan, ${name}:\n${await explain(h.db, () => repo.discover(q))}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Over HTTP: a node serving the seeded database, requests one after the other.

async function httpBench(dialect: Dialect, url: string) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'militant-bench-'));
  const config = loadConfig({ NODE_ENV: 'test', PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: `http://127.0.0.1:${port}`, DATA_DIR: dataDir, LOG_LEVEL: 'error', DATABASE_URL: url });
  await setupLogging(config.logLevel);
  const node = await startNode(config, { web: 'none' });
  node.services.limits.disable();
  try {
    const { token } = await node.services.sessions.create(VIEWER, 'bench');
    const cookie = { cookie: `session=${token}` };
    const get = (path: string, headers: Record<string, string> = {}) => async () => {
      const res = await fetch(new URL(path, config.publicUrl), { headers });
      const body = (await res.json()) as { events?: unknown[]; related?: unknown[]; points?: unknown[]; truncated?: boolean };
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
      return body.points ? `${body.points.length}${body.truncated ? ' (truncated)' : ''}` : body.events ? `${body.events.length} + ${body.related?.length ?? 0}` : '–';
    };
    const to = parisDay(30);
    const lines: Line[] = [];
    const measure = async (name: string, fn: () => Promise<string>) => {
      const rows = await fn();
      lines.push({ name, rows, samples: await time(fn) });
    };
    const list = '/api/events?km=20&near=postal&postalCode=75011&kind=door_to_door';
    await measure('GET /api/health (baseline)', get('/api/health'));
    await measure(`GET ${list}&to=${to}, anonymous`, get(`${list}&to=${to}`));
    await measure(`GET ${list}&to=${to}, member`, get(`${list}&to=${to}`, cookie));
    await measure(`GET ${list}, member (no end date)`, get(list, cookie));
    await measure(`GET /api/events?km=20&near=me&to=${to}, member (every kind)`, get(`/api/events?km=20&near=me&to=${to}`, cookie));
    await measure(`GET /api/events/map?bbox=${LYON_BBOX} (Lyon), member`, get(`/api/events/map?bbox=${LYON_BBOX}`, cookie));
    await measure(`GET /api/events/map?bbox=${PARIS_BBOX} (Paris), member`, get(`/api/events/map?bbox=${PARIS_BBOX}`, cookie));
    await measure(`GET /api/events/map?bbox=${FRANCE_BBOX} (France), member`, get(`/api/events/map?bbox=${FRANCE_BBOX}`, cookie));
    table(`${dialect}: over HTTP (in-process node, one request at a time), ${RUNS} runs each`, lines);
  } finally {
    await node.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// 200 members answer "going" at once for an event with 10 seats.

async function rsvpBench(dialect: Dialect) {
  const n = await startTestNode(dialect, { rateLimits: false });
  try {
    const { db } = n.node.services;
    const { users } = db.t;
    const at = new Date();
    const people = Array.from({ length: 201 }, (_, i) => ({ id: id('r', i), username: `rsvp${i}`, email: `r${i}@example.org`, displayName: `Rsvp ${i}`, searchName: `rsvp ${i}`, createdAt: at, updatedAt: at }));
    await db.tx(() => db.w.insert(users).values(people.slice(0, 100)));
    await db.tx(() => db.w.insert(users).values(people.slice(100)));
    const organizer: Actor = { userId: people[0].id, role: 'member', sessionId: null };
    const cookies: string[] = [];
    for (const p of people.slice(1)) cookies.push(`session=${(await n.node.services.sessions.create(p.id, 'bench')).token}`);
    const repo = new EventsRepository(db);
    console.log(`\n${dialect}: 200 concurrent PUT /api/events/:id/rsvp {status: 'going'}, capacity 10`);
    console.log('| round | going (responses) | waitlist (responses) | other | going / waitlist in the database | seatsTaken | burst (ms) |');
    console.log('|---|---|---|---|---|---|---|');
    for (let round = 1; round <= 3; round++) {
      const event = await n.node.services.events.create(organizer, eventInput({ title: `Dernières places ${round}`, capacity: 10 }));
      const t0 = performance.now();
      const answers = await Promise.all(
        cookies.map(async (cookie) => {
          const res = await fetch(new URL(`/api/events/${event.id}/rsvp`, n.url), {
            method: 'PUT',
            headers: { cookie, origin: n.url.origin, 'content-type': 'application/json' },
            body: JSON.stringify({ status: 'going' }),
          });
          const body = (await res.json()) as { status?: string };
          return res.status === 200 ? (body.status ?? '?') : `http ${res.status}`;
        }),
      );
      const burst = performance.now() - t0;
      const count = (s: string) => answers.filter((a) => a === s).length;
      const { eventRsvps: r } = db.t;
      const stored = await db.q.select({ status: r.status }).from(r).where(eq(r.eventId, event.id));
      const e = (await repo.byId(event.id))!;
      const goingDb = stored.filter((x) => x.status === 'going').length;
      const waitDb = stored.filter((x) => x.status === 'waitlist').length;
      console.log(`| ${round} | ${count('going')} | ${count('waitlist')} | ${200 - count('going') - count('waitlist')} | ${goingDb} / ${waitDb} | ${e.seatsTaken} | ${Math.round(burst)} |`);
      if (count('going') !== 10 || count('waitlist') !== 190 || goingDb !== 10 || waitDb !== 190 || e.seatsTaken !== 10 || e.goingCount !== 10 || e.waitlistCount !== 190) {
        throw new Error(`${dialect}, round ${round}: expected 10 going and 190 on the waiting list, got ${JSON.stringify({ answers: Object.fromEntries(new Set(answers).values().map((s) => [s, count(s)])), goingDb, waitDb, seatsTaken: e.seatsTaken })}`);
      }
    }
  } finally {
    await n.close();
  }
}

// ---------------------------------------------------------------------------------------------

console.log(
  `Events benchmark: ${EVENTS} events, ${MEMBERS} members, ${GROUPS} groups; a member in Paris 11e with ${MY_GROUPS} groups and ${MY_FRIENDS} friends; ${RUNS} runs each.`,
);
for (const dialect of dialects.filter((d) => !process.env.BENCH_DIALECTS || process.env.BENCH_DIALECTS.split(',').includes(d))) {
  if (PARTS.has('db') || PARTS.has('http')) {
    const reuse = dialect === 'sqlite' ? process.env.BENCH_REUSE_SQLITE : process.env.BENCH_REUSE_PG;
    let h: TestDatabase;
    if (reuse) {
      const db = openDatabase(dialect === 'sqlite' ? { dialect, file: reuse.replace(/^sqlite:/, '') } : { dialect, url: reuse }, { poolSize: 4 });
      h = { db, env: { DATABASE_URL: dialect === 'sqlite' ? `sqlite:${reuse.replace(/^sqlite:/, '')}` : reuse }, cleanup: () => db.close() };
    } else {
      h = await createTestDatabase(dialect);
    }
    try {
      if (!reuse) {
        const t0 = performance.now();
        await seed(h.db);
        const seeding = (performance.now() - t0) / 1000;
        const t1 = performance.now();
        await analyze(h.db);
        console.log(`\n${dialect}: seeded in ${seeding.toFixed(0)} s, analyzed in ${((performance.now() - t1) / 1000).toFixed(0)} s`);
      }
      if (process.env.BENCH_KEEP && !reuse) console.log(`kept: ${h.env.DATABASE_URL}`);
      if (PARTS.has('db')) await databaseBench(dialect, h);
      if (PARTS.has('http')) await httpBench(dialect, h.env.DATABASE_URL);
    } finally {
      if (process.env.BENCH_KEEP || reuse) await h.db.close();
      else await h.cleanup();
    }
  }
  if (PARTS.has('rsvp')) await rsvpBench(dialect);
}
process.exit(0);
