// The actor URL opened in a browser: the member's profile page.
import { error, redirect } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { isAppError } from '#server/errors.ts';
import { t } from '#lib/i18n/index.ts';

export const load: PageServerLoad = async ({ params, locals }) => {
  let username: string;
  try {
    username = await registry().profiles.usernameOf(params.id);
  } catch (e) {
    if (isAppError(e) && e.kind === 'not_found') error(404, t(locals.locale, 'error.not_found'));
    throw e;
  }
  redirect(302, `/@${username}`);
};
