// Pictures of other servers (people's and groups' pictures, later those of remote posts and
// events), shown to members through this instance (decision 0018). A member's browser never asks
// another server: that would tell a possibly hostile server who reads what, from which address.
//
// Our pages link `/media/remote/<key>?url=<remote URL>`, where the key is an HMAC of the URL with
// a secret of the instance: the route serves only URLs this instance emitted (no open proxy). The
// first request fetches the picture (remote-fetch.ts), re-encodes it like an upload (WebP, no
// metadata, 1600 px at most) and keeps it 30 days under DATA_DIR/remote-media/<h(host)>/<h(url)>.webp:
// both names are hashes, nothing the other server chose reaches the file system (CVE-2023-36460).
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { type FederationPolicy, normalizeHost } from '../federation/policy.ts';
import { SOFTWARE } from '../federation/federation.ts';
import { processPostImage } from './images.ts';
import { downloadPicture, PictureRefused, type DownloadOptions } from './remote-fetch.ts';

export const REMOTE_MEDIA_PATH = '/media/remote/';
/** Cached pictures are fetched again (when asked for) after this long, and pruned. */
export const KEEP_MS = 30 * 86_400_000;
/** A picture that could not be fetched is not asked for again before this long. */
export const FAILURE_MS = 10 * 60_000;
const SECRET_KEY = 'remote_media_secret';
const KEY_RE = /^[A-Za-z0-9_-]{43}$/;
/** Longer URLs are not proxied (no avatar needs more; it bounds what a page link carries). */
const MAX_URL_LENGTH = 2048;
/** Downloads and re-encodings at once per process: bounds memory (8 MiB each) and CPU. */
const MAX_CONCURRENT = 4;
const MAX_FAILURES_KEPT = 10_000;
const HOST_FILE = 'host';

/** A host as the policy compares it (the name a folder is hashed from). */
const hostKey = (host: string) => normalizeHost(host) ?? host.trim().toLowerCase();

export interface RemoteMediaOptions {
  db: Database;
  policy: Pick<FederationPolicy, 'rules'>;
  dataDir: string;
  allowPrivateAddress: boolean;
  /** Named in our User-Agent, so that an administrator over there knows who asks. */
  publicUrl: URL;
  /** Tests: a shorter deadline, a transport, a clock. */
  timeoutMs?: number;
  fetch?: DownloadOptions['fetch'];
  now?: () => number;
  onError?: (error: unknown) => void;
}

export class RemoteMedia {
  readonly root: string;
  readonly #o: RemoteMediaOptions;
  readonly #now: () => number;
  #secret: Buffer | null = null;
  #loading: Promise<Buffer> | null = null;
  readonly #inflight = new Map<string, Promise<Buffer | null>>();
  /** Key → until when a failure stands (insertion order: the oldest is dropped first). */
  readonly #failures = new Map<string, number>();
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(o: RemoteMediaOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.root = join(o.dataDir, 'remote-media');
    // Loaded at once so that urlFor (synchronous, called while rendering) has it from the start.
    this.ready().catch((e) => o.onError?.(e));
  }

  /**
   * Loads the secret, creating it on the first start. It lives in `instance_settings`, which every
   * process of the instance shares, so a link made by one process is served by any other; the
   * insert that loses a race between two first starts does nothing, and both read the winner's.
   */
  ready(): Promise<Buffer> {
    this.#loading ??= this.#loadSecret().catch((e) => {
      this.#loading = null; // a database blip at boot: try again at the next request
      throw e;
    });
    return this.#loading;
  }

  async #loadSecret(): Promise<Buffer> {
    const { db } = this.#o;
    const s = db.t.instanceSettings;
    const read = async () => (await db.q.select().from(s).where(eq(s.key, SECRET_KEY)))[0]?.value;
    let value = await read();
    if (!value) {
      const fresh = randomBytes(32).toString('base64url');
      await db.tx(() => db.w.insert(s).values({ key: SECRET_KEY, value: fresh, updatedAt: new Date() }).onConflictDoNothing());
      value = await read();
    }
    const secret = Buffer.from(value ?? '', 'base64url');
    if (secret.length !== 32) throw new Error(`instance setting ${SECRET_KEY} is not 32 bytes of base64url`);
    this.#secret = secret;
    return secret;
  }

  #sign(secret: Buffer, url: string): string {
    return createHmac('sha256', secret).update(url).digest('base64url');
  }

  /**
   * The address of a remote picture for our pages (`/media/remote/…`), or null for no picture:
   * no URL, not http(s), unusable, or the secret not loaded yet (only in the first instants of a
   * process, before its first database answer).
   */
  urlFor(remoteUrl: string | null | undefined): string | null {
    if (!remoteUrl || remoteUrl.length > MAX_URL_LENGTH || !this.#secret) return null;
    let url: URL;
    try {
      url = new URL(remoteUrl);
    } catch {
      return null;
    }
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) return null;
    url.hash = '';
    const href = url.href;
    if (href.length > MAX_URL_LENGTH) return null; // grown by encoding: the route would refuse it
    return `${REMOTE_MEDIA_PATH}${this.#sign(this.#secret, href)}?url=${encodeURIComponent(href)}`;
  }

  /**
   * The WebP bytes for a link of ours, fetching the picture on the first request; null (a 404)
   * for a key we did not emit, a host the policy refuses, or a picture that could not be had.
   * Takes the request's raw values: anything malformed is a null, never an exception.
   */
  async picture(key: unknown, url: unknown): Promise<Buffer | null> {
    if (typeof key !== 'string' || !KEY_RE.test(key) || typeof url !== 'string' || url.length > MAX_URL_LENGTH) return null;
    const expected = Buffer.from(this.#sign(await this.ready(), url));
    if (!timingSafeEqual(Buffer.from(key), expected)) return null;
    let target: URL;
    try {
      target = new URL(url); // signed by us, so one of our hrefs: checked all the same
    } catch {
      return null;
    }
    const host = hostKey(target.host);
    // Checked at every request, cached or not: a block or "reject media" decision applies at once,
    // on every process, and what we kept from that host goes.
    const rules = await this.#o.policy.rules(target.host);
    if (!rules.federates || rules.rejectMedia) {
      await this.forgetHost(host);
      return null;
    }
    const file = this.#file(host, key);
    const cached = await this.#readFresh(file);
    if (cached) return cached;
    const until = this.#failures.get(key);
    if (until !== undefined) {
      if (until > this.#now()) return null;
      this.#failures.delete(key);
    }
    // Concurrent first requests (a page with the same face twenty times) share one fetch.
    let pending = this.#inflight.get(key);
    if (!pending) {
      pending = this.#fetchAndStore(target, host, key, file).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, pending);
    }
    return pending;
  }

  async #fetchAndStore(url: URL, host: string, key: string, file: string): Promise<Buffer | null> {
    if (this.#running >= MAX_CONCURRENT) await new Promise<void>((r) => this.#waiting.push(r));
    this.#running++;
    let webp: Buffer;
    try {
      webp = await this.#download(url);
    } catch (e) {
      this.#remember(key);
      if (!(e instanceof PictureRefused)) this.#o.onError?.(e);
      return null;
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
    try {
      await this.#store(host, file, webp);
    } catch (e) {
      this.#o.onError?.(e); // a full or read-only disk: serve it anyway, fetch it again next time
    }
    return webp;
  }

  async #download(url: URL): Promise<Buffer> {
    const bytes = await downloadPicture(url, {
      rules: (h) => this.#o.policy.rules(h),
      allowPrivateAddress: this.#o.allowPrivateAddress,
      userAgent: `${SOFTWARE.name}/${SOFTWARE.version} (+${this.#o.publicUrl.origin})`,
      timeoutMs: this.#o.timeoutMs,
      fetch: this.#o.fetch,
    });
    try {
      // The upload path's re-encoding: orientation applied, metadata dropped, 1600 px at most,
      // a decompression bomb refused. Its error is a translated message we only need as "no".
      return (await processPostImage(bytes)).bytes;
    } catch {
      throw new PictureRefused('decode');
    }
  }

  #remember(key: string): void {
    this.#failures.delete(key);
    this.#failures.set(key, this.#now() + FAILURE_MS);
    if (this.#failures.size > MAX_FAILURES_KEPT) this.#failures.delete(this.#failures.keys().next().value!);
  }

  #hostDir(host: string): string {
    return join(this.root, createHash('sha256').update(host).digest('hex').slice(0, 32));
  }

  #file(host: string, key: string): string {
    return join(this.#hostDir(host), `${Buffer.from(key, 'base64url').toString('hex')}.webp`);
  }

  async #readFresh(file: string): Promise<Buffer | null> {
    try {
      if (this.#now() - (await stat(file)).mtimeMs >= KEEP_MS) return null;
      return await readFile(file);
    } catch {
      return null; // not cached, or pruned meanwhile
    }
  }

  async #store(host: string, file: string, bytes: Buffer): Promise<void> {
    const dir = this.#hostDir(host);
    await mkdir(dir, { recursive: true });
    // The host's name is kept as the content of a file (never a name) so that the maintenance can
    // ask the policy about each folder and drop the pictures of a host blocked since.
    await writeFile(join(dir, HOST_FILE), host);
    // Written aside then renamed: a reader (another process) sees the whole picture or none.
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  }

  /** Removes what was kept of one picture (and forgets a failure), e.g. after a report. */
  async forget(remoteUrl: string): Promise<void> {
    let url: URL;
    try {
      url = new URL(remoteUrl);
    } catch {
      return;
    }
    url.hash = '';
    const key = this.#sign(await this.ready(), url.href);
    this.#failures.delete(key);
    await rm(this.#file(hostKey(url.host), key), { force: true });
  }

  /** Removes every picture kept from a host (after a block or a "reject media" decision). */
  async forgetHost(host: string): Promise<void> {
    await rm(this.#hostDir(hostKey(host)), { recursive: true, force: true });
  }

  /**
   * Run by the node's maintenance: removes pictures older than KEEP_MS, writes left by an
   * interrupted process, and every folder of a host the policy now refuses. Returns how many
   * pictures went.
   */
  async prune(now = this.#now()): Promise<number> {
    let removed = 0;
    const dirs = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    for (const d of dirs) {
      if (!d.isDirectory()) continue;
      const dir = join(this.root, d.name);
      const host = await readFile(join(dir, HOST_FILE), 'utf8').catch(() => null);
      const rules = host ? await this.#o.policy.rules(host) : null;
      const refused = rules ? !rules.federates || rules.rejectMedia : false;
      const files = await readdir(dir).catch(() => [] as string[]);
      let left = 0;
      for (const name of files) {
        if (name === HOST_FILE) continue;
        try {
          const age = now - (await stat(join(dir, name))).mtimeMs;
          const partial = name.endsWith('.tmp');
          if (refused || age >= KEEP_MS || (partial && age >= 3_600_000)) {
            await unlink(join(dir, name));
            if (!partial) removed++;
          } else left++;
        } catch {
          // gone meanwhile (another process pruning, a request rewriting it)
        }
      }
      if (left === 0) {
        // The host file last, then the folder only if empty: a picture stored meanwhile stays.
        await unlink(join(dir, HOST_FILE)).catch(() => {});
        await rmdir(dir).catch(() => {});
      }
    }
    return removed;
  }
}
