// Every document this instance fetches from another server (actors, keys, notes, events…) comes
// through here, Fedify's own fetches included (it is given this loader). The rules that Mastodon,
// Misskey and Fedify learned from their advisories:
//   - the instance's policy first: a blocked host (or one off the allow-list) is never asked;
//   - http(s) only; no private, loopback or link-local address unless tests allow it (SSRF);
//   - redirects followed by hand, at most MAX_REDIRECTS, each hop checked again;
//   - an ActivityStreams media type required (CVE-2024-25623: a JSON "picture" uploaded on the
//     victim's server passed for an object), at most MAX_BYTES, JSON at most MAX_DEPTH deep;
//   - the document served by the origin asked for, its `id` equal to the URL asked for or to
//     where a redirect led on that origin; an id elsewhere on that origin is fetched once at its
//     own address (CVE-2024-23832: objects whose id was not checked took over accounts).
import { FetchError, preloadedContexts, validatePublicUrl, type DocumentLoader, type RemoteDocument } from '@fedify/vocab-runtime';
import { signRequest } from '@fedify/fedify';

export const MAX_REDIRECTS = 5;
export const MAX_BYTES = 1024 * 1024;
export const MAX_DEPTH = 32;
const TIMEOUT_MS = 15_000;
const ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"';

/** Whether a Content-Type names ActivityStreams (JSON-LD only with the AS profile). */
export function isActivityStreams(contentType: string | null): boolean {
  if (!contentType) return false;
  const [type, ...params] = contentType.toLowerCase().split(';').map((s) => s.trim());
  if (type === 'application/activity+json') return true;
  if (type !== 'application/ld+json') return false;
  return params.some((p) => p.replace(/\s+/g, '') === 'profile="https://www.w3.org/ns/activitystreams"' || p === 'profile=https://www.w3.org/ns/activitystreams');
}

/** Whether JSON nests more than `max` arrays/objects deep (the document itself is depth 1). */
function tooDeep(value: unknown, max: number): boolean {
  if (!value || typeof value !== 'object') return false;
  if (max <= 0) return true;
  return (Array.isArray(value) ? value : Object.values(value)).some((v) => tooDeep(v, max - 1));
}

async function readLimited(res: Response, url: URL): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > MAX_BYTES) throw new FetchError(url, `document too large (${declared} bytes)`);
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BYTES) {
      await reader.cancel();
      throw new FetchError(url, 'document too large');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const withoutFragment = (u: URL) => {
  const c = new URL(u);
  c.hash = '';
  return c.href;
};

export interface LoaderOptions {
  /** Whether the instance's policy lets us talk to this host (`host` with port, lower case). */
  mayFetch(host: string): Promise<boolean>;
  /** Tests only: lets two instances on loopback reach each other. */
  allowPrivateAddress: boolean;
  userAgent: string;
}

/** Loads one document under the rules above, signed with `identity` when given. */
export async function loadDocument(
  url: string,
  opts: LoaderOptions,
  identity: { keyId: URL; privateKey: CryptoKey } | null,
  signal?: AbortSignal,
): Promise<RemoteDocument> {
  // Own property only: `preloadedContexts["constructor"]` must not pass for a document.
  if (Object.hasOwn(preloadedContexts, url)) return { contextUrl: null, documentUrl: url, document: (preloadedContexts as Record<string, unknown>)[url] };
  const timeout = AbortSignal.timeout(TIMEOUT_MS);
  return fetchChecked(new URL(url), opts, identity, signal ? AbortSignal.any([signal, timeout]) : timeout, { redirects: MAX_REDIRECTS, refetched: false });
}

async function fetchChecked(
  asked: URL,
  opts: LoaderOptions,
  identity: { keyId: URL; privateKey: CryptoKey } | null,
  signal: AbortSignal,
  // Shared with a re-fetch at the document's id, so that it cannot double the redirects allowed.
  budget: { redirects: number; refetched: boolean },
): Promise<RemoteDocument> {
  let current = asked;
  for (;;) {
    if (current.protocol !== 'https:' && current.protocol !== 'http:') throw new FetchError(current, 'only http(s) documents are fetched');
    if (!(await opts.mayFetch(current.host.toLowerCase()))) throw new FetchError(current, 'this server is not federated with');
    if (!opts.allowPrivateAddress) await validatePublicUrl(current.href);
    let request = new Request(current, { headers: { Accept: ACCEPT, 'User-Agent': opts.userAgent }, redirect: 'manual', signal });
    if (identity) request = await signRequest(request, identity.privateKey, identity.keyId);
    const res = await fetch(request);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      if (budget.redirects-- <= 0) throw new FetchError(asked, 'too many redirects');
      // Followed by hand: each hop goes through the policy and the SSRF guard again.
      const next = URL.parse(location, current);
      if (!next) throw new FetchError(current, 'invalid redirect');
      current = next;
      continue;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new FetchError(current, `HTTP ${res.status}`);
    }
    if (!isActivityStreams(res.headers.get('content-type'))) {
      await res.body?.cancel();
      throw new FetchError(current, `not an ActivityStreams document (${res.headers.get('content-type') ?? 'no type'})`);
    }
    const text = await readLimited(res, current);
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      throw new FetchError(current, 'invalid JSON');
    }
    if (!document || typeof document !== 'object' || Array.isArray(document)) throw new FetchError(current, 'not a JSON object');
    if (tooDeep(document, MAX_DEPTH)) throw new FetchError(current, 'document nested too deep');
    const id = (document as { id?: unknown }).id;
    const idUrl = typeof id === 'string' ? URL.parse(id) : null;
    if (!idUrl) throw new FetchError(current, 'document without a valid id');
    // A server speaks only for its own names, and only the server asked is heard: a redirect may
    // pass through other servers (each hop checked above), but the document must come from the
    // origin asked for and carry an id there (CVE-2024-23832). Fedify's own check compares the id
    // with the final address only: a caller filing the result under the address it asked for
    // would be fooled by an open redirect on that server.
    if (current.origin !== asked.origin) throw new FetchError(current, `document served by another server than ${asked.origin}`);
    if (idUrl.origin !== asked.origin) throw new FetchError(current, `document id ${id} is on another server`);
    const servedAtId = withoutFragment(idUrl) === withoutFragment(current);
    // Or the address asked for, reached through redirects on its own origin.
    const askedId = withoutFragment(idUrl) === withoutFragment(asked);
    if (servedAtId || askedId) return { contextUrl: null, documentUrl: current.href, document };
    // A page address answering with an actor whose id is elsewhere on the same server: fetch that
    // id once, and take the document only if it is served there.
    if (budget.refetched) throw new FetchError(current, `document id ${id} is not the address asked for`);
    budget.refetched = true;
    return fetchChecked(idUrl, opts, identity, signal, budget);
  }
}

/** The loader factories Fedify is built with (its fetches of actors, keys and objects). */
export function loaderFactories(opts: LoaderOptions) {
  return {
    documentLoaderFactory: (): DocumentLoader => (url, o) => loadDocument(url, opts, null, o?.signal),
    authenticatedDocumentLoaderFactory:
      (identity: { keyId: URL; privateKey: CryptoKey }): DocumentLoader =>
      (url, o) =>
        loadDocument(url, opts, identity, o?.signal),
  };
}
