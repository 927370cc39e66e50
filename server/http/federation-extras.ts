// Two federation answers Fedify does not give by itself:
//  - /.well-known/nodeinfo also links the instance actor (FEP-2677), which Gancio and relays use;
//  - a profile URL (/@username) asked for as ActivityStreams redirects to the actor, so pasting
//    a profile link into Mastodon's search finds the member.
import type { NextFunction, Request, Response } from 'express';
import type { AccountsRepository } from '../accounts/repository.ts';
import { INSTANCE_ACTOR } from '../federation/federation.ts';

const AS2_TYPES = ['application/activity+json', 'application/ld+json'];

/** Whether a request prefers ActivityStreams to a page. */
function wantsActivityStreams(req: Request): boolean {
  const wanted = req.accepts(['text/html', ...AS2_TYPES]);
  return Boolean(wanted) && wanted !== 'text/html';
}

export function nodeInfoLinks(publicUrl: URL) {
  const body = JSON.stringify({
    links: [
      {
        rel: 'http://nodeinfo.diaspora.software/ns/schema/2.1',
        href: new URL('/nodeinfo/2.1', publicUrl).href,
        type: 'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"',
      },
      {
        rel: 'https://www.w3.org/ns/activitystreams#Application',
        href: new URL(`/users/${INSTANCE_ACTOR}`, publicUrl).href,
      },
    ],
  });
  return (_req: Request, res: Response) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.type('application/jrd+json').send(body);
  };
}

export function handleAs2ProfileLookup(repo: AccountsRepository, publicUrl: URL) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const match = /^\/@([a-z0-9_]{1,30})$/i.exec(req.path);
    if (!match || req.method !== 'GET') return next();
    res.vary('Accept');
    const wanted = req.accepts(['text/html', ...AS2_TYPES]);
    if (!wanted || wanted === 'text/html') return next();
    const user = await repo.userByUsername(match[1].toLowerCase());
    if (!user || user.status !== 'active') return next();
    res.redirect(302, new URL(`/users/${user.id}`, publicUrl).href);
  };
}

/**
 * `/events/{id}` asked for as ActivityStreams: the event's document (public events of ours only;
 * 404 otherwise), for servers that fetch it (Mobilizon, Gancio, a Join's recipient checking its
 * object). A browser gets the page: the same URL falls through to the web app.
 */
export function eventDocuments(documentOf: (eventId: string, signed: globalThis.Request | null) => Promise<{ doc: Record<string, unknown>; private: boolean } | null>, origin: URL) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const m = /^\/events\/([A-Za-z0-9_-]{1,64})$/.exec(req.path);
    if (!m || req.method !== 'GET' || !wantsActivityStreams(req)) return next();
    res.vary('Accept');
    try {
      // A signed fetch (a participant's server, signing as them) is handed on as a Request to verify.
      let signed: globalThis.Request | null = null;
      if (req.get('signature') || req.get('signature-input')) {
        const headers = new Headers();
        for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
        signed = new globalThis.Request(new URL(req.originalUrl, origin), { method: 'GET', headers });
      }
      const found = await documentOf(m[1], signed);
      if (!found) return void res.status(404).type('text/plain').send('Not found');
      if (found.private) res.set('cache-control', 'private, no-store');
      res.status(200).type('application/activity+json').send(JSON.stringify(found.doc));
    } catch (e) {
      next(e);
    }
  };
}
