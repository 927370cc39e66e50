// Contract tests of events with stand-ins for Mobilizon, Gancio and an FEP-8a8e sender
// (tests/helpers/fake-remote.ts), in the shapes ../shared/FEDERATION-INTEROP.md records from their
// source: what we ingest maps to one model; what we send has what their parsers need (one
// `location` object, float coordinates, `attachment` with a `mediaType` on every item, `content`
// and `summary`, a `Tombstone` with `formerType` on deletion); a Join is decided by our rules.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/db.ts';
import { startTestNode, type TestNode } from '../helpers/node.ts';
import { startFakeRemote, type FakeActor, type FakeRemote } from '../helpers/fake-remote.ts';
import { eventually } from '../helpers/federation.ts';
import { eventInput, parisLocal } from '../helpers/events.ts';
import type { Client } from '../helpers/client.ts';

const PUBLIC = 'https://www.w3.org/ns/activitystreams#Public';
const inDays = (days: number, hour: number) => new Date(Date.now() + days * 86_400_000 + hour * 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');

describe.each(dialects)('events with Mobilizon, Gancio and FEP-8a8e senders, on %s', (dialect) => {
  let n: TestNode;
  let remote: FakeRemote;
  let mobi: FakeActor;
  let gancio: FakeActor;
  let lea: { client: Client; user: { id: string; username: string } };
  let inbox: URL;
  let seq = 0;

  /** Makes a remote actor Léa's friend (its Follow, her acceptance). */
  const befriend = async (actor: FakeActor) => {
    await remote.deliver(inbox, { id: `${actor.id}/follows/${++seq}`, type: 'Follow', actor: actor.id, object: new URL(`/users/${lea.user.id}`, n.url).href }, actor);
    const id = await eventually(async () => {
      const incoming = (await lea.client.get('/api/friends')).body.incoming as { id: string; username: string }[];
      const found = incoming.find((u) => u.username.startsWith(`${actor.name}@`));
      expect(found).toBeTruthy();
      return found!.id;
    });
    await lea.client.post(`/api/friends/requests/${id}/accept`);
  };
  /** Publishes an event document at its id and delivers its Create. */
  const publish = async (actor: FakeActor, path: string, event: Record<string, unknown>) => {
    const doc = { '@context': ['https://www.w3.org/ns/activitystreams', { mz: 'https://joinmobilizon.org/ns#', sc: 'http://schema.org#' }], id: new URL(path, remote.url).href, ...event };
    remote.serve(path, doc);
    await remote.deliver(new URL('/inbox', n.url), { id: `${doc.id}#create`, type: 'Create', actor: actor.id, to: [PUBLIC], object: doc }, actor);
    return doc.id as string;
  };
  const find = (title: string) =>
    eventually(async () => {
      const body = (await lea.client.get(`/api/events?q=${encodeURIComponent(title)}`)).body as { events: { id: string; title: string }[]; related: { id: string; title: string }[] };
      const found = [...body.events, ...body.related].find((e) => e.title === title);
      expect(found).toBeTruthy();
      return (await lea.client.get(`/api/events/${found!.id}`)).body;
    });

  beforeAll(async () => {
    n = await startTestNode(dialect, { rateLimits: false, env: { ALLOW_PRIVATE_ADDRESS: 'true' } });
    await n.node.services.policy.writeMode('open');
    remote = await startFakeRemote();
    mobi = await remote.actor('mobilizon');
    gancio = await remote.actor('relay', { type: 'Application' });
    lea = await n.signup('lea@example.org', 'Léa');
    inbox = new URL(`/users/${lea.user.id}/inbox`, n.url);
    await befriend(mobi);
    await befriend(gancio);
  }, 60_000);

  afterAll(async () => {
    await n?.close();
    await remote?.close();
  });

  it('maps a Mobilizon event: PostalAddress, float coordinates, zone, restricted join, capacity, ical:status, the Website link', async () => {
    await publish(mobi, '/events/m1', {
      type: 'Event',
      name: 'Assemblée de quartier',
      content: '<p>Ordre du jour <script>x()</script></p>',
      summary: 'samedi 14:00',
      attributedTo: mobi.id,
      actor: mobi.id,
      to: [PUBLIC],
      startTime: inDays(10, 0),
      endTime: inDays(10, 2),
      timezone: 'Europe/Paris',
      joinMode: 'restricted',
      maximumAttendeeCapacity: 40,
      'ical:status': 'CONFIRMED',
      location: { type: 'Place', name: 'Bourse du travail', address: { type: 'PostalAddress', streetAddress: '3 rue du Château-d’Eau', postalCode: '75010', addressLocality: 'Paris', addressCountry: 'FR' }, latitude: 48.87, longitude: 2.36 },
      attachment: [{ type: 'Link', href: 'https://visio.example/reunion', mediaType: 'text/html', name: 'Website' }],
    });
    const e = await find('Assemblée de quartier');
    expect(e).toMatchObject({ timeZone: 'Europe/Paris', capacity: 40, joinMode: 'approval', status: 'scheduled', placeName: 'Bourse du travail', onlineUrl: 'https://visio.example/reunion' });
    expect(e.commune?.name ?? e.communeName).toMatch(/Paris/);
    expect(e.descriptionHtml ?? e.description).not.toMatch(/script/);
  });

  it('maps a Gancio event: location array with a VirtualLocation, a plain-text address', async () => {
    await publish(gancio, '/federation/m/42', {
      type: 'Event',
      name: 'Concert de soutien',
      attributedTo: gancio.id,
      to: [PUBLIC],
      startTime: inDays(12, 18),
      endTime: inDays(12, 22),
      location: [{ type: 'VirtualLocation', url: 'https://stream.example/live' }, { type: 'Place', name: 'CSOA', address: 'Via Roma 1, Torino', latitude: 45.07, longitude: 7.68 }],
      attachment: [{ type: 'Document', mediaType: 'image/jpeg', url: new URL('/media/x.jpg', remote.url).href, name: 'Affiche' }],
      summary: 'CSOA, 18:00',
      content: '<p>Entrée libre</p>',
    });
    const e = await find('Concert de soutien');
    expect(e).toMatchObject({ placeName: 'CSOA', onlineUrl: 'https://stream.example/live' });
  });

  it('maps an FEP-8a8e cancellation (eventStatus), and takes an update only from the organizer', async () => {
    const id = await publish(mobi, '/events/m2', { type: 'Event', name: 'Manif du port', attributedTo: mobi.id, to: [PUBLIC], startTime: inDays(5, 10), eventStatus: 'https://schema.org/EventScheduled', location: { type: 'Place', name: 'Vieux-Port', address: { type: 'PostalAddress', postalCode: '13002' } } });
    const here = (await find('Manif du port')).id as string;
    const status = async () => (await lea.client.get(`/api/events/${here}`)).body.status;
    const stranger = await remote.actor('stranger');
    const cancelled = { '@context': 'https://www.w3.org/ns/activitystreams', id, type: 'Event', name: 'Manif du port', attributedTo: mobi.id, to: [PUBLIC], startTime: inDays(5, 10), eventStatus: 'https://schema.org/EventCancelled', location: { type: 'Place', name: 'Vieux-Port', address: { type: 'PostalAddress', postalCode: '13002' } } };
    // The stranger's Update is about an object it does not own: nothing changes.
    await remote.deliver(new URL('/inbox', n.url), { id: `${stranger.id}/u/1`, type: 'Update', actor: stranger.id, object: cancelled }, stranger);
    await new Promise((r) => setTimeout(r, 500));
    expect(await status()).toBe('scheduled');
    remote.serve('/events/m2', cancelled);
    await remote.deliver(new URL('/inbox', n.url), { id: `${mobi.id}/u/2`, type: 'Update', actor: mobi.id, object: cancelled }, mobi);
    await eventually(async () => expect(await status()).toBe('cancelled'));
  });

  it('sends our events in the shapes Mobilizon and Gancio parse, and deletes with a Tombstone of an Event', async () => {
    const created = (await lea.client.post('/api/events', eventInput({ title: 'Tractage gare', start: parisLocal(9, 9), end: parisLocal(9, 11), capacity: 2 }))).body;
    const create = await remote.waitFor('Create', (a) => (a.object as { name?: string })?.name === 'Tractage gare');
    const ev = create.object as Record<string, unknown>;
    expect(Array.isArray(ev.location)).toBe(false);
    const loc = ev.location as { latitude: number; longitude: number; address: Record<string, string> };
    expect(typeof loc.latitude).toBe('number');
    expect(JSON.stringify(loc.latitude)).toContain('.');
    expect(loc.address.postalCode).toBe('75011');
    expect(ev).toMatchObject({ type: 'Event', timezone: 'Europe/Paris', joinMode: 'free', maximumAttendeeCapacity: 2, status: 'CONFIRMED', 'ical:status': 'CONFIRMED', category: 'MOVEMENTS_POLITICS' });
    expect(typeof ev.content).toBe('string');
    expect(ev.summary).toMatch(/\(.*Paris.*\)|heure|UTC|GMT|CET|CEST/);
    expect(Array.isArray(ev.attachment)).toBe(true);
    for (const a of ev.attachment as { mediaType?: string }[]) expect(a.mediaType).toBeTruthy();
    expect((create.to as string[]).includes(PUBLIC)).toBe(true);
    expect(await lea.client.delete(`/api/events/${created.id}`).then((r) => r.status)).toBe(204);
    const del = await remote.waitFor('Delete', (a) => (a.object as { id?: string })?.id === new URL(`/events/${created.id}`, n.url).href);
    expect(del.object).toMatchObject({ type: 'Tombstone', formerType: 'Event' });
  });

  it('answers a Mobilizon Join by our rules: Accept for a seat, nothing while waiting, Reject for an external event; only to the participant', async () => {
    const full = (await lea.client.post('/api/events', eventInput({ title: 'Réunion restreinte', start: parisLocal(8, 18), end: parisLocal(8, 20), capacity: 1 }))).body;
    const url = new URL(`/events/${full.id}`, n.url).href;
    const first = await remote.actor('premiere');
    const second = await remote.actor('deuxieme');
    await remote.deliver(inbox, { id: `${first.id}/join/1`, type: 'Join', actor: first.id, object: url, participationMessage: 'Bonjour' }, first);
    const accept = await remote.waitFor('Accept', (a) => (a.object as { id?: string })?.id === `${first.id}/join/1`);
    expect(accept.to).toEqual(first.id);
    await remote.deliver(inbox, { id: `${second.id}/join/1`, type: 'Join', actor: second.id, object: url }, second);
    await eventually(async () => expect((await lea.client.get(`/api/events/${full.id}`)).body.waitlistCount).toBe(1));
    expect(remote.received.some((r) => r.body.type === 'Accept' && (r.body.object as { id?: string })?.id === `${second.id}/join/1`)).toBe(false);
    const external = (await lea.client.post('/api/events', eventInput({ title: 'Ailleurs', joinMode: 'external', externalUrl: 'https://inscription.example/x' }))).body;
    await remote.deliver(inbox, { id: `${second.id}/join/2`, type: 'Join', actor: second.id, object: new URL(`/events/${external.id}`, n.url).href }, second);
    await remote.waitFor('Reject', (a) => (a.object as { id?: string })?.id === `${second.id}/join/2`);
  });
});
