import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { action } from '#lib/server/forms.ts';

export const load: PageServerLoad = async ({ locals, url }) => {
  const search = url.searchParams.get('q') ?? '';
  const page = url.searchParams.get('page') ?? '1';
  return { list: await registry().admin.listUsers(locals.actor, { search, page }), search };
};

export const actions: Actions = {
  role: (event) =>
    action(event, async ({ input, services }) => {
      await services.admin.setRole(event.locals.actor, String(input.userId ?? ''), { role: input.role });
      return { saved: true };
    }),
  coordinator: (event) =>
    action(event, async ({ input, services }) => {
      await services.admin.setCoordinator(event.locals.actor, String(input.userId ?? ''), { coordinator: input.coordinator });
      return { saved: true };
    }),
  status: (event) =>
    action(event, async ({ input, services }) => {
      await services.admin.setStatus(event.locals.actor, String(input.userId ?? ''), { status: input.status });
      return { saved: true };
    }),
};
