import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { action } from '#lib/server/forms.ts';

export const load: PageServerLoad = async ({ locals, url }) => {
  const s = registry();
  const view = await s.instance.view(locals.locale);
  const settings = await s.instance.settings();
  return {
    settings: {
      name: settings.name ?? view.name,
      description: settings.description ?? view.description,
      charter: settings.charter ?? view.charter,
      privacyNotice: settings.privacyNotice ?? view.privacyNotice,
      registrationsOpen: settings.registrationsOpen,
    },
    justSetUp: url.searchParams.has('setup'),
  };
};

export const actions: Actions = {
  default: (event) =>
    action(event, async ({ input, services }) => {
      await services.instance.update(event.locals.actor, {
        ...input,
        registrationsOpen: input.registrationsOpen === 'on',
      });
      return { saved: true };
    }),
};
