import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { action } from '#lib/server/forms.ts';
import { SKILLS } from '#server/profiles/skills.ts';
import { isAppError } from '#server/errors.ts';

export const load: PageServerLoad = async ({ locals, url }) => {
  if (!locals.actor) redirect(303, '/login');
  const s = registry();
  const skill = url.searchParams.get('skill') || undefined;
  const km = url.searchParams.get('km') || undefined;
  let suggestions: Awaited<ReturnType<typeof s.friends.suggestions>> = [];
  let suggestionsError: string | null = null;
  try {
    suggestions = await s.friends.suggestions(locals.actor, { skill, km });
  } catch (e) {
    if (!isAppError(e)) throw e;
    suggestionsError = e.messageKey;
  }
  return { overview: await s.friends.overview(locals.actor), suggestions, suggestionsError, skills: [...SKILLS], skill: skill ?? '', km: km ?? '30' };
};

const relation = (run: (s: ReturnType<typeof registry>, a: App.Locals['actor'], id: string) => Promise<unknown>) => (event: Parameters<NonNullable<Actions['accept']>>[0]) =>
  action(event, async ({ input, services }) => {
    await run(services, event.locals.actor, String(input.userId ?? ''));
    redirect(303, `/friends${event.url.search}`);
  });

export const actions: Actions = {
  request: relation((s, a, id) => s.friends.request(a, id)),
  accept: relation((s, a, id) => s.friends.accept(a, id)),
  decline: relation((s, a, id) => s.friends.decline(a, id)),
  cancel: relation((s, a, id) => s.friends.cancel(a, id)),
  unblock: relation((s, a, id) => s.friends.unblock(a, id)),
};
