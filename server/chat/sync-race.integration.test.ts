// A reconnecting client must not lose a message stored while its sync is being answered. The
// database is made slow on purpose (in process, so the test controls when): the socket's joins
// come late, and another member's message is stored after the sync read the room but before the
// socket was in it. The client must still end up with it, with no other message to reveal the gap.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../tests/helpers/db.ts';
import { startTestNode, type TestNode } from '../../tests/helpers/node.ts';
import { connected, essentials, peer, sleep, stored, until, type Member } from '../../tests/helpers/chat.ts';

describe.each(dialects)('a sync racing a new message, on %s', (dialect) => {
  let n: TestNode;
  let ana: Member, ben: Member;

  beforeAll(async () => {
    n = await startTestNode(dialect, { rateLimits: false });
    const [a, b] = await Promise.all([n.signup('ana@example.org', 'Ana'), n.signup('ben@example.org', 'Ben')]);
    ana = { email: 'ana@example.org', ...a };
    ben = { email: 'ben@example.org', ...b };
  });
  afterAll(async () => {
    await n?.close();
  });

  it('delivers the message stored between the sync’s read and the socket’s joining the room', async () => {
    const room = (await ana.client.post('/api/chat/direct', { userId: ben.user.id })).body;
    const send = (body: string) => ana.client.post(`/api/chat/rooms/${room.id}/messages`, { clientId: `race${Date.now()}${Math.random().toString(36).slice(2, 8)}`, body });
    expect((await send('avant')).status).toBe(201);
    const pb = peer('ben', n.url, ben);
    try {
      await connected(pb);
      pb.chat.track(room.id, 0);
      await until(async () => JSON.stringify(essentials(pb.chat.messages(room.id))) === JSON.stringify(essentials(await stored(ana, room.id))), 5_000, 'first sync');
      pb.socket.disconnect();

      // A slow database, for Ben only: his socket's rooms are looked up late, and Ana's line is
      // stored just after his sync read the room.
      const chat = n.node.services.chat;
      const readable = chat.readableRoomIds.bind(chat);
      const sync = chat.sync.bind(chat);
      let raced: string | null = null;
      chat.readableRoomIds = async (userId) => {
        if (userId === ben.user.id) await sleep(400);
        return readable(userId);
      };
      chat.sync = async (actor, roomId, since) => {
        const answer = await sync(actor, roomId, since);
        if (actor?.userId === ben.user.id && raced === null) {
          raced = (await send('pendant la synchronisation')).body.message.id;
        }
        return answer;
      };
      try {
        pb.socket.connect();
        await until(() => raced !== null, 5_000, 'the racing message');
        // Nothing else is written: the client must get it without another message showing a gap.
        await until(async () => JSON.stringify(essentials(pb.chat.messages(room.id))) === JSON.stringify(essentials(await stored(ana, room.id))), 3_000, 'Ben has every message');
        expect(pb.chat.messages(room.id).map((m) => m.body)).toEqual(['avant', 'pendant la synchronisation']);
      } finally {
        delete (chat as Partial<typeof chat>).readableRoomIds;
        delete (chat as Partial<typeof chat>).sync;
      }
    } finally {
      pb.close();
    }
  });
});
