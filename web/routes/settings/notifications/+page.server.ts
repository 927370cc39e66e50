import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { action } from '#lib/server/forms.ts';
import { CHANNELS, NOTIFICATION_TYPES } from '#server/notifications/service.ts';

export const load: PageServerLoad = async ({ locals }) => ({
  prefs: await registry().notifications.prefs(locals.actor),
  types: [...NOTIFICATION_TYPES],
  channels: [...CHANNELS],
});

export const actions: Actions = {
  default: (event) =>
    action(event, async ({ input, services }) => {
      const prefs = Object.fromEntries(NOTIFICATION_TYPES.filter((type) => typeof input[type] === 'string').map((type) => [type, input[type]]));
      await services.notifications.setPrefs(event.locals.actor, prefs);
      return { saved: true };
    }),
};
