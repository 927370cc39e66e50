// socket.io: authenticated by the session cookie, guarded by Origin, cut the moment the session
// ends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as connect, type Socket } from 'socket.io-client';
import { startTestNode, type TestNode } from '../../tests/helpers/node.ts';
import type { Client } from '../../tests/helpers/client.ts';

function open(n: TestNode, headers: Record<string, string>): Promise<{ socket: Socket; ready?: { userId: string }; error?: string }> {
  return new Promise((resolve) => {
    const socket = connect(n.url.origin, { transports: ['websocket'], extraHeaders: headers, reconnection: false, timeout: 3000 });
    socket.on('ready', (ready) => resolve({ socket, ready }));
    socket.on('connect_error', (e) => resolve({ socket, error: e.message }));
  });
}

const disconnected = (socket: Socket) => new Promise<string>((resolve) => socket.on('disconnect', (reason) => resolve(reason)));

describe('real-time connections', () => {
  let n: TestNode;
  let member: { client: Client; user: { id: string } };
  beforeAll(async () => {
    n = await startTestNode('sqlite', { rateLimits: false });
    member = await n.signup('rt@example.org', 'Realtime');
  });
  afterAll(() => n?.close());

  it('accepts a member’s socket and puts it in the member’s room', async () => {
    const { socket, ready } = await open(n, { cookie: member.client.cookieHeader, origin: n.url.origin });
    expect(ready).toEqual({ userId: member.user.id, unread: 0 });
    const rooms = await n.node.io!.in(`user:${member.user.id}`).fetchSockets();
    expect(rooms).toHaveLength(1);
    socket.close();
  });

  it('refuses sockets without a valid session, or from another site', async () => {
    expect((await open(n, { origin: n.url.origin })).error).toBe('unauthenticated');
    expect((await open(n, { cookie: 'session=abc.def', origin: n.url.origin })).error).toBe('unauthenticated');
    const evil = await open(n, { cookie: member.client.cookieHeader, origin: 'https://evil.example' });
    expect(evil.ready).toBeUndefined();
    expect(evil.error).toBeDefined();
    evil.socket.close();
  });

  it('disconnects the sockets of a session when it logs out, and only those', async () => {
    const other = await n.login('rt@example.org');
    const a = await open(n, { cookie: member.client.cookieHeader, origin: n.url.origin });
    const b = await open(n, { cookie: other.cookieHeader, origin: n.url.origin });
    expect(a.ready && b.ready).toBeTruthy();
    const gone = disconnected(b.socket);
    await other.post('/api/auth/logout');
    expect(await gone).toBe('io server disconnect');
    expect(a.socket.connected).toBe(true);
    a.socket.close();
  });

  it('disconnects the other sessions’ sockets when the password changes', async () => {
    const other = await n.login('rt@example.org');
    const b = await open(n, { cookie: other.cookieHeader, origin: n.url.origin });
    const gone = disconnected(b.socket);
    expect((await member.client.put('/api/me/password', { newPassword: 'toujours plus long' })).status).toBe(204);
    expect(await gone).toBe('io server disconnect');
  });
});
