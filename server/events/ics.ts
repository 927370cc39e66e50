// iCalendar (RFC 5545) for events: one VEVENT per event, times in UTC (every client converts them
// to its own zone correctly, no VTIMEZONE to ship), text escaped and lines folded at 75 octets.
// What goes in is what the reader may see: the caller passes the event as seen by them.

export interface IcsEvent {
  uid: string;
  sequence: number;
  title: string;
  description: string;
  url: string;
  start: Date;
  end: Date;
  /** The address the reader may know: the exact one, or only the commune. */
  location: string;
  geo: { lat: number; lon: number } | null;
  status: 'scheduled' | 'postponed' | 'cancelled';
  updatedAt: Date;
}

const utc = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

/** Escapes a TEXT value (backslash, semicolon, comma, newlines). */
export function escapeText(value: string): string {
  return value
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r?\n/g, '\\n');
}

/** Folds a content line at 75 octets without splitting a UTF-8 sequence. */
export function fold(line: string): string {
  const out: string[] = [];
  let current = '';
  let size = 0;
  for (const ch of line) {
    const bytes = Buffer.byteLength(ch);
    if (size + bytes > (out.length ? 74 : 75)) {
      out.push(current);
      current = '';
      size = 0;
    }
    current += ch;
    size += bytes;
  }
  out.push(current);
  return out.join('\r\n ');
}

function vevent(e: IcsEvent, stamp: Date): string[] {
  const lines = [
    'BEGIN:VEVENT',
    `UID:${e.uid}`,
    `SEQUENCE:${e.sequence}`,
    `DTSTAMP:${utc(stamp)}`,
    `LAST-MODIFIED:${utc(e.updatedAt)}`,
    `DTSTART:${utc(e.start)}`,
    `DTEND:${utc(e.end)}`,
    `SUMMARY:${escapeText(e.title)}`,
    `DESCRIPTION:${escapeText(e.description)}`,
    `URL:${e.url}`,
    `STATUS:${e.status === 'cancelled' ? 'CANCELLED' : e.status === 'postponed' ? 'TENTATIVE' : 'CONFIRMED'}`,
  ];
  if (e.location) lines.push(`LOCATION:${escapeText(e.location)}`);
  if (e.geo) lines.push(`GEO:${e.geo.lat.toFixed(5)};${e.geo.lon.toFixed(5)}`);
  lines.push('END:VEVENT');
  return lines;
}

/** A calendar of events (one for an .ics file, several for a feed). */
export function calendar(name: string, events: IcsEvent[], opts: { method?: 'PUBLISH'; now?: Date } = {}): string {
  const now = opts.now ?? new Date();
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Reseau militant//Events//FR',
    'CALSCALE:GREGORIAN',
    `METHOD:${opts.method ?? 'PUBLISH'}`,
    `X-WR-CALNAME:${escapeText(name)}`,
    ...events.flatMap((e) => vevent(e, now)),
    'END:VCALENDAR',
  ];
  return lines.map(fold).join('\r\n') + '\r\n';
}
