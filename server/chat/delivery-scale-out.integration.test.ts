// The chat across two server processes (two ports, one PostgreSQL database, one Redis), each its
// own `node server/main.ts`: members on different processes hear each other live, and a member
// removed from a group — or leaving it — through process A stops receiving its room at once on
// process B, where their socket is. Runs when CI provides PostgreSQL and Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomInt } from 'node:crypto';
import { Redis } from 'ioredis';
import { Client } from '../../tests/helpers/client.ts';
import { createPgDatabase, pgUrl } from '../../tests/helpers/db.ts';
import { freePort } from '../../tests/helpers/node.ts';
import { startInstance, type Instance } from '../../tests/helpers/instance.ts';
import { startSmtp, type TestSmtp } from '../../tests/helpers/smtp.ts';
import { connected, essentials, peer, signupOver, sleep, stored, until, type Member, type Peer } from '../../tests/helpers/chat.ts';

const redisUrl = process.env.REDIS_URL_TEST || null;

describe.runIf(pgUrl && redisUrl)('chat on two processes sharing PostgreSQL and Redis', () => {
  let smtp: TestSmtp;
  let a: Instance, b: Instance;
  let dropPg: (() => Promise<void>) | undefined;
  let origin: string;
  let ana: Member, ben: Member, cleo: Member, dan: Member;
  let groupId: string, main: string;
  const peers: Peer[] = [];
  // Each sign-up comes from an address of its own (the limits per address are shared in Redis).
  const addresses: string[] = [];

  /** The same session, talking to another process. */
  const via = (m: Member, i: Instance) => {
    const c = new Client(i.url, { origin });
    for (const [k, v] of m.client.cookies) c.cookies.set(k, v);
    return c;
  };
  const send = (c: Client, body: string) => c.post(`/api/chat/rooms/${main}/messages`, { clientId: `so${Date.now().toString(36)}${randomInt(1e9).toString(36)}`, body });
  /** Resolves when the server tells the tab its list of rooms changed (sent right after the sockets left). */
  const roomsChanged = (p: Peer) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${p.name} was not told that their rooms changed`)), 10_000);
      p.socket.once('chat:rooms', () => {
        clearTimeout(timer);
        resolve();
      });
    });

  beforeAll(async () => {
    smtp = await startSmtp();
    const pg = await createPgDatabase();
    dropPg = pg.drop;
    // Both processes answer for the same public origin, as behind a load balancer.
    const [portA, portB] = [await freePort(), await freePort()];
    origin = `http://127.0.0.1:${portA}`;
    const env = { DATABASE_URL: pg.url, REDIS_URL: redisUrl!, SMTP_URL: smtp.url, PUBLIC_URL: origin, TRUST_PROXY: 'loopback' };
    a = await startInstance({ name: 'chat-a', port: portA, env });
    b = await startInstance({ name: 'chat-b', port: portB, env });
    const signup = (i: Instance, email: string, name: string) => {
      const address = `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
      addresses.push(address);
      return signupOver(i.url, smtp, email, name, { origin, forwardedFor: address });
    };
    // Emails of this run only: the limits per email are shared in Redis, across runs.
    const run = `${Date.now().toString(36)}${randomInt(1e6).toString(36)}`;
    [ana, ben, cleo, dan] = await Promise.all([
      signup(a, `ana-${run}@example.org`, 'Ana'),
      signup(b, `ben-${run}@example.org`, 'Ben'),
      signup(a, `cleo-${run}@example.org`, 'Cléo'),
      signup(b, `dan-${run}@example.org`, 'Dan'),
    ]);
    const group = (await ana.client.post('/api/groups', { name: 'Comité Deux Processus', kind: 'local', postalCode: '75020', openness: 'open' })).body;
    groupId = group.id;
    for (const m of [ben, cleo, dan]) expect((await m.client.post(`/api/groups/${groupId}/join`, {})).status).toBe(200);
    main = (await ana.client.get(`/api/groups/${groupId}/rooms`)).body.rooms[0].id;
  });

  afterAll(async () => {
    for (const p of peers) p.close();
    await a?.stop();
    await b?.stop();
    await dropPg?.();
    await smtp?.close();
    // The few rate-limit buckets of this file's addresses (the rest expire within the minute).
    if (redisUrl && addresses.length) {
      const r = new Redis(redisUrl);
      for (const address of addresses) {
        const keys = await r.keys(`rl:*:${address}`);
        if (keys.length) await r.del(...keys);
      }
      await r.quit();
    }
  });

  it('delivers live between members whose sockets are on different processes', { timeout: 30_000 }, async () => {
    const pb = peer('ben', a.url, ben, { origin });
    const pc = peer('cleo', b.url, cleo, { origin });
    const pd = peer('dan', b.url, dan, { origin });
    peers.push(pb, pc, pd);
    for (const p of peers) {
      await connected(p);
      p.chat.track(main, 0);
    }
    for (let i = 0; i < 5; i++) {
      for (const [from, to] of [
        [pb, pc],
        [pc, pb],
      ]) {
        const id = from.send(main, `${from.name} ${i}`);
        await until(() => to.live.some((m) => m.clientId === id) && from.acks.get(id)?.ok === true, 10_000, 'live delivery across processes');
      }
    }
    const history = essentials(await stored(ana, main));
    expect(history.map((m) => m.seq)).toEqual(history.map((_, i) => i + 1));
    await until(() => peers.every((p) => JSON.stringify(essentials(p.chat.messages(main))) === JSON.stringify(history)), 5_000, 'same views');
  });

  it('stops delivering a group’s room on process B the moment a member is removed, or leaves, through process A', { timeout: 30_000 }, async () => {
    const [pb, pc, pd] = peers;
    const [anaA, anaB, benA, benB, danA] = [via(ana, a), via(ana, b), via(ben, a), via(ben, b), via(dan, a)];

    // Ana (an organizer, on process A) removes Cléo, whose socket is on process B.
    const told = roomsChanged(pc);
    expect((await anaA.delete(`/api/groups/${groupId}/members/${cleo.user.id}`)).status).toBeLessThan(300);
    await told;
    const after = [(await send(anaA, 'après le retrait, par A')).body.message, (await send(benB, 'après le retrait, par B')).body.message];
    // Dan, on the same process as Cléo, gets both; Cléo neither.
    await until(() => after.every((m) => pd.live.some((x) => x.id === m.id) && pb.live.some((x) => x.id === m.id)), 5_000, 'delivery to the members');
    await sleep(100);
    expect(pc.live.filter((m) => after.some((x) => x.id === m.id))).toEqual([]);
    expect((await pc.socket.timeout(5_000).emitWithAck('chat:sync', { rooms: [{ roomId: main, since: 0 }] })).error).toBe('not_found');
    expect(pc.socket.connected).toBe(true);

    // Dan (on process B) leaves through process A.
    const left = roomsChanged(pd);
    expect((await danA.post(`/api/groups/${groupId}/leave`)).status).toBeLessThan(300);
    await left;
    const later = [(await send(anaB, 'après le départ, par B')).body.message, (await send(benA, 'après le départ, par A')).body.message];
    await until(() => later.every((m) => pb.live.some((x) => x.id === m.id)), 5_000, 'delivery to Ben');
    await sleep(100);
    expect(pd.live.filter((m) => later.some((x) => x.id === m.id))).toEqual([]);
    expect(pc.live.filter((m) => later.some((x) => x.id === m.id))).toEqual([]);
  });
});
