// The fields of an event as forms and the API send them, and their rules. Wall-clock times come
// with their time zone; the service turns them into instants.
import { z } from 'zod';
import { checkbox, postalCode, text } from '../validation.ts';
import { DEFAULT_TIME_ZONE, isTimeZone } from './time.ts';

/** Single-line text where markup has no business: a tag is refused, not silently kept. */
export const plain = (max: number, message = 'validation.invalid') =>
  text(max, message).refine((s) => !/<\s*[a-zA-Z!/?]/.test(s), 'event.markup_not_allowed');

/** An absolute web address (http or https only). */
export const webUrl = (message: string) =>
  z
    .string({ error: message })
    .trim()
    .max(500, message)
    .refine((s) => {
      try {
        const u = new URL(s);
        return (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password && u.hostname.includes('.');
      } catch {
        return false;
      }
    }, message);

/** Empty form fields mean "not given" (and keep each field's own error message: no unions). */
const blank = (v: unknown) => (v === '' || v === null ? undefined : v);

const optionalUrl = (message: string) => z.preprocess(blank, webUrl(message).optional()).transform((v) => v ?? null);

/** An optional number from a form: empty means none. */
export const optionalInt = (min: number, max: number, message: string) =>
  z.preprocess(blank, z.coerce.number({ error: message }).int(message).min(min, message).max(max, message).optional()).transform((v) => v ?? null);

const optionalCoordinate = (limit: number) =>
  z
    .preprocess(blank, z.coerce.number({ error: 'event.coordinates_invalid' }).min(-limit, 'event.coordinates_invalid').max(limit, 'event.coordinates_invalid').optional())
    .transform((v) => v ?? null);

const optionalPostalCode = z.preprocess(blank, postalCode.optional()).transform((v) => v ?? '');
/** A calendar day, "YYYY-MM-DD", between the years 1900 and 2999 (what every database stores). */
export const DAY_RE = /^(19|2\d)\d{2}-\d{2}-\d{2}$/;
const optionalDate = z.preprocess(blank, z.string().regex(DAY_RE, 'event.date_invalid').optional());

/** Usernames separated by commas or spaces (a form field), or a list (JSON). */
const usernames = z
  .union([z.string().max(1000), z.array(z.string().max(64)).max(20)])
  .optional()
  .transform((v) =>
    (Array.isArray(v) ? v : (v ?? '').split(/[\s,;]+/))
      .map((s) => s.trim().replace(/^@/, '').toLowerCase())
      .filter(Boolean),
  )
  .refine((list) => list.length <= 20, 'event.too_many_organizers');

export const eventSchema = z.object({
  title: plain(140, 'event.title_invalid').pipe(z.string().min(3, 'event.title_invalid')),
  kind: z.string({ error: 'event.kind_invalid' }).trim().min(1, 'event.kind_invalid').max(60, 'event.kind_invalid'),
  description: text(8000, 'event.description_too_long')
    .refine((s) => !/<\s*[a-zA-Z!/?]/.test(s), 'event.markup_not_allowed')
    .optional()
    .default(''),
  start: z.string({ error: 'event.start_invalid' }).trim().max(20, 'event.start_invalid'),
  end: z.string({ error: 'event.end_invalid' }).trim().max(20, 'event.end_invalid'),
  timeZone: z
    .string()
    .trim()
    .optional()
    .transform((v) => v || DEFAULT_TIME_ZONE)
    .refine(isTimeZone, 'event.timezone_invalid'),
  placeName: plain(120).optional().default(''),
  street: plain(200).optional().default(''),
  postalCode: optionalPostalCode,
  communeCode: z.string().trim().max(5).optional().nullable(),
  lat: optionalCoordinate(90),
  lon: optionalCoordinate(180),
  onlineUrl: optionalUrl('event.online_url_invalid'),
  capacity: optionalInt(1, 100_000, 'event.capacity_invalid'),
  guestsMax: optionalInt(0, 20, 'event.guests_invalid').transform((v) => v ?? 0),
  contact: plain(300).optional().default(''),
  visibility: z.enum(['public', 'group', 'friends', 'unlisted'], { error: 'validation.invalid' }).optional().default('public'),
  hideAddress: checkbox.optional().default(false),
  joinMode: z.enum(['free', 'approval', 'invite', 'external'], { error: 'validation.invalid' }).optional().default('free'),
  externalUrl: optionalUrl('event.external_url_invalid'),
  groupId: z.preprocess(blank, z.string().max(64).optional()).transform((v) => v ?? null),
  organizers: usernames,
  participantReports: checkbox.optional().default(false),
  imageAlt: plain(300).optional().default(''),
});
export type EventInput = z.output<typeof eventSchema>;

export const statusSchema = z.object({ status: z.enum(['scheduled', 'postponed', 'cancelled'], { error: 'validation.invalid' }) });

export const rsvpSchema = z.object({
  status: z.enum(['going', 'interested', 'not_going'], { error: 'validation.invalid' }),
  guests: optionalInt(0, 20, 'event.guests_invalid').transform((v) => v ?? 0),
  showToFriends: checkbox.optional().default(false),
  shareContact: checkbox.optional().default(false),
});

export const discoverSchema = z.object({
  kind: z
    .preprocess((v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]), z.array(z.string().max(60)).max(20))
    .transform((list) => list.filter(Boolean)),
  from: optionalDate,
  to: optionalDate,
  km: optionalInt(1, 500, 'event.km_invalid'),
  near: z.enum(['me', 'postal'], { error: 'validation.invalid' }).optional(),
  postalCode: optionalPostalCode,
  group: z.string().max(64).optional(),
  q: z.string().trim().max(100).optional().default(''),
  scope: z.enum(['all', 'mine'], { error: 'validation.invalid' }).optional().default('all'),
  online: checkbox.optional().default(false),
  cursor: z.string().max(120).optional(),
});

export const mapSchema = discoverSchema.pick({ kind: true, from: true, to: true, group: true, q: true }).extend({
  bbox: z
    .string({ error: 'event.bbox_invalid' })
    .max(120)
    .transform((s) => s.split(',').map(Number))
    .refine((a) => a.length === 4 && a.every(Number.isFinite), 'event.bbox_invalid')
    .refine(([w, s, e, n]) => w >= -180 && e <= 180 && s >= -90 && n <= 90 && w <= e && s <= n, 'event.bbox_invalid'),
});
