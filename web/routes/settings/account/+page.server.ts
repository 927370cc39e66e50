import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { action, clearSessionCookie, setChallengeCookie } from '#lib/server/forms.ts';

export const load: PageServerLoad = async ({ locals, url }) => {
  const s = registry();
  return {
    me: await s.profiles.own(locals.actor),
    sessions: await s.sessions.list(locals.actor),
    deletion: await s.privacy.deletionPreview(locals.actor),
    emailChanged: url.searchParams.has('emailChanged'),
  };
};

export const actions: Actions = {
  email: (event) =>
    action(
      event,
      async ({ input, services }) => {
        const { challengeId } = await services.accounts.requestEmailChange(event.locals.actor, input, event.locals.meta);
        setChallengeCookie(event, challengeId);
        redirect(303, '/verify?sent=email');
      },
      { form: 'email' },
    ),
  password: (event) =>
    action(
      event,
      async ({ input, services }) => {
        await services.accounts.setPassword(event.locals.actor, input);
        return { saved: 'password' };
      },
      { form: 'password' },
    ),
  endSession: (event) =>
    action(
      event,
      async ({ input, services }) => {
        await services.sessions.end(event.locals.actor, String(input.id ?? ''));
        return { saved: 'sessions' };
      },
      { form: 'sessions' },
    ),
  endOthers: (event) =>
    action(
      event,
      async ({ services }) => {
        await services.sessions.endOthers(event.locals.actor);
        return { saved: 'sessions' };
      },
      { form: 'sessions' },
    ),
  delete: (event) =>
    action(
      event,
      async ({ input, services }) => {
        await services.privacy.deleteAccount(event.locals.actor, input);
        clearSessionCookie(event);
        redirect(303, '/?deleted=1');
      },
      { form: 'delete' },
    ),
};
