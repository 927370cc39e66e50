// JSON API for chat: the same service calls as the socket events (server/chat/realtime.ts), for
// clients without a socket (long history pages, search, tests) and for the pages' first render.
import { Router } from 'express';
import { route } from '../http/api-kit.ts';
import { fail } from '../errors.ts';
import { readMultipart } from '../http/multipart.ts';
import { MAX_MESSAGE_FILES, MAX_MESSAGE_IMAGES, type ChatService } from './service.ts';

export function chatRoutes(d: { chat: ChatService; uploadLimitBytes: number }): Router {
  const r = Router();
  const c = d.chat;
  route(r, 'get', '/chat/rooms', ({ actor }) => c.rooms(actor));
  route(r, 'post', '/chat/direct', ({ actor, body }) => c.direct(actor, (body as { userId?: unknown } | undefined)?.userId));
  route(r, 'post', '/chat/rooms', ({ actor, body }) => c.createPrivate(actor, body), { status: 201 });
  route(r, 'get', '/chat/rooms/:id', ({ actor, params }) => c.room(actor, params.id));
  route(r, 'patch', '/chat/rooms/:id', ({ actor, params, body }) => c.updateChannel(actor, params.id, body));
  route(r, 'delete', '/chat/rooms/:id', ({ actor, params }) => c.deleteChannel(actor, params.id));
  route(r, 'post', '/chat/rooms/:id/members', ({ actor, params, body }) => c.addMembers(actor, params.id, body));
  route(r, 'delete', '/chat/rooms/:id/members/:userId', ({ actor, params }) => c.removeMember(actor, params.id, params.userId));
  route(r, 'get', '/chat/rooms/:id/messages', ({ actor, params, query }) =>
    query.since !== undefined ? c.sync(actor, params.id, query.since) : c.history(actor, params.id, query),
  );
  // A message with pictures or PDF documents comes as multipart/form-data (clientId, body,
  // replyTo, image0…image3, file0…file1).
  route(r, 'post', '/chat/rooms/:id/messages', async ({ actor, params, body, req, res }) => {
    let fields: unknown = body;
    let images: Buffer[] = [];
    let files: { bytes: Buffer; name: string }[] = [];
    if (/^multipart\/form-data/.test(req.get('content-type') ?? '')) {
      const most = MAX_MESSAGE_IMAGES + MAX_MESSAGE_FILES;
      const form = await readMultipart(req, { maxFiles: most, maxFileBytes: d.uploadLimitBytes, maxTotalBytes: most * d.uploadLimitBytes });
      if (form.files.some((f) => !/^(image|file)\d$/.test(f.field))) throw fail.invalid({ images: 'validation.invalid' });
      fields = form.fields;
      images = form.files.filter((f) => f.field.startsWith('image')).map((f) => f.bytes);
      files = form.files.filter((f) => f.field.startsWith('file')).map((f) => ({ bytes: f.bytes, name: f.name }));
    }
    const sent = await c.send(actor, params.id, fields, images, files);
    res.status(sent.duplicate ? 200 : 201).json(sent); // a retry answers 200 with the stored message
  });
  route(r, 'get', '/chat/rooms/:id/search', ({ actor, params, query }) => c.search(actor, params.id, query));
  route(r, 'put', '/chat/rooms/:id/read', ({ actor, params, body }) => c.markRead(actor, params.id, body));
  route(r, 'patch', '/chat/messages/:id', ({ actor, params, body }) => c.edit(actor, params.id, body));
  route(r, 'delete', '/chat/messages/:id', ({ actor, params }) => c.remove(actor, params.id));
  route(r, 'post', '/chat/messages/:id/reactions', ({ actor, params, body }) => c.react(actor, params.id, body));
  route(r, 'get', '/groups/:id/rooms', async ({ actor, params }) => ({ rooms: await c.groupRooms(actor, params.id) }));
  route(r, 'post', '/groups/:id/rooms', ({ actor, params, body }) => c.createChannel(actor, params.id, body), { status: 201 });
  route(r, 'get', '/events/:id/room', ({ actor, params }) => c.eventRoom(actor, params.id));
  return r;
}
