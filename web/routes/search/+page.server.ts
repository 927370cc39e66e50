import type { PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { isAppError, toProblem } from '#server/errors.ts';

export const load: PageServerLoad = async ({ locals, url }) => {
  const q = url.searchParams.get('q') ?? '';
  try {
    return { results: await registry().search.search(locals.actor, { q }, locals.meta), error: null };
  } catch (e) {
    if (!isAppError(e)) throw e;
    const problem = toProblem(e, locals.locale).body;
    return { results: { query: q, people: [], groups: [], posts: [], hashtags: [] }, error: problem.fields?.q ?? problem.message };
  }
};
