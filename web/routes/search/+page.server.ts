import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { isAppError, toProblem } from '#server/errors.ts';
import { relationActions } from '#lib/server/relations.ts';

export const load: PageServerLoad = async ({ locals, url }) => {
  const q = url.searchParams.get('q') ?? '';
  const s = registry();
  try {
    const results = await s.search.search(locals.actor, { q }, locals.meta);
    // Each person found, with what the viewer can do: ask as a friend right from the results.
    const relations = locals.actor
      ? Object.fromEntries(await Promise.all(results.people.map(async (p) => [p.id, await s.friends.relation(locals.actor, p.id)] as const)))
      : {};
    return { results, relations, error: null };
  } catch (e) {
    if (!isAppError(e)) throw e;
    const problem = toProblem(e, locals.locale).body;
    return { results: { query: q, people: [], groups: [], posts: [], hashtags: [] }, relations: {}, error: problem.fields?.q ?? problem.message };
  }
};

export const actions: Actions = relationActions(['request'], (event) => `/search?q=${encodeURIComponent(event.url.searchParams.get('q') ?? '')}`);
