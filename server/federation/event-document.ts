// An event of ours as the fediverse reads events (FEP-8a8e, with Mobilizon's and Gancio's keys;
// ../shared/FEDERATION-INTEROP.md §1.3, §2.3, §6). Built as JSON-LD by hand: Fedify's vocabulary
// has none of these properties and its compaction would drop them. Encoded conservatively for the
// peers' parsers: one `location` object (Mobilizon crashes on an array), float coordinates
// (Mobilizon drops integers), `attachment` always present and every item with a `mediaType`, and
// `content`, `summary` and `updated` always present (Gancio throws without them). The summary is
// what Mastodon shows of an event (it drops `content`): date, time zone and place in words.
// An address kept for confirmed participants never leaves: only the commune and its centre.
import { Temporal } from '@js-temporal/polyfill';
import type { EventRow } from '../events/repository.ts';
import { formatRange } from '../events/time.ts';
import { absoluteHtml } from './vocab.ts';

export const PUBLIC = 'https://www.w3.org/ns/activitystreams#Public';

/** The terms peers read by name (Mobilizon's context, which FEP-8a8e reuses). */
export const EVENT_CONTEXT = [
  'https://www.w3.org/ns/activitystreams',
  'https://w3id.org/security/v1',
  {
    sc: 'http://schema.org#',
    mz: 'https://joinmobilizon.org/ns#',
    ical: 'http://www.w3.org/2002/12/cal/ical#',
    toot: 'http://joinmastodon.org/ns#',
    Hashtag: 'as:Hashtag',
    PostalAddress: 'sc:PostalAddress',
    address: { '@id': 'sc:address', '@type': 'sc:PostalAddress' },
    addressCountry: 'sc:addressCountry',
    addressLocality: 'sc:addressLocality',
    addressRegion: 'sc:addressRegion',
    postalCode: 'sc:postalCode',
    streetAddress: 'sc:streetAddress',
    location: { '@id': 'sc:location', '@type': 'sc:Place' },
    category: 'sc:category',
    eventStatus: 'sc:eventStatus',
    maximumAttendeeCapacity: 'sc:maximumAttendeeCapacity',
    remainingAttendeeCapacity: 'sc:remainingAttendeeCapacity',
    joinMode: { '@id': 'mz:joinMode', '@type': 'mz:joinModeType' },
    externalParticipationUrl: { '@id': 'mz:externalParticipationUrl', '@type': 'sc:URL' },
    participantCount: { '@id': 'mz:participantCount', '@type': 'sc:Integer' },
    anonymousParticipationEnabled: { '@id': 'mz:anonymousParticipationEnabled', '@type': 'sc:Boolean' },
    isOnline: { '@type': 'sc:Boolean', '@id': 'mz:isOnline' },
    timezone: { '@id': 'mz:timezone', '@type': 'sc:Text' },
    commentsEnabled: { '@type': 'sc:Boolean', '@id': 'https://joinpeertube.org/ns#commentsEnabled' },
    status: { '@id': 'ical:status', '@type': 'ical:status' },
  },
];

const JOIN_MODE = { free: 'free', approval: 'restricted', invite: 'invite', external: 'external' } as const;
const ICAL_STATUS = { scheduled: 'CONFIRMED', postponed: 'TENTATIVE', cancelled: 'CANCELLED' } as const;
const SCHEMA_STATUS = { scheduled: 'https://schema.org/EventScheduled', postponed: 'https://schema.org/EventPostponed', cancelled: 'https://schema.org/EventCancelled' } as const;

/** An ISO date-time with the event's own offset (peers show it in the zone it was set in). */
export function zoned(at: Date, timeZone: string): string {
  return Temporal.Instant.fromEpochMilliseconds(at.getTime()).toZonedDateTimeISO(timeZone).toString({ timeZoneName: 'never', smallestUnit: 'second' });
}

/** A coordinate that JSON writes with a decimal point (Mobilizon keeps floats only). */
const float = (x: number) => (Number.isInteger(x) ? x + 1e-7 : x);

export interface EventDocumentInput {
  origin: string;
  event: EventRow;
  /** The organizer as an actor (a person of ours, or the group). */
  attributedTo: string;
  /** The person who published it (Mobilizon's `actor`). */
  actor: string;
  /** Where it is addressed besides the public: the organizer's followers. */
  cc: string[];
  imageUrl: string | null;
  hashtags: string[];
  /** For a confirmed participant's signed fetch: the street and the exact position, even when kept for them. */
  forParticipant?: boolean;
}

export function eventDocument(d: EventDocumentInput): Record<string, unknown> {
  const e = d.event;
  const url = `${d.origin}/events/${e.id}`;
  const place = [e.placeName, e.communeName].filter(Boolean).join(', ');
  const when = formatRange(e.startsAt, e.endsAt, e.timeZone, 'fr');
  const summary = [when, place || (e.onlineUrl ? 'En ligne' : ''), e.status === 'cancelled' ? 'ANNULÉ' : e.status === 'postponed' ? 'REPORTÉ' : ''].filter(Boolean).join(' · ');
  const hasPlace = Boolean(e.communeName || e.placeName);
  const attachment: Record<string, unknown>[] = [];
  if (d.imageUrl) attachment.push({ type: 'Document', mediaType: 'image/webp', url: d.imageUrl, name: e.imageAlt || e.title });
  if (e.onlineUrl) attachment.push({ type: 'Link', mediaType: 'text/html', name: 'Website', href: e.onlineUrl });
  return {
    '@context': EVENT_CONTEXT,
    id: url,
    type: 'Event',
    url,
    name: e.title,
    summary,
    content: absoluteHtml(e.descriptionHtml, d.origin) || `<p>${summary}</p>`,
    mediaType: 'text/html',
    attributedTo: d.attributedTo,
    actor: d.actor,
    to: [PUBLIC],
    cc: d.cc,
    published: e.createdAt.toISOString(),
    updated: e.updatedAt.toISOString(),
    startTime: zoned(e.startsAt, e.timeZone),
    endTime: zoned(e.endsAt, e.timeZone),
    timezone: e.timeZone,
    category: 'MOVEMENTS_POLITICS',
    joinMode: JOIN_MODE[e.joinMode],
    externalParticipationUrl: e.joinMode === 'external' ? e.externalUrl : null,
    ...(e.capacity !== null ? { maximumAttendeeCapacity: e.capacity, remainingAttendeeCapacity: Math.max(0, e.capacity - e.seatsTaken) } : {}),
    participantCount: e.goingCount,
    anonymousParticipationEnabled: false,
    commentsEnabled: true,
    isOnline: Boolean(e.onlineUrl) && !hasPlace,
    status: ICAL_STATUS[e.status],
    'ical:status': ICAL_STATUS[e.status],
    eventStatus: SCHEMA_STATUS[e.status],
    ...(hasPlace
      ? {
          location: {
            type: 'Place',
            name: e.placeName || e.communeName || '',
            address: {
              type: 'PostalAddress',
              // The street only when it is not kept for confirmed participants (or to one of them).
              ...((e.hideAddress && !d.forParticipant) || !e.street ? {} : { streetAddress: e.street }),
              ...(e.postalCode ? { postalCode: e.postalCode } : {}),
              ...(e.communeName ? { addressLocality: e.communeName } : {}),
              addressCountry: 'FR',
            },
            ...(d.forParticipant && e.exactLat !== null && e.exactLon !== null
              ? { latitude: float(e.exactLat), longitude: float(e.exactLon) }
              : e.lat !== null && e.lon !== null
                ? { latitude: float(e.lat), longitude: float(e.lon) }
                : {}),
          },
        }
      : {}),
    attachment,
    tag: d.hashtags.map((t) => ({ type: 'Hashtag', name: `#${t}`, href: `${d.origin}/tags/${encodeURIComponent(t)}` })),
  };
}
