// Calendars through a real node on each database: the .ics file of an event (valid iCalendar,
// what the reader may see and nothing more), a group's public feed, each member's secret feed,
// and the reminders the day before and an hour before (in the app and by mail, with the file).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../tests/helpers/db.ts';
import { startTestNode, type TestNode } from '../../tests/helpers/node.ts';
import type { Client } from '../../tests/helpers/client.ts';
import { eventInput } from '../../tests/helpers/events.ts';
import { instantToLocal } from './time.ts';

type Member = { client: Client; user: { id: string; username: string } };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const local = (ms: number) => instantToLocal(new Date(Date.now() + ms), 'Europe/Paris');
const at = (from: number, to: number) => ({ start: local(from), end: local(to) });
/** An instant as iCalendar writes it in UTC: 20261205T130000Z. */
const icsTime = (iso: string) => new Date(iso).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
const ADDRESS_HIDDEN = "L'adresse exacte est communiquée aux participant·es confirmé·es.";
/** As escaped in a calendar (the comma). */
const ADDRESS_ON_PAGE = "Par prudence\\, l'adresse exacte n'est pas recopiée ici : elle est sur la page de l'action.";

/** The content lines of a calendar, unfolded (RFC 5545 §3.1). */
const unfold = (ics: string) => ics.replace(/\r\n[ \t]/g, '').split('\r\n');
/** The value of the first property of that name, unfolded. */
const prop = (ics: string, name: string) => unfold(ics).find((l) => l.startsWith(`${name}:`))?.slice(name.length + 1);
/** The UIDs of the events of a calendar. */
const uids = (ics: string) => unfold(ics).filter((l) => l.startsWith('UID:')).map((l) => l.slice(4).split('@')[0]);

describe.each(dialects)('calendars on %s', (dialect) => {
  let n: TestNode;
  let org: Member, ana: Member, ben: Member, cleo: Member, dan: Member, eve: Member;
  beforeAll(async () => {
    n = await startTestNode(dialect, { rateLimits: false });
    [org, ana, ben, cleo, dan, eve] = await Promise.all([
      n.signup('org@example.org', 'Olga Organise', '75011'),
      n.signup('ana@example.org', 'Ana', '75020'),
      n.signup('ben@example.org', 'Ben', '93100'),
      n.signup('cleo@example.org', 'Cléo', '13001'),
      n.signup('dan@example.org', 'Dan', '75011'),
      n.signup('eve@example.org', 'Ève', '75011'),
    ]);
  });
  afterAll(() => n?.close());

  const create = async (overrides: Record<string, unknown> = {}, who: Member = org) => {
    const res = await who.client.post('/api/events', eventInput(overrides));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; startsAt: string; endsAt: string; [k: string]: any };
  };
  const answer = async (who: Member, id: string, body: Record<string, unknown>) => {
    const res = await who.client.put(`/api/events/${id}/rsvp`, body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.status as string;
  };
  const ics = async (who: Client, id: string) => {
    const res = await who.get(`/api/events/${id}/calendar.ics`);
    expect(res.status, String(res.body)).toBe(200);
    return res.body as string;
  };

  it('serves an event as a valid iCalendar file: UTC times, escaped text, folded lines', async () => {
    const description = 'Ordre du jour : accueil des nouvelles et nouveaux, préparation du marché, répartition des quartiers.\nÀ apporter ; gilets, tracts, café. Un long paragraphe accentué pour plier : « élan », « mûrir », « où ».';
    const e = await create({ title: 'Réunion, débat; suite \\ fin', description, kind: 'meeting', placeName: 'Salle Croizat', street: '12 rue de la Roquette' });
    const res = await n.client().get(`/api/events/${e.id}/calendar.ics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('inline; filename="evenement.ics"');
    const body = res.body as string;
    expect(body.startsWith('BEGIN:VCALENDAR\r\nVERSION:2.0\r\n')).toBe(true);
    expect(body.endsWith('END:VEVENT\r\nEND:VCALENDAR\r\n')).toBe(true);
    // CRLF only, and no physical line over 75 octets (folding never splits a character).
    const physical = body.slice(0, -2).split('\r\n');
    expect(physical.some((l) => l.includes('\n') || l.includes('\r'))).toBe(false);
    for (const line of physical) expect(Buffer.byteLength(line), line).toBeLessThanOrEqual(75);
    expect(physical.filter((l) => l.startsWith(' ')).length).toBeGreaterThan(2);
    const lines = unfold(body);
    expect(lines.filter((l) => l === 'BEGIN:VEVENT')).toHaveLength(1);
    expect(prop(body, 'UID')).toBe(`${e.id}@${n.url.host}`);
    expect(prop(body, 'DTSTART')).toBe(icsTime(e.startsAt));
    expect(prop(body, 'DTEND')).toBe(icsTime(e.endsAt));
    expect(prop(body, 'DTSTART')).toMatch(/^\d{8}T\d{6}Z$/);
    expect(prop(body, 'DTSTAMP')).toMatch(/^\d{8}T\d{6}Z$/);
    expect(prop(body, 'SUMMARY')).toBe('Réunion\\, débat\\; suite \\\\ fin');
    expect(prop(body, 'DESCRIPTION')).toBe(description.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\n/g, '\\n'));
    expect(prop(body, 'URL')).toBe(new URL(`/events/${e.id}`, n.url).href);
    expect(prop(body, 'STATUS')).toBe('CONFIRMED');
    expect(prop(body, 'SEQUENCE')).toBe('0');
    expect(prop(body, 'LOCATION')).toBe('Salle Croizat\\, 12 rue de la Roquette\\, 75011 Paris 11e Arrondissement');
    expect(prop(body, 'GEO')).toMatch(/^48\.\d{5};2\.\d{5}$/);
  });

  it('keeps a hidden address, its pin and its meeting link out of the file of those not confirmed', async () => {
    const e = await create({
      title: 'Réunion au local',
      hideAddress: true,
      placeName: 'Local secret',
      street: '3 impasse Cachée',
      lat: 48.8601,
      lon: 2.3794,
      onlineUrl: 'https://visio.example.org/salle-privee',
      joinMode: 'approval',
    });
    await answer(ana, e.id, { status: 'going' }); // pending: approval needed
    await answer(ben, e.id, { status: 'interested' });
    for (const who of [n.client(), ana.client, ben.client, cleo.client]) {
      const body = await ics(who, e.id);
      expect(body).not.toMatch(/Local secret|Cach|GEO:|visio\.example/);
      expect(prop(body, 'LOCATION')).toBe('Paris 11e Arrondissement');
      expect(prop(body, 'DESCRIPTION')).toContain(ADDRESS_HIDDEN);
    }
    expect((await org.client.post(`/api/events/${e.id}/requests/${ana.user.id}/approve`)).body.status).toBe('going');
    for (const who of [ana.client, org.client]) {
      const body = await ics(who, e.id);
      expect(prop(body, 'LOCATION')).toBe('Local secret\\, 3 impasse Cachée\\, 75011 Paris 11e Arrondissement');
      expect(prop(body, 'GEO')).toBe('48.86010;2.37940');
      expect(prop(body, 'DESCRIPTION')).toContain('https://visio.example.org/salle-privee');
      expect(prop(body, 'DESCRIPTION')).not.toContain(ADDRESS_HIDDEN);
    }
  });

  it('follows the event’s changes: new sequence when it moves, TENTATIVE when postponed, CANCELLED when cancelled', async () => {
    const e = await create({ title: 'Collage du jeudi', kind: 'poster_run' });
    await org.client.patch(`/api/events/${e.id}`, { title: 'Collage du jeudi soir' });
    expect(prop(await ics(ana.client, e.id), 'SEQUENCE')).toBe('0');
    const moved = await org.client.patch(`/api/events/${e.id}`, at(8 * DAY, 8 * DAY + 2 * HOUR));
    expect(moved.status).toBe(200);
    let body = await ics(ana.client, e.id);
    expect(prop(body, 'SEQUENCE')).toBe('1');
    expect(prop(body, 'DTSTART')).toBe(icsTime(moved.body.startsAt));
    expect(prop(body, 'SUMMARY')).toBe('Collage du jeudi soir');
    expect((await org.client.put(`/api/events/${e.id}/status`, { status: 'postponed' })).status).toBe(204);
    body = await ics(ana.client, e.id);
    expect(prop(body, 'STATUS')).toBe('TENTATIVE');
    expect(prop(body, 'SEQUENCE')).toBe('2');
    expect((await org.client.put(`/api/events/${e.id}/status`, { status: 'cancelled' })).status).toBe(204);
    body = await ics(ana.client, e.id);
    expect(prop(body, 'STATUS')).toBe('CANCELLED');
    expect(prop(body, 'SEQUENCE')).toBe('3');
    expect(prop(body, 'UID')).toBe(`${e.id}@${n.url.host}`);
  });

  it('answers 404 for an event the reader may not see', async () => {
    const group = (await org.client.post('/api/groups', { name: 'Comité Secret', kind: 'local', postalCode: '75011', openness: 'open' })).body;
    expect((await dan.client.post(`/api/groups/${group.id}/join`, {})).status).toBe(200);
    const internal = await create({ groupId: group.id, visibility: 'group', title: 'Réunion interne' });
    const friends = await create({ visibility: 'friends', title: 'Entre ami·es' });
    for (const who of [n.client(), ana.client, cleo.client]) {
      for (const e of [internal, friends]) {
        const res = await who.get(`/api/events/${e.id}/calendar.ics`);
        expect(res.status).toBe(404);
        expect(String(res.headers.get('content-type'))).not.toMatch(/calendar/);
        expect(JSON.stringify(res.body)).not.toContain(e.title);
      }
    }
    expect(uids(await ics(dan.client, internal.id))).toEqual([internal.id]);
    expect((await n.client().get('/api/events/zzzzzzzzzzzzzzzz/calendar.ics')).status).toBe(404);
    expect((await n.client().get(`/api/events/${'z'.repeat(80)}/calendar.ics`)).status).toBe(404);
    // Across a block.
    const open = await create({ title: 'Tractage ouvert' });
    expect((await org.client.put(`/api/blocks/${eve.user.id}`)).status).toBe(204);
    expect((await eve.client.get(`/api/events/${open.id}/calendar.ics`)).status).toBe(404);
    expect((await org.client.delete(`/api/blocks/${eve.user.id}`)).status).toBe(204);
    expect((await eve.client.get(`/api/events/${open.id}/calendar.ics`)).status).toBe(200);
  });

  it('publishes a group’s public events, and only those, as a feed', async () => {
    const group = (await org.client.post('/api/groups', { name: 'Comité Calendrier', kind: 'local', postalCode: '75011', openness: 'open' })).body;
    const other = (await org.client.post('/api/groups', { name: 'Autre Comité', kind: 'local', postalCode: '75011', openness: 'open' })).body;
    expect((await ana.client.post(`/api/groups/${group.id}/join`, {})).status).toBe(200);
    const pub = await create({ groupId: group.id, title: 'Tractage du comité' });
    const hidden = await create({ groupId: group.id, title: 'Réunion du comité au local', hideAddress: true, street: '7 rue Discrète' });
    const past = await create({ groupId: group.id, title: 'Tractage de la semaine passée', ...at(-3 * DAY, -3 * DAY + 2 * HOUR) });
    // Not in the feed: the group's other visibilities, another group's, a personal one.
    await create({ groupId: group.id, visibility: 'group', title: 'Bureau du comité' });
    await create({ groupId: group.id, visibility: 'unlisted', title: 'Répétition du comité' });
    await create({ groupId: group.id, visibility: 'friends', title: 'Apéro du comité' });
    await create({ groupId: other.id, title: 'Tractage de l’autre comité' });
    await create({ title: 'Tractage perso' });
    for (const who of [n.client(), ana.client]) {
      const res = await who.get(`/api/groups/${group.handle}/events.ics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
      expect(res.headers.get('content-disposition')).toBe(`inline; filename="${group.handle}.ics"`);
      const body = res.body as string;
      expect(prop(body, 'X-WR-CALNAME')).toMatch(/^Comité Calendrier — /);
      expect(uids(body).sort()).toEqual([pub.id, hidden.id, past.id].sort());
      expect(body).not.toMatch(/Discr|Bureau|Répétition|Apéro/);
      for (const line of body.slice(0, -2).split('\r\n')) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);
    }
    expect(uids((await n.client().get(`/api/groups/${group.handle.toUpperCase()}/events.ics`)).body)).toHaveLength(3);
    expect((await n.client().get('/api/groups/no-such-group/events.ics')).status).toBe(404);
  });

  it('gives each member a secret feed of their events, renewable and revocable', async () => {
    const c = cleo.client;
    expect((await c.get('/api/me/calendar')).body).toEqual({ active: false });
    expect((await n.client().post('/api/me/calendar')).status).toBe(401);
    expect((await n.client().get('/api/me/calendar')).status).toBe(401);
    const issued = await c.post('/api/me/calendar');
    expect(issued.status).toBe(201);
    const url = new URL(issued.body.url);
    expect(url.origin).toBe(n.url.origin);
    const token = /^\/calendar\/([a-z0-9]+)\.ics$/.exec(url.pathname)?.[1];
    expect(token).toBeTruthy();
    expect((await c.get('/api/me/calendar')).body).toEqual({ active: true });

    const organised = await create({ title: 'Tractage organisé par Cléo' }, cleo);
    const going = await create({ title: 'Réunion confidentielle', hideAddress: true, placeName: 'Chez Jo', street: '1 rue Privée', capacity: 1 });
    const interested = await create({ title: 'Débat intéressant', kind: 'debate', hideAddress: true, placeName: 'Bar du coin', street: '2 rue Cachée' });
    const waiting = await create({ title: 'Formation complète', kind: 'training', capacity: 1 });
    const declined = await create({ title: 'Rassemblement décliné', kind: 'rally' });
    const seen = await create({ title: 'Action seulement vue' });
    await answer(cleo, going.id, { status: 'going' });
    await answer(cleo, interested.id, { status: 'interested' });
    await answer(ana, waiting.id, { status: 'going' });
    expect(await answer(cleo, waiting.id, { status: 'going' })).toBe('waitlist');
    await answer(cleo, declined.id, { status: 'going' });
    await answer(cleo, declined.id, { status: 'not_going' });
    await c.get(`/api/events/${seen.id}`);

    const feed = await n.node.services.calendar.personalFeed(token!, 'fr');
    expect(feed.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
    expect(prop(feed, 'X-WR-CALNAME')).toMatch(/^Mes actions — /);
    expect(uids(feed).sort()).toEqual([organised.id, going.id, interested.id, waiting.id].sort());
    // A subscribed feed goes through calendar providers: a hidden address is never copied into it,
    // even for a confirmed participant, who is sent to the event's page instead.
    expect(feed).not.toMatch(/Privée|Chez Jo|Cachée|Bar du coin/);
    const entry = (id: string) => {
      const lines = unfold(feed);
      const at = lines.indexOf(`UID:${id}@${n.url.host}`);
      return lines.slice(at, lines.indexOf('END:VEVENT', at)).join('\n');
    };
    expect(entry(going.id)).toContain(ADDRESS_ON_PAGE);
    expect(entry(going.id)).toContain(new URL(`/events/${going.id}`, n.url).href);
    expect(entry(interested.id)).toContain(ADDRESS_HIDDEN);
    expect(entry(interested.id)).not.toContain(ADDRESS_ON_PAGE);
    // An organizer who blocks her takes the event out of the feed.
    expect((await org.client.put(`/api/blocks/${cleo.user.id}`)).status).toBe(204);
    expect(uids(await n.node.services.calendar.personalFeed(token!, 'fr'))).toEqual([organised.id]);
    expect((await org.client.delete(`/api/blocks/${cleo.user.id}`)).status).toBe(204);

    // Renewing: the old address stops working at once.
    const renewed = await c.post('/api/me/calendar');
    expect(renewed.status).toBe(201);
    const fresh = /\/calendar\/([a-z0-9]+)\.ics$/.exec(renewed.body.url)?.[1];
    expect(fresh).toBeTruthy();
    expect(fresh).not.toBe(token);
    await expect(n.node.services.calendar.personalFeed(token!, 'fr')).rejects.toMatchObject({ kind: 'not_found' });
    expect(uids(await n.node.services.calendar.personalFeed(fresh!, 'fr'))).toHaveLength(4);
    // Revoking: no address works.
    expect((await c.delete('/api/me/calendar')).status).toBe(204);
    expect((await c.get('/api/me/calendar')).body).toEqual({ active: false });
    await expect(n.node.services.calendar.personalFeed(fresh!, 'fr')).rejects.toMatchObject({ kind: 'not_found' });
    for (const bad of ['', 'short', 'NOT-A-TOKEN-AT-ALL', 'x'.repeat(65), 42, null]) {
      await expect(n.node.services.calendar.personalFeed(bad, 'fr')).rejects.toMatchObject({ kind: 'not_found' });
    }
  });

  it('reminds confirmed participants the day before and an hour before, once each, by notification and mail with the file', async () => {
    const now = new Date();
    const tomorrow = await create({ title: 'Porte-à-porte de demain', kind: 'door_to_door', capacity: 2, hideAddress: true, street: '5 rue du Rappel', ...at(23 * HOUR, 25 * HOUR) });
    const soon = await create({ title: 'Tractage tout à l’heure', ...at(50 * MINUTE, 3 * HOUR) });
    const cancelled = await create({ title: 'Réunion annulée', kind: 'meeting', ...at(5 * HOUR, 6 * HOUR) });
    const later = await create({ title: 'Collage dans trois jours', kind: 'poster_run', ...at(3 * DAY, 3 * DAY + HOUR) });
    for (const e of [tomorrow, soon, cancelled, later]) {
      await answer(ana, e.id, { status: 'going' });
      if (e !== later) await answer(ben, e.id, { status: 'going' });
    }
    await answer(cleo, tomorrow.id, { status: 'interested' });
    expect(await answer(dan, tomorrow.id, { status: 'going' })).toBe('waitlist');
    await answer(cleo, soon.id, { status: 'interested' });
    expect((await org.client.put(`/api/events/${cancelled.id}/status`, { status: 'cancelled' })).status).toBe(204);

    const reminders = async (who: Member) => {
      const items = (await who.client.get('/api/notifications')).body.items as { type: string; link: string; text: string }[];
      const counts = new Map<string, number>();
      for (const i of items.filter((x) => x.type === 'event_reminder')) counts.set(i.link, (counts.get(i.link) ?? 0) + 1);
      return Object.fromEntries(counts);
    };
    const link = (e: { id: string }) => `/events/${e.id}`;

    await n.node.services.calendar.sendReminders(now);
    // The day before for tomorrow's; for the one in 50 minutes only the hour-before one.
    for (const who of [ana, ben]) expect(await reminders(who)).toEqual({ [link(tomorrow)]: 1, [link(soon)]: 1 });
    for (const who of [cleo, dan, org]) expect(await reminders(who)).toEqual({});
    // Never twice.
    expect(await n.node.services.calendar.sendReminders(now)).toBe(0);
    expect(await n.node.services.calendar.sendReminders(new Date(now.getTime() + 5 * MINUTE))).toBe(0);
    for (const who of [ana, ben]) expect(await reminders(who)).toEqual({ [link(tomorrow)]: 1, [link(soon)]: 1 });

    // 22 h 30 later, tomorrow's is an hour away: its second reminder.
    const hourBefore = new Date(now.getTime() + 22.5 * HOUR);
    expect(await n.node.services.calendar.sendReminders(hourBefore)).toBe(2);
    expect(await n.node.services.calendar.sendReminders(hourBefore)).toBe(0);
    for (const who of [ana, ben]) expect(await reminders(who)).toEqual({ [link(tomorrow)]: 2, [link(soon)]: 1 });
    for (const who of [cleo, dan]) expect(await reminders(who)).toEqual({});
    const [latest] = (await ana.client.get('/api/notifications')).body.items;
    expect(latest).toMatchObject({ type: 'event_reminder', link: link(tomorrow) });
    expect(latest.text.startsWith(`Rappel : ${tomorrow.title}, `)).toBe(true);

    // By mail, with the event's file: a mail goes through providers, so even for a confirmed
    // participant a hidden address stays on the event's page.
    const mail = await n.smtp.waitFor('ana@example.org', (m) => m.text.includes(`Rappel : ${tomorrow.title}`));
    expect(mail.text).toContain(new URL(link(tomorrow), n.url).href);
    expect(mail.attachments).toHaveLength(1);
    const [file] = mail.attachments;
    expect(file.filename).toBe('evenement.ics');
    expect(file.contentType).toBe('text/calendar');
    expect(file.content.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
    expect(prop(file.content, 'UID')).toBe(`${tomorrow.id}@${n.url.host}`);
    expect(prop(file.content, 'DTSTART')).toBe(icsTime(tomorrow.startsAt));
    expect(prop(file.content, 'LOCATION')).toBe('Paris 11e Arrondissement');
    expect(file.content).not.toContain('5 rue du Rappel');
    expect(prop(file.content, 'DESCRIPTION')).toContain(ADDRESS_ON_PAGE);
    // The file downloaded from the page has it.
    expect(prop(await ics(ana.client, tomorrow.id), 'LOCATION')).toContain('5 rue du Rappel');
    const soonMail = await n.smtp.waitFor('ben@example.org', (m) => m.text.includes(`Rappel : ${soon.title}`));
    expect(uids(soonMail.attachments[0].content)).toEqual([soon.id]);
  });
});
