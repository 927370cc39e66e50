import type { PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';

export const load: PageServerLoad = async ({ locals }) => {
  const s = registry();
  const mails = await s.mail.outbox(locals.actor, 100);
  return {
    smtpConfigured: s.mail.smtpConfigured,
    mails: mails.map((m) => ({ id: m.id, to: m.toAddress, subject: m.subject, status: m.status, text: m.textBody, createdAt: m.createdAt })),
  };
};
