// JSON API for notifications, preferences and unsubscribing from mails.
import { Router } from 'express';
import { route } from '../http/api-kit.ts';
import type { NotificationService } from './service.ts';

export function notificationRoutes(d: { notifications: NotificationService }): Router {
  const r = Router();
  const n = d.notifications;
  route(r, 'get', '/notifications', ({ actor, meta, query }) => n.list(actor, meta.locale, query.before as string | undefined));
  route(r, 'get', '/notifications/unread', async ({ actor }) => ({ unread: await n.unreadCount(actor) }));
  route(r, 'post', '/notifications/read', async ({ actor, body }) => ({ unread: await n.markRead(actor, body) }));
  route(r, 'get', '/me/notification-prefs', ({ actor }) => n.prefs(actor));
  route(r, 'put', '/me/notification-prefs', ({ actor, body }) => n.setPrefs(actor, body));
  // No login: the token in the mail's link is the authority (RFC 8058 one-click POST).
  route(r, 'post', '/unsubscribe', ({ body, query }) => n.unsubscribe({ ...(query as object), ...(body as object) }));
  return r;
}
