import { redirect } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';

export const load: PageServerLoad = async ({ locals, url }) => {
  if (!locals.actor) redirect(303, `/login?next=${encodeURIComponent(url.pathname)}`);
  const s = registry();
  const [upcoming, past] = await Promise.all([s.discovery.mine(locals.actor, locals.locale, 'upcoming'), s.discovery.mine(locals.actor, locals.locale, 'past')]);
  return { upcoming, past };
};
