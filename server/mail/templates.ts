// The emails the instance sends, rendered in the recipient's language as plain text and a
// simple HTML version (escaped; no remote images, no tracking).
import { type Locale, type MessageKey, t } from '../../web/lib/i18n/index.ts';
import { escapeHtml } from '../html.ts';

export type MailTemplate =
  | 'signup'
  | 'login'
  | 'existing'
  | 'no_account'
  | 'email_change'
  | 'email_taken'
  | 'email_changed'
  | 'password_changed';

export interface MailParams {
  name?: string;
  code?: string;
  link?: string;
  email?: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}


/** Templates that carry a one-time code and link. */
const WITH_CODE: ReadonlySet<MailTemplate> = new Set(['signup', 'login', 'existing', 'email_change']);
/** Templates answering a request the recipient may not have made. */
const UNSOLICITED: ReadonlySet<MailTemplate> = new Set(['signup', 'login', 'existing', 'no_account', 'email_change', 'email_taken']);

export function renderMail(template: MailTemplate, params: MailParams, locale: Locale, instance: string): RenderedMail {
  const tr = (key: MessageKey, extra: Record<string, string | number> = {}) =>
    t(locale, key, { instance, ...params, ...extra } as Record<string, string>);
  const subject = tr(`mail.${template}.subject` as MessageKey);
  const lines: string[] = [];
  if (params.name) lines.push(tr('mail.greeting'), '');
  lines.push(tr(`mail.${template}.intro` as MessageKey), '');
  if (WITH_CODE.has(template) && params.code) {
    lines.push(tr('mail.code_line'), '');
    if (params.link) lines.push(tr('mail.link_line'), '');
  }
  if (UNSOLICITED.has(template)) lines.push(tr('mail.ignore'), '');
  lines.push(tr('mail.signature'));
  const text = lines.join('\n');

  // The HTML version: the same lines, with the code set large and the link clickable.
  const htmlLines = lines.map((line) => {
    let h = escapeHtml(line);
    if (params.code && line === tr('mail.code_line')) {
      h = h.replace(escapeHtml(params.code), `<strong style="font-size:1.6em;letter-spacing:.15em">${escapeHtml(params.code)}</strong>`);
    }
    if (params.link) h = h.replace(escapeHtml(params.link), `<a href="${escapeHtml(params.link)}">${escapeHtml(params.link)}</a>`);
    return h === '' ? '' : `<p>${h}</p>`;
  });
  const html = `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head><body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1d2433;max-width:36em">${htmlLines.join('')}</body></html>`;
  return { subject, text, html };
}
