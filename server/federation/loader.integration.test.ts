// The hardened document loader against a stub server on loopback: what it takes, what it
// refuses, and which requests it must never make (the stub logs every request it gets, with the
// Host asked for: `localhost:<port>` plays "another server" on the same socket). Regressions of
// CVE-2024-25623 (a JSON file passing for an object: media type, size, depth) and CVE-2024-23832
// (an object taken for one whose id it is not: id and origin checks), and of the SSRF guard.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateCryptoKeyPair } from '@fedify/fedify';
import { loadDocument, MAX_BYTES, type LoaderOptions } from './loader.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const AS = 'application/activity+json';

describe('loadDocument', () => {
  let server: Server;
  let port: number;
  let base: string;
  /** Where the same stub answers as another server (another host, so another origin). */
  let other: string;
  const routes = new Map<string, Handler>();
  const log: { host: string; path: string; signature: string | undefined }[] = [];
  const opts = (o: Partial<LoaderOptions> = {}): LoaderOptions => ({ mayFetch: async () => true, allowPrivateAddress: true, userAgent: 'test', ...o });
  const json = (body: unknown, type: string | null = AS): Handler => (_req, res) => {
    if (type) res.setHeader('content-type', type);
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  const redirect = (to: string): Handler => (_req, res) => {
    res.statusCode = 302;
    res.setHeader('location', to);
    res.end();
  };
  const requested = (host: string) => log.filter((l) => l.host === host).map((l) => l.path);

  beforeAll(async () => {
    server = createServer((req, res) => {
      log.push({ host: req.headers.host ?? '', path: req.url ?? '', signature: req.headers.signature as string | undefined });
      const handler = routes.get(`${req.headers.host}${req.url}`) ?? routes.get(req.url ?? '');
      if (handler) handler(req, res);
      else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
    other = `http://localhost:${port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    routes.clear();
    log.length = 0;
  });

  it('loads an application/activity+json document served at its id', async () => {
    routes.set('/note', json({ id: `${base}/note`, type: 'Note' }));
    const doc = await loadDocument(`${base}/note`, opts(), null);
    expect(doc).toEqual({ contextUrl: null, documentUrl: `${base}/note`, document: { id: `${base}/note`, type: 'Note' } });
  });

  it('loads application/ld+json with the ActivityStreams profile', async () => {
    routes.set('/ld', json({ id: `${base}/ld` }, 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'));
    expect((await loadDocument(`${base}/ld`, opts(), null)).document).toEqual({ id: `${base}/ld` });
  });

  it.each([['application/json'], ['application/ld+json'], ['text/html; charset=utf-8'], ['image/png'], [null]])(
    'CVE-2024-25623: refuses a document served as %s',
    async (type) => {
      routes.set('/typed', json({ id: `${base}/typed` }, type));
      await expect(loadDocument(`${base}/typed`, opts(), null)).rejects.toThrow(/not an ActivityStreams document/);
    },
  );

  it('CVE-2024-23832: refuses a document whose id names another host, without asking that host', async () => {
    routes.set('/claims', json({ id: `${other}/claims`, type: 'Person' }));
    await expect(loadDocument(`${base}/claims`, opts(), null)).rejects.toThrow(/another server/);
    expect(requested(`localhost:${port}`)).toEqual([]);
  });

  it('CVE-2024-23832: re-fetches an id elsewhere on the same host, and takes it only if served there', async () => {
    routes.set('/@alice', json({ id: `${base}/users/alice`, type: 'Person', name: 'page copy' }));
    routes.set('/users/alice', json({ id: `${base}/users/alice`, type: 'Person', name: 'Alice' }));
    const doc = await loadDocument(`${base}/@alice`, opts(), null);
    expect(doc.documentUrl).toBe(`${base}/users/alice`);
    expect(doc.document).toMatchObject({ name: 'Alice' });
    expect(requested(`127.0.0.1:${port}`)).toEqual(['/@alice', '/users/alice']);
  });

  it('CVE-2024-23832: refuses when the re-fetched document disagrees again (and does not follow it further)', async () => {
    routes.set('/@bob', json({ id: `${base}/users/bob` }));
    routes.set('/users/bob', json({ id: `${base}/users/mallory` }));
    routes.set('/users/mallory', json({ id: `${base}/users/mallory` }));
    await expect(loadDocument(`${base}/@bob`, opts(), null)).rejects.toThrow(/not the address asked for/);
    expect(requested(`127.0.0.1:${port}`)).toEqual(['/@bob', '/users/bob']);
  });

  it('CVE-2024-23832: refuses a document claiming the asked id but served by the server a redirect led to', async () => {
    // An open redirect on the victim's server must not let another server speak for it.
    routes.set('/open-redirect', redirect(`${other}/forged`));
    routes.set(`localhost:${port}/forged`, json({ id: `${base}/open-redirect`, type: 'Person' }));
    await expect(loadDocument(`${base}/open-redirect`, opts(), null)).rejects.toThrow(/served by another server/);
  });

  it('follows 5 redirects on the same server, and refuses a 6th', async () => {
    for (let i = 1; i <= 6; i++) routes.set(`/hop/${i}`, redirect(`/hop/${i - 1}`));
    routes.set('/hop/0', json({ id: `${base}/hop/0` }));
    expect((await loadDocument(`${base}/hop/5`, opts(), null)).documentUrl).toBe(`${base}/hop/0`);
    log.length = 0;
    await expect(loadDocument(`${base}/hop/6`, opts(), null)).rejects.toThrow(/too many redirects/);
    expect(requested(`127.0.0.1:${port}`)).toEqual(['/hop/6', '/hop/5', '/hop/4', '/hop/3', '/hop/2', '/hop/1']);
  });

  it('refuses a redirect to a blocked server, which is never contacted', async () => {
    routes.set('/to-blocked', redirect(`${other}/doc`));
    routes.set(`localhost:${port}/doc`, json({ id: `${other}/doc` }));
    const asked: string[] = [];
    const mayFetch = async (host: string) => (asked.push(host), host !== `localhost:${port}`);
    await expect(loadDocument(`${base}/to-blocked`, opts({ mayFetch }), null)).rejects.toThrow(/not federated with/);
    expect(asked).toEqual([`127.0.0.1:${port}`, `localhost:${port}`]);
    expect(requested(`localhost:${port}`)).toEqual([]);
  });

  it('CVE-2024-25623: refuses a body over 1 MiB, announced by Content-Length or not', async () => {
    const big = JSON.stringify({ id: `${base}/big`, pad: 'x'.repeat(MAX_BYTES) });
    routes.set('/big', (_req, res) => {
      res.setHeader('content-type', AS);
      res.setHeader('content-length', Buffer.byteLength(big));
      res.end(big);
    });
    routes.set('/big-chunked', (_req, res) => {
      res.setHeader('content-type', AS);
      // Written in pieces without a length: the limit must hold while reading.
      for (let i = 0; i < big.length; i += 64 * 1024) res.write(big.slice(i, i + 64 * 1024));
      res.end();
    });
    await expect(loadDocument(`${base}/big`, opts(), null)).rejects.toThrow(/too large/);
    await expect(loadDocument(`${base}/big-chunked`, opts(), null)).rejects.toThrow(/too large/);
  });

  it('CVE-2024-25623: refuses JSON nested deeper than 32, takes 32', async () => {
    // `objects` objects inside one another, around a string; the document itself is one more.
    const nested = (objects: number, leaf: unknown = 'leaf') => {
      let inner: unknown = leaf;
      for (let i = 0; i < objects; i++) inner = { a: inner };
      return inner;
    };
    routes.set('/deep', json({ id: `${base}/deep`, a: nested(32) }));
    routes.set('/deep-empty', json({ id: `${base}/deep-empty`, a: nested(31, []) }));
    routes.set('/ok', json({ id: `${base}/ok`, a: nested(31) }));
    await expect(loadDocument(`${base}/deep`, opts(), null)).rejects.toThrow(/nested too deep/);
    // Containers count, whatever they hold (an empty one too).
    await expect(loadDocument(`${base}/deep-empty`, opts(), null)).rejects.toThrow(/nested too deep/);
    expect((await loadDocument(`${base}/ok`, opts(), null)).documentUrl).toBe(`${base}/ok`);
  });

  it('refuses invalid JSON, a JSON array and a document without an id', async () => {
    routes.set('/broken', json('{"id": '));
    routes.set('/array', json([{ id: `${base}/array` }]));
    routes.set('/anonymous', json({ type: 'Note' }));
    await expect(loadDocument(`${base}/broken`, opts(), null)).rejects.toThrow(/invalid JSON/);
    await expect(loadDocument(`${base}/array`, opts(), null)).rejects.toThrow(/not a JSON object/);
    await expect(loadDocument(`${base}/anonymous`, opts(), null)).rejects.toThrow(/without a valid id/);
  });

  it('SSRF guard: refuses 127.0.0.1 before any request unless private addresses are allowed', async () => {
    routes.set('/private', json({ id: `${base}/private` }));
    await expect(loadDocument(`${base}/private`, opts({ allowPrivateAddress: false }), null)).rejects.toThrow();
    expect(log).toEqual([]);
  });

  it('refuses other schemes, and never takes a built-in property for a preloaded context', async () => {
    await expect(loadDocument('file:///etc/passwd', opts(), null)).rejects.toThrow(/only http/);
    await expect(loadDocument('constructor', opts(), null)).rejects.toThrow();
  });

  it('signs the request when an identity is given (servers in secure mode ask for it)', async () => {
    routes.set('/secure', json({ id: `${base}/secure` }));
    const { privateKey } = await generateCryptoKeyPair('RSASSA-PKCS1-v1_5');
    await loadDocument(`${base}/secure`, opts(), { keyId: new URL('https://our.example/users/instance#main-key'), privateKey });
    await loadDocument(`${base}/secure`, opts(), null);
    expect(log.map((l) => l.signature === undefined)).toEqual([false, true]);
    expect(log[0].signature).toContain('keyId="https://our.example/users/instance#main-key"');
  });
});
