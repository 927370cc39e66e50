// A stand-in for another server (Mastodon, Mobilizon, Gancio…) in contract tests: an HTTP server
// on loopback that serves actor documents with real RSA keys, WebFinger, any object we give it in
// the shapes those servers publish, and an inbox that records what our instance sends; and a way
// to deliver activities to our inboxes signed the way they sign (draft-cavage by default, as
// Mobilizon and Gancio; RFC 9421 as Mastodon ≥ 4.5).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { exportSpki, generateCryptoKeyPair, signRequest } from '@fedify/fedify';

export interface FakeActor {
  name: string;
  id: string;
  inbox: string;
  keyId: string;
  privateKey: CryptoKey;
  document: Record<string, unknown>;
}

export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

export interface FakeRemote {
  url: URL;
  host: string;
  /** Every request the server got (method, path), to assert what was and was not asked. */
  requests: { method: string; path: string }[];
  /** Activities delivered to its inboxes. */
  received: Received[];
  actor(name: string, extra?: Record<string, unknown>): Promise<FakeActor>;
  /** Serves a document at a path (as application/activity+json unless `type` says otherwise). */
  serve(path: string, document: unknown, type?: string): void;
  /** Delivers an activity to one of our inboxes, signed by an actor (or with another key, to forge). */
  deliver(inbox: URL | string, activity: Record<string, unknown>, as: FakeActor, opts?: { spec?: 'draft-cavage-http-signatures-12' | 'rfc9421'; key?: { keyId: string; privateKey: CryptoKey } }): Promise<Response>;
  /** Waits until an activity of a type arrives, and returns it. */
  waitFor(type: string, test?: (a: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startFakeRemote(): Promise<FakeRemote> {
  const documents = new Map<string, { body: string; type: string }>();
  const requests: { method: string; path: string }[] = [];
  const received: Received[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    requests.push({ method: req.method ?? 'GET', path });
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          received.push({ path, headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        } catch {
          // not JSON: ignored
        }
        res.writeHead(202).end();
      });
      return;
    }
    const doc = documents.get(path.split(/[?#]/)[0]);
    if (!doc) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': doc.type }).end(doc.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const url = new URL(`http://127.0.0.1:${port}`);
  const serve = (path: string, document: unknown, type = 'application/activity+json') => documents.set(path, { body: typeof document === 'string' ? document : JSON.stringify(document), type });

  return {
    url,
    host: url.host,
    requests,
    received,
    serve,
    async actor(name, extra = {}) {
      const { publicKey, privateKey } = await generateCryptoKeyPair('RSASSA-PKCS1-v1_5');
      const id = new URL(`/users/${name}`, url).href;
      const document = {
        '@context': ['https://www.w3.org/ns/activitystreams', 'https://w3id.org/security/v1'],
        id,
        type: 'Person',
        preferredUsername: name,
        name: name[0].toUpperCase() + name.slice(1),
        summary: `<p>Compte de test <script>alert(1)</script></p>`,
        url: new URL(`/@${name}`, url).href,
        inbox: `${id}/inbox`,
        outbox: `${id}/outbox`,
        followers: `${id}/followers`,
        following: `${id}/following`,
        endpoints: { sharedInbox: new URL('/inbox', url).href },
        manuallyApprovesFollowers: false,
        publicKey: { id: `${id}#main-key`, owner: id, publicKeyPem: await exportSpki(publicKey) },
        ...extra,
      };
      serve(`/users/${name}`, document);
      serve('/.well-known/webfinger', { subject: `acct:${name}@${url.host}`, links: [{ rel: 'self', type: 'application/activity+json', href: id }] }, 'application/jrd+json');
      return { name, id, inbox: `${id}/inbox`, keyId: `${id}#main-key`, privateKey, document };
    },
    async deliver(inbox, activity, as, opts = {}) {
      const request = new Request(inbox, { method: 'POST', headers: { 'content-type': 'application/activity+json', accept: 'application/activity+json' }, body: JSON.stringify({ '@context': 'https://www.w3.org/ns/activitystreams', ...activity }) });
      const key = opts.key ?? { keyId: as.keyId, privateKey: as.privateKey };
      return fetch(await signRequest(request, key.privateKey, new URL(key.keyId), { spec: opts.spec ?? 'draft-cavage-http-signatures-12' }));
    },
    async waitFor(type, test = () => true, ms = 10_000) {
      const end = Date.now() + ms;
      for (;;) {
        const found = received.find((r) => r.body.type === type && test(r.body));
        if (found) return found.body;
        if (Date.now() > end) throw new Error(`no ${type} received; got ${received.map((r) => r.body.type).join(', ') || 'nothing'}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
