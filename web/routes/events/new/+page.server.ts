import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { isAppError } from '#server/errors.ts';
import { action } from '#lib/server/forms.ts';
import { withCommuneChoices } from '#lib/server/communes.ts';
import { formChoices, pictureOf, pinFallback } from '#lib/server/events.ts';
import { parisLocalIn } from '#lib/server/time.ts';

export const load: PageServerLoad = async ({ locals, url }) => {
  if (!locals.actor) redirect(303, `/login?next=${encodeURIComponent(url.pathname + url.search)}`);
  const s = registry();
  const from = url.searchParams.get('from');
  let values: Record<string, string> = { start: parisLocalIn(7, 18), end: parisLocalIn(7, 20), timeZone: 'Europe/Paris', visibility: 'public', joinMode: 'free', guestsMax: '0' };
  let copyOf: string | null = null;
  if (from) {
    try {
      values = await s.events.draftFrom(locals.actor, from);
      copyOf = values.title;
    } catch (e) {
      if (!isAppError(e)) throw e;
    }
  }
  const group = url.searchParams.get('group');
  if (group && !from) values = { ...values, groupId: group, visibility: 'public' };
  return { ...(await formChoices(s, locals.actor, locals.locale)), values, copyOf, pin: pinFallback(values) };
};

export const actions: Actions = {
  default: async (event) =>
    withCommuneChoices(
      await action(event, async ({ input, data, services }) => {
        const created = await services.events.create(event.locals.actor, input, await pictureOf(data));
        redirect(303, `/events/${created.id}?created=1`);
      }),
    ),
};
