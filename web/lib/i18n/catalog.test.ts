// The two catalogs must say the same things: same keys (the type already forces it) and the same
// {placeholders}, so that no English page shows a raw "{name}".
import { describe, expect, it } from 'vitest';
import { fr } from './fr.ts';
import { en } from './en.ts';
import { negotiateLocale, t } from './index.ts';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('message catalogs', () => {
  it('have the same placeholders in French and English', () => {
    for (const key of Object.keys(fr) as (keyof typeof fr)[]) {
      expect(placeholders(en[key]), key).toEqual(placeholders(fr[key]));
      expect(en[key].trim(), key).not.toBe('');
    }
  });

  it('translate with parameters and fall back to French', () => {
    expect(t('en', 'error.rate_limited', { minutes: 3 })).toBe('Too many attempts. Try again in 3 min.');
    expect(t('fr', 'home.hello', { name: 'Léa' })).toBe('Bonjour Léa !');
  });

  it('choose the member’s choice, then Accept-Language, then French', () => {
    expect(negotiateLocale('en', 'fr-FR')).toBe('en');
    expect(negotiateLocale(null, 'de-DE,en;q=0.7,fr;q=0.5')).toBe('en');
    expect(negotiateLocale(undefined, 'de, es;q=0.9')).toBe('fr');
    expect(negotiateLocale('xx', 'en;q=0')).toBe('fr');
  });
});
