// "My calendar": the secret address of the member's own feed. The address is shown once, in the
// answer to the action that creates it (the service keeps only its hash).
import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { action } from '#lib/server/forms.ts';

export const load: PageServerLoad = async ({ locals, url }) => ({
  active: await registry().calendar.hasFeed(locals.actor),
  stopped: url.searchParams.has('stopped'),
});

export const actions: Actions = {
  renew: (event) =>
    action(
      event,
      async ({ services }) => ({ url: await services.calendar.renewFeed(event.locals.actor) }),
      { form: 'renew' },
    ),
  stop: (event) =>
    action(
      event,
      async ({ services }) => {
        await services.calendar.revokeFeed(event.locals.actor);
        redirect(303, '/settings/calendar?stopped=1');
      },
      { form: 'stop' },
    ),
};
