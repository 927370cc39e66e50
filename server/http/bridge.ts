// Express 5 ⇄ Fedify. No adapter for Express 5 and Fedify 2 exists on our registry, and the
// upstream one reads the request body eagerly (a large form POST that Fedify does not own then
// hangs): here the body stream is created lazily, on Fedify's first read, and bounded.
//
// Fedify answers what it owns (WebFinger, NodeInfo, actors, inboxes) when the client wants
// ActivityStreams; otherwise the request falls through to the web app, with `Vary: Accept`, so
// the same URL is a profile page for browsers and an actor for servers.
import { Readable } from 'node:stream';
import type { NextFunction, Request as ExpressRequest, Response as ExpressResponse } from 'express';
import type { AppFederation } from '../federation/federation.ts';

/** Path prefixes Fedify may answer; everything else goes straight to the next handler. */
const FEDERATION_PATHS = /^\/(\.well-known\/(webfinger|nodeinfo)|nodeinfo\/|users\/[^/]+(\/|$)|inbox$|posts\/[^/]+$)/;
const MAX_INBOX_BYTES = 1024 * 1024;

class BodyTooLarge extends Error {}

function lazyBody(req: ExpressRequest): ReadableStream<Uint8Array> | undefined {
  if (req.method === 'GET' || req.method === 'HEAD') return undefined;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let received = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      reader ??= (Readable.toWeb(req) as ReadableStream<Uint8Array>).getReader();
      const { done, value } = await reader.read();
      if (done) return controller.close();
      received += value.byteLength;
      if (received > MAX_INBOX_BYTES) {
        controller.error(new BodyTooLarge());
        await reader.cancel();
        return;
      }
      controller.enqueue(value);
    },
    async cancel(reason) {
      await reader?.cancel(reason);
    },
  });
}

function toRequest(req: ExpressRequest, origin: URL): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  // The canonical origin, whatever Host the proxy passed: signatures and ids use it.
  const url = new URL(req.originalUrl, origin);
  const body = lazyBody(req);
  return new Request(url, { method: req.method, headers, body, duplex: 'half' } as RequestInit);
}

/** The host of the key a request is signed with (draft-cavage `keyId`, RFC 9421 `keyid`), if any. */
export function signingHost(req: ExpressRequest): string | null {
  const header = `${req.get('signature') ?? ''} ${req.get('signature-input') ?? ''}`;
  const m = /keyid="([^"]+)"/i.exec(header);
  if (!m) return null;
  try {
    return new URL(m[1]).host.toLowerCase();
  } catch {
    return null;
  }
}

/** Express middleware handing federation requests to Fedify. */
export function federationBridge(federation: AppFederation, publicUrl: URL, federatesWith: (host: string) => Promise<boolean> = async () => true) {
  return async (req: ExpressRequest, res: ExpressResponse, next: NextFunction) => {
    if (!FEDERATION_PATHS.test(req.path)) return next();
    // A server the instance does not federate with is turned away at the door, before its
    // delivery or fetch is read (the listeners check again).
    const host = signingHost(req);
    if (host && !(await federatesWith(host))) {
      res.status(403).type('text/plain').send('Forbidden');
      return;
    }
    const declared = Number(req.get('content-length') ?? 0);
    if (declared > MAX_INBOX_BYTES) {
      res.status(413).type('text/plain').send('Payload too large');
      return;
    }
    let fallThrough = false;
    const passOn = () => {
      fallThrough = true;
      return new Response(null, { status: 404 });
    };
    let response: Response;
    try {
      response = await federation.fetch(toRequest(req, publicUrl), {
        contextData: null,
        onNotFound: passOn,
        onNotAcceptable: passOn,
      });
    } catch (e) {
      if (e instanceof BodyTooLarge || (e as { cause?: unknown })?.cause instanceof BodyTooLarge) {
        res.status(413).type('text/plain').send('Payload too large');
        return;
      }
      return next(e);
    }
    res.vary('Accept');
    if (fallThrough) return next();
    res.status(response.status);
    response.headers.forEach((value, name) => res.setHeader(name, value));
    res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
    if (!response.body || req.method === 'HEAD') {
      res.end();
      return;
    }
    Readable.fromWeb(response.body as import('node:stream/web').ReadableStream).pipe(res);
  };
}
