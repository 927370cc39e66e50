import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { action, setChallengeCookie, setSessionCookie } from '#lib/server/forms.ts';

export const load: PageServerLoad = async ({ locals, url }) => {
  if (locals.actor) redirect(303, '/');
  return { loggedOut: url.searchParams.has('loggedOut') };
};

export const actions: Actions = {
  code: (event) =>
    action(
      event,
      async ({ input, services }) => {
        const { challengeId } = await services.accounts.requestLoginCode(input, event.locals.meta);
        setChallengeCookie(event, challengeId);
        redirect(303, '/verify?sent=login');
      },
      { form: 'code' },
    ),
  password: (event) =>
    action(
      event,
      async ({ input, services }) => {
        const { sessionToken } = await services.accounts.loginWithPassword(input, event.locals.meta);
        setSessionCookie(event, sessionToken);
        redirect(303, '/');
      },
      { form: 'password' },
    ),
};
