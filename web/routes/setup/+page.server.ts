// First start: the one-time link printed in the server log creates the administrator.
import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { action, setSessionCookie } from '#lib/server/forms.ts';

export const load: PageServerLoad = async ({ url }) => {
  const token = url.searchParams.get('token') ?? '';
  const s = registry();
  const valid = (await s.admin.needsSetup()) && (await s.instance.setupTokenValid(token));
  return { token: valid ? token : null };
};

export const actions: Actions = {
  default: (event) =>
    action(event, async ({ input, services }) => {
      const { sessionToken } = await services.admin.setup(input, event.locals.meta);
      setSessionCookie(event, sessionToken);
      redirect(303, '/admin?setup=1');
    }),
};
