// The coordinators' summary of field reports over a period and a territory. The filter is a
// GET form (the address can be bookmarked and shared between coordinators); the service checks
// the role and the period.
import { error, redirect } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { isAppError, toProblem } from '#server/errors.ts';
import { departements } from '#server/geo/communes.ts';
import { t } from '#lib/i18n/index.ts';

export const load: PageServerLoad = async ({ locals, url }) => {
  if (!locals.actor) redirect(303, `/login?next=${encodeURIComponent(url.pathname + url.search)}`);
  const query = { from: url.searchParams.get('from') ?? '', to: url.searchParams.get('to') ?? '', departement: url.searchParams.get('departement') ?? '' };
  try {
    const summary = await registry().reports.aggregate(locals.actor, query, locals.locale);
    return { summary, query, departements: departements(), failure: null };
  } catch (e) {
    if (isAppError(e) && e.kind === 'forbidden') error(403, t(locals.locale, e.messageKey));
    if (isAppError(e) && e.kind === 'invalid_input') {
      const problem = toProblem(e, locals.locale);
      return { summary: null, query, departements: departements(), failure: { message: problem.body.message, fields: problem.body.fields ?? {} } };
    }
    throw e;
  }
};
