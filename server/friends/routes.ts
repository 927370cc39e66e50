// JSON API for friends, blocks and suggestions.
import { Router } from 'express';
import { route } from '../http/api-kit.ts';
import type { FriendService } from './service.ts';

export function friendRoutes(d: { friends: FriendService }): Router {
  const r = Router();
  const f = d.friends;
  route(r, 'get', '/friends', ({ actor }) => f.overview(actor));
  route(r, 'get', '/friends/suggestions', async ({ actor, query }) => ({ suggestions: await f.suggestions(actor, query) }));
  route(r, 'get', '/users/:username/friends', ({ actor, params, query }) => f.friendsOf(actor, params.username, Number(query.page) || 1));
  route(r, 'get', '/relations/:userId', ({ actor, params }) => f.relation(actor, params.userId));
  route(r, 'post', '/friends/requests', async ({ actor, body }) => ({ relation: await f.request(actor, (body as { userId?: unknown })?.userId) }));
  route(r, 'delete', '/friends/requests/:userId', ({ actor, params }) => f.cancel(actor, params.userId));
  route(r, 'post', '/friends/requests/:userId/accept', async ({ actor, params }) => ({ relation: await f.accept(actor, params.userId) }));
  route(r, 'post', '/friends/requests/:userId/decline', ({ actor, params }) => f.decline(actor, params.userId));
  route(r, 'delete', '/friends/:userId', ({ actor, params }) => f.unfriend(actor, params.userId));
  route(r, 'put', '/blocks/:userId', ({ actor, params }) => f.block(actor, params.userId));
  route(r, 'delete', '/blocks/:userId', ({ actor, params }) => f.unblock(actor, params.userId));
  return r;
}
