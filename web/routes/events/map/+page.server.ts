import type { PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { isAppError, toProblem } from '#server/errors.ts';
import { communesForPostalCode } from '#server/geo/communes.ts';
import { t } from '#lib/i18n/index.ts';

/** The first view: around a postal code, the member's commune, or metropolitan France. */
export const load: PageServerLoad = async ({ locals, url }) => {
  const s = registry();
  const query: Record<string, string | string[]> = {};
  for (const key of ['from', 'to', 'q', 'group', 'postalCode']) {
    const v = url.searchParams.get(key);
    if (v) query[key] = v;
  }
  const kinds = url.searchParams.getAll('kind').filter(Boolean);
  if (kinds.length) query.kind = kinds;
  const vocab = (await s.eventVocab.list('kind', locals.locale)).map((k) => ({ key: k.key, label: k.label }));
  let center: { lat: number; lon: number; label: string } | null = null;
  let problem: { message: string; fields?: Record<string, string> } | null = null;
  const postal = url.searchParams.get('postalCode');
  if (postal) {
    const c = /^\d{5}$/.test(postal) ? communesForPostalCode(postal).find((x) => x.lat !== null) : undefined;
    if (c) center = { lat: c.lat!, lon: c.lon!, label: `${c.postalCode} ${c.name}` };
    else problem = { message: '', fields: { postalCode: t(locals.locale, /^\d{5}$/.test(postal) ? 'postal_code.unknown' : 'postal_code.invalid') } };
  } else if (locals.actor) {
    const me = await s.repo.userById(locals.actor.userId);
    if (me?.lat != null && me.lon != null) center = { lat: me.lat, lon: me.lon, label: me.communeName ?? '' };
  }
  const box = center ? [center.lon - 0.35, center.lat - 0.25, center.lon + 0.35, center.lat + 0.25] : [-5.5, 41.2, 9.8, 51.3];
  const { postalCode: _p, ...filters } = query;
  try {
    const found = await s.discovery.map(locals.actor, { ...filters, bbox: box.map((n) => n.toFixed(4)).join(',') }, locals.locale);
    return { query, filters, kinds: vocab, center, found, problem };
  } catch (e) {
    if (!isAppError(e)) throw e;
    return { query, filters, kinds: vocab, center, found: { points: [], truncated: false }, problem: toProblem(e, locals.locale).body };
  }
};
