// Taking part in events, through the API of a real node on each database: check-in and walk-ins
// on the day (organizers only, within the window), the participant list and its CSV (contacts
// only with consent), friends going, guests, changing one's answer, and who sees what: group
// events, friends-only and unlisted events, and blocks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../tests/helpers/db.ts';
import { startTestNode, type TestNode } from '../../tests/helpers/node.ts';
import type { Client } from '../../tests/helpers/client.ts';
import { eventInput, parisLocal } from '../../tests/helpers/events.ts';
import { instantToLocal } from './time.ts';

type Member = { client: Client; user: { id: string; username: string } };

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Wall-clock time in Paris `ms` from now (to the minute). */
const local = (ms: number) => instantToLocal(new Date(Date.now() + ms), 'Europe/Paris');
/** Start and end of an event around now: `from` and `to` in ms from now. */
const at = (from: number, to: number) => ({ start: local(from), end: local(to) });

const CHECKIN_CLOSED = "Le pointage est ouvert de la veille jusqu'à une semaine après l'action.";
const ORGANIZERS_ONLY = "Seul·es les organisateur·ices de l'action peuvent faire cela.";

describe.each(dialects)('taking part in events on %s', (dialect) => {
  let n: TestNode;
  let org: Member, ana: Member, ben: Member, cleo: Member, dan: Member, eve: Member, fay: Member;
  beforeAll(async () => {
    n = await startTestNode(dialect, { rateLimits: false });
    [org, ana, ben, cleo, dan, eve, fay] = await Promise.all([
      n.signup('org@example.org', 'Olga Organise', '75011'),
      n.signup('ana@example.org', 'Ana', '75020'),
      n.signup('ben@example.org', 'Ben', '93100'),
      n.signup('cleo@example.org', 'Cléo', '13001'),
      // A display name a spreadsheet would run as a formula.
      n.signup('dan@example.org', '=SOMME(A1:A9)', '75011'),
      n.signup('eve@example.org', 'Ève', '75011'),
      n.signup('fay@example.org', 'Fay', '75011'),
    ]);
    // Friends: ana–ben, ana–cleo, org–eve.
    for (const [a, b] of [
      [ana, ben],
      [ana, cleo],
      [org, eve],
    ] as const) {
      expect((await a.client.post('/api/friends/requests', { userId: b.user.id })).status).toBe(200);
      expect((await b.client.post(`/api/friends/requests/${a.user.id}/accept`)).status).toBe(200);
    }
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
    return res.body as { status: string; guests: number; [k: string]: any };
  };
  const view = async (who: Member | Client, id: string) => ('client' in who ? who.client : who).get(`/api/events/${id}`);
  const participants = async (id: string, who: Member = org) => {
    const res = await who.client.get(`/api/events/${id}/participants`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as { going: any[]; waitlist: any[]; pending: any[]; seatsTaken: number; capacity: number | null; present: number; walkIns: number };
  };
  const ids = (list: { id: string }[]) => list.map((x) => x.id);

  it('checks in confirmed participants: organizers only, and only within the window', async () => {
    const e = await create({ ...at(-HOUR, 2 * HOUR), title: 'Tractage en cours' });
    await answer(ana, e.id, { status: 'going' });
    await answer(ben, e.id, { status: 'interested' });
    expect((await view(org, e.id)).body.rights.canCheckIn).toBe(true);
    expect((await view(ana, e.id)).body.rights.canCheckIn).toBe(false);

    expect((await org.client.put(`/api/events/${e.id}/attendance/${ana.user.id}`, { attendance: 'present' })).status).toBe(204);
    let list = await participants(e.id);
    expect(list.going.find((p) => p.id === ana.user.id)).toMatchObject({ attendance: 'present', walkIn: false });
    expect(list.present).toBe(1);
    expect((await view(ana, e.id)).body.myRsvp.attendance).toBe('present');

    // Not an organizer: refused, nothing changes.
    const refused = await ana.client.put(`/api/events/${e.id}/attendance/${ana.user.id}`, { attendance: 'absent' });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe(ORGANIZERS_ONLY);
    expect((await n.client().put(`/api/events/${e.id}/attendance/${ana.user.id}`, { attendance: 'absent' })).status).toBe(401);
    // Only confirmed participants are checked in.
    const notGoing = await org.client.put(`/api/events/${e.id}/attendance/${ben.user.id}`, { attendance: 'present' });
    expect(notGoing.status).toBe(404);
    expect(notGoing.body.message).toBe("Cette personne n'est pas inscrite comme participante confirmée.");
    expect((await org.client.put(`/api/events/${e.id}/attendance/${cleo.user.id}`, { attendance: 'present' })).status).toBe(404);
    expect((await org.client.put(`/api/events/${e.id}/attendance/${ana.user.id}`, { attendance: 'maybe' })).status).toBe(400);
    list = await participants(e.id);
    expect(list.going.find((p) => p.id === ana.user.id).attendance).toBe('present');

    expect((await org.client.put(`/api/events/${e.id}/attendance/${ana.user.id}`, { attendance: 'absent' })).status).toBe(204);
    expect((await participants(e.id)).present).toBe(0);
    expect((await org.client.put(`/api/events/${e.id}/attendance/${ana.user.id}`, { attendance: 'none' })).status).toBe(204);
    expect((await participants(e.id)).going.find((p) => p.id === ana.user.id).attendance).toBeNull();

    // The window: from a day before the start to a week after the end.
    const cases: [label: string, times: { start: string; end: string }, open: boolean][] = [
      ['in three days', at(3 * DAY, 3 * DAY + 2 * HOUR), false],
      ['in 20 hours', at(20 * HOUR, 22 * HOUR), true],
      ['ended six days ago', at(-6 * DAY - 2 * HOUR, -6 * DAY), true],
      ['ended eight days ago', at(-8 * DAY - 2 * HOUR, -8 * DAY), false],
    ];
    for (const [label, times, open] of cases) {
      const x = await create({ ...times, title: `Pointage ${label}` });
      expect((await view(org, x.id)).body.rights.canCheckIn, label).toBe(open);
      const walkIn = await org.client.post(`/api/events/${x.id}/walk-ins`, { count: 2 });
      const attendance = await org.client.put(`/api/events/${x.id}/attendance/${ana.user.id}`, { attendance: 'present' });
      if (open) {
        expect(walkIn.status, label).toBe(204);
        expect((await view(org, x.id)).body.walkIns, label).toBe(2);
        // Open, but ana is not a participant of this one.
        expect(attendance.status, label).toBe(404);
      } else {
        for (const res of [walkIn, attendance]) {
          expect(res.status, label).toBe(409);
          expect(res.body.message, label).toBe(CHECKIN_CLOSED);
        }
        expect((await view(org, x.id)).body.walkIns, label).toBe(0);
      }
    }
  });

  it('adds walk-ins: members by username (going and present, no seat taken) and a count of others, never below zero', async () => {
    const e = await create({ ...at(-HOUR, 2 * HOUR), capacity: 1, title: 'Porte-à-porte du jour', kind: 'door_to_door' });
    await answer(ana, e.id, { status: 'going' });
    // Full, yet someone who came is present: capacity does not apply to walk-ins.
    expect((await org.client.post(`/api/events/${e.id}/walk-ins`, { username: `@${ben.user.username.toUpperCase()}` })).status).toBe(204);
    // Someone already going is just marked present.
    expect((await org.client.post(`/api/events/${e.id}/walk-ins`, { username: ana.user.username })).status).toBe(204);
    // Someone interested who comes becomes going and present.
    await answer(cleo, e.id, { status: 'interested' });
    expect((await org.client.post(`/api/events/${e.id}/walk-ins`, { username: cleo.user.username })).status).toBe(204);
    const list = await participants(e.id);
    expect(list.going.find((p) => p.id === ben.user.id)).toMatchObject({ status: 'going', attendance: 'present', walkIn: true });
    expect(list.going.find((p) => p.id === ana.user.id)).toMatchObject({ attendance: 'present', walkIn: false });
    expect(list.going.find((p) => p.id === cleo.user.id)).toMatchObject({ attendance: 'present', walkIn: true });
    expect(list).toMatchObject({ seatsTaken: 1, capacity: 1, present: 3, walkIns: 0 });
    expect((await view(org, e.id)).body).toMatchObject({ goingCount: 3, seatsTaken: 1, seatsLeft: 0, interestedCount: 0 });
    expect((await view(ben, e.id)).body.myRsvp).toMatchObject({ status: 'going', attendance: 'present' });

    const unknown = await org.client.post(`/api/events/${e.id}/walk-ins`, { username: 'nobody_here' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.fields.username).toBe('Membre inconnu : nobody_here.');
    expect((await org.client.post(`/api/events/${e.id}/walk-ins`, {})).body.fields.username).toBe('Ce champ est obligatoire.');
    expect((await org.client.post(`/api/events/${e.id}/walk-ins`, { count: 0 })).status).toBe(400);
    expect((await org.client.post(`/api/events/${e.id}/walk-ins`, { count: 'plenty' })).status).toBe(400);
    expect((await org.client.post(`/api/events/${e.id}/walk-ins`, { count: 1001 })).status).toBe(400);

    // People without an account: +N / −N, never below zero.
    expect((await org.client.post(`/api/events/${e.id}/walk-ins`, { count: 3 })).status).toBe(204);
    expect((await org.client.post(`/api/events/${e.id}/walk-ins`, { count: -2 })).status).toBe(204);
    expect((await view(org, e.id)).body.walkIns).toBe(1);
    const negative = await org.client.post(`/api/events/${e.id}/walk-ins`, { count: -2 });
    expect(negative.status).toBe(400);
    expect(negative.body.fields.count).toBe('Nombre invalide (le total ne peut pas devenir négatif).');
    expect((await view(org, e.id)).body.walkIns).toBe(1);
    // Only organizers count them, and only they see the count.
    const refused = await ana.client.post(`/api/events/${e.id}/walk-ins`, { count: 5 });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe(ORGANIZERS_ONLY);
    expect((await view(ana, e.id)).body.walkIns).toBe(0);
    expect((await participants(e.id)).walkIns).toBe(1);
  });

  it('lists participants for organizers only, with contacts only for those who share them; the CSV cannot carry formulas', async () => {
    expect((await dan.client.patch('/api/me', { phone: '+33 6 12 34 56 78' })).status).toBe(200);
    expect((await ana.client.patch('/api/me', { phone: '06 99 99 99 99' })).status).toBe(200);
    const e = await create({ capacity: 3, guestsMax: 1, joinMode: 'free', title: 'Réunion publique' });
    await answer(ana, e.id, { status: 'going', guests: 1 });
    await answer(dan, e.id, { status: 'going', shareContact: true });
    await answer(ben, e.id, { status: 'going', shareContact: true }); // no seat left: waiting list
    await answer(cleo, e.id, { status: 'interested', shareContact: true });
    const list = await participants(e.id);
    expect(ids(list.going).sort()).toEqual([ana.user.id, dan.user.id].sort());
    expect(ids(list.waitlist)).toEqual([ben.user.id]);
    expect(list.pending).toEqual([]);
    // Interested members are not participants.
    expect(JSON.stringify(list)).not.toContain(cleo.user.id);
    const anaRow = list.going.find((p) => p.id === ana.user.id);
    expect(anaRow).toMatchObject({ guests: 1, status: 'going' });
    expect(anaRow).not.toHaveProperty('email');
    expect(anaRow).not.toHaveProperty('phone');
    expect(JSON.stringify(list)).not.toMatch(/ana@example\.org|06 99 99/);
    expect(list.going.find((p) => p.id === dan.user.id)).toMatchObject({ email: 'dan@example.org', phone: '+33 6 12 34 56 78' });
    expect(list.waitlist[0]).toMatchObject({ email: 'ben@example.org', phone: null });
    expect(list).toMatchObject({ seatsTaken: 3, capacity: 3 });

    for (const who of [ana, ben, cleo]) {
      const res = await who.client.get(`/api/events/${e.id}/participants`);
      expect(res.status).toBe(403);
      expect(res.body.message).toBe(ORGANIZERS_ONLY);
      expect((await who.client.get(`/api/events/${e.id}/participants.csv`)).status).toBe(403);
    }
    expect((await n.client().get(`/api/events/${e.id}/participants`)).status).toBe(401);
    expect((await n.client().get(`/api/events/${e.id}/participants.csv`)).status).toBe(401);

    // Raw bytes: the byte-order mark must be there for spreadsheets (res.text() would drop it).
    const csv = await fetch(new URL(`/api/events/${e.id}/participants.csv`, n.url), { headers: { cookie: org.client.cookieHeader } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="participants-${e.id}.csv"`);
    const bytes = Buffer.from(await csv.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString('utf8');
    const lines = text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('display_name,username,status,guests,attendance,walk_in,email,phone');
    expect(lines).toHaveLength(4);
    // The formula is neutralised by a leading apostrophe.
    const danLine = lines.find((l) => l.includes(dan.user.username))!;
    expect(danLine).toBe(`"'=SOMME(A1:A9)","${dan.user.username}","going","0","","","dan@example.org","'+33 6 12 34 56 78"`);
    expect(lines.find((l) => l.includes(ana.user.username))).toBe(`"Ana","${ana.user.username}","going","1","","","",""`);
    expect(lines.find((l) => l.includes(ben.user.username))).toBe(`"Ben","${ben.user.username}","waitlist","0","","","ben@example.org",""`);
    expect(text).not.toMatch(/ana@example\.org|cleo@example\.org/);
  });

  it('shows only friends who agreed to be shown among those going', async () => {
    const e = await create({ title: 'Fête de quartier', kind: 'festive' });
    await answer(ben, e.id, { status: 'going', showToFriends: true }); // ana's friend, shown
    await answer(cleo, e.id, { status: 'going' }); // ana's friend, not shown
    await answer(dan, e.id, { status: 'going', showToFriends: true }); // not ana's friend
    await answer(eve, e.id, { status: 'interested', showToFriends: true }); // org's friend, not going
    expect(ids((await view(ana, e.id)).body.friendsGoing)).toEqual([ben.user.id]);
    expect(ids((await view(ben, e.id)).body.friendsGoing)).toEqual([]);
    expect(ids((await view(org, e.id)).body.friendsGoing)).toEqual([]);
    expect((await view(n.client(), e.id)).body.friendsGoing).toEqual([]);
    // Withdrawing the consent hides the name at once.
    await answer(ben, e.id, { status: 'going', showToFriends: false });
    expect((await view(ana, e.id)).body.friendsGoing).toEqual([]);
    await answer(cleo, e.id, { status: 'going', showToFriends: true });
    expect(ids((await view(ana, e.id)).body.friendsGoing)).toEqual([cleo.user.id]);
  });

  it('applies the guests rules: the event’s limit, seats for each guest, none when only interested', async () => {
    const none = await create({ title: 'Sans accompagnant' });
    const refused = await ana.client.put(`/api/events/${none.id}/rsvp`, { status: 'going', guests: 1 });
    expect(refused.status).toBe(400);
    expect(refused.body.fields.guests).toBe("Cette action n'accepte pas d'accompagnant·es.");
    expect((await view(ana, none.id)).body.myRsvp).toBeNull();

    const e = await create({ title: 'Avec accompagnant·es', guestsMax: 2, capacity: 4 });
    const over = await ana.client.put(`/api/events/${e.id}/rsvp`, { status: 'going', guests: 3 });
    expect(over.status).toBe(400);
    expect(over.body.fields.guests).toBe('Au plus 2 accompagnant·e(s) par personne.');
    for (const guests of [21, -1, 'deux', 1.5]) {
      const bad = await ana.client.put(`/api/events/${e.id}/rsvp`, { status: 'going', guests });
      expect(bad.status, String(guests)).toBe(400);
      expect(bad.body.fields.guests, String(guests)).toBe("Le nombre d'accompagnant·es doit être entre 0 et 20.");
    }
    expect(await answer(ana, e.id, { status: 'going', guests: 2 })).toMatchObject({ status: 'going', guests: 2 });
    expect((await view(org, e.id)).body).toMatchObject({ seatsTaken: 3, goingCount: 1, seatsLeft: 1 });
    // One seat left: a party of two waits, a single person fits.
    expect((await answer(ben, e.id, { status: 'going', guests: 1 })).status).toBe('waitlist');
    expect((await answer(cleo, e.id, { status: 'going' })).status).toBe('going');
    expect((await view(org, e.id)).body).toMatchObject({ seatsTaken: 4, goingCount: 2, waitlistCount: 1 });
    // Interested: no guests kept.
    expect(await answer(dan, e.id, { status: 'interested', guests: 2 })).toMatchObject({ status: 'interested', guests: 0 });
    expect((await view(org, e.id)).body).toMatchObject({ seatsTaken: 4, interestedCount: 1 });
  });

  it('frees the seat when someone going changes their answer, and serves the waiting list', async () => {
    const e = await create({ title: 'Collage complet', kind: 'poster_run', capacity: 2, guestsMax: 1 });
    await answer(ana, e.id, { status: 'going', guests: 1 });
    expect((await answer(ben, e.id, { status: 'going' })).status).toBe('waitlist');
    expect((await answer(cleo, e.id, { status: 'going' })).status).toBe('waitlist');
    expect((await view(ben, e.id)).body.myRsvp.position).toBe(1);
    expect((await view(cleo, e.id)).body.myRsvp.position).toBe(2);

    // Going → interested: both seats are freed, the two waiting take them, in order.
    expect(await answer(ana, e.id, { status: 'interested' })).toMatchObject({ status: 'interested', guests: 0 });
    const list = await participants(e.id);
    expect(ids(list.going).sort()).toEqual([ben.user.id, cleo.user.id].sort());
    expect(list.waitlist).toEqual([]);
    expect((await view(org, e.id)).body).toMatchObject({ seatsTaken: 2, goingCount: 2, interestedCount: 1, waitlistCount: 0 });
    for (const who of [ben, cleo]) expect((await who.client.get('/api/notifications')).body.items[0]).toMatchObject({ type: 'event_promoted' });

    // Back to going: the event is full, so ana now waits.
    expect((await answer(ana, e.id, { status: 'going' })).status).toBe('waitlist');
    // Fewer guests also frees seats: ben brings a guest, then comes alone.
    await answer(cleo, e.id, { status: 'not_going' });
    expect((await view(ana, e.id)).body.myRsvp.status).toBe('going');
    expect((await answer(dan, e.id, { status: 'going' })).status).toBe('waitlist');
    expect((await ben.client.put(`/api/events/${e.id}/rsvp`, { status: 'going', guests: 1 })).status).toBe(409);
    // Not going (DELETE): the seat goes to the next in line.
    expect((await ben.client.delete(`/api/events/${e.id}/rsvp`)).status).toBe(200);
    expect((await view(dan, e.id)).body.myRsvp.status).toBe('going');
    expect((await view(ben, e.id)).body.myRsvp.status).toBe('not_going');
    expect((await view(org, e.id)).body).toMatchObject({ seatsTaken: 2, goingCount: 2, waitlistCount: 0 });
  });

  it('gives a smaller party’s seats back to the waiting list', async () => {
    const e = await create({ title: 'Petite salle', kind: 'meeting', capacity: 3, guestsMax: 2 });
    await answer(ana, e.id, { status: 'going', guests: 2 });
    expect((await answer(ben, e.id, { status: 'going' })).status).toBe('waitlist');
    // ana comes alone after all: two seats are free, ben gets one.
    expect(await answer(ana, e.id, { status: 'going', guests: 0 })).toMatchObject({ status: 'going', guests: 0 });
    expect((await view(ben, e.id)).body.myRsvp.status).toBe('going');
    expect((await view(org, e.id)).body).toMatchObject({ seatsTaken: 2, waitlistCount: 0 });
  });

  describe('group events', () => {
    let group: { id: string; handle: string };
    let gOrg: Member, gMember: Member;
    beforeAll(async () => {
      // org creates the group (its admin); cleo organizes it; ben is a plain member.
      gOrg = cleo;
      gMember = ben;
      const res = await org.client.post('/api/groups', { name: 'Comité Participation', kind: 'local', postalCode: '75011', openness: 'open' });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      group = res.body;
      for (const who of [gOrg, gMember]) expect((await who.client.post(`/api/groups/${group.id}/join`, {})).status).toBe(200);
      expect((await org.client.put(`/api/groups/${group.id}/members/${gOrg.user.id}/role`, { role: 'organizer' })).status).toBe(204);
    });

    it('lets group organizers post in the group’s name and organize its events; a plain member cannot', async () => {
      const refused = await gMember.client.post('/api/events', eventInput({ groupId: group.id, title: 'Au nom du groupe' }));
      expect(refused.status).toBe(400);
      expect(refused.body.fields.groupId).toBe("Seul·es les organisateur·ices d'un groupe publient une action en son nom.");
      const outsider = await ana.client.post('/api/events', eventInput({ groupId: group.id }));
      expect(outsider.body.fields.groupId).toBe("Seul·es les organisateur·ices d'un groupe publient une action en son nom.");
      // Nor by editing one's own event into the group.
      const own = await create({ title: 'Mon action à moi' }, gMember);
      const moved = await gMember.client.patch(`/api/events/${own.id}`, { groupId: group.id });
      expect(moved.status).toBe(400);
      expect(moved.body.fields.groupId).toBe("Seul·es les organisateur·ices d'un groupe publient une action en son nom.");
      expect((await view(gMember, own.id)).body.group).toBeNull();

      const e = await create({ groupId: group.id, title: 'Action du comité' }, gOrg);
      expect(e.group).toMatchObject({ id: group.id, handle: group.handle });
      // The group's admin organizes it without being named: edits it, sees its participants.
      await answer(ana, e.id, { status: 'going' });
      const asAdmin = await view(org, e.id);
      expect(asAdmin.body.rights).toMatchObject({ organizer: true, participants: true });
      expect(asAdmin.body.organizers.map((o: { id: string }) => o.id)).toEqual([gOrg.user.id]);
      expect((await org.client.patch(`/api/events/${e.id}`, { title: 'Action du comité (modifiée)' })).status).toBe(200);
      expect(ids((await participants(e.id, org)).going)).toEqual([ana.user.id]);
      // An event org created for the group: the group's organizer manages it too.
      const mine = await create({ groupId: group.id, title: 'Action de la présidence' });
      expect((await view(gOrg, mine.id)).body.rights.organizer).toBe(true);
      expect((await gOrg.client.put(`/api/events/${mine.id}/status`, { status: 'postponed' })).status).toBe(204);
      expect((await view(org, mine.id)).body.status).toBe('postponed');
      // A plain member does not.
      expect((await view(gMember, e.id)).body.rights.organizer).toBe(false);
      const edit = await gMember.client.patch(`/api/events/${e.id}`, { title: 'Piraté' });
      expect(edit.status).toBe(403);
      expect(edit.body.message).toBe(ORGANIZERS_ONLY);
      expect((await gMember.client.get(`/api/events/${e.id}/participants`)).status).toBe(403);
      expect((await view(org, e.id)).body.title).toBe('Action du comité (modifiée)');
    });

    it('hides group-only events from non-members (404), in lists too', async () => {
      const e = await create({ groupId: group.id, visibility: 'group', title: 'Réunion interne du comité', kind: 'meeting' }, gOrg);
      expect((await view(gMember, e.id)).status).toBe(200);
      expect((await view(org, e.id)).status).toBe(200);
      for (const who of [ana.client, dan.client, n.client()]) {
        const res = await view(who, e.id);
        expect(res.status).toBe(404);
        expect(JSON.stringify(res.body)).not.toContain('Réunion interne');
        expect((await who.get(`/api/events/${e.id}/calendar.ics`)).status).toBe(404);
        expect(ids((await who.get(`/api/groups/${group.handle}/events`)).body.upcoming)).not.toContain(e.id);
        expect(ids((await who.get('/api/events?q=reunion interne')).body.events)).not.toContain(e.id);
      }
      const rsvp = await ana.client.put(`/api/events/${e.id}/rsvp`, { status: 'going' });
      expect(rsvp.status).toBe(404);
      expect(ids((await gMember.client.get(`/api/groups/${group.handle}/events`)).body.upcoming)).toContain(e.id);
      expect(ids((await gMember.client.get('/api/events?q=reunion interne')).body.events)).toContain(e.id);
      // Invited: the event opens to them.
      expect((await gOrg.client.post(`/api/events/${e.id}/invitations`, { usernames: [ana.user.username] })).body).toEqual({ invited: 1 });
      expect((await view(ana, e.id)).status).toBe(200);
      expect(ids((await ana.client.get('/api/events?q=reunion interne')).body.events)).toContain(e.id);
    });
  });

  it('shows friends-only events to the organizers’ friends only', async () => {
    const e = await create({ visibility: 'friends', title: 'Apéro militant entre ami·es', kind: 'festive' });
    expect((await view(eve, e.id)).status).toBe(200);
    expect(ids((await eve.client.get('/api/events?q=apero militant')).body.events)).toContain(e.id);
    for (const who of [ana.client, ben.client, n.client()]) {
      expect((await view(who, e.id)).status).toBe(404);
      expect(ids((await who.get('/api/events?q=apero militant')).body.events)).not.toContain(e.id);
    }
    // A co-organizer's friends see it too (ana is ben's friend).
    expect((await org.client.patch(`/api/events/${e.id}`, { organizers: `${org.user.username}, ${ben.user.username}` })).status).toBe(200);
    expect((await view(ana, e.id)).status).toBe(200);
    expect(ids((await ana.client.get('/api/events?q=apero militant')).body.events)).toContain(e.id);
    expect((await view(dan, e.id)).status).toBe(404);
  });

  it('lets anyone with the link open an unlisted event, which no list shows', async () => {
    const e = await create({ visibility: 'unlisted', title: 'Répétition discrète', kind: 'training', start: parisLocal(2, 18), end: parisLocal(2, 20) });
    for (const who of [ana.client, dan.client, n.client()]) {
      expect((await view(who, e.id)).status).toBe(200);
      expect((await who.get(`/api/events/${e.id}/calendar.ics`)).status).toBe(200);
      expect(ids((await who.get('/api/events?q=repetition discrete')).body.events)).not.toContain(e.id);
      expect(ids((await who.get('/api/events?kind=training')).body.events)).not.toContain(e.id);
      expect((await who.get('/api/events/map?bbox=2.2,48.8,2.5,48.95')).body.points.map((p: { id: string }) => p.id)).not.toContain(e.id);
    }
    // Not even once answered, nor for its organizer.
    await answer(ana, e.id, { status: 'going' });
    expect(ids((await ana.client.get('/api/events?q=repetition discrete')).body.events)).not.toContain(e.id);
    expect(ids((await ana.client.get('/api/events/near')).body.events)).not.toContain(e.id);
    expect(ids((await org.client.get('/api/events?q=repetition discrete')).body.events)).not.toContain(e.id);
    // It is still among one's own events.
    expect(ids((await ana.client.get('/api/events/mine')).body.events)).toContain(e.id);
  });

  it('shows nothing across a block: the blocked member gets 404 and no list has the organizer’s events', async () => {
    const before = await create({ title: 'Distribution devant la gare', start: parisLocal(2, 8), end: parisLocal(2, 10) });
    await answer(fay, before.id, { status: 'going' });
    expect((await org.client.put(`/api/blocks/${fay.user.id}`)).status).toBe(204);
    const after = await create({ title: 'Distribution au marché', start: parisLocal(3, 8), end: parisLocal(3, 10) });
    for (const e of [before, after]) {
      expect((await view(fay, e.id)).status).toBe(404);
      expect((await fay.client.get(`/api/events/${e.id}/calendar.ics`)).status).toBe(404);
      expect((await fay.client.put(`/api/events/${e.id}/rsvp`, { status: 'going' })).status).toBe(404);
      // Others still see it.
      expect((await view(ana, e.id)).status).toBe(200);
    }
    const lists: [string, { id: string }[]][] = [
      ['search', (await fay.client.get('/api/events?q=distribution')).body.events],
      ['list', (await fay.client.get('/api/events')).body.events],
      ['related', (await fay.client.get('/api/events')).body.related],
      ['near me', (await fay.client.get('/api/events/near')).body.events],
      ['my events', (await fay.client.get('/api/events/mine')).body.events],
      ['map', (await fay.client.get('/api/events/map?bbox=2.2,48.8,2.5,48.95')).body.points],
    ];
    for (const [name, list] of lists) {
      expect(ids(list), name).not.toContain(before.id);
      expect(ids(list), name).not.toContain(after.id);
    }
    expect(ids((await ana.client.get('/api/events?q=distribution')).body.events)).toEqual(expect.arrayContaining([before.id, after.id]));
    // Blocking the organizer works the same way.
    expect((await dan.client.put(`/api/blocks/${org.user.id}`)).status).toBe(204);
    expect((await view(dan, after.id)).status).toBe(404);
    expect(ids((await dan.client.get('/api/events?q=distribution')).body.events)).toEqual([]);
    // And an organizer cannot invite someone on the other side of a block.
    const invite = await org.client.post(`/api/events/${after.id}/invitations`, { usernames: [fay.user.username] });
    expect(invite.status).toBe(400);
    expect(invite.body.fields.usernames).toBe(`Membre inconnu : ${fay.user.username}.`);
  });
});
