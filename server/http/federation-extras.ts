// Two federation answers Fedify does not give by itself:
//  - /.well-known/nodeinfo also links the instance actor (FEP-2677), which Gancio and relays use;
//  - a profile URL (/@username) asked for as ActivityStreams redirects to the actor, so pasting
//    a profile link into Mastodon's search finds the member.
import type { NextFunction, Request, Response } from 'express';
import type { AccountsRepository } from '../accounts/repository.ts';
import { INSTANCE_ACTOR } from '../federation/federation.ts';

const AS2_TYPES = ['application/activity+json', 'application/ld+json'];

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
