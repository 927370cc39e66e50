// JSON API for posts, comments and likes. Pictures come with the post as multipart/form-data
// (fields body, audience, groupId, alt0…alt3; files image0…image3) or without pictures as JSON.
import { Router, type Request } from 'express';
import { route } from '../http/api-kit.ts';
import { fail } from '../errors.ts';
import { readMultipart } from '../http/multipart.ts';
import { MAX_IMAGES, type PostService } from './service.ts';
import type { ProfileService } from '../profiles/service.ts';

export function postRoutes(d: { posts: PostService; profiles: ProfileService; uploadLimitBytes: number }): Router {
  const r = Router();
  const p = d.posts;
  const readPost = async (req: Request) => {
    if (!/^multipart\/form-data/.test(req.get('content-type') ?? '')) return { fields: req.body as Record<string, unknown>, images: [] };
    const { fields, files } = await readMultipart(req, { maxFiles: MAX_IMAGES, maxFileBytes: d.uploadLimitBytes, maxTotalBytes: MAX_IMAGES * d.uploadLimitBytes });
    const images = files
      .filter((f) => /^image\d$/.test(f.field))
      .map((f) => ({ bytes: f.bytes, alt: String(fields[`alt${f.field.slice(5)}`] ?? '') }));
    if (files.length !== images.length) throw fail.invalid({ images: 'validation.invalid' });
    return { fields, images };
  };

  route(r, 'get', '/feed', ({ actor, query }) => p.feed(actor, query.cursor));
  route(r, 'get', '/posts/public', ({ actor, query }) => p.publicTimeline(actor, query.cursor));
  route(r, 'get', '/users/:username/posts', async ({ actor, params, query }) => p.byMember(actor, (await d.profiles.view(actor, params.username)).id, query.cursor));
  route(r, 'get', '/tags/:tag', ({ actor, params, query }) => p.byTag(actor, params.tag, query.cursor));
  route(
    r,
    'post',
    '/posts',
    async ({ actor, req }) => {
      const { fields, images } = await readPost(req);
      return p.create(actor, fields, images);
    },
    { status: 201 },
  );
  route(r, 'get', '/posts/:id', ({ actor, params }) => p.get(actor, params.id));
  route(r, 'patch', '/posts/:id', ({ actor, params, body }) => p.edit(actor, params.id, body));
  route(r, 'delete', '/posts/:id', ({ actor, params }) => p.delete(actor, params.id));
  route(r, 'put', '/posts/:id/like', ({ actor, params }) => p.like(actor, params.id, true));
  route(r, 'delete', '/posts/:id/like', ({ actor, params }) => p.like(actor, params.id, false));
  route(r, 'get', '/posts/:id/comments', async ({ actor, params }) => ({ comments: await p.comments(actor, params.id) }));
  route(r, 'post', '/posts/:id/comments', ({ actor, params, body }) => p.comment(actor, params.id, body), { status: 201 });
  route(r, 'patch', '/comments/:id', ({ actor, params, body }) => p.editComment(actor, params.id, body));
  route(r, 'delete', '/comments/:id', ({ actor, params }) => p.deleteComment(actor, params.id));
  return r;
}
