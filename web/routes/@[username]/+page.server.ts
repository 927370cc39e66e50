import { error, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { isAppError } from '#server/errors.ts';
import { t } from '#lib/i18n/index.ts';
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

/** Friend and block buttons: each calls one service function, then shows the profile again. */
function relationAction(run: (s: ReturnType<typeof registry>, actor: App.Locals['actor'], userId: string) => Promise<unknown>) {
  return (event: Parameters<NonNullable<Actions['request']>>[0]) =>
    action(event, async ({ input, services }) => {
      await run(services, event.locals.actor, String(input.userId ?? ''));
      redirect(303, `/@${event.params.username}`);
    });
}

export const actions: Actions = {
  request: relationAction((s, a, id) => s.friends.request(a, id)),
  cancel: relationAction((s, a, id) => s.friends.cancel(a, id)),
  accept: relationAction((s, a, id) => s.friends.accept(a, id)),
  decline: relationAction((s, a, id) => s.friends.decline(a, id)),
  unfriend: relationAction((s, a, id) => s.friends.unfriend(a, id)),
  block: relationAction((s, a, id) => s.friends.block(a, id)),
  unblock: relationAction((s, a, id) => s.friends.unblock(a, id)),
};
