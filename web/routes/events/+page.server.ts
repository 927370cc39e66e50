import type { PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { isAppError, toProblem } from '#server/errors.ts';

export const load: PageServerLoad = async ({ locals, url }) => {
  const s = registry();
  const query: Record<string, string | string[]> = {};
  for (const key of ['from', 'to', 'km', 'near', 'postalCode', 'group', 'q', 'scope', 'online', 'cursor']) {
    const v = url.searchParams.get(key);
    if (v) query[key] = v;
  }
  const kinds = url.searchParams.getAll('kind').filter(Boolean);
  if (kinds.length) query.kind = kinds;
  const vocab = (await s.eventVocab.list('kind', locals.locale)).map((k) => ({ key: k.key, label: k.label }));
  try {
    return { query, kinds: vocab, list: await s.discovery.list(locals.actor, query, locals.locale), problem: null };
  } catch (e) {
    if (!isAppError(e)) throw e;
    // A filter that makes no sense (an unknown postal code…): say which, show nothing else.
    const problem = toProblem(e, locals.locale).body;
    return { query, kinds: vocab, list: null, problem };
  }
};
