// Map tiles through the instance: members' browsers ask us, we ask the tile server once and keep
// the tile a week on disk. The tile server never learns who looks at which street (an activist
// checking where tomorrow's action is), pages need no third-party origin in their CSP, and a
// busy instance fetches each tile once instead of once per member (as OpenStreetMap's tile
// policy asks of heavy users).
import { mkdir, readFile, readdir, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Request, Response } from 'express';
import type { MapConfig } from '../config.ts';

const MAX_ZOOM = 19;
export const TILE_KEEP_MS = 7 * 86_400_000;
const TIMEOUT_MS = 8000;
/** At most this many tile fetches from the tile server at once (the rest wait their turn). */
const UPSTREAM_CONCURRENCY = 4;

export function tileProxy(map: MapConfig, dataDir: string, userAgent: string) {
  const root = join(dataDir, 'tiles');
  const inflight = new Map<string, Promise<Buffer | null>>();
  let running = 0;
  const waiting: (() => void)[] = [];

  async function upstream(z: number, x: number, y: number): Promise<Buffer | null> {
    if (running >= UPSTREAM_CONCURRENCY) await new Promise<void>((r) => waiting.push(r));
    running++;
    try {
      const url = map.tileUrl!.replace('{z}', String(z)).replace('{x}', String(x)).replace('{y}', String(y));
      const res = await fetch(url, { headers: { 'user-agent': userAgent, accept: 'image/png,image/*' }, redirect: 'error', signal: AbortSignal.timeout(TIMEOUT_MS) });
      if (!res.ok || !/^image\//.test(res.headers.get('content-type') ?? '')) return null;
      const bytes = Buffer.from(await res.arrayBuffer());
      return bytes.length > 0 && bytes.length < 2_000_000 ? bytes : null;
    } catch {
      return null;
    } finally {
      running--;
      waiting.shift()?.();
    }
  }

  return async (req: Request, res: Response) => {
    const z = Number(req.params.z);
    const x = Number(req.params.x);
    const y = Number(req.params.y);
    const ok = (n: number, max: number) => Number.isInteger(n) && n >= 0 && n < max;
    if (!map.tileUrl || !ok(z, MAX_ZOOM + 1) || !ok(x, 2 ** z) || !ok(y, 2 ** z)) {
      res.status(404).end();
      return;
    }
    const file = join(root, String(z), String(x), `${y}.png`);
    let bytes: Buffer | null = null;
    try {
      if (Date.now() - (await stat(file)).mtimeMs < TILE_KEEP_MS) bytes = await readFile(file);
    } catch {
      // not cached yet
    }
    if (!bytes) {
      const key = `${z}/${x}/${y}`;
      let pending = inflight.get(key);
      if (!pending) {
        pending = upstream(z, x, y).finally(() => inflight.delete(key));
        inflight.set(key, pending);
      }
      bytes = await pending;
      if (bytes) {
        await mkdir(dirname(file), { recursive: true });
        const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
        await writeFile(tmp, bytes);
        await rename(tmp, file);
      }
    }
    if (!bytes) {
      res.status(502).setHeader('Cache-Control', 'no-store').end();
      return;
    }
    res.setHeader('Content-Type', 'image/png');
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.end(bytes);
  };
}

/**
 * Removes the tiles not refreshed for a week (and files left by an interrupted write), then the
 * folders left empty: the cache holds what members looked at lately, not every street ever shown.
 * Run by the node's maintenance; returns how many files went.
 */
export async function pruneTiles(dataDir: string, now = Date.now()): Promise<number> {
  let removed = 0;
  async function sweep(dir: string): Promise<boolean> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return false;
    }
    let left = entries.length;
    for (const entry of entries) {
      const path = join(dir, entry.name);
      try {
        if (entry.isDirectory()) {
          if (await sweep(path)) left--;
          continue;
        }
        const info = await stat(path);
        const partial = !entry.name.endsWith('.png');
        if (now - info.mtimeMs >= TILE_KEEP_MS || (partial && now - info.mtimeMs >= 3_600_000)) {
          await unlink(path);
          removed++;
          left--;
        }
      } catch {
        // gone meanwhile (another process, a request rewriting it)
      }
    }
    if (left > 0 || dir === root) return false;
    try {
      await rmdir(dir);
      return true;
    } catch {
      return false; // a tile was written meanwhile
    }
  }
  const root = join(dataDir, 'tiles');
  await sweep(root);
  return removed;
}
