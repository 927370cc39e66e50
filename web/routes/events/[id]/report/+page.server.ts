// The field report ("compte rendu") of the logged-in member on an event, and the reports they
// may read. The services decide who may file and read; the page only shows what they answer.
import { error, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { isAppError } from '#server/errors.ts';
import { MAX_REPORT_PHOTOS } from '#server/events/reports.ts';
import { t } from '#lib/i18n/index.ts';
import { action } from '#lib/server/forms.ts';
import { actionWithLists } from '#lib/server/organize.ts';

export const load: PageServerLoad = async ({ params, locals, url }) => {
  if (!locals.actor) redirect(303, `/login?next=${encodeURIComponent(url.pathname)}`);
  const s = registry();
  try {
    const event = await s.events.view(locals.actor, params.id, locals.locale);
    const [kind, concerns, reports] = await Promise.all([
      s.eventVocab.entry('kind', event.kind, locals.locale),
      s.eventVocab.list('concern', locals.locale),
      s.reports.forEvent(locals.actor, event.id, locals.locale),
    ]);
    return {
      event,
      asked: kind?.metrics ?? [],
      concerns: concerns.map((c) => ({ key: c.key, label: c.label })),
      reports,
      maxPhotos: MAX_REPORT_PHOTOS,
      uploadMb: Math.floor(s.config.uploadLimitBytes / 1048576),
      done: url.searchParams.get('done'),
    };
  } catch (e) {
    if (isAppError(e) && (e.kind === 'not_found' || e.kind === 'forbidden')) error(e.kind === 'not_found' ? 404 : 403, t(locals.locale, e.messageKey));
    throw e;
  }
};

export const actions: Actions = {
  save: (event) =>
    actionWithLists(
      event,
      ['concerns'],
      async ({ data, input, services }) => {
        const photos: Buffer[] = [];
        for (const file of data.getAll('photos')) if (file instanceof File && file.size > 0) photos.push(Buffer.from(await file.arrayBuffer()));
        const { photos: _files, ...fields } = input;
        await services.reports.file(event.locals.actor, event.params.id, fields, photos);
        redirect(303, `/events/${event.params.id}/report?done=saved#yours`);
      },
      { form: 'report' },
    ),
  deletePhoto: (event) =>
    action(
      event,
      async ({ input, services }) => {
        await services.reports.deletePhoto(event.locals.actor, input.reportId, input.photoId);
        redirect(303, `/events/${event.params.id}/report?done=photo_deleted#photos`);
      },
      { form: 'photo' },
    ),
  delete: (event) =>
    action(
      event,
      async ({ input, services }) => {
        await services.reports.delete(event.locals.actor, input.reportId);
        redirect(303, `/events/${event.params.id}/report?done=deleted#reports`);
      },
      { form: 'reports' },
    ),
};
