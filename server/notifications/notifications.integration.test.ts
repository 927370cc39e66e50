// Notifications: preferences per type, instant mails with a one-click unsubscribe that needs no
// login, the daily digest, live counts over socket.io, and what is never notified.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as connect } from 'socket.io-client';
import { eq } from 'drizzle-orm';
import { startTestNode, type TestNode } from '../../tests/helpers/node.ts';
import type { Client } from '../../tests/helpers/client.ts';

type Member = { client: Client; user: { id: string; username: string } };

describe('notifications', () => {
  let n: TestNode;
  let ana: Member, ben: Member;
  beforeAll(async () => {
    n = await startTestNode('sqlite', { rateLimits: false });
    ana = await n.signup('ana@example.org', 'Ana');
    ben = await n.signup('ben@example.org', 'Ben');
  });
  afterAll(() => n?.close());

  it('mails a friend request at once, with a link and an unsubscribe link that works without login', async () => {
    await ana.client.post('/api/friends/requests', { userId: ben.user.id });
    const mail = await n.smtp.waitFor('ben@example.org');
    expect(mail.subject).toBe('Ana vous demande en ami·e');
    expect(mail.text).toContain(`${n.url.origin}/friends`);
    const unsubscribe = /(http\S+\/unsubscribe\?token=[a-z0-9]+&type=friend_request)/.exec(mail.text)![1];
    // The page asks to confirm; GET changes nothing.
    expect((await fetch(unsubscribe)).status).toBe(404); // no web app in API tests: the page is the browser's
    expect((await ben.client.get('/api/me/notification-prefs')).body.friend_request).toBe('email_instant');
    // Mail clients' one-click POST (RFC 8058): no cookie, no Origin.
    const oneClick = await fetch(unsubscribe, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(oneClick.status).toBe(204);
    expect((await ben.client.get('/api/me/notification-prefs')).body.friend_request).toBe('in_app');
    const forged = await fetch(new URL('/unsubscribe?token=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&type=all', n.url), { method: 'POST' });
    expect(forged.status).toBe(410);
  });

  it('respects preferences: off means nothing at all, bad values are refused', async () => {
    const bad = await ben.client.put('/api/me/notification-prefs', { like: 'carrier_pigeon' });
    expect(bad.status).toBe(400);
    expect((await ben.client.put('/api/me/notification-prefs', { nonsense: 'off' })).status).toBe(400);
    expect((await ben.client.put('/api/me/notification-prefs', { like: 'off' })).body.like).toBe('off');
    const post = await ben.client.post('/api/posts', { body: 'Mon post', audience: 'public' });
    await ana.client.put(`/api/posts/${post.body.id}/like`);
    const items = (await ben.client.get('/api/notifications')).body.items;
    expect(items.some((i: { type: string }) => i.type === 'like')).toBe(false);
  });

  it('counts unread, marks read (only one’s own), and pushes the count live', async () => {
    const unread = (await ben.client.get('/api/notifications/unread')).body.unread;
    expect(unread).toBeGreaterThan(0);
    const socket = connect(n.url.origin, { transports: ['websocket'], extraHeaders: { cookie: ben.client.cookieHeader, origin: n.url.origin }, reconnection: false });
    const ready = await new Promise<{ unread: number }>((r) => socket.on('ready', r));
    expect(ready.unread).toBe(unread);
    const pushed = new Promise<{ unread: number }>((r) => socket.on('notifications', r));
    const post = (await ben.client.get('/api/feed')).body.items[0];
    await ana.client.post(`/api/posts/${post.id}/comments`, { body: 'Bravo' });
    expect((await pushed).unread).toBe(unread + 1);
    socket.close();
    const anaItems = (await ana.client.get('/api/notifications')).body.items;
    expect((await ben.client.post('/api/notifications/read', { ids: anaItems.map((i: { id: string }) => i.id) })).body.unread).toBe(unread + 1);
    expect((await ben.client.post('/api/notifications/read', { ids: 'all' })).body.unread).toBe(0);
    expect((await ben.client.post('/api/notifications/read', { ids: 'everything' })).status).toBe(400);
  });

  it('sends one daily digest after 8:00 Paris time, then nothing more that day', async () => {
    // Comments default to the digest.
    const post = (await ana.client.post('/api/posts', { body: 'Digest me', audience: 'public' })).body;
    await ben.client.post(`/api/posts/${post.id}/comments`, { body: 'Un' });
    await ben.client.post(`/api/posts/${post.id}/comments`, { body: 'Deux' });
    const { notifications } = n.node.services;
    expect(await notifications.sendDigests(new Date('2026-11-23T06:30:00Z'))).toBe(0); // 7:30 in Paris
    // 8:30 in Paris: Ana's digest, and Ben's (Ana's comment of the previous test).
    expect(await notifications.sendDigests(new Date('2026-11-23T07:30:00Z'))).toBe(2);
    const digest = await n.smtp.waitFor('ana@example.org', (m) => m.subject.includes('résumé'));
    expect(digest.text.match(/Ben a commenté votre publication/g)).toHaveLength(2);
    expect(digest.text).toContain('/unsubscribe?token=');
    expect(await notifications.sendDigests(new Date('2026-11-23T09:00:00Z'))).toBe(0);
    const { db } = n.node.services;
    const rows = await db.q.select().from(db.t.notifications).where(eq(db.t.notifications.userId, ana.user.id));
    expect(rows.every((r) => r.emailState !== 'digest')).toBe(true);
  });

  it('never notifies someone blocked, nor oneself', async () => {
    await ben.client.put(`/api/blocks/${ana.user.id}`);
    const before = (await ben.client.get('/api/notifications')).body.items.length;
    const post = (await ana.client.post('/api/posts', { body: `Coucou @${ben.user.username}`, audience: 'public' })).body;
    await ana.client.put(`/api/posts/${post.id}/like`);
    expect((await ben.client.get('/api/notifications')).body.items.length).toBe(before);
    expect((await ana.client.get('/api/notifications')).body.items.some((i: { type: string }) => i.type === 'like')).toBe(false);
  });
});
