// What the event form pages share: the choices the form offers, and the picture sent with it.
import type { Actor } from '#server/accounts/actor.ts';
import { FRENCH_TIME_ZONES } from '#server/events/time.ts';
import { communesForPostalCode, findCommune } from '#server/geo/communes.ts';
import type { Locale } from '#lib/i18n/index.ts';
import type { Services } from '#server/services.ts';

/** Kinds, the member's groups, time zones: the choices of the event form. */
export async function formChoices(s: Services, actor: Actor, locale: Locale) {
  return {
    kinds: (await s.eventVocab.list('kind', locale)).map((k) => ({ key: k.key, label: k.label })),
    groups: (await s.events.groupsForEvents(actor)).map((g) => ({ id: g.id, name: g.name })),
    timeZones: [...FRENCH_TIME_ZONES, ...Intl.supportedValuesOf('timeZone').filter((z) => !(FRENCH_TIME_ZONES as readonly string[]).includes(z))],
  };
}

/** Where the pin starts: the commune's centre of the values, if known. */
export function pinFallback(values: Record<string, string | undefined>): { lat: number; lon: number } | null {
  const code = values.postalCode ?? '';
  const commune = values.communeCode ? findCommune(code, values.communeCode) : communesForPostalCode(code)[0];
  return commune && commune.lat !== null && commune.lon !== null ? { lat: commune.lat, lon: commune.lon } : null;
}

/** The picture of a submitted form, if one was chosen. */
export async function pictureOf(data: FormData): Promise<Buffer | null> {
  const file = data.get('image');
  return file instanceof File && file.size > 0 ? Buffer.from(await file.arrayBuffer()) : null;
}
