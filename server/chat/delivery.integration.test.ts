// The chat's delivery guarantees (issue 5), proven with the browser's own ChatClient against the
// production server running as its own process, on each database:
//   - killed with SIGKILL while several clients send into two rooms, then started again on the
//     same data and port: every message acknowledged is stored once, every message any client
//     tried to send is stored once (the client resends what had no answer), and every client's
//     view of each room equals the stored history, numbered 1..N without gap or duplicate;
//   - a client away (its socket closed, or the server restarting) gets exactly what it missed;
//   - a client limited to long-polling sends and receives live, with the same guarantees;
//   - a client flooding a room gets translated "rate_limited" answers while another room's
//     messages still go through promptly.
// Two processes sharing PostgreSQL and Redis: delivery-scale-out.integration.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { createPgDatabase, dialects } from '../../tests/helpers/db.ts';
import { startInstance, type Instance } from '../../tests/helpers/instance.ts';
import { startSmtp, type TestSmtp } from '../../tests/helpers/smtp.ts';
import { chatSocket, connected, essentials, peer, signupOver, sleep, stored, tcpGate, until, type Member, type Peer } from '../../tests/helpers/chat.ts';

describe.each(dialects)('chat delivery with the server in its own process, on %s', (dialect) => {
  let smtp: TestSmtp;
  let server: Instance;
  let dropPg: (() => Promise<void>) | undefined;
  let ana: Member, ben: Member, cleo: Member, dan: Member, eve: Member;
  let main: string, channel: string, floodRoom: string;
  const peers: Peer[] = [];
  const gates: { close(): Promise<void> }[] = [];
  const open = (name: string, m: Member, transports?: ('websocket' | 'polling')[], through?: URL) => {
    const p = peer(name, through ?? server.url, m, { transports, origin: server.url.origin });
    peers.push(p);
    return p;
  };

  /** Every peer's view of the rooms equals the stored history, with nothing left to send. */
  const converged = async (list: Peer[], rooms: string[]) => {
    for (const roomId of rooms) {
      const history = essentials(await stored(ana, roomId));
      for (const p of list) if (p.chat.pending(roomId).length || JSON.stringify(essentials(p.chat.messages(roomId))) !== JSON.stringify(history)) return false;
    }
    return true;
  };

  /** The stored history of a room is numbered 1..N, each client id once. */
  const checkHistory = async (roomId: string) => {
    const history = await stored(ana, roomId);
    expect(history.map((m) => m.seq)).toEqual(history.map((_, i) => i + 1));
    expect(new Set(history.map((m) => `${m.author?.id}:${m.clientId}`)).size).toBe(history.length);
    return history;
  };

  beforeAll(async () => {
    smtp = await startSmtp();
    const pg = dialect === 'postgres' ? await createPgDatabase() : null;
    dropPg = pg?.drop;
    server = await startInstance({ name: `chat-${dialect}`, env: { SMTP_URL: smtp.url, ...(pg ? { DATABASE_URL: pg.url } : {}) } });
    [ana, ben, cleo, dan, eve] = await Promise.all(
      ['Ana', 'Ben', 'Cléo', 'Dan', 'Eve'].map((name, i) => signupOver(server.url, smtp, `${['ana', 'ben', 'cleo', 'dan', 'eve'][i]}@example.org`, name)),
    );
    const group = (await ana.client.post('/api/groups', { name: 'Comité Livraison', kind: 'local', postalCode: '75020', openness: 'open' })).body;
    for (const m of [ben, cleo, dan]) expect((await m.client.post(`/api/groups/${group.id}/join`, {})).status).toBe(200);
    main = (await ana.client.get(`/api/groups/${group.id}/rooms`)).body.rooms[0].id;
    channel = (await ana.client.post(`/api/groups/${group.id}/rooms`, { name: 'Actions' })).body.id;
    const other = (await eve.client.post('/api/groups', { name: 'Collectif Bruit', kind: 'local', postalCode: '75011', openness: 'open' })).body;
    floodRoom = (await eve.client.get(`/api/groups/${other.id}/rooms`)).body.rooms[0].id;
    expect([main, channel, floodRoom].every(Boolean)).toBe(true);
  });

  afterAll(async () => {
    for (const p of peers) p.close();
    for (const g of gates) await g.close();
    await server?.stop();
    await smtp?.close();
    await dropPg?.();
  });

  it('loses nothing and stores nothing twice when the server is killed (SIGKILL) mid-stream', { timeout: 60_000 }, async () => {
    const senders = [open('ana', ana), open('ben', ben), open('cleo', cleo, ['polling']), open('dan', dan)];
    for (const p of senders) {
      await connected(p);
      p.chat.track(main, 0);
      p.chat.track(channel, 0);
    }
    expect(senders[2].socket.io.engine.transport.name).toBe('polling');
    const PER_CLIENT = 50;
    const acked = () => senders.reduce((n, p) => n + [...p.acks.values()].filter((a) => a.ok).length, 0);
    // Each member writes a line every ~100 ms, into one room or the other, whatever the server's state.
    const writing = senders.map(async (p, k) => {
      for (let i = 0; i < PER_CLIENT; i++) {
        p.send(i % 2 === k % 2 ? main : channel, `${p.name} ${i}`);
        await sleep(60 + Math.random() * 80);
      }
    });
    await until(() => acked() >= 20, 20_000, 'first acknowledgements');
    await server.kill('SIGKILL');
    const ackedAtKill = new Set(senders.flatMap((p) => [...p.acks].filter(([, a]) => a.ok).map(([id]) => id)));
    await sleep(300); // the lines written meanwhile wait in the outboxes
    // Everything tried so far and not acknowledged before the crash: nobody can answer it now.
    const unanswered = senders.flatMap((p) => p.sent.filter((id) => !ackedAtKill.has(id)));
    await server.restart();
    await Promise.all(writing);
    await until(() => converged(senders, [main, channel]), 30_000, 'every client caught up');

    const history = [...(await checkHistory(main)), ...(await checkHistory(channel))];
    const storedIds = history.map((m) => m.clientId);
    const sent = senders.flatMap((p) => p.sent);
    expect(sent).toHaveLength(PER_CLIENT * senders.length);
    // Everything acknowledged before the crash survived it, once.
    for (const id of ackedAtKill) expect(storedIds.filter((x) => x === id)).toHaveLength(1);
    // Everything any client tried to send is stored once (what had no answer was sent again by
    // the client once it had reconnected by itself), nothing else is.
    expect(unanswered.length).toBeGreaterThan(0);
    expect([...storedIds].sort()).toEqual([...sent].sort());
    for (const p of senders) expect(p.connections).toBeGreaterThanOrEqual(2);
  });

  it('gives a client that was away exactly what it missed, once and in order (socket closed, then server restart)', { timeout: 60_000 }, async () => {
    // Ben on another tab, whose network the test can cut (a relay to the server).
    const gate = await tcpGate(server.url);
    gates.push(gate);
    const [pa, , pc] = peers;
    const pb = open('ben (relayed)', ben, undefined, gate.url);
    for (const p of [pa, pb, pc]) await connected(p);
    pb.chat.track(main, 0);
    pb.chat.track(channel, 0);
    await until(() => converged([pa, pb, pc], [main, channel]), 10_000, 'ben’s new tab caught up');

    // Ben's line reaches the server, which stores it, but the answer is lost on the way and the
    // connection drops: his tab reconnects by itself and sends it again with the same client id;
    // the server answers "already stored".
    gate.mute = true;
    const lost = pb.send(main, 'stocké, réponse perdue');
    await until(async () => (await stored(ana, main)).some((m) => m.clientId === lost), 10_000, 'the line stored');
    expect(pb.chat.pending(main).map((m) => m.clientId)).toEqual([lost]);
    const connections = pb.connections;
    gate.mute = false;
    gate.cut();
    await until(() => pb.acks.get(lost)?.ok === true, 10_000, 'the line answered');
    expect(pb.connections).toBe(connections + 1);
    expect(pb.acks.get(lost)).toMatchObject({ ok: true, duplicate: true });
    await until(() => converged([pa, pb, pc], [main, channel]), 10_000, 'ben caught up');

    // Ben closes his tab's socket (phone asleep) right after writing a line; the others write,
    // and so does he, offline; then he comes back.
    const asleep = pb.send(main, 'envoyé juste avant la coupure');
    pb.socket.disconnect();
    const liveBefore = pb.live.length;
    for (let i = 0; i < 8; i++) {
      pa.send(main, `pendant l’absence ${i}`);
      pc.send(i % 2 ? main : channel, `cléo pendant l’absence ${i}`);
      if (i < 3) pb.send(main, `ben hors ligne ${i}`);
      await sleep(15);
    }
    const othersDone = () => [pa, pc].every((p) => p.chat.pending(main).length === 0 && p.chat.pending(channel).length === 0);
    await until(othersDone, 10_000, 'the others stored');
    expect(pb.live.length).toBe(liveBefore);
    expect(pb.chat.pending(main).map((m) => m.clientId)[0]).toBe(asleep);
    expect(pb.chat.pending(main)).toHaveLength(4);
    pb.socket.connect();
    // Nothing is written after his return: what he missed comes from the sync alone.
    await until(() => converged([pa, pb, pc], [main, channel]), 15_000, 'ben caught up');
    const history = await stored(ana, main);
    for (const id of [lost, asleep]) expect(history.filter((m) => m.clientId === id)).toHaveLength(1);

    // The server restarts (SIGTERM, as an operator's deploy) while Ben's network is down; the
    // others' tabs reconnect by themselves and write; then Ben's network comes back, and his tab
    // reconnects by itself too. Nobody reconnects by hand.
    gate.open = false;
    const before = pb.connections;
    await server.restart();
    await connected(pa);
    await connected(pc);
    for (let i = 0; i < 6; i++) {
      pa.send(main, `après le redémarrage ${i}`);
      pc.send(channel, `cléo après le redémarrage ${i}`);
      await sleep(15);
    }
    await until(othersDone, 10_000, 'the others stored after the restart');
    expect(pb.connections).toBe(before);
    expect(pb.socket.connected).toBe(false);
    gate.open = true;
    await until(() => pb.connections === before + 1, 10_000, 'Ben’s tab reconnected by itself');
    await until(() => converged([pa, pb, pc], [main, channel]), 15_000, 'everyone caught up after the restart');
    await checkHistory(main);
    await checkHistory(channel);
    pb.close();
  });

  it('sends and receives live over long-polling alone', { timeout: 30_000 }, async () => {
    const pc = peers[2];
    const pd = peers[3];
    await connected(pc);
    await connected(pd);
    expect(pc.socket.io.engine.transport.name).toBe('polling');
    await until(() => converged([pc, pd], [channel]), 10_000, 'caught up');
    for (let i = 0; i < 5; i++) {
      for (const [from, to] of [
        [pc, pd],
        [pd, pc],
      ]) {
        const id = from.send(channel, `${from.name} en direct ${i}`);
        await until(() => to.live.some((m) => m.clientId === id) && from.acks.get(id)?.ok === true, 10_000, 'live delivery');
      }
    }
    await until(() => converged([pc, pd], [channel]), 10_000, 'same views');
    await checkHistory(channel);
  });

  it('answers a flood with translated rate-limit errors while other rooms stay prompt', { timeout: 60_000 }, async () => {
    const [pa, , , pd] = peers;
    await connected(pa);
    await connected(pd);
    await until(() => converged([pa, pd], [main]), 10_000, 'caught up');
    const flooder: Socket = chatSocket(server.url, eve);
    try {
      await until(() => flooder.connected, 10_000, 'flooder connected');
      // Eve's script fires lines as fast as it can: the first 120 of the minute are taken
      // (chat:account), the rest refused, and it keeps firing while Dan writes to his group.
      type Answer = { ok: boolean; error?: string; message?: string; retryAfter?: number };
      let n = 0;
      const burst = (size: number) =>
        Array.from({ length: size }, () => flooder.timeout(20_000).emitWithAck('chat:send', { roomId: floodRoom, clientId: `flood${(n++).toString().padStart(8, '0')}`, body: `bruit ${n}` }) as Promise<Answer>);
      const first = await Promise.all(burst(150));
      expect(first.filter((r) => r.ok)).toHaveLength(120);
      const refused: Promise<Answer>[] = [];
      const rounds: number[] = [];
      for (let i = 0; i < 8; i++) {
        refused.push(...burst(50));
        const t0 = Date.now();
        const id = pd.send(main, `pendant le flot ${i}`);
        await until(() => pd.acks.get(id)?.ok === true && pa.live.some((m) => m.clientId === id), 10_000, 'a line during the flood');
        rounds.push(Date.now() - t0);
      }
      const later = await Promise.all(refused);
      for (const r of [...first.filter((x) => !x.ok), ...later]) {
        expect(r).toMatchObject({ ok: false, error: 'rate_limited', message: 'Trop de tentatives. Réessayez dans 1 min.' });
        expect(r.retryAfter).toBeGreaterThan(0);
      }
      // Generous bound (the machine runs other test files meanwhile): the point is that Dan is not
      // stuck behind Eve's flood, which would take tens of seconds to drain.
      expect(Math.max(...rounds)).toBeLessThan(5_000);
      expect((await stored(eve, floodRoom)).length).toBe(120);
      await until(() => converged([pa, pd], [main]), 10_000, 'same views');
    } finally {
      flooder.close();
    }
  });
});
