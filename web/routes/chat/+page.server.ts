import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { action } from '#lib/server/forms.ts';
import { asJson, myFriends } from '#lib/server/chat.ts';

export const load: PageServerLoad = async ({ locals }) => {
  if (!locals.actor || !locals.user) redirect(303, '/login?next=%2Fchat');
  const s = registry();
  const [list, friends] = await Promise.all([s.chat.rooms(locals.actor), myFriends(locals.actor, locals.user.username)]);
  return { rooms: asJson(list.rooms), unread: list.unread, friends };
};

const ids = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' && v ? [v] : []);

export const actions: Actions = {
  direct: (event) =>
    action(
      event,
      async ({ input, services }) => {
        const room = await services.chat.direct(event.locals.actor, String(input.userId ?? ''));
        redirect(303, `/chat/${room.id}`);
      },
      { form: 'direct' },
    ),
  private: (event) =>
    action(
      event,
      async ({ input, services }) => {
        const room = await services.chat.createPrivate(event.locals.actor, { name: typeof input.name === 'string' ? input.name : '', memberIds: ids(input.memberIds) });
        redirect(303, `/chat/${room.id}`);
      },
      { form: 'private' },
    ),
};
