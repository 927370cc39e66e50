// Field reports and the coordinators' view, through the API of a real node on each database:
// who files (organizers; participants when allowed), when (once the action started), editing,
// concerns and photos; who reads; the aggregate by kind, département, commune, concern and week;
// and the administrator's vocabularies (kinds of action and concerns).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { dialects } from '../../tests/helpers/db.ts';
import { startTestNode, type TestNode } from '../../tests/helpers/node.ts';
import type { Client } from '../../tests/helpers/client.ts';
import { eventInput, parisLocal } from '../../tests/helpers/events.ts';
import { instantToLocal } from './time.ts';

type Member = { client: Client; user: { id: string; username: string } };

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const local = (ms: number) => instantToLocal(new Date(Date.now() + ms), 'Europe/Paris');
/** An event going on now (started an hour ago). */
const ongoing = { start: local(-HOUR), end: local(3 * HOUR) };
/** The Paris calendar day `days` from today, "YYYY-MM-DD". */
const parisDay = (days: number) => parisLocal(days).slice(0, 10);
const addDays = (day: string, days: number) => new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
/** The Monday of the week of a calendar day. */
const mondayOf = (day: string) => addDays(day, -((new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7));

const NOT_ALLOWED = "Seul·es les organisateur·ices (et les participant·es, si l'action le permet) remplissent le compte rendu.";
const COORDINATORS_ONLY = "Réservé aux coordinateur·ices de l'instance.";

/** A form with files, as a browser sends it. */
async function multipart(client: Client, method: string, path: string, fields: Record<string, string>, files: { field: string; bytes: Buffer; type: string }[]) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  for (const f of files) form.append(f.field, new Blob([new Uint8Array(f.bytes)], { type: f.type }), `${f.field}.${f.type.split('/')[1]}`);
  const req = new Request('http://localhost/', { method: 'POST', body: form });
  return client.request(method, path, new Uint8Array(await req.arrayBuffer()), { 'content-type': req.headers.get('content-type')! });
}

describe.each(dialects)('event reports on %s', (dialect) => {
  let n: TestNode;
  let admin: Member, org: Member, coord: Member, ana: Member, ben: Member, cleo: Member;
  let png: Buffer, jpeg: Buffer;
  beforeAll(async () => {
    n = await startTestNode(dialect, { rateLimits: false });
    admin = await n.setupAdmin();
    [org, coord, ana, ben, cleo] = await Promise.all([
      n.signup('org@example.org', 'Olga Organise', '75011'),
      n.signup('coord@example.org', 'Corentin Coordonne', '75011'),
      n.signup('ana@example.org', 'Ana', '75020'),
      n.signup('ben@example.org', 'Ben', '93100'),
      n.signup('cleo@example.org', 'Cléo', '13001'),
    ]);
    expect((await admin.client.put(`/api/admin/users/${coord.user.id}/coordinator`, { coordinator: true })).status).toBe(204);
    png = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#f00' } }).png().toBuffer();
    jpeg = await sharp({ create: { width: 12, height: 8, channels: 3, background: '#00f' } }).jpeg().toBuffer();
  });
  afterAll(() => n?.close());

  const create = async (overrides: Record<string, unknown> = {}, who: Member = org) => {
    const res = await who.client.post('/api/events', eventInput(overrides));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; [k: string]: any };
  };
  const answer = async (who: Member, id: string, body: Record<string, unknown>) => {
    const res = await who.client.put(`/api/events/${id}/rsvp`, body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.status as string;
  };
  const file = async (who: Member, id: string, body: Record<string, unknown>) => {
    const res = await who.client.put(`/api/events/${id}/report`, body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as { id: string; [k: string]: any };
  };
  const reports = async (who: Member, id: string) => {
    const res = await who.client.get(`/api/events/${id}/reports`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.reports as { id: string; author: { id: string } | null; mine: boolean; [k: string]: any }[];
  };
  const authors = (list: { author: { id: string } | null }[]) => list.map((r) => r.author?.id).sort();

  it('waits for the action to start', async () => {
    const e = await create({ participantReports: true, title: 'Tractage de demain' });
    await answer(ana, e.id, { status: 'going' });
    for (const who of [org, ana]) {
      const res = await who.client.put(`/api/events/${e.id}/report`, { participants: 4 });
      expect(res.status).toBe(409);
      expect(res.body.message).toBe("Le compte rendu se remplit une fois l'action commencée.");
    }
    expect((await org.client.get(`/api/events/${e.id}`)).body.rights.canReport).toBe(false);
    expect(await reports(org, e.id)).toEqual([]);
  });

  it('is filed by organizers, and by confirmed participants only when the action allows it', async () => {
    const closed = await create({ ...ongoing, title: 'Porte-à-porte sans fiche participant', kind: 'door_to_door' });
    await answer(ana, closed.id, { status: 'going' });
    const refused = await ana.client.put(`/api/events/${closed.id}/report`, { participants: 3 });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe(NOT_ALLOWED);
    expect((await ana.client.get(`/api/events/${closed.id}`)).body.rights.canReport).toBe(false);
    expect((await org.client.get(`/api/events/${closed.id}`)).body.rights.canReport).toBe(true);
    const mine = await file(org, closed.id, { participants: 6, doors: 120, people: 35, leaflets: '', concerns: ['housing', 'cost_of_living'], worked: 'Bon accueil au 3e étage.', didNotWork: 'Digicodes.' });
    expect(mine).toMatchObject({ eventId: closed.id, author: { id: org.user.id }, participants: 6, doors: 120, leaflets: null, people: 35, worked: 'Bon accueil au 3e étage.', didNotWork: 'Digicodes.', photos: [], mine: true });
    expect(mine.concerns.map((c: { key: string }) => c.key).sort()).toEqual(['cost_of_living', 'housing']);
    expect(mine.concerns.find((c: { key: string }) => c.key === 'housing').label).toBe('Logement');

    const open = await create({ ...ongoing, participantReports: true, title: 'Tractage avec fiches', capacity: 1 });
    await answer(ana, open.id, { status: 'going' });
    expect(await answer(ben, open.id, { status: 'going' })).toBe('waitlist');
    await answer(cleo, open.id, { status: 'interested' });
    expect((await ana.client.get(`/api/events/${open.id}`)).body.rights.canReport).toBe(true);
    expect(await file(ana, open.id, { participants: 4, leaflets: 300 })).toMatchObject({ author: { id: ana.user.id }, leaflets: 300 });
    for (const who of [ben, cleo, coord, admin]) {
      const res = await who.client.put(`/api/events/${open.id}/report`, { participants: 9 });
      expect(res.status).toBe(403);
      expect(res.body.message).toBe(NOT_ALLOWED);
    }
    expect((await n.client().put(`/api/events/${open.id}/report`, { participants: 9 })).status).toBe(401);
    expect(authors(await reports(org, open.id))).toEqual([ana.user.id]);
    // An event one may not see: not found.
    const hidden = await create({ ...ongoing, visibility: 'friends', participantReports: true, title: 'Entre ami·es' });
    expect((await ben.client.put(`/api/events/${hidden.id}/report`, { participants: 1 })).status).toBe(404);
  });

  it('keeps one report per author, edited in place, and checks every field', async () => {
    const e = await create({ ...ongoing, title: 'Rassemblement devant la mairie', kind: 'rally' });
    const first = await file(org, e.id, { participants: 40, leaflets: 500, people: 80, concerns: ['public_services'] });
    const second = await file(org, e.id, { participants: 45, people: 90, concerns: ['health', 'public_services', 'health'], worked: 'La presse locale est venue.' });
    expect(second.id).toBe(first.id);
    expect(second).toMatchObject({ participants: 45, leaflets: null, people: 90, worked: 'La presse locale est venue.' });
    expect(second.concerns.map((c: { key: string }) => c.key).sort()).toEqual(['health', 'public_services']);
    expect(new Date(second.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(first.updatedAt).getTime());
    const list = await reports(org, e.id);
    expect(list.map((r) => r.id)).toEqual([first.id]);

    const bad: [Record<string, unknown>, string, string][] = [
      [{ doors: -1 }, 'doors', 'Un nombre entier positif, ou vide.'],
      [{ people: 2.5 }, 'people', 'Un nombre entier positif, ou vide.'],
      [{ participants: 'beaucoup' }, 'participants', 'Un nombre entier positif, ou vide.'],
      [{ participants: 100_001 }, 'participants', 'Un nombre entier positif, ou vide.'],
      [{ concerns: ['unicorns'] }, 'concerns', 'Préoccupation inconnue.'],
      [{ concerns: Array.from({ length: 21 }, (_, i) => `c${i}`) }, 'concerns', 'Au plus 20 préoccupations.'],
      [{ worked: '<b>gras</b>' }, 'worked', 'Les balises HTML ne sont pas acceptées ici (le texte est affiché tel quel).'],
    ];
    for (const [body, field, message] of bad) {
      const res = await org.client.put(`/api/events/${e.id}/report`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.fields?.[field], JSON.stringify(body)).toBe(message);
    }
    // Nothing changed.
    const [kept] = await reports(org, e.id);
    expect(kept).toMatchObject({ participants: 45, people: 90 });
    expect(kept.concerns.map((c: { key: string }) => c.key).sort()).toEqual(['health', 'public_services']);
  });

  it('takes up to six photos, sent as multipart, and lets their author remove them', async () => {
    const e = await create({ ...ongoing, title: 'Collage avec photos', kind: 'poster_run' });
    const res = await multipart(org.client, 'PUT', `/api/events/${e.id}/report`, { participants: '5', concerns: 'housing', worked: 'Beaucoup de murs libres.' }, [
      { field: 'photo0', bytes: png, type: 'image/png' },
      { field: 'photo1', bytes: jpeg, type: 'image/jpeg' },
    ]);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ participants: 5, worked: 'Beaucoup de murs libres.', concerns: [{ key: 'housing', label: 'Logement' }] });
    expect(res.body.photos).toHaveLength(2);
    expect(res.body.photos.map((p: { width: number; height: number }) => [p.width, p.height])).toEqual([
      [10, 10],
      [12, 8],
    ]);
    const photo = await n.client().get(res.body.photos[0].url);
    expect(photo.status).toBe(200);
    expect(photo.headers.get('content-type')).toMatch(/image\/webp/);
    const reportId = res.body.id as string;

    const more = await multipart(org.client, 'PUT', `/api/events/${e.id}/report`, { participants: '5' }, [0, 1, 2, 3].map((i) => ({ field: `photo${i}`, bytes: png, type: 'image/png' })));
    expect(more.status, JSON.stringify(more.body)).toBe(200);
    expect(more.body.photos).toHaveLength(6);
    expect(more.body.id).toBe(reportId);
    const seventh = await multipart(org.client, 'PUT', `/api/events/${e.id}/report`, { participants: '5' }, [{ field: 'photo0', bytes: png, type: 'image/png' }]);
    expect(seventh.status).toBe(400);
    expect(seventh.body.fields.photos).toBe('Au plus 6 photos par compte rendu.');
    expect((await reports(org, e.id))[0].photos).toHaveLength(6);

    // Seven at once, a file under another name, or something that is not a picture: refused.
    const other = await create({ ...ongoing, title: 'Autre collage', kind: 'poster_run' });
    const seven = await multipart(org.client, 'PUT', `/api/events/${other.id}/report`, {}, Array.from({ length: 7 }, (_, i) => ({ field: `photo${i}`, bytes: png, type: 'image/png' })));
    expect(seven.status).toBe(400);
    expect((await multipart(org.client, 'PUT', `/api/events/${other.id}/report`, {}, [{ field: 'image', bytes: png, type: 'image/png' }])).status).toBe(400);
    const notImage = await multipart(org.client, 'PUT', `/api/events/${other.id}/report`, {}, [{ field: 'photo0', bytes: Buffer.from('not a picture at all'), type: 'image/png' }]);
    expect(notImage.status).toBe(415);
    expect(await reports(org, other.id)).toEqual([]);

    // Removing a photo: its author only.
    const photoId = more.body.photos[0].id as string;
    expect((await ana.client.delete(`/api/reports/${reportId}/photos/${photoId}`)).status).toBe(403);
    expect((await org.client.delete(`/api/reports/${reportId}/photos/${photoId}`)).status).toBe(204);
    expect((await org.client.delete(`/api/reports/${reportId}/photos/${photoId}`)).status).toBe(404);
    const left = (await reports(org, e.id))[0].photos;
    expect(left).toHaveLength(5);
    expect(left.map((p: { id: string }) => p.id)).not.toContain(photoId);
    expect((await n.client().get(more.body.photos[0].url)).status).toBe(404);
  });

  it('is read by organizers (the group’s too), coordinators and admins; a participant reads only their own', async () => {
    const group = (await org.client.post('/api/groups', { name: 'Comité Comptes Rendus', kind: 'local', postalCode: '75011', openness: 'open' })).body;
    expect((await cleo.client.post(`/api/groups/${group.id}/join`, {})).status).toBe(200);
    expect((await org.client.put(`/api/groups/${group.id}/members/${cleo.user.id}/role`, { role: 'organizer' })).status).toBe(204);
    const e = await create({ ...ongoing, groupId: group.id, participantReports: true, title: 'Débat du comité', kind: 'debate' });
    await answer(ana, e.id, { status: 'going' });
    await answer(ben, e.id, { status: 'going' });
    await file(org, e.id, { people: 30 });
    await file(ana, e.id, { people: 12 });
    for (const who of [org, cleo, coord, admin]) expect(authors(await reports(who, e.id))).toEqual([ana.user.id, org.user.id].sort());
    const own = await reports(ana, e.id);
    expect(own).toHaveLength(1);
    expect(own[0]).toMatchObject({ author: { id: ana.user.id }, mine: true, people: 12 });
    expect(await reports(ben, e.id)).toEqual([]);
    expect((await n.client().get(`/api/events/${e.id}/reports`)).status).toBe(401);
    // A participant deletes their own report, an organizer any; nobody else.
    const anaReport = own[0].id;
    const orgReport = (await reports(org, e.id)).find((r) => r.author?.id === org.user.id)!.id;
    expect((await ben.client.delete(`/api/reports/${anaReport}`)).status).toBe(403);
    expect((await ana.client.delete(`/api/reports/${orgReport}`)).status).toBe(403);
    expect((await cleo.client.delete(`/api/reports/${anaReport}`)).status).toBe(204);
    expect((await ana.client.delete(`/api/reports/${anaReport}`)).status).toBe(404);
    expect(authors(await reports(org, e.id))).toEqual([org.user.id]);
  });

  describe('the coordinators’ aggregate', () => {
    const from = mondayOf(parisDay(-20));
    const to = parisDay(0);
    const period = `from=${from}&to=${to}`;
    let a: { id: string }, b: { id: string }, lyon: { id: string };
    beforeAll(async () => {
      // Two actions in the Bouches-du-Rhône, one in the Rhône; the other tests stay in Paris.
      a = await create({ ...ongoing, title: 'Tractage Canebière', postalCode: '13001', street: '', placeName: 'La Canebière', participantReports: true });
      b = await create({ ...ongoing, title: 'Porte-à-porte Belsunce', kind: 'door_to_door', postalCode: '13002', street: '', placeName: '' });
      lyon = await create({ ...ongoing, title: 'Réunion Presqu’île', kind: 'meeting', postalCode: '69001', street: '', placeName: '' });
      // An action held three days ago without a report, and a cancelled one.
      await create({ start: local(-3 * DAY), end: local(-3 * DAY + 2 * HOUR), title: 'Marché sans fiche', postalCode: '13002', street: '', placeName: '' });
      const cancelled = await create({ start: local(-2 * DAY), end: local(-2 * DAY + HOUR), title: 'Annulée', postalCode: '13001', street: '', placeName: '' });
      expect((await org.client.put(`/api/events/${cancelled.id}/status`, { status: 'cancelled' })).status).toBe(204);
      // Check-in: a's count is 2 present + 3 walk-ins = 5, below the 8 reported; b's is 1 + 4 = 5, above the 2 reported.
      await answer(ana, a.id, { status: 'going' });
      await answer(ana, b.id, { status: 'going' });
      for (const [id, count] of [
        [a.id, 3],
        [b.id, 4],
      ] as const) {
        expect((await org.client.put(`/api/events/${id}/attendance/${ana.user.id}`, { attendance: 'present' })).status).toBe(204);
        expect((await org.client.post(`/api/events/${id}/walk-ins`, { count })).status).toBe(204);
      }
      expect((await org.client.post(`/api/events/${a.id}/walk-ins`, { username: ben.user.username })).status).toBe(204);
      await file(org, a.id, { participants: 5, leaflets: 100, people: 20, concerns: ['housing', 'cost_of_living'], worked: 'Le marché était plein.' });
      await file(ana, a.id, { participants: 8, leaflets: 50, people: 10, concerns: ['housing'] });
      await file(org, b.id, { participants: 2, doors: 40, people: 15, concerns: ['housing', 'transport'] });
      await file(org, lyon.id, { participants: 4 });
    });

    it('is for coordinators and admins only', async () => {
      for (const who of [ana, org, cleo]) {
        const res = await who.client.get(`/api/coordination/reports?${period}`);
        expect(res.status).toBe(403);
        expect(res.body.message).toBe(COORDINATORS_ONLY);
      }
      expect((await n.client().get(`/api/coordination/reports?${period}`)).status).toBe(401);
      expect((await admin.client.get(`/api/coordination/reports?${period}`)).status).toBe(200);
      expect((await coord.client.get(`/api/coordination/reports?${period}`)).status).toBe(200);
      // The role is given and taken back by administrators only.
      expect((await coord.client.put(`/api/admin/users/${ana.user.id}/coordinator`, { coordinator: true })).status).toBe(403);
      expect((await ana.client.get(`/api/coordination/reports?${period}`)).status).toBe(403);
      expect((await admin.client.put(`/api/admin/users/${ana.user.id}/coordinator`, { coordinator: true })).status).toBe(204);
      expect((await ana.client.get(`/api/coordination/reports?${period}`)).status).toBe(200);
      expect((await admin.client.put(`/api/admin/users/${ana.user.id}/coordinator`, { coordinator: false })).status).toBe(204);
      expect((await ana.client.get(`/api/coordination/reports?${period}`)).status).toBe(403);
    });

    it('adds up a département: totals, kinds, communes, concerns and weeks', async () => {
      const res = await coord.client.get(`/api/coordination/reports?${period}&departement=13`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const g = res.body;
      expect(g).toMatchObject({ from, to, departement: '13' });
      // Participants: the highest reported (8) for a, the check-in (5) for b.
      expect(g.totals).toEqual({ actions: 2, reports: 3, held: 1, participants: 13, doors: 40, leaflets: 150, people: 45 });
      expect(g.byKind).toEqual([
        { kind: 'leafleting', label: 'Tractage', actions: 1, participants: 8, doors: 0, leaflets: 150, people: 30 },
        { kind: 'door_to_door', label: 'Porte-à-porte', actions: 1, participants: 5, doors: 40, leaflets: 0, people: 15 },
      ]);
      expect(g.byDepartement).toEqual([{ code: '13', name: 'Bouches-du-Rhône', actions: 2, participants: 13, doors: 40, leaflets: 150, people: 45 }]);
      expect(g.byCommune).toEqual([
        { code: '13201', name: 'Marseille 1er Arrondissement', departement: '13', lat: 43.2981, lon: 5.3841, actions: 1, participants: 8, doors: 0, leaflets: 150, people: 30 },
        { code: '13202', name: 'Marseille 2e Arrondissement', departement: '13', lat: 43.2966, lon: 5.3703, actions: 1, participants: 5, doors: 40, leaflets: 0, people: 15 },
      ]);
      expect(g.concerns[0]).toEqual({ key: 'housing', label: 'Logement', count: 3 });
      expect(g.concerns.slice(1).sort((x: { key: string }, y: { key: string }) => (x.key < y.key ? -1 : 1))).toEqual([
        { key: 'cost_of_living', label: "Vie chère, pouvoir d'achat", count: 1 },
        { key: 'transport', label: 'Transports', count: 1 },
      ]);
      // Every week of the period, from the Monday it starts on, zeros included.
      const weeks = g.weeks as { week: string; actions: number; people: number }[];
      expect(weeks[0].week).toBe(from);
      for (let i = 1; i < weeks.length; i++) expect(weeks[i].week).toBe(addDays(weeks[i - 1].week, 7));
      expect(weeks[weeks.length - 1].week).toBe(mondayOf(to));
      const actionWeek = mondayOf(ongoing.start.slice(0, 10));
      expect(weeks.find((w) => w.week === actionWeek)).toEqual({ week: actionWeek, actions: 2, people: 45 });
      expect(weeks.filter((w) => w.week !== actionWeek).every((w) => w.actions === 0 && w.people === 0)).toBe(true);
      expect(g.latest.map((l: { title: string }) => l.title).sort()).toEqual(['Porte-à-porte Belsunce', 'Tractage Canebière', 'Tractage Canebière']);
      expect(g.latest.find((l: { worked: string }) => l.worked === 'Le marché était plein.')).toMatchObject({ eventId: a.id, kindLabel: 'Tractage', communeName: 'Marseille 1er Arrondissement', author: { id: org.user.id } });
    });

    it('filters by département and period', async () => {
      const lyonOnly = (await coord.client.get(`/api/coordination/reports?${period}&departement=69`)).body;
      expect(lyonOnly.totals).toMatchObject({ actions: 1, reports: 1, participants: 4 });
      expect(lyonOnly.byCommune.map((c: { code: string }) => c.code)).toEqual(['69381']);
      const all = (await coord.client.get(`/api/coordination/reports?${period}`)).body;
      const deps = new Map(all.byDepartement.map((d: { code: string }) => [d.code, d]));
      expect(deps.get('13')).toMatchObject({ name: 'Bouches-du-Rhône', actions: 2, participants: 13 });
      expect(deps.get('69')).toMatchObject({ name: 'Rhône', actions: 1, participants: 4 });
      expect(all.totals.actions).toBeGreaterThanOrEqual(3);
      // Lower case Corsica is fine; a period before the actions is empty.
      expect((await coord.client.get(`/api/coordination/reports?${period}&departement=2a`)).body).toMatchObject({ departement: '2A', totals: { actions: 0 } });
      const before = (await coord.client.get(`/api/coordination/reports?from=${parisDay(-60)}&to=${parisDay(-30)}&departement=13`)).body;
      expect(before.totals).toMatchObject({ actions: 0, reports: 0, held: 0 });
      expect(before.weeks.every((w: { actions: number }) => w.actions === 0)).toBe(true);
      expect(before.weeks.length).toBeGreaterThanOrEqual(5);
      // Default: the last 90 days, up to today.
      const byDefault = (await coord.client.get('/api/coordination/reports?departement=13')).body;
      expect(byDefault).toMatchObject({ to: parisDay(0), totals: { actions: 2 } });
    });

    it('refuses a bad period or département with a message', async () => {
      const cases: [string, string, string][] = [
        ['from=hier', 'from', 'Date invalide (format AAAA-MM-JJ).'],
        [`to=${parisDay(0)}T10:00`, 'to', 'Date invalide (format AAAA-MM-JJ).'],
        ['from=2026-13-45', 'from', 'Date invalide (format AAAA-MM-JJ).'],
        [`from=${parisDay(0)}&to=${parisDay(-5)}`, 'to', 'La date de fin doit suivre la date de début.'],
        [`from=${parisDay(-4 * 366)}&to=${parisDay(0)}`, 'from', 'La période couvre au plus trois ans.'],
        ['from=0001-01-01&to=0001-01-02', 'from', 'Date invalide (format AAAA-MM-JJ).'],
        ['from=9999-12-30&to=9999-12-31', 'from', 'Date invalide (format AAAA-MM-JJ).'],
        ['departement=ABC', 'departement', "Cette valeur n'est pas valide."],
        ['departement=7501', 'departement', "Cette valeur n'est pas valide."],
      ];
      for (const [query, field, message] of cases) {
        const res = await coord.client.get(`/api/coordination/reports?${query}`);
        expect(res.status, query).toBe(400);
        expect(res.body.fields?.[field], query).toBe(message);
      }
      expect((await coord.client.get('/api/coordination/reports?departement=13&departement=69')).status).toBe(400);
      // The widest days a database stores are served.
      expect((await coord.client.get('/api/coordination/reports?from=1900-01-01&to=1900-01-02')).status).toBe(200);
      expect((await coord.client.get('/api/coordination/reports?from=2999-12-30&to=2999-12-31')).status).toBe(200);
    });
  });

  describe('the administrator’s vocabularies', () => {
    const kinds = async () => (await n.client().get('/api/events/kinds')).body.kinds.map((k: { key: string }) => k.key) as string[];

    it('is for administrators only', async () => {
      for (const who of [ana, coord]) {
        expect((await who.client.get('/api/admin/event-vocab')).status).toBe(403);
        expect((await who.client.post('/api/admin/event-vocab/kind', { labelFr: 'Pique-nique', labelEn: 'Picnic' })).status).toBe(403);
        expect((await who.client.patch('/api/admin/event-vocab/kind/leafleting', { labelFr: 'Tracts', labelEn: 'Leaflets' })).status).toBe(403);
        expect((await who.client.put('/api/admin/event-vocab/kind/leafleting/archived')).status).toBe(403);
        expect((await who.client.delete('/api/admin/event-vocab/kind/leafleting/archived')).status).toBe(403);
      }
      expect((await n.client().get('/api/admin/event-vocab')).status).toBe(401);
      const list = (await admin.client.get('/api/admin/event-vocab')).body;
      expect(list.kinds.map((k: { key: string }) => k.key)).toContain('leafleting');
      expect(list.kinds.find((k: { key: string }) => k.key === 'door_to_door')).toMatchObject({ label: 'Porte-à-porte', labelEn: 'Door-to-door canvassing', metrics: ['doors', 'people', 'leaflets'], archived: false });
      expect(list.concerns.map((c: { key: string }) => c.key)).toContain('housing');
      expect(await kinds()).not.toContain('picnic');
      expect((await n.client().get('/api/events/kinds')).body.kinds.find((k: { key: string }) => k.key === 'leafleting').label).toBe('Tractage');
    });

    it('adds, renames and archives kinds; old events keep their label', async () => {
      const added = await admin.client.post('/api/admin/event-vocab/kind', { labelFr: 'Maraude solidaire', labelEn: 'Solidarity round', metrics: ['people'] });
      expect(added.status, JSON.stringify(added.body)).toBe(201);
      expect(added.body).toMatchObject({ key: 'maraude_solidaire', label: 'Maraude solidaire', labelEn: 'Solidarity round', metrics: ['people'], archived: false });
      const twin = await admin.client.post('/api/admin/event-vocab/kind', { labelFr: 'Maraude  Solidaire', labelEn: 'Another round' });
      expect(twin.body.key).toBe('maraude_solidaire_2');
      expect(await kinds()).toEqual(expect.arrayContaining(['maraude_solidaire', 'maraude_solidaire_2']));
      for (const [path, body, field] of [
        ['/api/admin/event-vocab/kind', { labelFr: 'M', labelEn: 'Round' }, 'labelFr'],
        ['/api/admin/event-vocab/kind', { labelFr: 'Maraude', labelEn: 'Round', metrics: ['votes'] }, 'metrics'],
        ['/api/admin/event-vocab/colour', { labelFr: 'Rouge', labelEn: 'Red' }, 'vocabulary'],
      ] as const) {
        const res = await admin.client.post(path, body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        if (field === 'labelFr') expect(res.body.fields.labelFr).toBe("L'intitulé doit faire entre 2 et 80 caractères.");
      }

      const e = await create({ kind: 'maraude_solidaire', title: 'Maraude de janvier' });
      expect(e.kindLabel).toBe('Maraude solidaire');
      expect((await admin.client.patch('/api/admin/event-vocab/kind/maraude_solidaire', { labelFr: 'Maraude du soir', labelEn: 'Evening round' })).status).toBe(204);
      expect((await n.client().get(`/api/events/${e.id}`)).body.kindLabel).toBe('Maraude du soir');
      expect((await n.client({ language: 'en' }).get(`/api/events/${e.id}`)).body.kindLabel).toBe('Evening round');
      expect((await admin.client.patch('/api/admin/event-vocab/kind/no_such_kind', { labelFr: 'Rien', labelEn: 'Nothing' })).status).toBe(404);
      expect((await admin.client.put('/api/admin/event-vocab/kind/no_such_kind/archived')).status).toBe(404);

      // Archived: no longer offered nor accepted for new events; the old one keeps its label and stays editable.
      expect((await admin.client.put('/api/admin/event-vocab/kind/maraude_solidaire/archived')).status).toBe(204);
      expect(await kinds()).not.toContain('maraude_solidaire');
      expect((await admin.client.get('/api/admin/event-vocab')).body.kinds.find((k: { key: string }) => k.key === 'maraude_solidaire').archived).toBe(true);
      const refused = await org.client.post('/api/events', eventInput({ kind: 'maraude_solidaire' }));
      expect(refused.status).toBe(400);
      expect(refused.body.fields.kind).toBe("Choisissez un type d'action de la liste.");
      expect((await n.client().get(`/api/events/${e.id}`)).body).toMatchObject({ kind: 'maraude_solidaire', kindLabel: 'Maraude du soir' });
      const edited = await org.client.patch(`/api/events/${e.id}`, { title: 'Maraude de février' });
      expect(edited.status, JSON.stringify(edited.body)).toBe(200);
      expect(edited.body).toMatchObject({ kind: 'maraude_solidaire', kindLabel: 'Maraude du soir' });
      // Moving another event to the archived kind is refused.
      const other = await create({ title: 'Autre action' });
      expect((await org.client.patch(`/api/events/${other.id}`, { kind: 'maraude_solidaire' })).body.fields.kind).toBe("Choisissez un type d'action de la liste.");
      // Back again.
      expect((await admin.client.delete('/api/admin/event-vocab/kind/maraude_solidaire/archived')).status).toBe(204);
      expect(await kinds()).toContain('maraude_solidaire');
      expect((await org.client.post('/api/events', eventInput({ kind: 'maraude_solidaire' }))).status).toBe(201);
    });

    it('archives concerns: refused in new reports, kept in reports that have them', async () => {
      const e = await create({ ...ongoing, title: 'Tractage et retraites' });
      await file(org, e.id, { concerns: ['pensions'] });
      expect((await admin.client.put('/api/admin/event-vocab/concern/pensions/archived')).status).toBe(204);
      // The report that had it keeps it when edited.
      const kept = await file(org, e.id, { concerns: ['pensions', 'work'], people: 3 });
      expect(kept.concerns.map((c: { key: string; label: string }) => [c.key, c.label]).sort()).toEqual([
        ['pensions', 'Retraites'],
        ['work', 'Travail, emploi, salaires'],
      ]);
      const other = await create({ ...ongoing, title: 'Autre tractage' });
      const refused = await org.client.put(`/api/events/${other.id}/report`, { concerns: ['pensions'] });
      expect(refused.status).toBe(400);
      expect(refused.body.fields.concerns).toBe('Préoccupation inconnue.');
      expect((await n.client().get('/api/events/kinds')).body.concerns.map((c: { key: string }) => c.key)).not.toContain('pensions');
      expect((await admin.client.delete('/api/admin/event-vocab/concern/pensions/archived')).status).toBe(204);
      expect((await org.client.put(`/api/events/${other.id}/report`, { concerns: ['pensions'] })).status).toBe(200);
    });

    it('keeps at least one kind of action', async () => {
      const all = (await admin.client.get('/api/admin/event-vocab')).body.kinds.filter((k: { archived: boolean }) => !k.archived).map((k: { key: string }) => k.key) as string[];
      const [last, ...others] = all;
      for (const key of others) expect((await admin.client.put(`/api/admin/event-vocab/kind/${key}/archived`)).status).toBe(204);
      const refused = await admin.client.put(`/api/admin/event-vocab/kind/${last}/archived`);
      expect(refused.status).toBe(409);
      expect(refused.body.message).toBe("Il faut garder au moins un type d'action.");
      expect(await kinds()).toEqual([last]);
      for (const key of others) expect((await admin.client.delete(`/api/admin/event-vocab/kind/${key}/archived`)).status).toBe(204);
      expect((await kinds()).sort()).toEqual([...all].sort());
    });
  });
});
