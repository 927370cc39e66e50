// Who is acting. Adapters authenticate (session cookie, HTTP signature…) and hand services an
// Actor or null; services decide, object by object, what that actor may do.
import { fail } from '../errors.ts';
import type { Locale } from '../../web/lib/i18n/index.ts';

export type UserRole = 'admin' | 'moderator' | 'member';

export interface Actor {
  userId: string;
  role: UserRole;
  /** The session the request came with (null for non-session callers such as the CLI). */
  sessionId: string | null;
}

/** Facts about a request that services need for rate limits, mails and logs. */
export interface RequestMeta {
  ip: string;
  userAgent: string;
  locale: Locale;
}

export function requireActor(actor: Actor | null): Actor {
  if (!actor) throw fail.unauthenticated();
  return actor;
}

export function requireRole(actor: Actor | null, ...roles: UserRole[]): Actor {
  const a = requireActor(actor);
  if (!roles.includes(a.role)) throw fail.forbidden();
  return a;
}
