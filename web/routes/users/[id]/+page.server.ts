// The actor URL opened in a browser: the member's profile page.
import { error, redirect } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { t } from '#lib/i18n/index.ts';

export const load: PageServerLoad = async ({ params, locals }) => {
  const user = await registry().repo.userById(params.id);
  if (!user || user.status !== 'active') error(404, t(locals.locale, 'error.not_found'));
  redirect(302, `/@${user.username}`);
};
