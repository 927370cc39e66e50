import { error } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { isAppError } from '#server/errors.ts';
import { t } from '#lib/i18n/index.ts';

export const load: PageServerLoad = async ({ locals, params, url }) => {
  try {
    return { tag: params.tag, feed: await registry().posts.byTag(locals.actor, params.tag, url.searchParams.get('cursor')) };
  } catch (e) {
    if (isAppError(e) && e.kind === 'not_found') error(404, t(locals.locale, 'error.not_found'));
    throw e;
  }
};
