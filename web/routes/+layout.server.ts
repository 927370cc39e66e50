import type { LayoutServerLoad } from './$types';
import { registry } from '#server/registry.ts';

export const load: LayoutServerLoad = async ({ locals }) => {
  const instance = await registry().instance.view(locals.locale);
  return {
    locale: locals.locale,
    user: locals.user,
    instanceName: instance.name,
    unread: locals.actor ? await registry().notifications.unreadCount(locals.actor) : 0,
  };
};
