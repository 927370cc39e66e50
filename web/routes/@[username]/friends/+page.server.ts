import { error } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { isAppError } from '#server/errors.ts';
import { t } from '#lib/i18n/index.ts';

export const load: PageServerLoad = async ({ params, locals, url }) => {
  const page = Math.max(1, Number(url.searchParams.get('page')) || 1);
  try {
    const profile = await registry().profiles.view(locals.actor, params.username);
    return { profile, page, list: await registry().friends.friendsOf(locals.actor, params.username, page) };
  } catch (e) {
    if (isAppError(e) && (e.kind === 'not_found' || e.kind === 'forbidden')) error(e.kind === 'not_found' ? 404 : 403, t(locals.locale, e.messageKey));
    throw e;
  }
};
