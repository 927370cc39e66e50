import { error, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { isAppError } from '#server/errors.ts';
import { t } from '#lib/i18n/index.ts';
import { action } from '#lib/server/forms.ts';

export const load: PageServerLoad = async ({ params, locals, url }) => {
  const s = registry();
  try {
    const event = await s.events.view(locals.actor, params.id, locals.locale);
    // The event's chat room, for its organizers and confirmed participants (the chat's own rule).
    const chatRoomId = locals.actor && (event.rights.organizer || event.myRsvp?.status === 'going') ? await s.chat.eventRoom(locals.actor, event.id).then((r) => r.id, () => null) : null;
    return { event, chatRoomId, created: url.searchParams.has('created'), saved: url.searchParams.has('saved'), answered: url.searchParams.has('answered'), publicUrl: s.config.publicUrl.origin };
  } catch (e) {
    if (isAppError(e) && e.kind === 'not_found') error(404, t(locals.locale, 'error.not_found'));
    throw e;
  }
};

export const actions: Actions = {
  rsvp: (event) =>
    action(
      event,
      async ({ input, services }) => {
        await services.rsvps.answer(event.locals.actor, event.params.id, input);
        redirect(303, `/events/${event.params.id}?answered=1#rsvp`);
      },
      { form: 'rsvp' },
    ),
};
