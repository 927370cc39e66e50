// Usernames: the handle in @username@host and /@username. Derived from the display name at
// sign-up (the member can change it later in settings).
import { randomInt } from 'node:crypto';
import type { AccountsRepository } from './repository.ts';
import { normalizeForSearch } from '../search/normalize.ts';

export const USERNAME_RE = /^[a-z0-9_]{3,30}$/;

/** Names that would collide with routes, the instance actor or impersonate staff. */
export const RESERVED_USERNAMES: ReadonlySet<string> = new Set([
  'admin', 'administrateur', 'administration', 'root', 'instance', 'actor', 'api', 'inbox', 'outbox', 'media', 'setup',
  'login', 'logout', 'signup', 'verify', 'settings', 'users', 'user', 'well_known', 'nodeinfo', 'support', 'moderation',
  'moderateur', 'moderator', 'staff', 'system', 'noreply', 'postmaster', 'abuse', 'security', 'webmaster', 'help',
]);

/** A username-shaped slug of a display name ("Élise Dupont" → "elise_dupont", "Œuvray" → "oeuvray"). */
export function slugify(displayName: string): string {
  const slug = normalizeForSearch(displayName)
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 20);
  return slug.length >= 3 ? slug : `membre_${slug}`.replace(/_+$/, '');
}

/** A free username close to the display name. */
export async function availableUsername(repo: AccountsRepository, displayName: string): Promise<string> {
  const base = slugify(displayName);
  if (!RESERVED_USERNAMES.has(base) && !(await repo.usernameTaken(base))) return base;
  for (let i = 0; i < 20; i++) {
    const candidate = `${base.slice(0, 24)}_${randomInt(10, i < 10 ? 1000 : 100_000)}`;
    if (!(await repo.usernameTaken(candidate))) return candidate;
  }
  throw new Error('could not find a free username');
}
