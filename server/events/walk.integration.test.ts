// The windowed walk of discovery (EventsRepository.discover with cells) returns exactly the rows of
// the plain query (the same conditions without cells, one query over the whole range): for dense
// and sparse areas, small and large pages, with long events that started before the range, across
// pages, with and without an end date.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects, type TestDatabase } from '../../tests/helpers/db.ts';
import { EventsRepository, type DiscoveryQuery, type NewEvent } from './repository.ts';
import { boxAround, cellOf, cellsOf } from '../geo/grid.ts';

const DAY = 86_400_000;

describe.each(dialects)('the windowed walk on %s', (dialect) => {
  let h: TestDatabase;
  let repo: EventsRepository;
  const now = Date.now();

  beforeAll(async () => {
    h = await createTestDatabase(dialect);
    repo = new EventsRepository(h.db);
    const { users, events } = h.db.t;
    const at = new Date(now - 100 * DAY);
    await h.db.tx(() => h.db.w.insert(users).values({ id: 'u1', username: 'walker', email: 'w@example.org', displayName: 'W', searchName: 'w', createdAt: at, updatedAt: at }));
    // Dense near the centre for the first week (20 a day), sparse after (one every 3 days), over
    // 90 days; one in ten lasts several days, some of them started up to 25 days ago.
    let seed = 7;
    const random = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    const rows: NewEvent[] = [];
    for (let i = 0; i < 400; i++) {
      const dense = i < 160;
      const startsAt = new Date(dense ? now + random() * 8 * DAY : i < 190 ? now - random() * 25 * DAY : now + random() * 90 * DAY);
      const long = i >= 160 && i < 190 ? true : random() < 0.1;
      const lat = 48.85 + (random() - 0.5) * (dense ? 0.05 : 0.3);
      const lon = 2.35 + (random() - 0.5) * (dense ? 0.07 : 0.45);
      const title = `Action ${i}`;
      rows.push({
        id: `ev${String(i).padStart(5, '0')}`,
        creatorId: 'u1',
        title,
        kind: i % 3 === 0 ? 'door_to_door' : 'leafleting',
        description: '',
        descriptionHtml: '',
        searchText: title.toLowerCase(),
        startsAt,
        endsAt: new Date(startsAt.getTime() + (long ? (1 + Math.floor(random() * 30)) * DAY : 2 * 3_600_000)),
        timeZone: 'Europe/Paris',
        placeName: '',
        street: '',
        lat,
        lon,
        cell: cellOf(lat, lon),
        exactLat: lat,
        exactLon: lon,
        contact: '',
        visibility: 'public' as const,
        // Several at the same instant: the order falls back on the id.
        ...(i % 17 === 0 ? { startsAt: new Date(Math.floor(now / DAY) * DAY + 2 * DAY), endsAt: new Date(Math.floor(now / DAY) * DAY + 2 * DAY + 3_600_000) } : {}),
        createdAt: at,
        updatedAt: at,
      });
    }
    await h.db.tx(() => h.db.w.insert(events).values(rows));
  });
  afterAll(async () => {
    await h?.cleanup();
  });

  const query = (km: number, limit: number, to: Date | null, kinds: string[] = []): DiscoveryQuery => {
    const center = { lat: 48.85, lon: 2.35 };
    const box = boxAround(center, km);
    return { viewerId: null, from: new Date(now), to, cells: cellsOf(box), box, circle: { ...center, km }, kinds, groupId: null, words: [], online: false, relatedOnly: false, after: null, limit };
  };

  it('gives the rows of the plain query, page after page', async () => {
    const cases: [string, DiscoveryQuery][] = [
      ['dense, small pages, no end', query(3, 5, null)],
      ['dense, a page of 31, no end', query(3, 31, null)],
      ['wide, a page of 31, 60 days', query(20, 31, new Date(now + 60 * DAY))],
      ['wide, a map of 501, 60 days', query(20, 501, new Date(now + 60 * DAY))],
      ['sparse kind, a page of 10, no end', query(20, 10, null, ['door_to_door'])],
      ['short range (read at once)', query(20, 31, new Date(now + 2 * DAY))],
    ];
    let pages = 0;
    for (const [name, q] of cases) {
      let after: DiscoveryQuery['after'] = null;
      for (let page = 1; page <= 8; page++) {
        const got = await repo.discover({ ...q, after });
        const want = await repo.discover({ ...q, after, cells: null });
        expect(got.map((r) => r.id), `${name}, page ${page}`).toEqual(want.map((r) => r.id));
        pages++;
        if (got.length < q.limit) break;
        after = { at: got[got.length - 1].startsAt, id: got[got.length - 1].id };
      }
    }
    expect(pages).toBeGreaterThan(20);
    // Long events that started before the range and still go on are found.
    const first = await repo.discover(query(20, 501, new Date(now + 60 * DAY)));
    expect(first.filter((r) => r.startsAt.getTime() < now).length).toBeGreaterThan(5);
  });
});
