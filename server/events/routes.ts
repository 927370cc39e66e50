// JSON API for events: discovery, pages, answers, organizers' tools, reports, calendars and the
// admin's lists. Pictures come as multipart/form-data (the event's `image`; a report's `photo0…`),
// everything else as JSON. Each route makes one service call.
import express, { Router, type Request } from 'express';
import { route } from '../http/api-kit.ts';
import { fail } from '../errors.ts';
import { readMultipart } from '../http/multipart.ts';
import type { Services } from '../services.ts';
import { MAX_REPORT_PHOTOS } from './reports.ts';

export function eventRoutes(d: { services: Services; uploadLimitBytes: number }): Router {
  const r = Router();
  const { events, rsvps, discovery, reports, calendar, eventVocab: vocab } = d.services;
  const readForm = async (req: Request, maxFiles: number) => {
    if (!/^multipart\/form-data/.test(req.get('content-type') ?? '')) return { fields: req.body as Record<string, unknown>, files: [] as { field: string; bytes: Buffer }[] };
    const { fields, lists, files } = await readMultipart(req, { maxFiles, maxFileBytes: d.uploadLimitBytes, maxTotalBytes: maxFiles * d.uploadLimitBytes });
    // Repeated names (a report's concerns, the kinds of a filter) stay lists.
    const merged: Record<string, unknown> = { ...fields };
    for (const [name, values] of Object.entries(lists)) if (values.length > 1) merged[name] = values;
    return { fields: merged, files };
  };
  const ics = (res: express.Response, name: string, body: string) => {
    res.setHeader('Content-Type', 'text/calendar; charset=utf-8');
    res.setHeader('Content-Disposition', `inline; filename="${name}"`);
    res.send(body);
  };

  route(r, 'get', '/events', ({ actor, query, meta }) => discovery.list(actor, query, meta.locale));
  route(r, 'get', '/events/map', ({ actor, query, meta }) => discovery.map(actor, query, meta.locale));
  route(r, 'get', '/events/near', async ({ actor, meta }) => ({ events: await discovery.nearMe(actor, meta.locale) }));
  route(r, 'get', '/events/mine', async ({ actor, query, meta }) => ({ events: await discovery.mine(actor, meta.locale, query.past ? 'past' : 'upcoming') }));
  route(r, 'get', '/events/kinds', async ({ meta }) => ({ kinds: await vocab.list('kind', meta.locale), concerns: await vocab.list('concern', meta.locale) }));
  route(
    r,
    'post',
    '/events',
    async ({ actor, req, meta }) => {
      const { fields, files } = await readForm(req, 1);
      const image = files.find((f) => f.field === 'image');
      if (files.length && !image) throw fail.invalid({ image: 'validation.invalid' });
      const created = await events.create(actor, fields, image?.bytes ?? null);
      return events.view(actor, created.id, meta.locale);
    },
    { status: 201 },
  );
  route(r, 'get', '/events/:id', ({ actor, params, meta }) => events.view(actor, params.id, meta.locale));
  route(r, 'patch', '/events/:id', ({ actor, params, body, meta }) => events.update(actor, params.id, body, meta.locale));
  route(r, 'delete', '/events/:id', ({ actor, params }) => events.delete(actor, params.id));
  route(r, 'put', '/events/:id/status', ({ actor, params, body }) => events.setStatus(actor, params.id, body));
  r.put('/events/:id/image', express.raw({ type: () => true, limit: d.uploadLimitBytes }));
  route(r, 'put', '/events/:id/image', async ({ actor, params, req }) => {
    if (!/^image\//.test(req.get('content-type') ?? '')) throw fail.unsupportedMedia('avatar.invalid');
    await events.setImage(actor, params.id, Buffer.isBuffer(req.body) && req.body.length ? req.body : Buffer.alloc(0));
  });
  route(r, 'delete', '/events/:id/image', ({ actor, params }) => events.setImage(actor, params.id, null));
  route(r, 'get', '/events/:id/draft-copy', ({ actor, params }) => events.draftFrom(actor, params.id));
  route(r, 'post', '/events/:id/duplicate', ({ actor, params, body }) => events.duplicate(actor, params.id, body), { status: 201 });
  route(r, 'delete', '/events/:id/organizers/me', ({ actor, params }) => events.stepDown(actor, params.id));
  route(r, 'post', '/events/:id/invitations', ({ actor, params, body }) => events.invite(actor, params.id, body));
  route(r, 'get', '/events/:id/invitations', async ({ actor, params }) => ({ invitations: await events.invitations(actor, params.id) }));

  route(r, 'put', '/events/:id/rsvp', ({ actor, params, body }) => rsvps.answer(actor, params.id, body));
  route(r, 'delete', '/events/:id/rsvp', ({ actor, params }) => rsvps.answer(actor, params.id, { status: 'not_going' }));
  route(r, 'get', '/events/:id/participants', ({ actor, params }) => rsvps.participants(actor, params.id));
  route(r, 'get', '/events/:id/participants.csv', async ({ actor, params, res }) => {
    const { filename, csv } = await rsvps.exportCsv(actor, params.id);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
    res.send(csv);
  });
  route(r, 'post', '/events/:id/requests/:userId/approve', async ({ actor, params }) => ({ status: await rsvps.decide(actor, params.id, params.userId, true) }));
  route(r, 'post', '/events/:id/requests/:userId/decline', async ({ actor, params }) => ({ status: await rsvps.decide(actor, params.id, params.userId, false) }));
  route(r, 'put', '/events/:id/attendance/:userId', ({ actor, params, body }) => rsvps.setAttendance(actor, params.id, params.userId, body));
  route(r, 'post', '/events/:id/walk-ins', ({ actor, params, body }) => rsvps.addWalkIn(actor, params.id, body));

  route(r, 'get', '/events/:id/reports', async ({ actor, params, meta }) => ({ reports: await reports.forEvent(actor, params.id, meta.locale) }));
  route(
    r,
    'put',
    '/events/:id/report',
    async ({ actor, params, req }) => {
      const { fields, files } = await readForm(req, MAX_REPORT_PHOTOS);
      const photos = files.filter((f) => /^photo\d$/.test(f.field));
      if (photos.length !== files.length) throw fail.invalid({ photos: 'validation.invalid' });
      return reports.file(actor, params.id, fields, photos.map((p) => p.bytes));
    },
  );
  route(r, 'delete', '/reports/:id', ({ actor, params }) => reports.delete(actor, params.id));
  route(r, 'delete', '/reports/:id/photos/:photoId', ({ actor, params }) => reports.deletePhoto(actor, params.id, params.photoId));
  route(r, 'get', '/coordination/reports', ({ actor, query, meta }) => reports.aggregate(actor, query, meta.locale));

  route(r, 'get', '/events/:id/calendar.ics', async ({ actor, params, res, meta }) => ics(res, 'evenement.ics', await calendar.eventFile(actor, params.id, meta.locale)));
  route(r, 'get', '/groups/:handle/events', ({ actor, params, meta }) => discovery.ofGroup(actor, params.handle, meta.locale));
  route(r, 'get', '/groups/:handle/events.ics', async ({ params, res, meta }) => ics(res, `${params.handle}.ics`, await calendar.groupFeed(params.handle, meta.locale)));
  route(r, 'get', '/me/calendar', async ({ actor }) => ({ active: await calendar.hasFeed(actor) }));
  route(r, 'post', '/me/calendar', async ({ actor }) => ({ url: await calendar.renewFeed(actor) }), { status: 201 });
  route(r, 'delete', '/me/calendar', ({ actor }) => calendar.revokeFeed(actor));

  route(r, 'get', '/admin/event-vocab', ({ actor, meta }) => vocab.adminList(actor, meta.locale));
  route(r, 'post', '/admin/event-vocab/:vocabulary', ({ actor, params, body }) => vocab.add(actor, params.vocabulary, body), { status: 201 });
  route(r, 'patch', '/admin/event-vocab/:vocabulary/:key', ({ actor, params, body }) => vocab.update(actor, params.vocabulary, params.key, body));
  route(r, 'put', '/admin/event-vocab/:vocabulary/:key/archived', ({ actor, params }) => vocab.setArchived(actor, params.vocabulary, params.key, true));
  route(r, 'delete', '/admin/event-vocab/:vocabulary/:key/archived', ({ actor, params }) => vocab.setArchived(actor, params.vocabulary, params.key, false));
  return r;
}
