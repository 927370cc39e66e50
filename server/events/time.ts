// Event times: stored as instants, entered and shown as wall-clock times in the event's IANA time
// zone (a rally in Pointe-à-Pitre is at 10:00 Guadeloupe time, whoever reads it). Daylight-saving
// gaps and overlaps resolve as calendars do ("compatible": a time that does not exist moves
// forward by the gap, an ambiguous one takes the earlier instant).
import { Temporal } from '@js-temporal/polyfill';

export const DEFAULT_TIME_ZONE = 'Europe/Paris';

/** Time zones of France and its overseas territories, offered first in forms. */
export const FRENCH_TIME_ZONES = [
  'Europe/Paris',
  'America/Guadeloupe',
  'America/Martinique',
  'America/Cayenne',
  'Indian/Reunion',
  'Indian/Mayotte',
  'America/Miquelon',
  'Pacific/Noumea',
  'Pacific/Tahiti',
  'Pacific/Wallis',
] as const;

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})$/;

/** Whether a string names a time zone of the IANA database (aliases included). */
export function isTimeZone(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 64 || !/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** The instant of a wall-clock time ("2026-12-05T14:00") in a zone, or null if malformed. */
export function localToInstant(local: string, timeZone: string): Date | null {
  const m = LOCAL.exec(local);
  if (!m) return null;
  try {
    const pdt = Temporal.PlainDateTime.from({ year: +m[1], month: +m[2], day: +m[3], hour: +m[4], minute: +m[5] }, { overflow: 'reject' });
    return new Date(pdt.toZonedDateTime(timeZone, { disambiguation: 'compatible' }).epochMilliseconds);
  } catch {
    return null;
  }
}

/** The wall-clock time of an instant in a zone, as a form value ("2026-12-05T14:00"). */
export function instantToLocal(at: Date, timeZone: string): string {
  const z = Temporal.Instant.fromEpochMilliseconds(at.getTime()).toZonedDateTimeISO(timeZone);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(z.year, 4)}-${p(z.month)}-${p(z.day)}T${p(z.hour)}:${p(z.minute)}`;
}

/** The same wall-clock time `days` later in the zone (a weekly action stays at 18:00 across DST). */
export function shiftDays(at: Date, timeZone: string, days: number): Date {
  const z = Temporal.Instant.fromEpochMilliseconds(at.getTime()).toZonedDateTimeISO(timeZone);
  return new Date(z.add({ days }).epochMilliseconds);
}

/**
 * The formatters of one language and zone, made once: building an Intl.DateTimeFormat costs about
 * 0.1 ms, four per range made a map of 500 events spend 120 ms formatting dates. Few languages ×
 * the zones in use: the cache stays small (bounded anyway, in case of many exotic zones).
 */
const formatters = new Map<string, { day: Intl.DateTimeFormat; time: Intl.DateTimeFormat; zone: string }>();
function formattersOf(tag: string, timeZone: string) {
  const key = `${tag} ${timeZone}`;
  let f = formatters.get(key);
  if (!f) {
    if (formatters.size >= 500) formatters.clear();
    f = {
      day: new Intl.DateTimeFormat(tag, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone }),
      time: new Intl.DateTimeFormat(tag, { hour: '2-digit', minute: '2-digit', timeZone }),
      // The generic name ("heure d'Europe centrale") does not change with daylight saving time.
      zone: new Intl.DateTimeFormat(tag, { timeZone, timeZoneName: 'longGeneric' }).formatToParts(new Date()).find((p) => p.type === 'timeZoneName')?.value ?? timeZone,
    };
    formatters.set(key, f);
  }
  return f;
}

/** "samedi 5 décembre 2026, 14:00 – 17:00 (heure de Paris)": a human range in the event's zone. */
export function formatRange(start: Date, end: Date, timeZone: string, locale: 'fr' | 'en'): string {
  const { day, time, zone } = formattersOf(locale === 'fr' ? 'fr-FR' : 'en-GB', timeZone);
  const startDay = day.format(start);
  const endDay = day.format(end);
  const range = startDay === endDay ? `${startDay}, ${time.format(start)} – ${time.format(end)}` : `${startDay}, ${time.format(start)} – ${endDay}, ${time.format(end)}`;
  return `${range} (${zone})`;
}
