import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { action } from '#lib/server/forms.ts';

export const load: PageServerLoad = async ({ locals, url }) => {
  if (!locals.actor) redirect(303, '/login');
  return { list: await registry().notifications.list(locals.actor, locals.locale, url.searchParams.get('before')) };
};

export const actions: Actions = {
  readAll: (event) =>
    action(event, async ({ services }) => {
      await services.notifications.markRead(event.locals.actor, { ids: 'all' });
      redirect(303, '/notifications');
    }),
  open: (event) =>
    action(event, async ({ input, services }) => {
      await services.notifications.markRead(event.locals.actor, { ids: [String(input.id ?? '')] });
      const link = String(input.link ?? '/');
      redirect(303, link.startsWith('/') && !link.startsWith('//') ? link : '/');
    }),
};
