// JSON API for groups: directory, pages, membership, organizers' tools.
import express, { Router } from 'express';
import { route } from '../http/api-kit.ts';
import { fail } from '../errors.ts';
import type { GroupService } from './service.ts';
import type { PostService } from '../posts/service.ts';

export function groupRoutes(d: { groups: GroupService; posts: PostService; uploadLimitBytes: number }): Router {
  const r = Router();
  const g = d.groups;
  route(r, 'get', '/groups', ({ actor, query }) => g.directory(actor, query));
  route(r, 'get', '/groups/mine', ({ actor }) => g.mine(actor));
  route(r, 'get', '/groups/near', async ({ actor }) => ({ groups: await g.nearMe(actor) }));
  route(r, 'post', '/groups', ({ actor, body }) => g.create(actor, body), { status: 201 });
  route(r, 'get', '/groups/:id', ({ actor, params }) => g.view(actor, params.id));
  route(r, 'patch', '/groups/:id', ({ actor, params, body }) => g.update(actor, params.id, body));
  route(r, 'delete', '/groups/:id', ({ actor, params, body }) => g.delete(actor, params.id, body));
  for (const which of ['avatar', 'banner'] as const) {
    r.put(`/groups/:id/${which}`, express.raw({ type: () => true, limit: d.uploadLimitBytes }));
    route(r, 'put', `/groups/:id/${which}`, async ({ actor, params, req }) => {
      if (!/^image\//.test(req.get('content-type') ?? '')) throw fail.unsupportedMedia('avatar.invalid');
      await g.setImage(actor, params.id, which, Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
    });
  }
  route(r, 'get', '/groups/:id/posts', ({ actor, params, query }) => g.view(actor, params.id).then((v) => d.posts.byGroup(actor, v.id, query.cursor)));
  route(r, 'get', '/groups/:id/members', async ({ actor, params }) => ({ members: await g.members(actor, params.id) }));
  route(r, 'get', '/groups/:id/members.csv', async ({ actor, params, res }) => {
    const { filename, csv } = await g.exportCsv(actor, params.id);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
    res.send(csv);
  });
  route(r, 'post', '/groups/:id/join', async ({ actor, params, body }) => ({ status: await g.join(actor, params.id, body) }));
  route(r, 'post', '/groups/:id/leave', ({ actor, params }) => g.leave(actor, params.id));
  route(r, 'put', '/groups/:id/follow', ({ actor, params }) => g.follow(actor, params.id, true));
  route(r, 'delete', '/groups/:id/follow', ({ actor, params }) => g.follow(actor, params.id, false));
  route(r, 'put', '/groups/:id/contact-consent', ({ actor, params, body }) => g.setShareContact(actor, params.id, body));
  route(r, 'get', '/groups/:id/requests', async ({ actor, params }) => ({ requests: await g.requests(actor, params.id) }));
  route(r, 'post', '/groups/:id/requests/:userId/approve', ({ actor, params }) => g.decide(actor, params.id, params.userId, true));
  route(r, 'post', '/groups/:id/requests/:userId/decline', ({ actor, params }) => g.decide(actor, params.id, params.userId, false));
  route(r, 'post', '/groups/:id/invitations', ({ actor, params, body }) => g.invite(actor, params.id, (body as { username?: unknown })?.username));
  route(r, 'delete', '/groups/:id/invitation', ({ actor, params }) => g.declineInvitation(actor, params.id));
  route(r, 'get', '/groups/:id/links', async ({ actor, params }) => ({ links: await g.links(actor, params.id) }));
  route(r, 'post', '/groups/:id/links', ({ actor, params }) => g.createLink(actor, params.id), { status: 201 });
  route(r, 'delete', '/groups/:id/links/:linkId', ({ actor, params }) => g.revokeLink(actor, params.id, params.linkId));
  route(r, 'post', '/invitations/:token', ({ actor, params, body }) => g.joinWithLink(actor, params.token, body));
  route(r, 'put', '/groups/:id/members/:userId/role', ({ actor, params, body }) => g.setRole(actor, params.id, params.userId, body));
  route(r, 'delete', '/groups/:id/members/:userId', ({ actor, params }) => g.remove(actor, params.id, params.userId));
  route(r, 'put', '/groups/:id/pin', ({ actor, params, body }) => g.pin(actor, params.id, ((body as { postId?: unknown })?.postId as string | null) ?? null));
  return r;
}
