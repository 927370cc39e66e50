import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { action, rememberNext, setChallengeCookie, setSessionCookie, takeNext } from '#lib/server/forms.ts';

export const load: PageServerLoad = async (event) => {
  const { locals, url } = event;
  if (locals.actor) redirect(303, '/');
  rememberNext(event);
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
        redirect(303, takeNext(event, '/'));
      },
      { form: 'password' },
    ),
};
