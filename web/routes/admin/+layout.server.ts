import { error, redirect } from '@sveltejs/kit';
import type { LayoutServerLoad } from './$types';
import { t } from '#lib/i18n/index.ts';

// The page guard only spares a useless render: every action and load below calls a service
// that checks the role itself.
export const load: LayoutServerLoad = async ({ locals }) => {
  if (!locals.actor) redirect(303, '/login');
  if (locals.actor.role !== 'admin') error(403, t(locals.locale, 'error.forbidden'));
  return {};
};
