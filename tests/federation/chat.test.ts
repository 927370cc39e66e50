// Chat across two real instances (A on SQLite, B on PostgreSQL when the machine has it): friends
// on two instances talk one-to-one; a group's room holds members of both; messages arrive once,
// in order, including those sent while the other instance was down; edits and deletions follow.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { pgUrl } from '../helpers/db.ts';
import { stored, type Member } from '../helpers/chat.ts';
import type { Client } from '../helpers/client.ts';
import { eventually, lookup, member, startNetwork, type Network } from '../helpers/federation.ts';

const send = async (c: Client, roomId: string, body: string) => {
  const res = await c.post(`/api/chat/rooms/${roomId}/messages`, { clientId: `t${randomBytes(8).toString('hex')}`, body });
  if (res.status !== 201 && res.status !== 200) throw new Error(`send failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.message as { id: string; seq: number };
};
const bodies = async (m: Member, roomId: string) => (await stored(m, roomId)).filter((x) => !x.deletedAt).map((x) => x.body);

describe('chat across instances', () => {
  let net: Network;
  let ana: Member; // on A
  let bea: Member; // on B, Ana's friend
  let anaOnB: string;
  let beaOnA: string;
  let roomA: string; // their one-to-one room, on A
  let roomB: string; // the same, on B

  beforeAll(async () => {
    net = await startNetwork(['A', 'B'], { pg: Boolean(pgUrl) });
    const [a, b] = net.instances;
    [ana, bea] = await Promise.all([member(a, net.smtp, 'Ana'), member(b, net.smtp, 'Bea')]);
    anaOnB = (await lookup(bea.client, `@${ana.user.username}@${a.url.host}`)).localId;
    beaOnA = (await lookup(ana.client, `@${bea.user.username}@${b.url.host}`)).localId;
    await bea.client.post('/api/friends/requests', { userId: anaOnB });
    await eventually(async () => expect((await ana.client.get(`/api/relations/${beaOnA}`)).body.relation).toBe('request_received'));
    await ana.client.post(`/api/friends/requests/${beaOnA}/accept`);
    await eventually(async () => expect((await bea.client.get(`/api/relations/${anaOnB}`)).body.relation).toBe('friends'));
  }, 90_000);

  afterAll(async () => {
    await net?.stop();
  });

  it('carries one-to-one messages between friends both ways', async () => {
    roomA = (await ana.client.post('/api/chat/direct', { userId: beaOnA })).body.id;
    await send(ana.client, roomA, 'Salut Bea, tu es au **local** ?');
    roomB = (await bea.client.post('/api/chat/direct', { userId: anaOnB })).body.id;
    await eventually(async () => expect(await bodies(bea, roomB)).toEqual(['Salut Bea, tu es au local ?']));
    const html = (await stored(bea, roomB))[0];
    expect(html.html).toContain('<strong>local</strong>');
    expect(html.author?.id).toBe(anaOnB);
    await send(bea.client, roomB, 'Oui, j’arrive');
    await eventually(async () => expect(await bodies(ana, roomA)).toEqual(['Salut Bea, tu es au **local** ?', 'Oui, j’arrive']));
  });

  it('delivers, once and in order, what was sent while the other instance was down', async () => {
    const [, b] = net.instances;
    await b.kill('SIGTERM');
    for (const text of ['Un', 'Deux', 'Trois', 'Quatre']) await send(ana.client, roomA, text);
    await new Promise((r) => setTimeout(r, 1500)); // deliveries fail meanwhile, and wait their turn
    await b.restart();
    await eventually(async () => expect((await bodies(bea, roomB)).slice(2)).toEqual(['Un', 'Deux', 'Trois', 'Quatre']), 90_000);
    const all = await stored(bea, roomB);
    expect(all.map((m) => m.seq)).toEqual(all.map((_, i) => i + 1));
  }, 120_000);

  it('follows an edit and a deletion by the author', async () => {
    const message = await send(ana.client, roomA, 'Rendez-vous à 18 h');
    await eventually(async () => expect(await bodies(bea, roomB)).toContain('Rendez-vous à 18 h'));
    expect((await ana.client.patch(`/api/chat/messages/${message.id}`, { body: 'Rendez-vous à 19 h' })).status).toBe(200);
    await eventually(async () => expect(await bodies(bea, roomB)).toContain('Rendez-vous à 19 h'));
    expect((await ana.client.delete(`/api/chat/messages/${message.id}`)).status).toBe(200);
    await eventually(async () => expect((await bodies(bea, roomB)).join()).not.toContain('Rendez-vous'));
  });

  it('holds a group’s room with members on both instances', async () => {
    const [a] = net.instances;
    const group = (await ana.client.post('/api/groups', { name: 'Salon Commun', handle: 'salon_commun', kind: 'local', postalCode: '75011', openness: 'open' })).body;
    const groupOnB = (await lookup(bea.client, `@salon_commun@${a.url.host}`)).localId;
    await bea.client.post(`/api/groups/${groupOnB}/join`, {});
    await eventually(async () => expect((await bea.client.get(`/api/groups/${groupOnB}`)).body.myRole).toBe('member'));
    const mainA = (await ana.client.get(`/api/groups/${group.id}/rooms`)).body.rooms[0].id;
    const mainB = (await bea.client.get(`/api/groups/${groupOnB}/rooms`)).body.rooms[0].id;
    await send(ana.client, mainA, 'Bienvenue dans le salon');
    await eventually(async () => expect(await bodies(bea, mainB)).toEqual(['Bienvenue dans le salon']));
    await send(bea.client, mainB, 'Merci !');
    await eventually(async () => expect(await bodies(ana, mainA)).toEqual(['Bienvenue dans le salon', 'Merci !']));
    // Someone of B who is not a member has no room there.
    const cyr = await member(net.instances[1], net.smtp, 'Cyr');
    expect((await cyr.client.get(`/api/chat/rooms/${mainB}/messages?since=0`)).status).toBe(404);
  });
});
