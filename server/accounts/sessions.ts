// Sessions after Lucia's design (the `lucia` package is deprecated; see
// docs/decisions/0002-sessions.md). A token is "<id>.<secret>"; only SHA-256(secret) is stored and
// compared in constant time. Expiry slides: a session used within its lifetime is extended, and
// dies after SESSION_DAYS without use or one year after it was opened, whichever comes first.
import { fail } from '../errors.ts';
import type { EventBus } from '../events.ts';
import type { Database } from '../db/client.ts';
import { type Actor, requireActor } from './actor.ts';
import type { AccountsRepository, SessionRow, UserRow } from './repository.ts';
import { hashSecret, newId, newSecret, secretMatches } from './secrets.ts';

const DAY = 86_400_000;
const ABSOLUTE_LIFETIME = 365 * DAY;
/** Last-use timestamps are written at most this often, to keep reads from writing. */
const TOUCH_INTERVAL = 60_000;

export interface ValidSession {
  session: SessionRow;
  user: UserRow;
  actor: Actor;
}

export interface SessionView {
  id: string;
  deviceLabel: string;
  createdAt: Date;
  lastUsedAt: Date;
  current: boolean;
}

/** A short, non-identifying label for a session list ("Firefox on Android"). No IP is kept. */
export function deviceLabel(userAgent: string): string {
  const ua = userAgent || '';
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Firefox\//.test(ua)
      ? 'Firefox'
      : /Chrom(e|ium)\//.test(ua)
        ? 'Chrome'
        : /Safari\//.test(ua)
          ? 'Safari'
          : '';
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad/.test(ua)
      ? 'iOS'
      : /Windows/.test(ua)
        ? 'Windows'
        : /Mac OS X/.test(ua)
          ? 'macOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : '';
  return [browser, os].filter(Boolean).join(' · ') || '?';
}

export class SessionService {
  readonly #db: Database;
  readonly #repo: AccountsRepository;
  readonly #events: EventBus;
  readonly #lifetime: number;

  constructor(deps: { db: Database; repo: AccountsRepository; events: EventBus; sessionDays: number }) {
    this.#db = deps.db;
    this.#repo = deps.repo;
    this.#events = deps.events;
    this.#lifetime = deps.sessionDays * DAY;
  }

  /** Opens a session for a user; returns the token to put in the cookie. */
  async create(userId: string, userAgent: string): Promise<{ token: string; session: SessionRow }> {
    const id = newId();
    const secret = newSecret();
    const now = new Date();
    const session: SessionRow = {
      id,
      secretHash: hashSecret(secret),
      userId,
      deviceLabel: deviceLabel(userAgent),
      createdAt: now,
      lastUsedAt: now,
      expiresAt: new Date(now.getTime() + this.#lifetime),
    };
    await this.#db.tx(() => this.#repo.insertSession(session));
    return { token: `${id}.${secret}`, session };
  }

  /** Returns the session and user for a token, or null (unknown, expired, wrong secret, suspended). */
  async validate(token: string | null | undefined): Promise<ValidSession | null> {
    if (!token || token.length > 200) return null;
    const dot = token.indexOf('.');
    if (dot <= 0) return null;
    const id = token.slice(0, dot);
    const secret = token.slice(dot + 1);
    const found = await this.#repo.sessionWithUser(id);
    if (!found || !secretMatches(secret, found.session.secretHash)) return null;
    const { session, user } = found;
    const now = Date.now();
    if (session.expiresAt.getTime() <= now || now - session.createdAt.getTime() > ABSOLUTE_LIFETIME) {
      await this.#db.tx(() => this.#repo.deleteSession(session.id, session.userId));
      return null;
    }
    if (user.status !== 'active') return null;
    if (now - session.lastUsedAt.getTime() > TOUCH_INTERVAL) {
      session.lastUsedAt = new Date(now);
      session.expiresAt = new Date(now + this.#lifetime);
      await this.#db.tx(() => this.#repo.touchSession(session.id, session.lastUsedAt, session.expiresAt));
    }
    return { session, user, actor: { userId: user.id, role: user.role, sessionId: session.id } };
  }

  /** Ends the actor's current session (logout). */
  async logout(actor: Actor | null): Promise<void> {
    if (!actor?.sessionId) return;
    const sessionId = actor.sessionId;
    await this.#db.tx(() => this.#repo.deleteSession(sessionId, actor.userId));
    this.#events.emit('sessions.ended', { userId: actor.userId, sessionIds: [sessionId] });
  }

  /** The actor's open sessions, the current one marked. */
  async list(actor: Actor | null): Promise<SessionView[]> {
    const a = requireActor(actor);
    const rows = await this.#repo.sessionsOf(a.userId);
    return rows.map((s) => ({
      id: s.id,
      deviceLabel: s.deviceLabel,
      createdAt: s.createdAt,
      lastUsedAt: s.lastUsedAt,
      current: s.id === a.sessionId,
    }));
  }

  /** Ends one of the actor's own sessions; another member's session id is "not found". */
  async end(actor: Actor | null, sessionId: string): Promise<void> {
    const a = requireActor(actor);
    const deleted = await this.#db.tx(() => this.#repo.deleteSession(String(sessionId), a.userId));
    if (!deleted) throw fail.notFound();
    this.#events.emit('sessions.ended', { userId: a.userId, sessionIds: [sessionId] });
  }

  /** Ends every session of the actor except the current one. */
  async endOthers(actor: Actor | null): Promise<number> {
    const a = requireActor(actor);
    return this.endAllOf(a.userId, a.sessionId);
  }

  /** Ends all sessions of a user, but one (internal: password change, suspension, deletion). */
  async endAllOf(userId: string, exceptSessionId: string | null = null): Promise<number> {
    const ids = await this.#db.tx(() => this.#repo.deleteSessionsOf(userId, exceptSessionId));
    if (ids.length) this.#events.emit('sessions.ended', { userId, sessionIds: ids });
    return ids.length;
  }
}
