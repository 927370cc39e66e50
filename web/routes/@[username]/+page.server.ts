import { error } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { isAppError } from '#server/errors.ts';
import { t } from '#lib/i18n/index.ts';

export const load: PageServerLoad = async ({ params, locals }) => {
  try {
    return { profile: await registry().profiles.view(locals.actor, params.username) };
  } catch (e) {
    if (isAppError(e) && e.kind === 'not_found') error(404, t(locals.locale, 'error.not_found'));
    throw e;
  }
};
