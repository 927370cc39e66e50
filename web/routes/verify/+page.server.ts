// Step 2 of sign-up, login by code and email change: the 6-digit code typed here, or the
// emailed link. The link only shows a button: mail scanners open links, and a GET must not use
// up the one-time token (ASVS 3.5.3).
import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { action, clearChallengeCookie, readChallengeCookie, setSessionCookie, takeNext } from '#lib/server/forms.ts';
import type { VerifyResult } from '#server/accounts/service.ts';

export const load: PageServerLoad = async (event) => {
  const token = event.url.searchParams.get('token');
  if (token) return { mode: 'link' as const, token, linkValid: (await registry().accounts.linkStatus(token)) === 'valid' };
  return { mode: 'code' as const, hasChallenge: Boolean(readChallengeCookie(event)), sent: event.url.searchParams.get('sent') };
};

function done(event: Parameters<NonNullable<Actions['code']>>[0], result: VerifyResult): never {
  clearChallengeCookie(event);
  if (result.sessionToken) setSessionCookie(event, result.sessionToken);
  if (result.purpose === 'email_change') redirect(303, '/settings/account?emailChanged=1');
  redirect(303, takeNext(event, result.purpose === 'signup' ? '/settings?welcome=1' : '/'));
}

export const actions: Actions = {
  code: (event) =>
    action(event, async ({ input, services }) => {
      const result = await services.accounts.verify({ challengeId: readChallengeCookie(event) ?? '', code: input.code }, event.locals.meta);
      done(event, result);
    }),
  link: (event) =>
    action(event, async ({ input, services }) => {
      const result = await services.accounts.verify({ token: input.token }, event.locals.meta);
      done(event, result);
    }),
};
