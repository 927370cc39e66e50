// An Event of another server read into our model: FEP-8a8e, Mobilizon (schema.org and mz: keys,
// PostalAddress, `ical:status`, the "Website" link) and Gancio (`location` as an array with
// VirtualLocation, a plain-text `address`) all map to the same fields. Read from the document as
// received (Fedify's vocabulary knows none of these keys); every string cleaned, every number
// checked; an event without a name or a start is not one.
import { isTimeZone } from '../events/time.ts';
import { cellOf } from '../geo/grid.ts';
import { communesForPostalCode } from '../geo/communes.ts';
import { remoteLine, remoteText, remoteUrl, sanitizeRemoteHtml } from './content.ts';

export interface RemoteEventFields {
  uri: string;
  url: string | null;
  title: string;
  description: string;
  descriptionHtml: string;
  startsAt: Date;
  endsAt: Date;
  timeZone: string;
  placeName: string;
  street: string;
  postalCode: string | null;
  communeCode: string | null;
  communeName: string | null;
  departementCode: string | null;
  lat: number | null;
  lon: number | null;
  cell: number | null;
  onlineUrl: string | null;
  capacity: number | null;
  joinMode: 'free' | 'approval' | 'invite' | 'external';
  externalUrl: string | null;
  status: 'scheduled' | 'postponed' | 'cancelled';
  imageUrl: string | null;
  isPublic: boolean;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
const date = (v: unknown): Date | null => {
  const s = str(v);
  if (!s) return null;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? null : d;
};
const coordinate = (v: unknown, max: number): number | null => (typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= max ? v : null);

const PUBLIC = new Set(['https://www.w3.org/ns/activitystreams#Public', 'as:Public', 'Public']);
const JOIN: Record<string, RemoteEventFields['joinMode']> = { free: 'free', restricted: 'approval', invite: 'invite', external: 'external', none: 'external' };

function statusOf(doc: Json): RemoteEventFields['status'] {
  const values = [str(doc.eventStatus), str(doc.status), str(doc['ical:status'])].map((s) => (s ?? '').toLowerCase());
  if (values.some((s) => s.includes('cancel'))) return 'cancelled';
  if (values.some((s) => s.includes('postpone') || s === 'tentative')) return 'postponed';
  return 'scheduled';
}

/** The first physical place of `location` (object or array), and the first online one. */
function places(doc: Json): { place: Json | null; online: string | null } {
  let place: Json | null = null;
  let online: string | null = null;
  for (const item of list(doc.location)) {
    const o = obj(item);
    if (!o) continue;
    const type = str(o.type) ?? '';
    const url = remoteUrl(o.url ?? o.href);
    if (type === 'VirtualLocation' || (!o.address && !o.name && url)) online ??= url?.href ?? null;
    else place ??= o;
  }
  for (const a of list(doc.attachment)) {
    const o = obj(a);
    if (o && str(o.type) === 'Link' && /website|visio|en ligne|online/i.test(str(o.name) ?? '')) online ??= remoteUrl(o.href)?.href ?? null;
  }
  return { place, online };
}

export function readEvent(doc: Json, senderOrigin: string): RemoteEventFields | null {
  const uri = str(doc.id);
  if (!uri || new URL(uri).origin !== senderOrigin) return null;
  const title = remoteLine(doc.name, 200);
  const startsAt = date(doc.startTime);
  if (!title || !startsAt) return null;
  let endsAt = date(doc.endTime);
  if (!endsAt || endsAt <= startsAt) endsAt = new Date(startsAt.getTime() + 2 * 3600_000);
  // At most 31 days, as ours.
  if (endsAt.getTime() - startsAt.getTime() > 31 * 86_400_000) endsAt = new Date(startsAt.getTime() + 31 * 86_400_000);
  const tz = str(doc.timezone);
  const { place, online } = places(doc);
  const address = place ? (obj(place.address) ?? (str(place.address) ? { streetAddress: place.address } : null)) : null;
  const postalCode = str(address?.postalCode)?.trim() ?? null;
  const commune = postalCode && /^\d{5}$/.test(postalCode) ? (communesForPostalCode(postalCode)[0] ?? null) : null;
  const lat = coordinate(place?.latitude, 90) ?? commune?.lat ?? null;
  const lon = coordinate(place?.longitude, 180) ?? commune?.lon ?? null;
  const capacity = typeof doc.maximumAttendeeCapacity === 'number' && Number.isInteger(doc.maximumAttendeeCapacity) && doc.maximumAttendeeCapacity > 0 ? Math.min(doc.maximumAttendeeCapacity, 100_000) : null;
  const image = list(doc.attachment)
    .map(obj)
    .find((a) => a && (str(a.type) === 'Document' || str(a.type) === 'Image') && (str(a.mediaType) ?? 'image/').startsWith('image/'));
  const imageUrl = remoteUrl(obj(doc.image)?.url ?? image?.url ?? null)?.href ?? null;
  // Ours always have a place or an online link (lists, maps and calendars rest on it): one without
  // either is not kept.
  if (!place && !online && !remoteUrl(doc.url)) return null;
  const html = sanitizeRemoteHtml(doc.content);
  const to = [...list(doc.to), ...list(doc.cc)].map(str);
  return {
    uri,
    url: remoteUrl(doc.url)?.href ?? null,
    title,
    description: remoteText(html, 10_000),
    descriptionHtml: html,
    startsAt,
    endsAt,
    timeZone: tz && isTimeZone(tz) ? tz : 'Europe/Paris',
    placeName: remoteLine(place?.name, 200),
    street: remoteLine(address?.streetAddress, 200),
    postalCode: commune ? postalCode : null,
    communeCode: commune?.code ?? null,
    communeName: commune?.name ?? (remoteLine(address?.addressLocality, 100) || null),
    departementCode: commune?.departementCode ?? null,
    lat,
    lon,
    cell: lat !== null && lon !== null ? cellOf(lat, lon) : null,
    // Neither a place nor a link to join online: the event's own page is where to learn more.
    onlineUrl: online ?? (place ? null : (remoteUrl(doc.url)?.href ?? null)),
    capacity,
    joinMode: JOIN[str(doc.joinMode) ?? 'free'] ?? 'free',
    externalUrl: remoteUrl(doc.externalParticipationUrl)?.href ?? null,
    status: statusOf(doc),
    imageUrl,
    isPublic: to.some((t) => t !== null && PUBLIC.has(t)),
  };
}
