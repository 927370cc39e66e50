// Downloads one picture from another server for the proxy in remote.ts, under the same rules as
// the document loader (server/federation/loader.ts), which Mastodon, Misskey and Fedify learned
// from their advisories:
//   - the instance's policy first, for every hop: a blocked or "reject media" host is never asked;
//   - http(s) only; no private, loopback or link-local address unless tests allow it (SSRF);
//   - redirects followed by hand, at most MAX_REDIRECTS, each hop checked again;
//   - at most MAX_BYTES read (the transfer is cut beyond), within TIMEOUT_MS for everything;
//   - an image/* type announced, and the bytes one of the four formats we re-encode: only those
//     ever reach a decoder (no SVG, TIFF, PDF… handed to libvips by a hostile server).
// Nothing of the response but the bytes leaves this file: not its name, type or headers.
import { validatePublicUrl } from '@fedify/vocab-runtime';
import type { HostRules } from '../federation/policy.ts';

export const MAX_REDIRECTS = 5;
export const MAX_BYTES = 8 * 1024 * 1024;
export const TIMEOUT_MS = 15_000;
const ACCEPT = 'image/webp,image/png,image/jpeg,image/gif;q=0.9';

/** Why a picture was not fetched (a closed set, for logs and tests). */
export type RefusalReason = 'policy' | 'address' | 'redirects' | 'status' | 'type' | 'size' | 'network' | 'decode';

export class PictureRefused extends Error {
  readonly reason: RefusalReason;
  constructor(reason: RefusalReason, detail = '') {
    super(`remote picture refused (${reason}${detail ? `: ${detail}` : ''})`);
    this.name = 'PictureRefused';
    this.reason = reason;
  }
}

export interface DownloadOptions {
  /** What the instance's policy says of a host (`host` as in a URL: name and port). */
  rules(host: string): Promise<HostRules>;
  /** Tests only: lets the stub servers on loopback be reached. */
  allowPrivateAddress: boolean;
  userAgent: string;
  timeoutMs?: number;
  /** The transport; tests route a public-looking address to a stub through it. */
  fetch?: typeof fetch;
}

/** JPEG, PNG, GIF or WebP by their first bytes (what the server announced is not trusted). */
export function isAcceptedPicture(bytes: Buffer): boolean {
  if (bytes.length < 12) return false;
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return true;
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return true;
  if (bytes.subarray(0, 4).toString('latin1') === 'GIF8') return true;
  return bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP';
}

async function discard(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => {});
}

async function readAtMost(res: Response, max: number): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > max) {
    await discard(res);
    throw new PictureRefused('size', `${declared} bytes announced`);
  }
  const reader = res.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        // Cancelling closes the connection: the rest is never transferred.
        await reader.cancel().catch(() => {});
        throw new PictureRefused('size', `more than ${max} bytes`);
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof PictureRefused) throw e;
    throw new PictureRefused('network', 'transfer interrupted');
  }
  return Buffer.concat(chunks);
}

/**
 * Fetches the bytes of a picture at `url` under the rules above; throws PictureRefused for
 * anything else (never another error).
 */
export async function downloadPicture(url: URL, opts: DownloadOptions): Promise<Buffer> {
  const transport = opts.fetch ?? fetch;
  // One deadline for every hop and the body: a server cannot keep us 15 s per redirect.
  const signal = AbortSignal.timeout(opts.timeoutMs ?? TIMEOUT_MS);
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    if (current.protocol !== 'https:' && current.protocol !== 'http:') throw new PictureRefused('address', current.protocol);
    if (current.username || current.password) throw new PictureRefused('address', 'credentials in the URL');
    const rules = await opts.rules(current.host);
    if (!rules.federates || rules.rejectMedia) throw new PictureRefused('policy', current.host);
    if (!opts.allowPrivateAddress) {
      try {
        await validatePublicUrl(current.href);
      } catch {
        throw new PictureRefused('address', current.host);
      }
    }
    let res: Response;
    try {
      // No cookies, no credentials, no referrer: the other server learns that this instance
      // asked, nothing about who will look.
      res = await transport(current, { redirect: 'manual', signal, credentials: 'omit', headers: { Accept: ACCEPT, 'User-Agent': opts.userAgent } });
    } catch {
      throw new PictureRefused('network', current.host);
    }
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get('location');
      await discard(res);
      if (!location) throw new PictureRefused('status', `HTTP ${res.status} without Location`);
      try {
        current = new URL(location, current);
      } catch {
        throw new PictureRefused('address', 'invalid Location');
      }
      continue;
    }
    if (!res.ok) {
      await discard(res);
      throw new PictureRefused('status', `HTTP ${res.status}`);
    }
    const type = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (!type.startsWith('image/')) {
      await discard(res);
      throw new PictureRefused('type', type || 'no type');
    }
    const bytes = await readAtMost(res, MAX_BYTES);
    if (!isAcceptedPicture(bytes)) throw new PictureRefused('type', 'not JPEG, PNG, GIF or WebP');
    return bytes;
  }
  throw new PictureRefused('redirects', `more than ${MAX_REDIRECTS}`);
}
