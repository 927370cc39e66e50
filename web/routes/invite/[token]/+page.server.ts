import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { action } from '#lib/server/forms.ts';

export const load: PageServerLoad = async ({ params }) => ({ group: await registry().groups.invitationTarget(params.token) });

export const actions: Actions = {
  default: (event) =>
    action(event, async ({ input, services }) => {
      const group = await services.groups.joinWithLink(event.locals.actor, event.params.token, { shareContact: input.shareContact === 'on' });
      redirect(303, `/g/${group.handle}`);
    }),
};
