// Map tiles through the instance: fetched once from the tile server (a fake one here), cached,
// refused when out of range, never forwarded when the tile server answers something else.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { startTestNode, type TestNode } from '../../tests/helpers/node.ts';
import { loadConfig, ConfigError } from '../config.ts';
import { pruneTiles, TILE_KEEP_MS } from './tiles.ts';

describe('tile proxy', () => {
  let upstream: Server;
  let hits: string[] = [];
  let n: TestNode;
  let png: Buffer;
  beforeAll(async () => {
    png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#0a0' } }).png().toBuffer();
    upstream = createServer((req, res) => {
      hits.push(`${req.url} ${req.headers['user-agent']}`);
      // Zoom 5: a page instead of a picture; zoom 6: no such tile.
      if (req.url?.startsWith('/5/')) return res.writeHead(200, { 'content-type': 'text/html' }).end('<script>x</script>');
      if (req.url?.startsWith('/6/')) return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'image/png' }).end(png);
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    const port = (upstream.address() as { port: number }).port;
    n = await startTestNode('sqlite', { env: { MAP_TILE_URL: `http://127.0.0.1:${port}/{z}/{x}/{y}.png` } });
  });
  afterAll(async () => {
    await n?.close();
    await new Promise((r) => upstream.close(r));
  });

  it('fetches a tile once, then serves it from its cache, naming itself to the tile server', async () => {
    hits = [];
    const first = await fetch(new URL('/tiles/3/4/2.png', n.url));
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await first.arrayBuffer()).equals(png)).toBe(true);
    const second = await fetch(new URL('/tiles/3/4/2.png', n.url));
    expect(second.status).toBe(200);
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatch(/^\/3\/4\/2\.png militant-network\/0\.1 \(\+http:\/\/127\.0\.0\.1:\d+\)$/);
  });

  it('refuses tiles that cannot exist, without asking the tile server', async () => {
    hits = [];
    for (const path of ['/tiles/3/8/0.png', '/tiles/20/0/0.png', '/tiles/-1/0/0.png', '/tiles/a/b/c.png', '/tiles/1/0/0.5.png']) {
      expect((await fetch(new URL(path, n.url))).status, path).toBe(404);
    }
    expect(hits).toHaveLength(0);
  });

  it('answers 502 when the tile server fails or sends something that is not an image, and caches nothing', async () => {
    hits = [];
    for (const path of ['/tiles/5/1/1.png', '/tiles/6/1/1.png', '/tiles/5/1/1.png']) {
      const res = await fetch(new URL(path, n.url));
      expect(res.status, path).toBe(502);
      expect(await res.text()).toBe('');
    }
    expect(hits).toHaveLength(3);
  });
});

describe('tile cache pruning', () => {
  it('removes tiles older than a week and interrupted writes, then empty folders, and keeps the rest', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'militant-tiles-'));
    try {
      const now = Date.now();
      const put = (path: string, ageMs: number) => {
        const file = join(dataDir, 'tiles', path);
        mkdirSync(join(file, '..'), { recursive: true });
        writeFileSync(file, 'x');
        const at = (now - ageMs) / 1000;
        utimesSync(file, at, at);
      };
      put('3/4/2.png', 60_000);
      put('3/4/3.png', TILE_KEEP_MS + 60_000);
      put('9/100/200.png', TILE_KEEP_MS + 60_000);
      put('3/4/2.png.1234.abc', 2 * 3_600_000);
      put('3/5/1.png.1234.def', 60_000); // a write in progress
      expect(await pruneTiles(dataDir, now)).toBe(3);
      expect(readdirSync(join(dataDir, 'tiles', '3', '4'))).toEqual(['2.png']);
      expect(readdirSync(join(dataDir, 'tiles', '3', '5'))).toEqual(['1.png.1234.def']);
      expect(existsSync(join(dataDir, 'tiles', '9'))).toBe(false);
      expect(existsSync(join(dataDir, 'tiles'))).toBe(true);
      // Nothing cached yet: nothing to do, no error.
      expect(await pruneTiles(join(dataDir, 'none'), now)).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('map settings', () => {
  it('are checked at start', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (e) {
        return e instanceof ConfigError ? e.problems : ['?'];
      }
    };
    expect(problems({ MAP_TILE_URL: 'https://tiles.example.org/{z}/{x}.png' })).toEqual(['MAP_TILE_URL: must contain {z}, {x} and {y} (or be "none")']);
    expect(problems({ MAP_TILE_URL: 'none' })).toEqual([]);
    expect(problems({ MAP_STYLE_URL: 'javascript:alert(1)' })[0]).toMatch(/^MAP_STYLE_URL/);
    expect(loadConfig({ MAP_TILE_URL: 'none' }).map.tileUrl).toBeNull();
    expect(loadConfig({ MAP_EXTRA_ORIGINS: 'https://a.example/x, https://b.example' }).map.extraOrigins).toEqual(['https://a.example', 'https://b.example']);
  });
});
