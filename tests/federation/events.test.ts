// Events across two real instances (A on SQLite, B on PostgreSQL when the machine has it): a
// public event of a member of A reaches her friends on B (with its time zone, place and seats,
// never the address kept for participants); an answer from B is a Join that A's capacity rule
// decides (Accept for the seat, nothing while waiting), addressed to the organizer only; once
// confirmed, the participant's server reads the address kept for participants, signed as them; a
// cancellation reaches B. Also: the event's document as other servers fetch it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgUrl } from '../helpers/db.ts';
import type { Member } from '../helpers/chat.ts';
import { eventually, lookup, member, startNetwork, type Network } from '../helpers/federation.ts';
import { eventInput } from '../helpers/events.ts';

describe('events across instances', () => {
  let net: Network;
  let ana: Member; // organizer, on A
  let bea: Member; // on B
  let dan: Member; // on B
  let event: { id: string };
  let onB: string;

  const befriend = async (local: Member, remote: Member) => {
    const [a, b] = net.instances;
    const localOnB = (await lookup(remote.client, `@${local.user.username}@${a.url.host}`)).localId;
    const remoteOnA = (await lookup(local.client, `@${remote.user.username}@${b.url.host}`)).localId;
    await remote.client.post('/api/friends/requests', { userId: localOnB });
    await eventually(async () => expect((await local.client.get(`/api/relations/${remoteOnA}`)).body.relation).toBe('request_received'));
    await local.client.post(`/api/friends/requests/${remoteOnA}/accept`);
    await eventually(async () => expect((await remote.client.get(`/api/relations/${localOnB}`)).body.relation).toBe('friends'));
  };

  beforeAll(async () => {
    net = await startNetwork(['A', 'B'], { pg: Boolean(pgUrl) });
    const [a, b] = net.instances;
    [ana, bea, dan] = await Promise.all([member(a, net.smtp, 'Ana'), member(b, net.smtp, 'Bea'), member(b, net.smtp, 'Dan')]);
    await befriend(ana, bea);
    await befriend(ana, dan);
  }, 120_000);

  afterAll(async () => {
    await net?.stop();
  });

  it('sends a public event to remote friends, with its zone, place and seats, not the hidden street', async () => {
    const res = await ana.client.post('/api/events', eventInput({ title: 'Porte-à-porte Belleville', capacity: 1, hideAddress: true, street: '12 rue des Secrets' }));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    event = res.body;
    const doc = await fetch(new URL(`/events/${event.id}`, net.instances[0].url), { headers: { accept: 'application/activity+json' } });
    expect(doc.headers.get('content-type')).toContain('application/activity+json');
    const json = await doc.json();
    expect(json).toMatchObject({ type: 'Event', name: 'Porte-à-porte Belleville', timezone: 'Europe/Paris', joinMode: 'free', maximumAttendeeCapacity: 1, attachment: [] });
    expect(json.location.address).toMatchObject({ postalCode: '75011', addressCountry: 'FR' });
    expect(JSON.stringify(json)).not.toContain('Secrets');
    expect(json.summary).toMatch(/Popincourt|Paris/);
    onB = await eventually(async () => {
      const body = (await bea.client.get('/api/events?q=Belleville')).body as { events: { id: string; title: string }[]; related: { id: string; title: string }[] };
      const list = [...body.events, ...body.related];
      expect(list.map((e) => e.title)).toContain('Porte-à-porte Belleville');
      return list.find((e) => e.title === 'Porte-à-porte Belleville')!.id;
    });
    const view = (await bea.client.get(`/api/events/${onB}`)).body;
    expect(view).toMatchObject({ title: 'Porte-à-porte Belleville', timeZone: 'Europe/Paris', capacity: 1 });
    expect(JSON.stringify(view)).not.toContain('Secrets');
  });

  it('lets the organizer’s instance decide the seats: the first Join is accepted, the second waits', async () => {
    const danOnB = onB;
    expect((await bea.client.put(`/api/events/${onB}/rsvp`, { status: 'going' })).body.status).toBe('pending');
    await eventually(async () => expect(JSON.stringify((await ana.client.get(`/api/events/${event.id}/participants`)).body)).toContain('Bea'));
    await eventually(async () => expect((await bea.client.get(`/api/events/${onB}`)).body.myRsvp.status).toBe('going'));
    // Confirmed, Bea gets the address kept for participants (her server read it signed as her).
    await eventually(async () => expect(JSON.stringify((await bea.client.get(`/api/events/${onB}`)).body)).toContain('12 rue des Secrets'));
    // Dan, on the same instance but not confirmed, does not; nor does an unsigned fetch at A.
    expect(JSON.stringify((await dan.client.get(`/api/events/${onB}`)).body)).not.toContain('Secrets');
    const unsigned = await (await fetch(new URL(`/events/${event.id}`, net.instances[0].url), { headers: { accept: 'application/activity+json' } })).text();
    expect(unsigned).not.toContain('Secrets');
    expect((await dan.client.put(`/api/events/${danOnB}/rsvp`, { status: 'going' })).body.status).toBe('pending');
    // On A: Bea has the seat, Dan waits.
    await eventually(async () => {
      const list = (await ana.client.get(`/api/events/${event.id}/participants`)).body;
      const statuses = JSON.stringify(list);
      expect(statuses).toContain('Bea');
      expect(statuses).toContain('Dan');
    });
    const a = (await ana.client.get(`/api/events/${event.id}`)).body;
    expect(a.goingCount).toBe(1);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await dan.client.get(`/api/events/${danOnB}`)).body.myRsvp.status).toBe('pending');
  });

  it('tells the participants’ server of a cancellation', async () => {
    expect((await ana.client.put(`/api/events/${event.id}/status`, { status: 'cancelled' })).status).toBe(204);
    await eventually(async () => expect((await bea.client.get(`/api/events/${onB}`)).body.status).toBe('cancelled'));
  });
});
