import { error, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { isAppError } from '#server/errors.ts';
import { t } from '#lib/i18n/index.ts';
import { action } from '#lib/server/forms.ts';
import { postAction } from '#lib/server/posts.ts';
import { asJson } from '#lib/server/chat.ts';

export const load: PageServerLoad = async ({ params, locals, url }) => {
  const s = registry();
  try {
    const group = await s.groups.view(locals.actor, params.handle);
    const [posts, members, pinned, agenda] = await Promise.all([
      s.posts.byGroup(locals.actor, group.id, url.searchParams.get('cursor')),
      group.canSeeMembers ? s.groups.members(locals.actor, group.id) : Promise.resolve(null),
      group.pinnedPostId ? s.posts.get(locals.actor, group.pinnedPostId).catch(() => null) : Promise.resolve(null),
      s.discovery.ofGroup(locals.actor, group.id, locals.locale),
    ]);
    // The group's chat rooms, for its members.
    const rooms = group.myRole && locals.actor ? asJson(await s.chat.groupRooms(locals.actor, group.id)) : null;
    return { group, posts, members: members?.slice(0, 50) ?? null, memberTotal: members?.length ?? 0, pinned, agenda, rooms, created: url.searchParams.has('created') };
  } catch (e) {
    if (isAppError(e) && e.kind === 'not_found') error(404, t(locals.locale, 'error.not_found'));
    throw e;
  }
};

const groupAction = (run: (s: ReturnType<typeof registry>, a: App.Locals['actor'], groupId: string, input: Record<string, unknown>) => Promise<unknown>, form?: string) => (event: Parameters<NonNullable<Actions['join']>>[0]) =>
  action(
    event,
    async ({ input, services }) => {
      const group = await services.groups.view(event.locals.actor, event.params.handle!);
      await run(services, event.locals.actor, group.id, input);
      redirect(303, `/g/${group.handle}`);
    },
    { form },
  );

export const actions: Actions = {
  post: postAction,
  join: groupAction((s, a, id, input) => s.groups.join(a, id, { answer: input.answer, shareContact: input.shareContact === 'on' }), 'join'),
  leave: groupAction((s, a, id) => s.groups.leave(a, id)),
  follow: groupAction((s, a, id) => s.groups.follow(a, id, true)),
  unfollow: groupAction((s, a, id) => s.groups.follow(a, id, false)),
  consent: groupAction((s, a, id, input) => s.groups.setShareContact(a, id, { shareContact: input.shareContact === 'on' })),
  declineInvitation: groupAction((s, a, id) => s.groups.declineInvitation(a, id)),
  channel: (event) =>
    action(
      event,
      async ({ input, services }) => {
        const group = await services.groups.view(event.locals.actor, event.params.handle!);
        await services.chat.createChannel(event.locals.actor, group.id, { name: input.name, readOnly: input.readOnly === 'on' });
        redirect(303, `/g/${group.handle}#discussion`);
      },
      { form: 'channel' },
    ),
};
