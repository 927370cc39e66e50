import { error, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { isAppError } from '#server/errors.ts';
import { t } from '#lib/i18n/index.ts';
import { action } from '#lib/server/forms.ts';
import { withCommuneChoices } from '#lib/server/communes.ts';
import { formChoices, pictureOf, pinFallback } from '#lib/server/events.ts';

export const load: PageServerLoad = async ({ params, locals, url }) => {
  if (!locals.actor) redirect(303, `/login?next=${encodeURIComponent(url.pathname)}`);
  const s = registry();
  try {
    const [event, values] = await Promise.all([s.events.view(locals.actor, params.id, locals.locale), s.events.formValues(locals.actor, params.id)]);
    const choices = await formChoices(s, locals.actor, locals.locale);
    // An archived kind is no longer offered, but an event of that kind keeps it.
    if (!choices.kinds.some((k) => k.key === values.kind)) {
      const entry = await s.eventVocab.entry('kind', values.kind, locals.locale);
      if (entry) choices.kinds.push({ key: entry.key, label: entry.label });
    }
    return { ...choices, event: { id: event.id, title: event.title, hasImage: event.imageUrl !== null }, values, pin: pinFallback(values) };
  } catch (e) {
    if (isAppError(e) && e.kind === 'not_found') error(404, t(locals.locale, 'error.not_found'));
    if (isAppError(e) && e.kind === 'forbidden') error(403, t(locals.locale, 'event.organizer_required'));
    throw e;
  }
};

export const actions: Actions = {
  default: async (event) =>
    withCommuneChoices(
      await action(event, async ({ input, data, services }) => {
        const bytes = await pictureOf(data);
        const { image: _i, removeImage, ...fields } = input;
        // Unchecked boxes are absent from a form: say so, or the edit would keep them on.
        const values = { hideAddress: '', participantReports: '', ...fields };
        const picture = bytes ? { bytes } : removeImage ? ({ remove: true } as const) : undefined;
        await services.events.update(event.locals.actor, event.params.id, values, event.locals.locale, picture);
        redirect(303, `/events/${event.params.id}?saved=1`);
      }),
    ),
};
