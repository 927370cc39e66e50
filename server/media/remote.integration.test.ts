// Pictures of other servers through the proxy (decision 0018), against stub servers on loopback
// serving pictures made with sharp. What must not happen is asserted on the stubs' request logs:
// no request for a link we did not emit, for a blocked host, to a private address after a
// redirect; no name of the other server on our disk.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import express from 'express';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../tests/helpers/db.ts';
import { startTestNode, type TestNode } from '../../tests/helpers/node.ts';
import { startPictureServer, type PictureServer } from '../../tests/helpers/pictures.ts';
import { remoteMediaRoute } from '../http/remote-media.ts';
import { FAILURE_MS, KEEP_MS, RemoteMedia, type RemoteMediaOptions } from './remote.ts';

const MiB = 1024 * 1024;

/** The key and URL of one of our links, as the route receives them. */
function parts(link: string | null) {
  const u = new URL(link!, 'http://x');
  return { key: u.pathname.split('/').pop()!, url: u.searchParams.get('url')! };
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

describe.each(dialects)('pictures of other servers (%s)', (dialect) => {
  let n: TestNode;
  let stub: PictureServer;
  let blocked: PictureServer;
  let rejecting: PictureServer;
  let media: RemoteMedia;
  let proxy: Server;
  let proxyUrl: URL;
  let admin = { userId: '', role: 'admin' as const, sessionId: null };
  const get = (link: string | null, init?: RequestInit) => fetch(new URL(link!, proxyUrl), init);

  beforeAll(async () => {
    [stub, blocked, rejecting] = await Promise.all([startPictureServer(), startPictureServer(), startPictureServer()]);
    // The node keeps its SSRF guard; the stubs (on loopback) are reached by a second process of
    // the same instance (same database and DATA_DIR) that allows private addresses, serving the
    // same route. The node's own route is checked to serve what that process fetched.
    n = await startTestNode(dialect, { rateLimits: false });
    admin = { ...admin, userId: (await n.setupAdmin()).user.id };
    const { db, policy } = n.node.services;
    await policy.writeMode('open');
    await policy.setRule(admin, { host: blocked.host, action: 'block' });
    await policy.setRule(admin, { host: rejecting.host, action: 'allow', rejectMedia: true });
    media = new RemoteMedia({ db, policy, dataDir: n.node.config.dataDir, allowPrivateAddress: true, publicUrl: n.url });
    await media.ready();
    const app = express();
    app.set('query parser', 'simple');
    app.get('/media/remote/:key', remoteMediaRoute(media));
    proxy = createServer(app);
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    proxyUrl = new URL(`http://127.0.0.1:${(proxy.address() as { port: number }).port}`);
  });
  afterAll(async () => {
    proxy?.closeAllConnections();
    await new Promise((r) => (proxy ? proxy.close(r) : r(null)));
    await n?.close();
    await Promise.all([stub, blocked, rejecting].map((s) => s?.close()));
  });

  /** Another instance of the class on the same database (another process), on its own disk. */
  function sibling(o: Partial<RemoteMediaOptions> = {}) {
    const dataDir = mkdtempSync(join(tmpdir(), 'militant-remote-'));
    const { db, policy } = n.node.services;
    const m = new RemoteMedia({ db, policy, dataDir, allowPrivateAddress: true, publicUrl: n.url, ...o });
    return { m, dataDir, done: () => rmSync(dataDir, { recursive: true, force: true }) };
  }

  it('links only http(s) pictures, with a key any process of the instance accepts', async () => {
    const link = media.urlFor(stub.url('/avatar.jpg#frag'));
    expect(link).toMatch(/^\/media\/remote\/[A-Za-z0-9_-]{43}\?url=http%3A%2F%2F127\.0\.0\.1%3A\d+%2Favatar\.jpg$/);
    for (const bad of [null, '', 'javascript:alert(1)', 'ftp://a.example/x.png', 'data:image/png;base64,AAAA', 'http://u:p@a.example/x.png', 'not a url', `https://a.example/${'x'.repeat(3000)}`]) {
      expect(media.urlFor(bad)).toBeNull();
    }
    await n.node.services.remoteMedia.ready();
    expect(n.node.services.remoteMedia.urlFor(stub.url('/avatar.jpg'))).toBe(link);
  });

  it('fetches a picture once, re-encodes it to WebP without metadata and serves it inert', async () => {
    const link = media.urlFor(stub.url('/avatar.jpg'));
    const res = await get(link);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/webp');
    expect(res.headers.get('cache-control')).toBe('public, max-age=604800, immutable');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'");
    expect(res.headers.get('content-disposition')).toBeNull();
    const bytes = Buffer.from(await res.arrayBuffer());
    const meta = await sharp(bytes).metadata();
    // Turned upright by its EXIF orientation first, then bounded to 1600 px.
    expect(meta).toMatchObject({ format: 'webp', width: 800, height: 1600 });
    expect(meta.exif).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
    expect(bytes.includes('SECRET-COPYRIGHT')).toBe(false);
    expect(bytes.includes('SpyCam')).toBe(false);
    const again = await get(link);
    expect(Buffer.from(await again.arrayBuffer()).equals(bytes)).toBe(true);
    // The node's own route (app.ts) serves what the other process kept, with the same headers.
    const fromNode = await fetch(new URL(link!, n.url));
    expect(fromNode.status).toBe(200);
    expect(fromNode.headers.get('content-type')).toBe('image/webp');
    expect(fromNode.headers.get('cache-control')).toBe('public, max-age=604800, immutable');
    expect(fromNode.headers.get('content-security-policy')).toBe("default-src 'none'");
    expect(Buffer.from(await fromNode.arrayBuffer()).equals(bytes)).toBe(true);
    expect(stub.hits('/avatar.jpg')).toBe(1);
  });

  it('answers 404 to links it did not emit, without asking anyone', async () => {
    const before = stub.log.length;
    const good = parts(media.urlFor(stub.url('/forged.jpg')));
    const otherKey = parts(media.urlFor(stub.url('/other.jpg'))).key;
    const forged = [
      `/media/remote/${'A'.repeat(43)}?url=${encodeURIComponent(good.url)}`,
      `/media/remote/${otherKey}?url=${encodeURIComponent(good.url)}`,
      `/media/remote/${good.key}?url=${encodeURIComponent(good.url + '?x')}`,
      `/media/remote/${good.key}`,
      `/media/remote/${good.key}?url=${encodeURIComponent(good.url)}&url=${encodeURIComponent(good.url)}`,
      `/media/remote/${good.key.slice(1)}?url=${encodeURIComponent(good.url)}`,
      `/media/remote/..%2F..%2Fetc%2Fpasswd?url=${encodeURIComponent(good.url)}`,
      `/media/remote/${good.key}?url=${'%'.repeat(3000)}`,
    ];
    for (const path of forged) {
      expect((await get(path)).status, path).toBe(404);
      expect((await fetch(new URL(path, n.url))).status, path).toBe(404);
    }
    expect(stub.log.length).toBe(before);
  });

  it('never contacts a blocked host or one whose media are rejected', async () => {
    expect((await get(media.urlFor(blocked.url('/avatar.jpg')))).status).toBe(404);
    expect((await get(media.urlFor(rejecting.url('/avatar.jpg')))).status).toBe(404);
    // Not through a redirect from an allowed host either.
    for (const far of [blocked, rejecting]) {
      expect((await get(media.urlFor(stub.url(`/to/${encodeURIComponent(far.url('/avatar.jpg'))}`)))).status).toBe(404);
    }
    expect(blocked.log).toEqual([]);
    expect(rejecting.log).toEqual([]);
  });

  it('answers 404 to what is not a picture', async () => {
    for (const path of ['/page.html', '/picture-as-html', '/data.json', '/fake.png', '/svg.png', '/broken', '/nine.png', '/endless.png']) {
      const res = await get(media.urlFor(stub.url(path)));
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toBeNull();
    }
    // A body longer than 8 MiB with no length announced: the transfer was cut, not read to the end.
    const endless = stub.log.find((l) => l.path === '/endless.png')!;
    await expect.poll(() => endless.aborted).toBe(true);
    expect(endless.sent).toBeLessThan(64 * MiB);
  });

  it('follows at most 5 redirects', async () => {
    expect((await get(media.urlFor(stub.url('/redirect/5')))).status).toBe(200);
    expect((await get(media.urlFor(stub.url('/redirect/6')))).status).toBe(404);
    expect(stub.hits('/redirect/6')).toBe(1);
    expect(stub.hits('/redirect/0')).toBe(1); // only the chain of 5 reached the picture
  });

  it('fetches once for concurrent first requests', async () => {
    const link = media.urlFor(stub.url('/slow.jpg'));
    const answers = await Promise.all(Array.from({ length: 5 }, () => get(link)));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(stub.hits('/slow.jpg')).toBe(1);
  });

  it('remembers a failure for 10 minutes', async () => {
    const link = media.urlFor(stub.url('/flaky.jpg?route'));
    expect((await get(link)).status).toBe(404);
    expect((await get(link)).status).toBe(404); // the server answers now, but we do not ask
    expect(stub.hits('/flaky.jpg?route')).toBe(1);

    let now = Date.now();
    const s = sibling({ now: () => now });
    await s.m.ready();
    const { key, url } = parts(s.m.urlFor(stub.url('/flaky.jpg?clock')));
    expect(await s.m.picture(key, url)).toBeNull();
    now += FAILURE_MS - 1000;
    expect(await s.m.picture(key, url)).toBeNull();
    expect(stub.hits('/flaky.jpg?clock')).toBe(1);
    now += 2000;
    expect(await s.m.picture(key, url)).toBeInstanceOf(Buffer);
    expect(stub.hits('/flaky.jpg?clock')).toBe(2);
    s.done();
  });

  it('gives up on a server that does not answer', async () => {
    const s = sibling({ timeoutMs: 300 });
    await s.m.ready();
    const { key, url } = parts(s.m.urlFor(stub.url('/hang')));
    const started = Date.now();
    expect(await s.m.picture(key, url)).toBeNull();
    expect(Date.now() - started).toBeLessThan(3000);
    s.done();
  });

  it('refuses private addresses, after a redirect too, before connecting', async () => {
    // With the SSRF guard on, a public-looking address is routed to the stub by the transport;
    // the redirect targets must be refused before the transport is even called.
    const asked: string[] = [];
    const s = sibling({
      allowPrivateAddress: false,
      fetch: async (input, init) => {
        const u = new URL(String(input));
        asked.push(u.href);
        if (u.hostname !== '93.184.215.14') throw new Error(`the transport was asked for ${u.href}`);
        return fetch(stub.url(u.pathname + u.search), init);
      },
    });
    await s.m.ready();
    const publicPicture = parts(s.m.urlFor('http://93.184.215.14/avatar.jpg?public'));
    expect(await s.m.picture(publicPicture.key, publicPicture.url)).toBeInstanceOf(Buffer);
    const port = new URL(stub.url('/')).port;
    const targets = [
      `http://127.0.0.1:${port}/avatar.jpg?private`,
      `http://localhost:${port}/avatar.jpg?private`,
      `http://[::1]:${port}/avatar.jpg?private`,
      `http://[::ffff:127.0.0.1]:${port}/avatar.jpg?private`,
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/a.png',
      'file:///etc/passwd',
    ];
    for (const target of targets) {
      asked.length = 0;
      const { key, url } = parts(s.m.urlFor(`http://93.184.215.14/to/${encodeURIComponent(target)}`));
      expect(await s.m.picture(key, url), target).toBeNull();
      expect(asked, target).toEqual([url]);
    }
    asked.length = 0;
    const direct = parts(s.m.urlFor(stub.url('/avatar.jpg?private')));
    expect(await s.m.picture(direct.key, direct.url)).toBeNull();
    expect(asked).toEqual([]);
    expect(stub.hits('/avatar.jpg?private')).toBe(0);
    s.done();
  });

  it('keeps no name of the other server on disk', async () => {
    for (const path of ['/pics/../../etc/passwd.png', '/..%2F..%2Fetc%2Fpasswd.png', '/%2e%2e/%2e%2e/etc/passwd.png']) {
      expect((await get(media.urlFor(stub.url(path)))).status, path).toBe(200);
    }
    const root = n.node.config.dataDir;
    const kept = await filesUnder(join(root, 'remote-media'));
    expect(kept.length).toBeGreaterThan(0);
    for (const file of kept) expect(file).toMatch(/^[0-9a-f]{32}\/(?:[0-9a-f]{64}\.webp|host)$/);
    const everything = await filesUnder(root);
    expect(everything.filter((f) => /passwd|evil/.test(f))).toEqual([]);
  });

  it('prunes old pictures, forgets one on demand, and drops a host refused since', async () => {
    const link = media.urlFor(stub.url('/avatar.jpg?prune'));
    expect((await get(link)).status).toBe(200);
    await media.forget(stub.url('/avatar.jpg?prune'));
    expect((await get(link)).status).toBe(200);
    expect(stub.hits('/avatar.jpg?prune')).toBe(2); // fetched again after forget()

    const root = join(n.node.config.dataDir, 'remote-media');
    expect(await media.prune(Date.now())).toBe(0);
    const count = (await filesUnder(root)).filter((f) => f.endsWith('.webp')).length;
    expect(await media.prune(Date.now() + KEEP_MS + 60_000)).toBe(count);
    expect(await filesUnder(root)).toEqual([]);

    // A host refused since: the maintenance drops its folder…
    const { policy } = n.node.services;
    expect((await get(link)).status).toBe(200);
    await policy.setRule(admin, { host: stub.host, action: 'allow', rejectMedia: true });
    expect(await media.prune(Date.now())).toBe(1);
    expect(await filesUnder(root)).toEqual([]);
    // …and a request stops serving what was kept, at once, and drops it too.
    await policy.removeRule(admin, stub.host);
    expect((await get(link)).status).toBe(200);
    expect(await filesUnder(root)).not.toEqual([]);
    await policy.setRule(admin, { host: stub.host, action: 'block' });
    expect((await get(link)).status).toBe(404);
    expect(await filesUnder(root)).toEqual([]);
    expect(stub.hits('/avatar.jpg?prune')).toBe(4);
    await n.node.services.policy.removeRule(admin, stub.host);
  });
});
