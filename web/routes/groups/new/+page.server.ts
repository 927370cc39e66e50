import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { action } from '#lib/server/forms.ts';
import { withCommuneChoices } from '#lib/server/communes.ts';

export const load: PageServerLoad = async ({ locals }) => {
  if (!locals.actor) redirect(303, '/login');
  return {};
};

export const actions: Actions = {
  default: async (event) =>
    withCommuneChoices(
      await action(event, async ({ input, services }) => {
        const group = await services.groups.create(event.locals.actor, { ...input, handle: input.handle || undefined });
        redirect(303, `/g/${group.handle}?created=1`);
      }),
    ),
};
