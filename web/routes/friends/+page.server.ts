import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { relationActions } from '#lib/server/relations.ts';
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

export const actions: Actions = relationActions(['request', 'accept', 'decline', 'cancel', 'unblock'], (event) => `/friends${event.url.search}`);
