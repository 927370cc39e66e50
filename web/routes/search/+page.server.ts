import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { isAppError, toProblem } from '#server/errors.ts';
import { relationActions } from '#lib/server/relations.ts';

const REMOTE = /^(@?[^@\s/]+@[^@\s/]+\.[^@\s/]+|https?:\/\/\S+)$/i;

export const load: PageServerLoad = async ({ locals, url }) => {
  const q = url.searchParams.get('q') ?? '';
  const s = registry();
  try {
    const results = await s.search.search(locals.actor, { q }, locals.meta);
    // Each person found, with what the viewer can do: ask as a friend right from the results.
    const relations = locals.actor
      ? Object.fromEntries(await Promise.all(results.people.map(async (p) => [p.id, await s.friends.relation(locals.actor, p.id)] as const)))
      : {};
    // A handle (@name@server) or a profile address: looked up on its server (members only).
    const remote = locals.actor && REMOTE.test(q.trim()) ? await s.remote.lookup(locals.actor, { handle: q.trim() }).then(
      (found) => ({ found, error: null }),
      (e: unknown) => {
        if (!isAppError(e)) throw e;
        return { found: null, error: toProblem(e, locals.locale).body.message };
      },
    ) : null;
    return { results, relations, remote, error: null };
  } catch (e) {
    if (!isAppError(e)) throw e;
    const problem = toProblem(e, locals.locale).body;
    return { results: { query: q, people: [], groups: [], posts: [], hashtags: [] }, relations: {}, remote: null, error: problem.fields?.q ?? problem.message };
  }
};

export const actions: Actions = relationActions(['request'], (event) => `/search?q=${encodeURIComponent(event.url.searchParams.get('q') ?? '')}`);
