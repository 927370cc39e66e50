import { error, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { isAppError } from '#server/errors.ts';
import { t } from '#lib/i18n/index.ts';
import { relationActions } from '#lib/server/relations.ts';
import { action } from '#lib/server/forms.ts';

export const load: PageServerLoad = async ({ params, locals, url }) => {
  const s = registry();
  try {
    const profile = await s.profiles.view(locals.actor, params.username);
    const [relation, friends, posts] = await Promise.all([
      locals.actor ? s.friends.relation(locals.actor, profile.id) : null,
      s.friends.friendsOf(locals.actor, profile.username).catch(() => null),
      s.posts.byMember(locals.actor, profile.id, url.searchParams.get('cursor')),
    ]);
    return { profile, relation, friends: friends ? { ...friends, friends: friends.friends.slice(0, 12) } : null, posts };
  } catch (e) {
    if (isAppError(e) && e.kind === 'not_found') error(404, t(locals.locale, 'error.not_found'));
    throw e;
  }
};

export const actions: Actions = {
  ...relationActions(['request', 'cancel', 'accept', 'decline', 'unfriend', 'block', 'unblock'], (event) => `/@${event.params.username}`),
  // "Send a message": the one-to-one room with this member (opened on first use).
  message: (event) =>
    action(event, async ({ input, services }) => {
      const room = await services.chat.direct(event.locals.actor, String(input.userId ?? ''));
      redirect(303, `/chat/${room.id}`);
    }),
};
