// Events through the API of a real node, on each database: creating, validating, showing (the
// hidden address above all), answering, capacity under concurrent requests, the waiting list,
// approval, invitations, status changes with notifications, duplication and deletion.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../tests/helpers/db.ts';
import { startTestNode, type TestNode } from '../../tests/helpers/node.ts';
import type { Client } from '../../tests/helpers/client.ts';
import { eventInput, parisLocal } from '../../tests/helpers/events.ts';

type Member = { client: Client; user: { id: string; username: string } };

describe.each(dialects)('events on %s', (dialect) => {
  let n: TestNode;
  let org: Member, ana: Member, ben: Member, cleo: Member;
  beforeAll(async () => {
    n = await startTestNode(dialect, { rateLimits: false });
    org = await n.signup('org@example.org', 'Olga Organise', '75011');
    ana = await n.signup('ana@example.org', 'Ana', '75020');
    ben = await n.signup('ben@example.org', 'Ben', '93100');
    cleo = await n.signup('cleo@example.org', 'Cléo', '13001');
  });
  afterAll(() => n?.close());

  const create = async (overrides: Record<string, unknown> = {}, who: Member = org) => {
    const res = await who.client.post('/api/events', eventInput(overrides));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; [k: string]: any };
  };

  it('creates an event with its times in the event’s zone and renders safe Markdown', async () => {
    const e = await create({ description: 'Rendez-vous **devant** la mairie <3 [lien](javascript:alert(1))' });
    expect(e).toMatchObject({ title: 'Tractage au marché', kind: 'leafleting', kindLabel: 'Tractage', timeZone: 'Europe/Paris', communeName: 'Paris 11e Arrondissement', departementCode: '75', status: 'scheduled' });
    expect(e.descriptionHtml).toContain('<strong>devant</strong>');
    expect(e.descriptionHtml).not.toMatch(/href="javascript/);
    expect(new Date(e.startsAt).toISOString()).toBe(new Date(`${parisLocal(7, 10)}:00${offsetOf(parisLocal(7, 10))}`).toISOString());
    expect(e.rights.organizer).toBe(true);
    expect(e.organizers.map((o: { id: string }) => o.id)).toEqual([org.user.id]);
    const en = await n.client({ language: 'en' }).get(`/api/events/${e.id}`);
    expect(en.body.kindLabel).toBe('Leafleting');
  });

  it('refuses bad input with a translated message per field, and stores nothing', async () => {
    const before = (await org.client.get('/api/events/mine')).body.events.length;
    const cases: [Record<string, unknown>, string, string][] = [
      [{ end: parisLocal(7, 9) }, 'end', 'La fin doit être après le début.'],
      [{ timeZone: 'Mars/Olympus' }, 'timeZone', 'Ce fuseau horaire est inconnu (exemple : Europe/Paris).'],
      [{ capacity: 0 }, 'capacity', 'La jauge doit être un nombre entier entre 1 et 100 000, ou rester vide.'],
      [{ capacity: -3 }, 'capacity', 'La jauge doit être un nombre entier entre 1 et 100 000, ou rester vide.'],
      [{ lat: 123, lon: 2 }, 'lat', 'Coordonnées invalides (latitude entre -90 et 90, longitude entre -180 et 180, les deux ensemble).'],
      [{ lat: 43.3, lon: 5.4 }, 'lat', 'Le point sur la carte doit rester à moins de 40 km de la commune.'],
      [{ postalCode: '99999' }, 'postalCode', 'Ce code postal est inconnu.'],
      [{ title: '<script>alert(1)</script>' }, 'title', 'Les balises HTML ne sont pas acceptées ici (le texte est affiché tel quel).'],
      [{ placeName: '<img src=x onerror=alert(1)>' }, 'placeName', 'Les balises HTML ne sont pas acceptées ici (le texte est affiché tel quel).'],
      [{ description: 'ok <script>x</script>' }, 'description', 'Les balises HTML ne sont pas acceptées ici (le texte est affiché tel quel).'],
      [{ kind: 'picnic' }, 'kind', "Choisissez un type d'action de la liste."],
      [{ start: '2026-02-30T10:00' }, 'start', 'Indiquez une date et une heure de début valides.'],
      [{ postalCode: '', street: '', placeName: '' }, 'postalCode', 'Indiquez un lieu (code postal) ou un lien de réunion en ligne.'],
      [{ onlineUrl: 'javascript:alert(1)' }, 'onlineUrl', 'Le lien de réunion doit être une adresse web complète (https://…).'],
      [{ joinMode: 'external' }, 'externalUrl', "Avec l'inscription sur un autre site, indiquez son lien."],
      [{ visibility: 'group' }, 'visibility', "Une action réservée aux membres d'un groupe doit être organisée par ce groupe."],
      [{ end: parisLocal(60, 10) }, 'end', 'Une action dure au plus 31 jours.'],
      [{ organizers: 'nobody_here' }, 'organizers', 'Membre inconnu : nobody_here.'],
    ];
    for (const [overrides, field, message] of cases) {
      const res = await org.client.post('/api/events', eventInput(overrides));
      expect(res.status, JSON.stringify(overrides)).toBe(400);
      expect(res.body.fields?.[field], JSON.stringify(overrides)).toBe(message);
    }
    expect((await org.client.post('/api/events', { title: 42 })).status).toBe(400);
    expect((await org.client.post('/api/events', 'not json', { 'content-type': 'application/json' })).status).toBe(400);
    expect((await n.client().post('/api/events', eventInput())).status).toBe(401);
    expect((await org.client.get('/api/events/mine')).body.events.length).toBe(before);
  });

  it('keeps a hidden address for confirmed participants: others see the commune, and geo search only its centre', async () => {
    const e = await create({ hideAddress: true, placeName: 'Chez Léon', street: '12 rue Secrète', lat: 48.8601, lon: 2.3794, title: 'Réunion discrète' });
    const outsider = (await ben.client.get(`/api/events/${e.id}`)).body;
    expect(outsider).toMatchObject({ addressHidden: true, street: null, placeName: null, exactLat: null, communeName: 'Paris 11e Arrondissement' });
    expect(JSON.stringify(outsider)).not.toMatch(/Secrète|Chez Léon|48\.8601/);
    // The public position is the commune's centre, not the pin.
    expect(outsider.lat).not.toBe(48.8601);
    const anon = (await n.client().get(`/api/events/${e.id}`)).body;
    expect(JSON.stringify(anon)).not.toMatch(/Secrète|Chez Léon|48\.8601/);
    const ics = await ben.client.get(`/api/events/${e.id}/calendar.ics`);
    expect(ics.headers.get('content-type')).toMatch(/text\/calendar/);
    expect(ics.body).not.toMatch(/Secr|Chez L|GEO:/);
    // A radius of 1 km around the pin does not find it unless the commune's centre is that close.
    const near = (await ben.client.get('/api/events?km=1&near=postal&postalCode=75011')).body.events.map((x: { id: string }) => x.id);
    const found = (await ben.client.get('/api/events?km=5&near=postal&postalCode=75011')).body.events.map((x: { id: string }) => x.id);
    expect(found).toContain(e.id);
    void near;
    // Going: the address appears.
    expect((await ana.client.put(`/api/events/${e.id}/rsvp`, { status: 'going' })).body.status).toBe('going');
    const insider = (await ana.client.get(`/api/events/${e.id}`)).body;
    expect(insider).toMatchObject({ addressHidden: false, street: '12 rue Secrète', placeName: 'Chez Léon', exactLat: 48.8601 });
    expect((await ana.client.get(`/api/events/${e.id}/calendar.ics`)).body).toMatch(/12 rue Secrète/);
    // Interested only: still hidden.
    await ben.client.put(`/api/events/${e.id}/rsvp`, { status: 'interested' });
    expect((await ben.client.get(`/api/events/${e.id}`)).body.street).toBeNull();
  });

  it('never exceeds the capacity when many take the last seats at once; the waiting list moves in order', async () => {
    const e = await create({ capacity: 3, guestsMax: 2, title: 'Porte-à-porte' , kind: 'door_to_door' });
    const members: Member[] = [];
    for (let i = 0; i < 8; i++) members.push(await n.signup(`p${i}-${e.id}@example.org`, `P${i}`, '75011'));
    const answers = await Promise.all(members.map((m) => m.client.put(`/api/events/${e.id}/rsvp`, { status: 'going' })));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const going = answers.filter((a) => a.body.status === 'going');
    const waiting = answers.filter((a) => a.body.status === 'waitlist');
    expect(going.length).toBe(3);
    expect(waiting.length).toBe(5);
    const view = (await org.client.get(`/api/events/${e.id}`)).body;
    expect(view).toMatchObject({ seatsTaken: 3, seatsLeft: 0, goingCount: 3, waitlistCount: 5 });
    const list = (await org.client.get(`/api/events/${e.id}/participants`)).body;
    expect(list.going).toHaveLength(3);
    expect(list.waitlist).toHaveLength(5);
    // Someone going cancels: the first in line gets the seat and is told.
    const firstInLine = list.waitlist[0].id as string;
    const leaver = members.find((m) => m.user.id === list.going[0].id)!;
    await leaver.client.delete(`/api/events/${e.id}/rsvp`);
    const after = (await org.client.get(`/api/events/${e.id}/participants`)).body;
    expect(after.going.map((p: { id: string }) => p.id)).toContain(firstInLine);
    expect(after.waitlist).toHaveLength(4);
    const promoted = members.find((m) => m.user.id === firstInLine)!;
    expect((await promoted.client.get('/api/notifications')).body.items[0]).toMatchObject({ type: 'event_promoted' });
    // Guests need free seats: a going member cannot add two guests to a full event.
    const full = await promoted.client.put(`/api/events/${e.id}/rsvp`, { status: 'going', guests: 2 });
    expect(full.status).toBe(409);
    expect(full.body.message).toBe("Il n'y a plus assez de places pour autant d'accompagnant·es.");
    expect((await promoted.client.put(`/api/events/${e.id}/rsvp`, { status: 'going', guests: 3 })).status).toBe(400);
    // The capacity cannot drop below the seats taken; raising it serves the waiting list.
    const lower = await org.client.patch(`/api/events/${e.id}`, { capacity: 2 });
    expect(lower.body.fields.capacity).toBe('La jauge ne peut pas descendre sous les 3 places déjà prises.');
    await org.client.patch(`/api/events/${e.id}`, { capacity: 5 });
    expect((await org.client.get(`/api/events/${e.id}`)).body).toMatchObject({ seatsTaken: 5, waitlistCount: 2 });
  });

  it('asks organizers to approve participants when the event says so', async () => {
    const e = await create({ joinMode: 'approval', capacity: 1 });
    expect((await ana.client.put(`/api/events/${e.id}/rsvp`, { status: 'going' })).body.status).toBe('pending');
    expect((await ben.client.put(`/api/events/${e.id}/rsvp`, { status: 'going' })).body.status).toBe('pending');
    expect((await org.client.get('/api/notifications')).body.items[0]).toMatchObject({ type: 'event_join_request', link: `/events/${e.id}/manage` });
    expect((await ana.client.post(`/api/events/${e.id}/requests/${ben.user.id}/approve`)).status).toBe(403);
    expect((await org.client.post(`/api/events/${e.id}/requests/${ana.user.id}/approve`)).body.status).toBe('going');
    // The event is full: the next approved participant waits.
    expect((await org.client.post(`/api/events/${e.id}/requests/${ben.user.id}/approve`)).body.status).toBe('waitlist');
    expect((await org.client.post(`/api/events/${e.id}/requests/${ben.user.id}/decline`)).status).toBe(409);
    expect((await ana.client.get('/api/notifications')).body.items[0]).toMatchObject({ type: 'event_rsvp_approved' });
  });

  it('lets only invited members answer an invitation-only event', async () => {
    const e = await create({ joinMode: 'invite' });
    const refused = await ana.client.put(`/api/events/${e.id}/rsvp`, { status: 'going' });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe('Cette action est sur invitation.');
    expect((await org.client.post(`/api/events/${e.id}/invitations`, { usernames: ana.user.username })).body).toEqual({ invited: 1 });
    expect((await ana.client.get('/api/notifications')).body.items[0]).toMatchObject({ type: 'event_invitation' });
    expect((await ana.client.put(`/api/events/${e.id}/rsvp`, { status: 'going' })).body.status).toBe('going');
    expect((await ben.client.post(`/api/events/${e.id}/invitations`, { usernames: cleo.user.username })).status).toBe(403);
  });

  it('refuses answers to cancelled and past events; tells participants of a cancellation', async () => {
    const e = await create();
    await ana.client.put(`/api/events/${e.id}/rsvp`, { status: 'going' });
    expect((await ana.client.put(`/api/events/${e.id}/status`, { status: 'cancelled' })).status).toBe(403);
    expect((await org.client.put(`/api/events/${e.id}/status`, { status: 'bogus' })).status).toBe(400);
    expect((await org.client.put(`/api/events/${e.id}/status`, { status: 'cancelled' })).status).toBe(204);
    await waitFor(async () => (await ana.client.get('/api/notifications')).body.items[0]?.type === 'event_cancelled');
    const late = await ben.client.put(`/api/events/${e.id}/rsvp`, { status: 'going' });
    expect(late.status).toBe(409);
    expect(late.body.message).toBe('Cette action est annulée.');
    const past = await create({ start: parisLocal(-3, 10), end: parisLocal(-3, 12) });
    const tooLate = await ben.client.put(`/api/events/${past.id}/rsvp`, { status: 'going' });
    expect(tooLate.status).toBe(409);
    expect(tooLate.body.message).toBe('Cette action est terminée.');
    expect((await ben.client.put(`/api/events/${e.id}/rsvp`, { status: 'maybe' })).status).toBe(400);
    expect((await ben.client.put(`/api/events/zzzzzzzzzzzzzzzz/rsvp`, { status: 'going' })).status).toBe(404);
  });

  it('tells participants when the time changes, duplicates a week later, and deletes only once nobody is left to tell', async () => {
    const e = await create({ title: 'Collage hebdo', kind: 'poster_run' });
    await ben.client.put(`/api/events/${e.id}/rsvp`, { status: 'going' });
    await org.client.patch(`/api/events/${e.id}`, { start: parisLocal(8, 20), end: parisLocal(8, 22) });
    await waitFor(async () => (await ben.client.get('/api/notifications')).body.items[0]?.type === 'event_updated');
    const copy = await org.client.post(`/api/events/${e.id}/duplicate`, {});
    expect(copy.status).toBe(201);
    expect(copy.body.title).toBe('Collage hebdo');
    expect(new Date(copy.body.startsAt).getTime() - new Date((await org.client.get(`/api/events/${e.id}`)).body.startsAt).getTime()).toBe(7 * 86_400_000);
    expect(copy.body.goingCount).toBe(0);
    expect((await ben.client.post(`/api/events/${e.id}/duplicate`, {})).status).toBe(403);
    const refused = await org.client.delete(`/api/events/${e.id}`);
    expect(refused.status).toBe(409);
    await org.client.put(`/api/events/${e.id}/status`, { status: 'cancelled' });
    expect((await org.client.delete(`/api/events/${e.id}`)).status).toBe(204);
    expect((await org.client.get(`/api/events/${e.id}`)).status).toBe(404);
  });
});

/** The UTC offset of Paris at a local time, as "+01:00" (for comparing instants). */
function offsetOf(local: string): string {
  const guess = new Date(`${local}:00Z`);
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', timeZoneName: 'longOffset' }).formatToParts(guess);
  const name = parts.find((p) => p.type === 'timeZoneName')!.value; // "GMT+01:00"
  return name === 'GMT' ? '+00:00' : name.slice(3);
}

async function waitFor(check: () => Promise<boolean>, ms = 5000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}
