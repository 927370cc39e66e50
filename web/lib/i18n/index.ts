// The message catalog, French first. It lives with the web app because pages in the browser
// need it and SvelteKit forbids browser code to import anything under a server/ folder; the
// server imports it too, for emails and error messages. Pure data and functions.
import { fr } from './fr.ts';
import { en } from './en.ts';

export type MessageKey = keyof typeof fr;
export type Catalog = Record<MessageKey, string>;
export const LOCALES = ['fr', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'fr';

const catalogs: Record<Locale, Catalog> = { fr, en };

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

export function isMessageKey(value: unknown): value is MessageKey {
  return typeof value === 'string' && Object.hasOwn(fr, value);
}

/** Translates a key, replacing `{name}` placeholders with params. Unknown keys fall back to French. */
export function t(locale: Locale, key: MessageKey, params: Record<string, string | number> = {}): string {
  const template = catalogs[locale]?.[key] ?? fr[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (Object.hasOwn(params, name) ? String(params[name]) : whole));
}

/** A translator bound to one locale. */
export function translator(locale: Locale) {
  return (key: MessageKey, params?: Record<string, string | number>) => t(locale, key, params);
}

/** Picks the locale from an explicit choice (cookie/profile), then Accept-Language, then French. */
export function negotiateLocale(choice: string | null | undefined, acceptLanguage: string | null | undefined): Locale {
  if (isLocale(choice)) return choice;
  if (acceptLanguage) {
    const ranked = acceptLanguage
      .split(',')
      .map((part) => {
        const [tag, ...rest] = part.trim().split(';');
        const q = rest.map((r) => r.trim()).find((r) => r.startsWith('q='));
        return { lang: tag.trim().toLowerCase().split('-')[0], q: q ? Number(q.slice(2)) || 0 : 1 };
      })
      .filter((x) => x.q > 0)
      .sort((a, b) => b.q - a.q);
    for (const { lang } of ranked) if (isLocale(lang)) return lang;
  }
  return DEFAULT_LOCALE;
}
