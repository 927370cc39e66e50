// What the chat pages show of rooms and messages: names, kinds, times. Pure functions, the same
// on the server and in the browser.
import type { Locale, MessageKey } from '#lib/i18n/index.ts';
import { t } from '#lib/i18n/index.ts';

import { MAX_MESSAGE_LENGTH } from './limits.ts';

export { REACTIONS } from './limits.ts';
/** Longest message, in characters (enforced by the server). */
export const MAX_BODY = MAX_MESSAGE_LENGTH;

export interface ChatMember {
  id: string;
  username: string;
  displayName: string;
  avatarUrl: string | null;
}

/** A room as the API gives it (dates are strings in JSON, Dates from a server load). */
export interface ChatRoom {
  id: string;
  kind: 'direct' | 'private' | 'group' | 'event';
  name: string;
  main: boolean;
  readOnly: boolean;
  group: { id: string; handle: string; name: string } | null;
  event: { id: string; title: string; startsAt: string | Date } | null;
  members: ChatMember[];
  lastSeq: number;
  version: number;
  lastMessageAt: string | Date | null;
  readSeq: number;
  unread: number;
  rights: { read: boolean; post: boolean; moderate: boolean };
}

/** The room's title: the other member, the conversation's name (or its members), the group, the event. */
export function roomTitle(room: ChatRoom, me: string | null): string {
  if (room.kind === 'private' && !room.name.trim()) {
    const others = room.members.filter((m) => m.id !== me).map((m) => m.displayName);
    return others.join(', ') || room.name;
  }
  if (room.kind === 'direct') return room.name || room.members[0]?.displayName || '';
  return room.name;
}

/** What kind of conversation it is, in words. */
export function roomKind(room: ChatRoom, locale: Locale): string {
  if (room.kind === 'group' && !room.main && room.group) return t(locale, 'chat.kind_channel', { group: room.group.name });
  return t(locale, `chat.kind_${room.kind}` as MessageKey);
}

const formats = new Map<string, Intl.DateTimeFormat>();
function format(locale: Locale, key: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const id = `${locale}:${key}`;
  let f = formats.get(id);
  if (!f) {
    f = new Intl.DateTimeFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', { ...opts, timeZone: 'Europe/Paris' });
    formats.set(id, f);
  }
  return f;
}

const day = (d: Date, locale: Locale) => format(locale, 'day', { year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);

/** "14:05" today, "3 déc. 14:05" before. */
export function messageTime(value: string | Date, locale: Locale, now = new Date()): string {
  const d = typeof value === 'string' ? new Date(value) : value;
  const time = format(locale, 'time', { timeStyle: 'short' }).format(d);
  if (day(d, locale) === day(now, locale)) return time;
  const withYear = d.getFullYear() !== now.getFullYear();
  return `${format(locale, withYear ? 'date-year' : 'date', { day: 'numeric', month: 'short', ...(withYear ? { year: 'numeric' } : {}) }).format(d)} ${time}`;
}

/** The full date and time, for a title attribute and a datetime. */
export function fullTime(value: string | Date, locale: Locale): string {
  const d = typeof value === 'string' ? new Date(value) : value;
  return format(locale, 'full', { dateStyle: 'full', timeStyle: 'short' }).format(d);
}

export function isoTime(value: string | Date): string {
  return (typeof value === 'string' ? new Date(value) : value).toISOString();
}
