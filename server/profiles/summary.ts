// How a member appears in lists (friends, members, search, notifications): the public part of a
// profile only. One mapper, so no list can show more than another by accident.
import type { UserRow } from '../accounts/repository.ts';

export interface MemberSummary {
  id: string;
  username: string;
  displayName: string;
  avatarUrl: string | null;
}

/** The columns a summary needs, for queries that select them. */
export type SummaryColumns = Pick<UserRow, 'id' | 'username' | 'displayName' | 'avatarKey'>;

export function memberSummary(u: SummaryColumns): MemberSummary {
  return { id: u.id, username: u.username, displayName: u.displayName, avatarUrl: u.avatarKey ? `/media/${u.avatarKey}` : null };
}

/** drizzle selection of the summary columns of a users table. */
export function summaryFields<T extends { id: unknown; username: unknown; displayName: unknown; avatarKey: unknown }>(users: T) {
  return { id: users.id, username: users.username, displayName: users.displayName, avatarKey: users.avatarKey } as Pick<T, 'id' | 'username' | 'displayName' | 'avatarKey'>;
}
