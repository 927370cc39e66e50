import type { LayoutServerLoad } from './$types';
import { registry } from '#server/registry.ts';

export const load: LayoutServerLoad = async ({ locals }) => {
  const s = registry();
  const instance = await s.instance.view(locals.locale);
  const m = s.config.map;
  return {
    // Map pages read it: tiles through this server unless the admin chose otherwise.
    map: { tiles: m.tileUrl ? (m.proxy ? '/tiles/{z}/{x}/{y}.png' : m.tileUrl) : null, attribution: m.attribution, style: m.styleUrl },
    locale: locals.locale,
    user: locals.user,
    instanceName: instance.name,
    unread: locals.actor ? await registry().notifications.unreadCount(locals.actor) : 0,
    chatUnread: locals.actor ? await s.chat.unreadTotal(locals.actor.userId) : 0,
  };
};
