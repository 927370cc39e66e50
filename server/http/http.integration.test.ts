// Bad input and request-level protections of the HTTP layer: malformed and oversized bodies,
// cross-site requests, security headers, uploads. Never a 500, never a stack trace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { startTestNode, type TestNode } from '../../tests/helpers/node.ts';
import type { Client } from '../../tests/helpers/client.ts';

describe('HTTP layer', () => {
  let n: TestNode;
  let member: Client;
  beforeAll(async () => {
    n = await startTestNode('sqlite', { rateLimits: false });
    member = (await n.signup('http@example.org', 'Http')).client;
  });
  afterAll(() => n?.close());

  it('answers malformed JSON with a translated 400', async () => {
    const res = await n.client().post('/api/auth/signup', '{"email": oops', { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_input', message: "La requête n'est pas du JSON valide." });
    const en = await n.client({ language: 'en' }).post('/api/auth/signup', '[1,', { 'content-type': 'application/json' });
    expect(en.body.message).toBe('The request is not valid JSON.');
  });

  it('refuses an oversized body with 413 before reading it all', async () => {
    const res = await n.client().post('/api/auth/signup', JSON.stringify({ email: 'a'.repeat(200_000) }), { 'content-type': 'application/json' });
    expect(res.status).toBe(413);
    expect(res.body.error).toBe('payload_too_large');
  });

  it('treats a body that is not JSON as missing input, not as a crash', async () => {
    const res = await n.client().post('/api/auth/login/code', 'email=a@b.c', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(400);
    expect(res.body.fields.email).toBeDefined();
  });

  it('gives JSON 404s for unknown API routes and wrong ids', async () => {
    expect((await n.client().get('/api/nope')).body).toEqual({ error: 'not_found', message: "Cette page ou cette ressource n'existe pas." });
    expect((await n.client().get('/api/users/does_not_exist')).status).toBe(404);
    expect((await n.client().get('/api/users/%E0%A4%A')).status).toBe(400);
    expect((await n.client().get('/api/postal-codes/abc')).status).toBe(400);
    expect((await n.client().get('/api/postal-codes/99999')).body).toEqual({ communes: [] });
  });

  it('refuses state changes sent from another site', async () => {
    const evil = n.client({ origin: 'https://evil.example' });
    const res = await evil.post('/api/auth/login/code', { email: 'http@example.org' });
    expect(res.status).toBe(403);
    expect(res.body.message).toBe('Requête refusée : elle ne provient pas de ce site.');
    const crossSite = await member.patch('/api/me', { bio: 'pwned' }, { 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    expect((await member.get('/api/me')).body.bio).toBe('');
    // Same-origin requests and non-browser clients (no Origin, no cookie) go through.
    expect((await member.patch('/api/me', { bio: 'ok' }, { 'sec-fetch-site': 'same-origin' })).status).toBe(200);
  });

  it('sends security headers and never caches API answers', async () => {
    const res = await member.get('/api/me');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('strict-transport-security')).toBeNull(); // plain http here; set behind https
  });

  it('sets an HttpOnly, SameSite=Lax session cookie without the Secure flag over plain http', async () => {
    const c = n.client();
    const start = await c.post('/api/auth/login/code', { email: 'http@example.org' });
    const raw = await fetch(new URL('/api/auth/verify', n.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: n.url.origin },
      body: JSON.stringify({ challengeId: start.body.challengeId, code: /\b(\d{6})\b/.exec((await n.smtp.waitFor('http@example.org')).text)![1] }),
    });
    const cookie = raw.headers.getSetCookie().find((c) => c.startsWith('session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Max-Age=2592000/);
    expect(cookie).not.toMatch(/Secure/);
  });

  it('rejects forged, malformed and oversized session cookies as anonymous', async () => {
    const session = [...member.cookies].find(([k]) => k === 'session')![1];
    const [id] = session.split('.');
    for (const forged of [`${id}.${'a'.repeat(32)}`, 'garbage', `.${session}`, 'x'.repeat(5000)]) {
      const res = await fetch(new URL('/api/me', n.url), { headers: { cookie: `session=${forged}` } });
      expect(res.status).toBe(401);
    }
  });

  it('stores avatars re-encoded, square and without metadata, served inert', async () => {
    // A JPEG carrying EXIF (with GPS), as phones produce.
    const jpeg = await sharp({ create: { width: 900, height: 600, channels: 3, background: '#c33' } })
      .jpeg()
      .withExif({ IFD0: { Make: 'Phone', Model: 'X' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 0/1' } })
      .toBuffer();
    expect((await sharp(jpeg).metadata()).exif).toBeDefined();
    const res = await member.put('/api/me/avatar', new Uint8Array(jpeg), { 'content-type': 'image/jpeg' });
    expect(res.status).toBe(200);
    expect(res.body.avatarUrl).toMatch(/^\/media\/avatars\/[a-z0-9]{16}\.webp$/);
    const file = await fetch(new URL(res.body.avatarUrl, n.url));
    expect(file.headers.get('content-type')).toBe('image/webp');
    expect(file.headers.get('x-content-type-options')).toBe('nosniff');
    expect(file.headers.get('content-security-policy')).toContain('sandbox');
    const stored = await sharp(Buffer.from(await file.arrayBuffer())).metadata();
    expect(stored).toMatchObject({ format: 'webp', width: 400, height: 400 });
    expect(stored.exif).toBeUndefined();
  });

  it('refuses uploads that are not images, or too large, changing nothing', async () => {
    const before = (await member.get('/api/me')).body.avatarUrl;
    const html = await member.put('/api/me/avatar', new TextEncoder().encode('<script>alert(1)</script>'), { 'content-type': 'image/png' });
    expect(html.status).toBe(415);
    expect(html.body.message).toMatch(/pas une image lisible/);
    const wrongType = await member.put('/api/me/avatar', new Uint8Array([1, 2, 3]), { 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(415);
    const huge = await member.put('/api/me/avatar', new Uint8Array(9 * 1024 * 1024), { 'content-type': 'image/png' });
    expect(huge.status).toBe(413);
    expect((await member.get('/api/me')).body.avatarUrl).toBe(before);
  });

  it('serves only media names it generated (no traversal)', async () => {
    for (const path of ['/media/../package.json', '/media/avatars/..%2f..%2fpackage.json', '/media/avatars/x.webp', '/media/militant.sqlite']) {
      const res = await fetch(new URL(path, n.url));
      expect(res.status).toBe(404);
    }
  });

  it('validates profile edits field by field and keeps usernames unique', async () => {
    const bad = await member.patch('/api/me', { username: 'A!', bio: 'x'.repeat(501), skills: ['juggling'], skillTags: Array(11).fill('t').map((t, i) => t + i) });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.fields).sort()).toEqual(['bio', 'skillTags', 'skills', 'username']);
    const reserved = await member.patch('/api/me', { username: 'admin' });
    expect(reserved.body.fields.username).toBe('Cet identifiant est réservé.');
    await n.signup('other@example.org', 'Taken Name');
    const taken = await member.patch('/api/me', { username: 'taken_name' });
    expect(taken.status).toBe(409);
    expect(taken.body.fields.username).toBe('Cet identifiant est déjà pris.');
    const ok = await member.patch('/api/me', { username: 'new_name', skills: ['legal'], skillTags: 'Tractage, affiches,tractage' });
    expect(ok.body).toMatchObject({ username: 'new_name', skills: ['legal'], skillTags: ['tractage', 'affiches'] });
  });

  it('lets a member stop giving a commune, and checks a new one', async () => {
    expect((await member.patch('/api/me', { postalCode: '13001' })).body).toMatchObject({ postalCode: '13001', communeName: 'Marseille 1er Arrondissement' });
    expect((await member.patch('/api/me', { postalCode: '00000' })).body.fields.postalCode).toBe('Ce code postal est inconnu.');
    expect((await member.patch('/api/me', { postalCode: '' })).body).toMatchObject({ postalCode: null, communeCode: null, communeName: null });
  });
});
