// Translation in components: the locale comes from the root layout's data, so it is the same on
// the server and in the browser.
import { page } from '$app/state';
import { t as translate, type Locale, type MessageKey } from './index.ts';

export type { MessageKey };

export function locale(): Locale {
  return (page.data?.locale as Locale | undefined) ?? 'fr';
}

/** Translates a catalog key in the current page's language. */
export function t(key: MessageKey, params?: Record<string, string | number>): string {
  return translate(locale(), key, params);
}

/** A date in the page's language ("21 novembre 2026"). */
export function formatDate(value: Date | string, withTime = false): string {
  const d = typeof value === 'string' ? new Date(value) : value;
  return new Intl.DateTimeFormat(locale() === 'fr' ? 'fr-FR' : 'en-GB', {
    dateStyle: 'long',
    ...(withTime ? { timeStyle: 'short' } : {}),
    timeZone: 'Europe/Paris',
  }).format(d);
}
