import { redirect, type Actions } from '@sveltejs/kit';
import { registry } from '#server/registry.ts';
import { clearSessionCookie } from '#lib/server/forms.ts';

export const load = () => redirect(303, '/');

export const actions: Actions = {
  default: async (event) => {
    await registry().sessions.logout(event.locals.actor);
    clearSessionCookie(event);
    redirect(303, '/login?loggedOut=1');
  },
};
