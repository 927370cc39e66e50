import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { postAction } from '#lib/server/posts.ts';

export const load: PageServerLoad = async ({ locals, url }) => {
  const s = registry();
  const instance = await s.instance.view(locals.locale);
  const base = { description: instance.description, registrationsOpen: instance.registrationsOpen, members: await s.profiles.memberCount() };
  if (!locals.actor) return { ...base, feed: null };
  const [feed, mine, near, suggestions, nearEvents, myEvents] = await Promise.all([
    s.posts.feed(locals.actor, url.searchParams.get('cursor')),
    s.groups.mine(locals.actor),
    s.groups.nearMe(locals.actor, 4),
    s.friends.suggestions(locals.actor),
    s.discovery.nearMe(locals.actor, locals.locale),
    s.discovery.mine(locals.actor, locals.locale, 'upcoming'),
  ]);
  return { ...base, feed, myGroups: mine.groups, invitations: mine.invitations, near, suggestions: suggestions.slice(0, 4), nearEvents, myEvents: myEvents.slice(0, 3) };
};

export const actions: Actions = { post: postAction };
