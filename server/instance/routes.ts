// JSON API for the instance: public facts, health, and the admin's settings and mail outbox.
import { Router } from 'express';
import type { InstanceService } from './service.ts';
import type { MailService } from '../mail/service.ts';
import { route } from '../http/api-kit.ts';
import { requireRole } from '../accounts/actor.ts';

export function instanceRoutes(d: { instance: InstanceService; mail: MailService }): Router {
  const r = Router();
  route(r, 'get', '/instance', async ({ meta }) => {
    const v = await d.instance.view(meta.locale);
    return { name: v.name, description: v.description, registrationsOpen: v.registrationsOpen };
  });
  route(r, 'get', '/instance/charter', async ({ meta }) => {
    const v = await d.instance.view(meta.locale);
    return { charter: v.charter, privacyNotice: v.privacyNotice, consentVersion: v.consentVersion };
  });
  route(r, 'get', '/admin/settings', async ({ actor }) => {
    requireRole(actor, 'admin');
    return d.instance.settings();
  });
  route(r, 'put', '/admin/settings', ({ actor, body }) => d.instance.update(actor, body));
  route(r, 'get', '/admin/outbox', async ({ actor, query }) => ({
    smtpConfigured: d.mail.smtpConfigured,
    mails: (await d.mail.outbox(actor, Number(query.limit) || 100)).map((m) => ({
      id: m.id,
      to: m.toAddress,
      subject: m.subject,
      status: m.status,
      text: m.textBody,
      createdAt: m.createdAt,
      sentAt: m.sentAt,
    })),
  }));
  return r;
}
