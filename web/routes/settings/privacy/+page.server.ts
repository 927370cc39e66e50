import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { action } from '#lib/server/forms.ts';

export const load: PageServerLoad = async ({ locals }) => ({ me: await registry().profiles.own(locals.actor) });

export const actions: Actions = {
  default: (event) =>
    action(event, async ({ input, services }) => {
      await services.profiles.update(event.locals.actor, {
        friendRequestsFrom: input.friendRequestsFrom,
        friendListVisibility: input.friendListVisibility,
        searchable: input.searchable === 'on',
        profilePublic: input.profilePublic === 'on',
        showCommune: input.showCommune === 'on',
        phone: input.phone ?? '',
      });
      return { saved: true };
    }),
};
