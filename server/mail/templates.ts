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
  | 'password_changed'
  | 'notification'
  | 'digest';

export interface MailParams {
  name?: string;
  code?: string;
  link?: string;
  email?: string;
  /** notification: what happened, already translated ("Léa a commenté votre publication"). */
  headline?: string;
  /** digest: one translated line per notification, with its link. */
  lines?: { text: string; link: string }[];
  /** Where to stop these mails without logging in. */
  unsubscribe?: string;
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
  const { lines: _lines, ...scalars } = params;
  const tr = (key: MessageKey, extra: Record<string, string | number> = {}) => t(locale, key, { instance, ...scalars, ...extra });
  const subject = tr(`mail.${template}.subject` as MessageKey);
  const lines: string[] = [];
  if (params.name) lines.push(tr('mail.greeting'), '');
  if (template === 'notification') {
    lines.push(params.headline ?? '', '', tr('mail.notification.open', { link: params.link ?? '' }), '');
  } else if (template === 'digest') {
    lines.push(tr('mail.digest.intro'), '');
    for (const line of params.lines ?? []) lines.push(`• ${line.text}`, `  ${line.link}`);
    lines.push('');
  } else {
    lines.push(tr(`mail.${template}.intro` as MessageKey), '');
  }
  if (WITH_CODE.has(template) && params.code) {
    lines.push(tr('mail.code_line'), '');
    if (params.link) lines.push(tr('mail.link_line'), '');
  }
  if (UNSOLICITED.has(template)) lines.push(tr('mail.ignore'), '');
  lines.push(tr('mail.signature'));
  if (params.unsubscribe) lines.push('', tr('mail.unsubscribe_line', { link: params.unsubscribe }));
  const text = lines.join('\n');

  // The HTML version: the same lines, with the code set large and the link clickable.
  const htmlLines = lines.map((line) => {
    let h = escapeHtml(line);
    if (params.code && line === tr('mail.code_line')) {
      h = h.replace(escapeHtml(params.code), `<strong style="font-size:1.6em;letter-spacing:.15em">${escapeHtml(params.code)}</strong>`);
    }
    // Links in the text become clickable (only ours: code, notification, digest and unsubscribe links).
    for (const url of [params.link, params.unsubscribe, ...(params.lines ?? []).map((l) => l.link)]) {
      if (url) h = h.replace(escapeHtml(url), `<a href="${escapeHtml(url)}">${escapeHtml(url)}</a>`);
    }
    return h === '' ? '' : `<p>${h}</p>`;
  });
  const html = `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head><body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1d2433;max-width:36em">${htmlLines.join('')}</body></html>`;
  return { subject, text, html };
}
