import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { action, rememberNext, setChallengeCookie } from '#lib/server/forms.ts';
import { withCommuneChoices } from '#lib/server/communes.ts';

export const load: PageServerLoad = async (event) => {
  const { locals } = event;
  if (locals.actor) redirect(303, '/');
  rememberNext(event);
  const instance = await registry().instance.view(locals.locale);
  return { registrationsOpen: instance.registrationsOpen };
};

export const actions: Actions = {
  default: async (event) =>
    withCommuneChoices(
      await action(event, async ({ input, services }) => {
        const { challengeId } = await services.accounts.startSignup({ ...input, locale: event.locals.locale }, event.locals.meta);
        setChallengeCookie(event, challengeId);
        redirect(303, '/verify?sent=signup');
      }),
    ),
};
