// The thin-adapter kit for the JSON API: authenticate the request, hand the service the actor,
// the request's facts and its raw input, and turn the result (or the failure) into JSON.
import type { NextFunction, Request, Response, Router } from 'express';
import { type Actor, type RequestMeta } from '../accounts/actor.ts';
import type { SessionService } from '../accounts/sessions.ts';
import { negotiateLocale } from '../../web/lib/i18n/index.ts';
import { LOCALE_COOKIE, readCookie, sessionCookie } from './cookies.ts';
import { INTERNAL_HEADERS } from './security.ts';

export interface ApiContext {
  actor: Actor | null;
  meta: RequestMeta;
  body: unknown;
  query: Record<string, unknown>;
  params: Record<string, string>;
  req: Request;
  res: Response;
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Handler = (ctx: ApiContext) => Promise<unknown> | unknown;

declare module 'express-serve-static-core' {
  interface Request {
    actor?: Actor | null;
    /** The language the member chose in their profile, if any. */
    actorLocale?: string;
  }
}

export function requestMeta(req: Request, actorLocale?: string | null): RequestMeta {
  return {
    ip: String(req.headers[INTERNAL_HEADERS.clientIp] ?? req.ip ?? 'unknown'),
    userAgent: String(req.get('user-agent') ?? '').slice(0, 300),
    locale: negotiateLocale(actorLocale ?? readCookie(req.get('cookie'), LOCALE_COOKIE), req.get('accept-language')),
  };
}

/** Express middleware: sets req.actor from the session cookie (null when absent or invalid). */
export function authenticate(sessions: SessionService, secure: boolean) {
  const cookie = sessionCookie(secure);
  return async (req: Request, _res: Response, next: NextFunction) => {
    const found = await sessions.validate(readCookie(req.get('cookie'), cookie.name));
    req.actor = found?.actor ?? null;
    req.actorLocale = found?.user.locale;
    next();
  };
}

/** Declares a route that delegates to one service call. No result → 204. */
export function route(router: Router, method: Method, path: string, handler: Handler, opts: { status?: number } = {}) {
  router[method](path, async (req: Request, res: Response) => {
    const ctx: ApiContext = {
      actor: req.actor ?? null,
      meta: requestMeta(req, req.actorLocale),
      body: req.body,
      query: req.query as Record<string, unknown>,
      params: req.params as Record<string, string>,
      req,
      res,
    };
    const result = await handler(ctx);
    if (res.headersSent) return;
    if (result === undefined) res.status(204).end();
    else res.status(opts.status ?? 200).json(result);
  });
}
