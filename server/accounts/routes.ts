// JSON API for accounts and sessions. Each route parses, authenticates and delegates.
import { Router } from 'express';
import type { AccountService } from './service.ts';
import type { AdminService } from './admin.ts';
import type { SessionService } from './sessions.ts';
import { route } from '../http/api-kit.ts';
import { challengeCookie, expressCookieOptions, sessionCookie } from '../http/cookies.ts';
import type { Response } from 'express';

export interface AccountRoutesDeps {
  accounts: AccountService;
  admin: AdminService;
  sessions: SessionService;
  secure: boolean;
  sessionDays: number;
}

export function accountRoutes(d: AccountRoutesDeps): Router {
  const r = Router();
  const session = sessionCookie(d.secure);
  const challenge = challengeCookie(d.secure);
  const setSession = (res: Response, token: string) => res.cookie(session.name, token, expressCookieOptions(session, d.sessionDays * 86400));
  const setChallenge = (res: Response, id: string) => res.cookie(challenge.name, id, expressCookieOptions(challenge, 600));
  const publicUser = (u: { id: string; username: string; displayName: string; role: string }) => ({
    id: u.id,
    username: u.username,
    displayName: u.displayName,
    role: u.role,
  });

  route(
    r,
    'post',
    '/auth/signup',
    async ({ body, meta, res }) => {
      const { challengeId } = await d.accounts.startSignup(body, meta);
      setChallenge(res, challengeId);
      return { challengeId };
    },
    { status: 202 },
  );

  route(
    r,
    'post',
    '/auth/login/code',
    async ({ body, meta, res }) => {
      const { challengeId } = await d.accounts.requestLoginCode(body, meta);
      setChallenge(res, challengeId);
      return { challengeId };
    },
    { status: 202 },
  );

  route(r, 'post', '/auth/verify', async ({ body, meta, res }) => {
    const result = await d.accounts.verify(body, meta);
    res.clearCookie(challenge.name, { path: '/' });
    if (result.sessionToken) setSession(res, result.sessionToken);
    return { purpose: result.purpose, user: publicUser(result.user) };
  });

  route(r, 'post', '/auth/login/password', async ({ body, meta, res }) => {
    const { user, sessionToken } = await d.accounts.loginWithPassword(body, meta);
    setSession(res, sessionToken);
    return { user: publicUser(user) };
  });

  route(r, 'post', '/auth/logout', async ({ actor, res }) => {
    await d.sessions.logout(actor);
    res.clearCookie(session.name, { path: '/' });
  });

  route(r, 'post', '/setup', async ({ body, meta, res }) => {
    const { user, sessionToken } = await d.admin.setup(body, meta);
    setSession(res, sessionToken);
    return { user: publicUser(user) };
  });

  route(r, 'get', '/me/sessions', ({ actor }) => d.sessions.list(actor).then((sessions) => ({ sessions })));
  route(r, 'delete', '/me/sessions/:id', ({ actor, params }) => d.sessions.end(actor, params.id));
  route(r, 'delete', '/me/sessions', async ({ actor }) => ({ ended: await d.sessions.endOthers(actor) }));
  route(r, 'put', '/me/password', ({ actor, body }) => d.accounts.setPassword(actor, body));
  route(
    r,
    'post',
    '/me/email',
    async ({ actor, body, meta }) => d.accounts.requestEmailChange(actor, body, meta),
    { status: 202 },
  );

  route(r, 'get', '/admin/users', ({ actor, query }) => d.admin.listUsers(actor, query));
  route(r, 'put', '/admin/users/:id/role', ({ actor, params, body }) => d.admin.setRole(actor, params.id, body));
  route(r, 'put', '/admin/users/:id/status', ({ actor, params, body }) => d.admin.setStatus(actor, params.id, body));
  route(r, 'put', '/admin/users/:id/coordinator', ({ actor, params, body }) => d.admin.setCoordinator(actor, params.id, body));
  return r;
}
