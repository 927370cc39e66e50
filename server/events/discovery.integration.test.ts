// Finding events through the API of a real node on each database: the list and its filters
// (kind, dates, distance, group, words, mine, online), its pages, the related events first, the
// map, "near me this week", my events and a group's agenda; bad input is a 400, never a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../tests/helpers/db.ts';
import { startTestNode, type TestNode } from '../../tests/helpers/node.ts';
import type { Client } from '../../tests/helpers/client.ts';
import { eventInput, parisLocal } from '../../tests/helpers/events.ts';

type Member = { client: Client; user: { id: string; username: string } };
type Summary = { id: string; kind: string; startsAt: string; online: boolean; lat: number | null; lon: number | null; distanceKm?: number; [k: string]: any };

const parisDay = (days: number) => parisLocal(days).slice(0, 10);
const ids = (list: { id: string }[]) => list.map((x) => x.id);
const PARIS = { w: 2.25, s: 48.815, e: 2.42, n: 48.902 };
const PARIS_BBOX = `${PARIS.w},${PARIS.s},${PARIS.e},${PARIS.n}`;
const FRANCE_BBOX = '-5,41,10,51.5';

describe.each(dialects)('finding events on %s', (dialect) => {
  let n: TestNode;
  let org: Member, ana: Member, ben: Member, dan: Member;
  let group: { id: string; handle: string };
  const E = {} as Record<'bastille' | 'montreuil' | 'marseille' | 'online' | 'elysee' | 'group' | 'hidden' | 'cancelled' | 'unlisted' | 'past' | 'groupPast', Summary>;
  const paged: Summary[] = [];

  const create = async (overrides: Record<string, unknown> = {}, who: Member = org) => {
    const res = await who.client.post('/api/events', eventInput(overrides));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as Summary;
  };
  const list = async (who: Client, query: string) => {
    const res = await who.get(`/api/events?${query}`);
    expect(res.status, `${query}: ${JSON.stringify(res.body)}`).toBe(200);
    return res.body as { events: Summary[]; related: Summary[]; next: string | null; center: { label: string; lat: number; lon: number } | null };
  };
  const found = async (who: Client, query: string) => ids((await list(who, query)).events);

  beforeAll(async () => {
    n = await startTestNode(dialect, { rateLimits: false });
    [org, ana, ben, dan] = await Promise.all([
      n.signup('org@example.org', 'Olga Organise', '75011'),
      n.signup('ana@example.org', 'Ana', '75020'),
      n.signup('ben@example.org', 'Ben', '93100'),
      n.signup('dan@example.org', 'Dan', '75011'),
    ]);
    expect((await dan.client.patch('/api/me', { postalCode: '' })).status).toBe(200); // no commune
    await ana.client.post('/api/friends/requests', { userId: ben.user.id });
    expect((await ben.client.post(`/api/friends/requests/${ana.user.id}/accept`)).status).toBe(200);
    group = (await org.client.post('/api/groups', { name: 'Comité Découverte', kind: 'local', postalCode: '75020', openness: 'open' })).body;
    expect((await ana.client.post(`/api/groups/${group.id}/join`, {})).status).toBe(200);

    const place = (postalCode: string) => ({ postalCode, street: '', placeName: '' });
    E.bastille = await create({ title: 'Tractage Bastille', start: parisLocal(2, 10), end: parisLocal(2, 12) });
    E.montreuil = await create({ title: 'Porte-à-porte Croix-de-Chavaux', kind: 'door_to_door', ...place('93100'), start: parisLocal(3, 10), end: parisLocal(3, 12) }, ben);
    E.marseille = await create({ title: 'Réunion Vieux-Port', kind: 'meeting', ...place('13001'), start: parisLocal(4, 18), end: parisLocal(4, 20) });
    E.online = await create({ title: 'Débat écologie en ligne', kind: 'online_meeting', ...place(''), onlineUrl: 'https://visio.example.org/debat', start: parisLocal(5, 20), end: parisLocal(5, 21) });
    E.elysee = await create({ title: 'Rassemblement place de l’Élysée', kind: 'rally', ...place('75008'), start: parisLocal(20, 14), end: parisLocal(20, 17) });
    E.group = await create({ title: 'Assemblée du comité', kind: 'meeting', groupId: group.id, ...place('75020'), start: parisLocal(1, 19), end: parisLocal(1, 21) });
    E.hidden = await create({ title: 'Réunion au local caché', kind: 'meeting', hideAddress: true, placeName: 'Local', street: '3 impasse', lat: 48.8601, lon: 2.3794, start: parisLocal(2, 18), end: parisLocal(2, 20) });
    E.cancelled = await create({ title: 'Tractage annulé', start: parisLocal(2, 14), end: parisLocal(2, 15) });
    expect((await org.client.put(`/api/events/${E.cancelled.id}/status`, { status: 'cancelled' })).status).toBe(204);
    E.unlisted = await create({ title: 'Tractage non listé', visibility: 'unlisted', start: parisLocal(2, 16), end: parisLocal(2, 17) });
    E.past = await create({ title: 'Tractage passé', start: parisLocal(-3, 10), end: parisLocal(-3, 12) });
    E.groupPast = await create({ title: 'Assemblée passée du comité', kind: 'meeting', groupId: group.id, ...place('75020'), start: parisLocal(-2, 19), end: parisLocal(-2, 21) });
    // More than a page, far from Paris, several at the same time (the id breaks ties).
    paged.push(...(await Promise.all(Array.from({ length: 33 }, (_, i) => create({ title: `Formation paginée ${i}`, kind: 'training', ...place('29200'), start: parisLocal(6, 9 + (i % 4)), end: parisLocal(6, 14) })))));
    // ana is interested in Marseille's.
    expect((await ana.client.put(`/api/events/${E.marseille.id}/rsvp`, { status: 'interested' })).status).toBe(200);
  });
  afterAll(() => n?.close());

  it('filters by kind, never listing cancelled, unlisted or past events', async () => {
    const leafleting = (await list(ana.client, 'kind=leafleting')).events;
    expect(ids(leafleting)).toEqual([E.bastille.id]);
    const two = await list(n.client(), 'kind=leafleting&kind=door_to_door');
    expect(ids(two.events)).toEqual([E.bastille.id, E.montreuil.id]);
    expect(await found(ana.client, 'kind=picnic')).toEqual([]);
    const meetings = await found(n.client(), 'kind=meeting');
    expect(meetings).toEqual([E.group.id, E.hidden.id, E.marseille.id]);
    // Soonest first, with what a list needs.
    expect(leafleting[0]).toMatchObject({ title: 'Tractage Bastille', kindLabel: 'Tractage', communeName: 'Paris 11e Arrondissement', departementCode: '75', past: false, myStatus: null });
  });

  it('filters by dates (Paris days, both included)', async () => {
    expect(await found(ana.client, `from=${parisDay(15)}&kind=rally`)).toEqual([E.elysee.id]);
    expect(await found(ana.client, `to=${parisDay(10)}&kind=rally`)).toEqual([]);
    const window = await found(ana.client, `from=${parisDay(1)}&to=${parisDay(2)}`);
    expect(window).toEqual(expect.arrayContaining([E.group.id, E.bastille.id, E.hidden.id]));
    expect(window).not.toContain(E.montreuil.id);
    expect(await found(ana.client, `from=${parisDay(2)}&to=${parisDay(2)}&kind=leafleting`)).toEqual([E.bastille.id]);
    // Past events are found by asking for past days.
    expect(await found(ana.client, `from=${parisDay(-5)}&to=${parisDay(-1)}`)).toEqual([E.past.id, E.groupPast.id]);
    const backwards = await ana.client.get(`/api/events?from=${parisDay(5)}&to=${parisDay(2)}`);
    expect(backwards.status).toBe(400);
    expect(backwards.body.fields.to).toBe('La date de fin doit suivre la date de début.');
  });

  it('filters by distance from the member’s commune or a postal code', async () => {
    const nearAna = await list(ana.client, 'km=10&near=me');
    expect(nearAna.center).toMatchObject({ label: 'Paris 20e Arrondissement', lat: 48.8646, lon: 2.3984 });
    expect(ids(nearAna.events).sort()).toEqual([E.bastille.id, E.montreuil.id, E.elysee.id, E.group.id, E.hidden.id].sort());
    for (const e of nearAna.events) expect(e.distanceKm).toBeLessThanOrEqual(10);
    expect(nearAna.events.find((e) => e.id === E.group.id)!.distanceKm).toBe(0);
    const marseille = await list(ana.client, 'km=5&near=postal&postalCode=13001');
    expect(marseille.center).toMatchObject({ label: '13001 Marseille 1er Arrondissement' });
    expect(ids(marseille.events)).toEqual([E.marseille.id]);
    // A postal code alone means "near it".
    expect(await found(n.client(), 'km=5&postalCode=13001')).toEqual([E.marseille.id]);
    expect(await found(n.client(), 'km=1&near=postal&postalCode=93100')).toEqual([E.montreuil.id]);
    // Near me needs a commune.
    for (const who of [n.client(), dan.client]) {
      const res = await who.get('/api/events?km=10&near=me');
      expect(res.status).toBe(400);
      expect(res.body.fields.km).toBe('Indiquez votre commune dans votre profil, ou un code postal, pour chercher par distance.');
    }
    const noCode = await ana.client.get('/api/events?km=10&near=postal');
    expect(noCode.status).toBe(400);
    expect(noCode.body.fields.postalCode).toBe('Ce champ est obligatoire.');
  });

  it('filters by group, words (accents and case ignored), my circles and online events', async () => {
    expect(await found(n.client(), `group=${group.handle}`)).toEqual([E.group.id]);
    expect(await found(n.client(), `group=${group.handle.toUpperCase()}`)).toEqual([E.group.id]);
    expect(await found(n.client(), `group=${group.id}`)).toEqual([E.group.id]);
    const unknown = await n.client().get('/api/events?group=no_such_group');
    expect(unknown.status).toBe(400);
    expect(unknown.body.fields.group).toBe('Ce groupe est inconnu.');

    expect(await found(n.client(), 'q=elysee')).toEqual([E.elysee.id]);
    expect(await found(n.client(), `q=${encodeURIComponent('ÉCOLOGIE  débat')}`)).toEqual([E.online.id]);
    expect(await found(n.client(), 'q=vieux port')).toEqual([E.marseille.id]);
    expect(await found(n.client(), 'q=montreuil')).toEqual([E.montreuil.id]); // the commune's name
    expect(await found(n.client(), 'q=journal&kind=leafleting')).toEqual([E.bastille.id]); // the description
    expect(await found(n.client(), 'q=elysee bastille')).toEqual([]);
    for (const q of ['%', '_', "'", '\\', '%25_']) expect(await found(n.client(), `q=${encodeURIComponent(q)}`), q).toEqual([]);

    // Mine: my groups', my friends', the ones I answered.
    const mine = await list(ana.client, 'scope=mine');
    expect(ids(mine.events).sort()).toEqual([E.group.id, E.montreuil.id, E.marseille.id].sort());
    expect(mine.related).toEqual([]);
    expect(await found(ben.client, 'scope=mine')).toEqual([E.montreuil.id]);

    const online = await list(n.client(), 'online=on');
    expect(ids(online.events)).toEqual([E.online.id]);
    expect(online.events[0]).toMatchObject({ online: true, lat: null, lon: null, communeName: null });
    expect(await found(n.client(), 'online=true&kind=leafleting')).toEqual([]);
  });

  it('pages through results with a cursor, in a stable order', async () => {
    const first = await list(ana.client, 'kind=training');
    expect(first.events).toHaveLength(30);
    expect(first.next).toEqual(expect.any(String));
    const second = await list(ana.client, `kind=training&cursor=${encodeURIComponent(first.next!)}`);
    expect(second.events).toHaveLength(3);
    expect(second.next).toBeNull();
    expect(second.related).toEqual([]);
    const all = [...first.events, ...second.events];
    expect(new Set(ids(all)).size).toBe(33);
    expect(ids(all).sort()).toEqual(ids(paged).sort());
    for (let i = 1; i < all.length; i++) {
      const [a, b] = [all[i - 1], all[i]];
      const order = Date.parse(a.startsAt) - Date.parse(b.startsAt) || (a.id < b.id ? -1 : 1);
      expect(order, `${i}`).toBeLessThan(0);
    }
  });

  it('puts the events of my groups and friends first', async () => {
    const res = await list(ana.client, '');
    expect(ids(res.related)).toEqual([E.group.id, E.montreuil.id, E.marseille.id]);
    expect((await list(ana.client, 'kind=meeting')).related.map((e) => e.id)).toEqual([E.group.id, E.marseille.id]);
    expect((await list(n.client(), '')).related).toEqual([]);
    expect((await list(org.client, 'kind=rally')).related.map((e) => e.id)).toEqual([E.elysee.id]); // org's own
  });

  it('puts events on a map: points in the box only, hidden addresses at the commune’s centre', async () => {
    const res = await ana.client.get(`/api/events/map?bbox=${PARIS_BBOX}`);
    expect(res.status).toBe(200);
    const points = res.body.points as { id: string; lat: number; lon: number; approximate: boolean; title: string; kindLabel: string; when: string }[];
    expect(ids(points).sort()).toEqual([E.bastille.id, E.group.id, E.hidden.id, E.elysee.id].sort());
    expect(res.body.truncated).toBe(false);
    for (const p of points) {
      expect(p.lat).toBeGreaterThanOrEqual(PARIS.s);
      expect(p.lat).toBeLessThanOrEqual(PARIS.n);
      expect(p.lon).toBeGreaterThanOrEqual(PARIS.w);
      expect(p.lon).toBeLessThanOrEqual(PARIS.e);
    }
    expect(points.find((p) => p.id === E.hidden.id)).toMatchObject({ approximate: true, lat: 48.8574, lon: 2.3795, title: 'Réunion au local caché', kindLabel: 'Réunion' });
    expect(points.find((p) => p.id === E.bastille.id)).toMatchObject({ approximate: false });
    expect(JSON.stringify(points)).not.toContain('48.8601');
    // A wide view walks time instead of cells.
    const france = (await ana.client.get(`/api/events/map?bbox=${FRANCE_BBOX}`)).body.points;
    expect(ids(france)).toEqual(expect.arrayContaining([E.marseille.id, E.montreuil.id, E.bastille.id, ...ids(paged)]));
    expect(ids(france)).not.toContain(E.online.id);
    expect(ids((await ana.client.get(`/api/events/map?bbox=${FRANCE_BBOX}&kind=meeting`)).body.points).sort()).toEqual([E.group.id, E.hidden.id, E.marseille.id].sort());
    expect(ids((await ana.client.get(`/api/events/map?bbox=${PARIS_BBOX}&to=${parisDay(10)}`)).body.points).sort()).toEqual([E.bastille.id, E.group.id, E.hidden.id].sort());
    expect(ids((await ana.client.get(`/api/events/map?bbox=${PARIS_BBOX}&q=elysee`)).body.points)).toEqual([E.elysee.id]);
    expect(ids((await ana.client.get(`/api/events/map?bbox=${FRANCE_BBOX}&group=${group.handle}`)).body.points)).toEqual([E.group.id]);

    for (const bbox of ['a,b,c,d', '2.2,48.8,2.4', '2.4,48.8,2.2,48.9', '2.2,48.9,2.4,48.8', '2,95,3,96', '-181,40,3,41', '', '1,2,3,4,5', 'Infinity,1,2,3']) {
      const bad = await ana.client.get(`/api/events/map?bbox=${encodeURIComponent(bbox)}`);
      expect(bad.status, bbox).toBe(400);
      expect(bad.body.fields.bbox, bbox).toBe('Zone de carte invalide.');
    }
    const missing = await ana.client.get('/api/events/map');
    expect(missing.status).toBe(400);
    expect(missing.body.fields.bbox).toBe('Zone de carte invalide.');
  });

  it('shows what is near me this week, my circles’ first', async () => {
    const res = await ana.client.get('/api/events/near');
    expect(res.status).toBe(200);
    const near = ids(res.body.events);
    // Related first (soonest first), then the others near by.
    expect(near.slice(0, 2)).toEqual([E.group.id, E.montreuil.id]);
    expect(near.slice(2).sort()).toEqual([E.bastille.id, E.hidden.id].sort());
    expect(res.body.events.every((e: Summary) => typeof e.distanceKm === 'number' && e.distanceKm <= 30)).toBe(true);
    expect((await dan.client.get('/api/events/near')).body.events).toEqual([]);
    expect((await n.client().get('/api/events/near')).status).toBe(401);
  });

  it('lists my events, upcoming or past', async () => {
    const upcoming = ids((await org.client.get('/api/events/mine')).body.events);
    expect(upcoming).toEqual(expect.arrayContaining([E.bastille.id, E.marseille.id, E.group.id, E.cancelled.id, E.unlisted.id]));
    expect(upcoming).not.toContain(E.past.id);
    expect(upcoming).not.toContain(E.montreuil.id);
    const starts = (await org.client.get('/api/events/mine')).body.events.map((e: Summary) => Date.parse(e.startsAt));
    expect([...starts].sort((a, b) => a - b)).toEqual(starts);
    const past = ids((await org.client.get('/api/events/mine?past=1')).body.events);
    expect(past).toEqual([E.groupPast.id, E.past.id]);
    expect(ids((await ana.client.get('/api/events/mine')).body.events)).toEqual([E.marseille.id]);
    expect((await n.client().get('/api/events/mine')).status).toBe(401);
  });

  it('shows a group’s agenda', async () => {
    const res = await n.client().get(`/api/groups/${group.handle}/events`);
    expect(res.status).toBe(200);
    expect(ids(res.body.upcoming)).toEqual([E.group.id]);
    expect(ids(res.body.past)).toEqual([E.groupPast.id]);
    expect(res.body.upcoming[0].group).toEqual({ id: group.id, handle: group.handle, name: 'Comité Découverte' });
    expect(ids((await ana.client.get(`/api/groups/${group.id}/events`)).body.upcoming)).toEqual([E.group.id]);
    expect((await n.client().get('/api/groups/no_such_group/events')).status).toBe(404);
  });

  it('answers bad input with 400 and a message, never 500', async () => {
    const year = parisDay(0).slice(0, 4);
    const cases: [query: string, field: string | null, message: string | null][] = [
      ['km=10&near=postal&postalCode=99999', 'postalCode', 'Ce code postal est inconnu.'],
      ['km=10&near=postal&postalCode=7501', 'postalCode', 'Le code postal doit comporter 5 chiffres.'],
      ['km=0', 'km', 'La distance doit être entre 1 et 500 km.'],
      ['km=501&near=me', 'km', 'La distance doit être entre 1 et 500 km.'],
      ['km=abc', 'km', 'La distance doit être entre 1 et 500 km.'],
      ['km=2.5', 'km', 'La distance doit être entre 1 et 500 km.'],
      ['from=demain', 'from', 'Date invalide (format AAAA-MM-JJ).'],
      [`from=${year}-02-30`, 'from', 'Date invalide (format AAAA-MM-JJ).'],
      [`to=${year}-13-01`, 'to', 'Date invalide (format AAAA-MM-JJ).'],
      ['to=05/12/2026', 'to', 'Date invalide (format AAAA-MM-JJ).'],
      ['cursor=garbage', 'cursor', "Cette valeur n'est pas valide."],
      ['cursor=1.ABC', 'cursor', "Cette valeur n'est pas valide."],
      ['cursor=.abc', 'cursor', "Cette valeur n'est pas valide."],
      ['cursor=1234567890123456.abc', 'cursor', "Cette valeur n'est pas valide."],
      ['cursor=999999999999999.abc', 'cursor', "Cette valeur n'est pas valide."],
      [`cursor=${'1'.repeat(121)}`, 'cursor', null],
      ['cursor=a&cursor=b', 'cursor', null],
      ['near=moon&km=5', 'near', "Cette valeur n'est pas valide."],
      ['scope=everything', 'scope', "Cette valeur n'est pas valide."],
      ['online=maybe', 'online', null],
      ['group=nope', 'group', 'Ce groupe est inconnu.'],
      [Array.from({ length: 21 }, () => 'kind=leafleting').join('&'), 'kind', null],
      [`q=${'a'.repeat(101)}`, 'q', null],
      ['q=a&q=b', 'q', null],
    ];
    for (const [query, field, message] of cases) {
      for (const who of [ana.client, n.client()]) {
        const res = await who.get(`/api/events?${query}`);
        expect(res.status, query).toBe(400);
        if (field) expect(res.body.fields?.[field], query).toEqual(message ?? expect.any(String));
      }
    }
    // Days a database cannot store are refused; the widest ones it can are served.
    for (const [query, status] of [
      ['from=0001-01-01&to=0001-01-01', 400],
      ['to=9999-12-31', 400],
      ['from=1900-01-01&to=1900-01-01', 200],
      ['to=2999-12-31&kind=rally', 200],
      ['from=2999-12-31', 200],
    ] as const) {
      expect((await ana.client.get(`/api/events?${query}`)).status, query).toBe(status);
      expect((await ana.client.get(`/api/events/map?bbox=${PARIS_BBOX}&${query}`)).status, query).toBe(status);
    }
    // A well-formed cursor past the end is just an empty page.
    expect(await list(ana.client, 'cursor=9999999999999.zzz')).toMatchObject({ events: [], next: null });
    for (const query of ['from=demain', `from=${year}-02-30`, `to=${year}-13-01`, 'kind=a&kind=b&' + Array.from({ length: 20 }, () => 'kind=c').join('&'), 'group=nope']) {
      const res = await ana.client.get(`/api/events/map?bbox=${PARIS_BBOX}&${query}`);
      expect(res.status, query).toBe(400);
    }
  });
});
