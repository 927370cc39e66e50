// Who may and who must not, for events: fourteen kinds of viewers try every read and write on
// events of each visibility (and a public one with a hidden address), on a real node, on each
// database. The expected answers come from the rule written once below (the same as
// server/events/access.ts says in words); a refused write is a 4xx that changes nothing (the
// event, its answers, invitations, organizers and reports are read again from the database).
// Lists are checked against the same rule (the SQL of listedFor).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc, count, eq } from 'drizzle-orm';
import { dialects } from './helpers/db.ts';
import { startTestNode, type TestNode } from './helpers/node.ts';
import type { Client } from './helpers/client.ts';
import { eventInput } from './helpers/events.ts';
import { instantToLocal } from '../server/events/time.ts';
import { NOTIFICATION_TYPES } from '../server/notifications/service.ts';

type Who =
  | 'anonymous'
  | 'stranger'
  | 'friend'
  | 'groupMember'
  | 'groupOrganizer'
  | 'organizer'
  | 'coOrganizer'
  | 'going'
  | 'waitlisted'
  | 'pending'
  | 'invited'
  | 'blocked'
  | 'admin'
  | 'coordinator';
const VIEWERS: Who[] = ['anonymous', 'stranger', 'friend', 'groupMember', 'groupOrganizer', 'organizer', 'coOrganizer', 'going', 'waitlisted', 'pending', 'invited', 'blocked', 'admin', 'coordinator'];

interface ObjectSpec {
  name: 'public' | 'unlisted' | 'group' | 'friends' | 'hidden';
  visibility: 'public' | 'unlisted' | 'group' | 'friends';
  /** In the group's name (its organizers organize it). */
  group: boolean;
  hideAddress: boolean;
}
const OBJECTS: ObjectSpec[] = [
  { name: 'public', visibility: 'public', group: false, hideAddress: false },
  { name: 'unlisted', visibility: 'unlisted', group: false, hideAddress: false },
  { name: 'group', visibility: 'group', group: true, hideAddress: false },
  { name: 'friends', visibility: 'friends', group: false, hideAddress: false },
  { name: 'hidden', visibility: 'public', group: true, hideAddress: true },
];

// The rule. The organizer created every event and the group (its admin), named the co-organizer,
// is friends with the friend and blocked the blocked member (who had joined the group). The
// participants answered while the event was public (approval needed, one seat: going, then the
// waiting list, then pending); the invited member was invited; then the visibility was set.
const organizes = (o: ObjectSpec, w: Who) => w === 'organizer' || w === 'coOrganizer' || (o.group && w === 'groupOrganizer');
const answered = (w: Who) => w === 'going' || w === 'waitlisted' || w === 'pending';
function sees(o: ObjectSpec, w: Who): boolean {
  if (w === 'blocked') return false; // never across a block, whatever else
  if (organizes(o, w) || o.visibility === 'public' || o.visibility === 'unlisted') return true;
  if (w === 'anonymous') return false;
  if (answered(w) || w === 'invited') return true;
  if (o.visibility === 'group') return w === 'groupMember';
  return o.visibility === 'friends' && w === 'friend';
}
const listed = (o: ObjectSpec, w: Who) => sees(o, w) && o.visibility !== 'unlisted';
const confirmed = (o: ObjectSpec, w: Who) => organizes(o, w) || w === 'going';
const exactAddress = (o: ObjectSpec, w: Who) => sees(o, w) && (!o.hideAddress || confirmed(o, w));
const contact = (o: ObjectSpec, w: Who) => sees(o, w) && (organizes(o, w) || answered(w));
/** Reports: all of them for organizers and coordinators (admins are), else one's own. */
const readsAllReports = (o: ObjectSpec, w: Who) => organizes(o, w) || w === 'coordinator' || w === 'admin';
/** An organizer's tool: 401 anonymous, 404 when the event is not visible, 403 when not an organizer. */
const organizersOnly = (o: ObjectSpec, w: Who): number | 'ok' => (w === 'anonymous' ? 401 : !sees(o, w) ? 404 : organizes(o, w) ? 'ok' : 403);

/** A stored state without what an undone change moves: dates of change, the calendar's sequence. */
function withoutDates(state: unknown): unknown {
  return JSON.parse(JSON.stringify(state), (key, value) => (['updatedAt', 'checkedInAt', 'sequence'].includes(key) ? undefined : value));
}

const HOUR = 3_600_000;
const local = (ms: number) => instantToLocal(new Date(Date.now() + ms), 'Europe/Paris');

interface Fixture {
  spec: ObjectSpec;
  id: string;
  title: string;
  street: string;
  contact: string;
  /** Everything stored about the event (see `stored`), as it must stay after a refused write. */
  baseline: unknown;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
interface WriteRow {
  name: string;
  expected(o: ObjectSpec, w: Who): number | 'ok';
  /**
   * Where a permitted attempt acts: the shared event, the change being undone afterwards (`done`),
   * or a fresh event in the same situation for what cannot be undone (deleting, inviting,
   * approving); `pending` puts the bystander's request on it.
   */
  fresh?: { pending?: true };
  /** The member the request is about: on the shared event the pending or the confirmed one. */
  subject?: 'pending' | 'going';
  request(id: string, subject: string, w: Who): [Method, string, unknown?];
  /** After a success: its effect, then undone when it was the shared event. */
  done?(id: string, w: Who, body: any, f: Fixture): Promise<void>;
}

describe.each(dialects)('events authorization matrix on %s', (dialect) => {
  let n: TestNode;
  const c = {} as Record<Who | 'bystander', Client>;
  const u = {} as Record<Who | 'bystander', { id: string; username: string }>;
  const fx = {} as Record<ObjectSpec['name'], Fixture>;
  let group: { id: string; handle: string };
  let freshCount = 0;

  const org = () => c.organizer;
  const ok = (res: { status: number; body: unknown }, status = 200) => expect(res.status, JSON.stringify(res.body)).toBe(status);
  /**
   * Creates an event of this object's kind, public at first for the answers to come, under way
   * (started an hour ago: check-in and reports are open), one seat, approval needed.
   */
  const createAs = async (spec: ObjectSpec, title: string) => {
    const res = await org().post(
      '/api/events',
      eventInput({
        title,
        kind: 'door_to_door',
        start: local(-HOUR),
        end: local(3 * HOUR),
        street: `rue de la Matrice (${spec.name})`,
        contact: `Contact ${spec.name} : 06 00 00 00 00`,
        visibility: 'public',
        hideAddress: spec.hideAddress,
        groupId: spec.group ? group.id : '',
        organizers: [u.organizer.username, u.coOrganizer.username],
        joinMode: 'approval',
        capacity: 1,
        participantReports: true,
      }),
    );
    ok(res, 201);
    return res.body as { id: string; title: string };
  };
  const setVisibility = async (spec: ObjectSpec, id: string) => {
    if (spec.visibility !== 'public') ok(await org().patch(`/api/events/${id}`, { visibility: spec.visibility }));
  };
  const answerGoing = async (who: Who | 'bystander', id: string) => {
    const res = await c[who].put(`/api/events/${id}/rsvp`, { status: 'going' });
    ok(res);
    expect(res.body.status).toBe('pending');
  };
  const freshEvent = async (spec: ObjectSpec, pending: boolean) => {
    const e = await createAs(spec, `Matrice ${spec.name} annexe ${++freshCount}`);
    if (pending) await answerGoing('bystander', e.id);
    await setVisibility(spec, e.id);
    return e.id;
  };
  /**
   * What the database holds about an event: its row, answers, invitations, organizers and
   * reports, and with a title how many events bear it (a copy may be listed nowhere).
   */
  const stored = async (id: string, title?: string) => {
    const { db } = n.node.services;
    const t = db.t;
    const [[event], rsvps, invitations, organizers, reports, titled] = await Promise.all([
      db.q.select().from(t.events).where(eq(t.events.id, id)),
      db.q.select().from(t.eventRsvps).where(eq(t.eventRsvps.eventId, id)).orderBy(asc(t.eventRsvps.userId)),
      db.q.select().from(t.eventInvitations).where(eq(t.eventInvitations.eventId, id)).orderBy(asc(t.eventInvitations.userId)),
      db.q.select().from(t.eventOrganizers).where(eq(t.eventOrganizers.eventId, id)).orderBy(asc(t.eventOrganizers.userId)),
      db.q.select().from(t.eventReports).where(eq(t.eventReports.eventId, id)).orderBy(asc(t.eventReports.id)),
      title === undefined ? null : db.q.select({ n: count() }).from(t.events).where(eq(t.events.title, title)),
    ]);
    if (!event) return null;
    return JSON.parse(JSON.stringify({ event, rsvps, invitations, organizers, reports, titled: titled ? Number(titled[0].n) : null }));
  };
  const row = async (id: string) => (await stored(id))!;

  beforeAll(async () => {
    n = await startTestNode(dialect, { rateLimits: false });
    const admin = await n.setupAdmin();
    c.admin = admin.client;
    u.admin = admin.user;
    c.anonymous = n.client();
    u.anonymous = { id: 'nobody', username: 'nobody' };
    // Sign-ups side by side: each waits for its own code by mail.
    const members = [...VIEWERS.filter((w) => w !== 'anonymous' && w !== 'admin'), 'bystander'] as const;
    const signedUp = await Promise.all(members.map((who) => n.signup(`${who.toLowerCase()}@example.org`, `M ${who}`, '75011')));
    members.forEach((who, i) => {
      c[who] = signedUp[i].client;
      u[who] = signedUp[i].user;
    });
    // No notifications here (what they say and to whom is tested with the events): hundreds of
    // changes would otherwise each render mails.
    const off = Object.fromEntries(NOTIFICATION_TYPES.map((type) => [type, 'off']));
    for (const who of [...members, 'admin'] as const) ok(await c[who].put('/api/me/notification-prefs', off));
    ok(await c.organizer.post('/api/friends/requests', { userId: u.friend.id }));
    ok(await c.friend.post(`/api/friends/requests/${u.organizer.id}/accept`));
    const created = await c.organizer.post('/api/groups', { name: 'Comité Matrice Actions', kind: 'local', postalCode: '75011', openness: 'open' });
    ok(created, 201);
    group = created.body;
    for (const who of ['groupOrganizer', 'groupMember', 'blocked'] as const) ok(await c[who].post(`/api/groups/${group.id}/join`, {}));
    ok(await c.organizer.put(`/api/groups/${group.id}/members/${u.groupOrganizer.id}/role`, { role: 'organizer' }), 204);
    ok(await c.organizer.put(`/api/blocks/${u.blocked.id}`), 204);
    ok(await c.admin.put(`/api/admin/users/${u.coordinator.id}/coordinator`, { coordinator: true }), 204);
    for (const spec of OBJECTS) {
      const title = `Matrice ${spec.name}`;
      const e = await createAs(spec, title);
      for (const who of ['going', 'waitlisted', 'pending'] as const) await answerGoing(who, e.id);
      expect((await org().post(`/api/events/${e.id}/requests/${u.going.id}/approve`)).body.status).toBe('going');
      expect((await org().post(`/api/events/${e.id}/requests/${u.waitlisted.id}/approve`)).body.status).toBe('waitlist');
      expect((await org().post(`/api/events/${e.id}/invitations`, { usernames: [u.invited.username] })).body).toEqual({ invited: 1 });
      await setVisibility(spec, e.id);
      ok(await org().put(`/api/events/${e.id}/report`, { people: 10, worked: 'Fiche de l’organisatrice' }));
      const v = (await org().get(`/api/events/${e.id}`)).body;
      expect(v).toMatchObject({ visibility: spec.visibility, addressHidden: false, goingCount: 1, waitlistCount: 1 });
      fx[spec.name] = { spec, id: e.id, title, street: v.street, contact: v.contact, baseline: await stored(e.id, title) };
    }
  });
  afterAll(() => n?.close());

  describe('reads', () => {
    for (const o of OBJECTS) {
      for (const w of VIEWERS) {
        const visible = sees(o, w);
        it(`${o.name} event, ${w}: ${visible ? 'sees it' : 'sees nothing'}`, async () => {
          const f = fx[o.name];
          // The page.
          const page = await c[w].get(`/api/events/${f.id}`);
          if (!visible) {
            expect(page.status).toBe(404);
            expect(JSON.stringify(page.body)).not.toContain(f.title);
          } else {
            ok(page);
            expect(page.body.street, 'exact address').toBe(exactAddress(o, w) ? f.street : null);
            expect(page.body.addressHidden).toBe(!exactAddress(o, w));
            if (!exactAddress(o, w)) expect(JSON.stringify(page.body)).not.toContain(f.street);
            expect(page.body.contact, 'contact').toBe(contact(o, w) ? f.contact : null);
            expect(page.body.rights).toMatchObject({ organizer: organizes(o, w), participants: organizes(o, w), confirmed: confirmed(o, w), canCheckIn: organizes(o, w) });
            expect(page.body.rights.canReport).toBe(w !== 'anonymous' && (organizes(o, w) || w === 'going'));
          }
          // The participant list.
          const list = await c[w].get(`/api/events/${f.id}/participants`);
          const listExpected = organizersOnly(o, w);
          expect(list.status, 'participant list').toBe(listExpected === 'ok' ? 200 : listExpected);
          if (listExpected !== 'ok') expect(JSON.stringify(list.body)).not.toContain(u.going.id);
          // The reports.
          const reports = await c[w].get(`/api/events/${f.id}/reports`);
          if (w === 'anonymous') expect(reports.status).toBe(401);
          else if (!visible) expect(reports.status, 'reports').toBe(404); // coordinators included: the event comes first
          else {
            ok(reports);
            expect(reports.body.reports.map((r: { author: { id: string } }) => r.author.id), 'reports').toEqual(readsAllReports(o, w) ? [u.organizer.id] : []);
          }
          // The calendar file.
          const ics = await c[w].get(`/api/events/${f.id}/calendar.ics`);
          expect(ics.status, 'calendar').toBe(visible ? 200 : 404);
          const unfolded = String(ics.body).replace(/\r\n[ \t]/g, '');
          if (visible) expect(unfolded.includes(f.street), 'address in the calendar').toBe(exactAddress(o, w));
          else expect(String(ics.body)).not.toContain(f.title);
        });
      }
    }

    for (const w of VIEWERS) {
      it(`lists, ${w}: exactly the events they see, unlisted ones excepted`, async () => {
        const mine = (list: { id: string }[]) => OBJECTS.filter((o) => list.some((e) => e.id === fx[o.name].id)).map((o) => o.name);
        const expected = OBJECTS.filter((o) => listed(o, w)).map((o) => o.name);
        const search = await c[w].get('/api/events?q=matrice');
        ok(search);
        expect(mine(search.body.events), 'search').toEqual(expected);
        const map = await c[w].get('/api/events/map?bbox=2.2,48.8,2.5,48.95&q=matrice');
        ok(map);
        expect(mine(map.body.points), 'map').toEqual(expected);
        const agenda = await c[w].get(`/api/groups/${group.handle}/events`);
        ok(agenda);
        expect(mine(agenda.body.upcoming), 'group agenda').toEqual(expected.filter((name) => OBJECTS.find((o) => o.name === name)!.group));
      });
    }
  });

  const rows: WriteRow[] = [
    {
      name: 'edit',
      expected: organizersOnly,
      request: (id, _s, w) => ['PATCH', `/api/events/${id}`, { title: `Titre changé par ${w}` }],
      done: async (id, w, body, f) => {
        expect(body.title).toBe(`Titre changé par ${w}`);
        expect((await row(id)).event.title).toBe(`Titre changé par ${w}`);
        ok(await org().patch(`/api/events/${id}`, { title: f.title }));
      },
    },
    {
      name: 'change the status',
      expected: organizersOnly,
      request: (id) => ['PUT', `/api/events/${id}/status`, { status: 'postponed' }],
      done: async (id, _w, _b, f) => {
        expect((await row(id)).event).toMatchObject({ status: 'postponed', sequence: (f.baseline as { event: { sequence: number } }).event.sequence + 1 });
        ok(await org().put(`/api/events/${id}/status`, { status: 'scheduled' }), 204);
      },
    },
    {
      name: 'delete',
      // Staff may delete any event (moderation), even one they cannot see.
      expected: (o, w) => (w === 'admin' ? 'ok' : organizersOnly(o, w)),
      fresh: {},
      request: (id) => ['DELETE', `/api/events/${id}`],
      done: async (id) => expect(await stored(id)).toBeNull(),
    },
    {
      name: 'duplicate',
      // A copy of a group's event is the group's: only its organizers post it.
      expected: (o, w) => (o.group && w === 'coOrganizer' ? 400 : organizersOnly(o, w)),
      request: (id) => ['POST', `/api/events/${id}/duplicate`, {}],
      done: async (id, w, body, f) => {
        const copy = await row(body.id);
        expect(copy.event).toMatchObject({ title: f.title, visibility: f.spec.visibility, creatorId: u[w].id, goingCount: 0, seatsTaken: 0, groupId: f.spec.group ? group.id : null });
        expect(Date.parse(copy.event.startsAt) - Date.parse((await row(id)).event.startsAt)).toBe(7 * 86_400_000);
        expect(copy.rsvps).toEqual([]);
        ok(await org().delete(`/api/events/${body.id}`), 204);
      },
    },
    {
      name: 'invite',
      expected: organizersOnly,
      fresh: {},
      request: (id) => ['POST', `/api/events/${id}/invitations`, { usernames: [u.bystander.username] }],
      done: async (id, _w, body) => {
        expect(body).toEqual({ invited: 1 });
        expect((await row(id)).invitations.map((i: { userId: string }) => i.userId)).toEqual([u.bystander.id]);
      },
    },
    {
      name: 'approve a request',
      expected: organizersOnly,
      fresh: { pending: true },
      subject: 'pending',
      request: (id, subject) => ['POST', `/api/events/${id}/requests/${subject}/approve`],
      done: async (id, _w, body) => {
        expect(body).toEqual({ status: 'going' });
        expect((await row(id)).rsvps).toMatchObject([{ userId: u.bystander.id, status: 'going' }]);
      },
    },
    {
      name: 'check someone in',
      expected: organizersOnly,
      subject: 'going',
      request: (id, subject) => ['PUT', `/api/events/${id}/attendance/${subject}`, { attendance: 'present' }],
      done: async (id) => {
        expect((await row(id)).rsvps.find((r: { userId: string }) => r.userId === u.going.id)).toMatchObject({ status: 'going', attendance: 'present' });
        ok(await org().put(`/api/events/${id}/attendance/${u.going.id}`, { attendance: 'none' }), 204);
      },
    },
    {
      name: 'add walk-ins',
      expected: organizersOnly,
      request: (id) => ['POST', `/api/events/${id}/walk-ins`, { count: 2 }],
      done: async (id) => {
        expect((await row(id)).event.walkIns).toBe(2);
        ok(await org().post(`/api/events/${id}/walk-ins`, { count: -2 }), 204);
      },
    },
    {
      name: 'file a report',
      // Organizers, and confirmed participants since the event allows it.
      expected: (o, w) => (w === 'anonymous' ? 401 : !sees(o, w) ? 404 : organizes(o, w) || w === 'going' ? 'ok' : 403),
      request: (id) => ['PUT', `/api/events/${id}/report`, { people: 3, worked: 'Une fiche de plus' }],
      done: async (id, w, body) => {
        expect(body).toMatchObject({ eventId: id, author: { id: u[w].id }, people: 3 });
        expect((await row(id)).reports.filter((r: { authorId: string }) => r.authorId === u[w].id)).toHaveLength(1);
        // Back as it was: the organizer's own report restored, anyone else's removed.
        if (w === 'organizer') ok(await org().put(`/api/events/${id}/report`, { people: 10, worked: 'Fiche de l’organisatrice' }));
        else ok(await org().delete(`/api/reports/${body.id}`), 204);
      },
    },
  ];

  describe('writes', () => {
    for (const r of rows) {
      for (const o of OBJECTS) {
        for (const w of VIEWERS) {
          const expected = r.expected(o, w);
          it(`${r.name}, ${o.name} event, ${w}: ${expected === 'ok' ? 'may' : `may not (${expected})`}`, async () => {
            const f = fx[o.name];
            const onFresh = expected === 'ok' && r.fresh;
            const id = onFresh ? await freshEvent(o, Boolean(r.fresh!.pending)) : f.id;
            const subject = onFresh ? u.bystander.id : u[r.subject ?? 'pending'].id;
            const [method, path, body] = r.request(id, subject, w);
            const res = await c[w].request(method, path, body);
            if (expected === 'ok') {
              expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
              await r.done?.(id, w, res.body, f);
              // The shared event's new baseline (its dates of change moved, nothing else).
              if (!onFresh) {
                const now = await stored(f.id, f.title);
                expect(withoutDates(now)).toEqual(withoutDates(f.baseline));
                f.baseline = now;
              }
              return;
            }
            expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(expected);
            // Refused: nothing stored changed, not even a date.
            expect(await stored(f.id, f.title)).toEqual(f.baseline);
          });
        }
      }
    }

    for (const w of VIEWERS) {
      const allowed = w === 'admin' || w === 'coordinator';
      it(`read the coordinators' aggregate, ${w}: ${allowed ? 'may' : 'may not'}`, async () => {
        const res = await c[w].get('/api/coordination/reports?departement=75');
        if (allowed) {
          ok(res);
          expect(res.body.totals.actions).toBeGreaterThanOrEqual(OBJECTS.length);
          return;
        }
        expect(res.status).toBe(w === 'anonymous' ? 401 : 403);
        expect(JSON.stringify(res.body)).not.toContain('Matrice');
      });
    }
  });
});
