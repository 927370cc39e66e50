// Storage of accounts, sessions and email challenges. No rules here: the services decide.
import { and, count, desc, eq, gt, isNull, lt, ne, or, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import type { Schema } from '../db/client.ts';
import { newSecret } from './secrets.ts';

export type UserRow = Schema['users']['$inferSelect'];
export type NewUser = Schema['users']['$inferInsert'];
export type SessionRow = Schema['sessions']['$inferSelect'];
export type ChallengeRow = Schema['emailChallenges']['$inferSelect'];
export type NewChallenge = Schema['emailChallenges']['$inferInsert'];

export class AccountsRepository {
  readonly #db: Database;
  // Hot paths (every authenticated request), prepared once.
  readonly #userById: (p: { id: string }) => Promise<UserRow[]>;
  readonly #sessionWithUser: (p: { id: string }) => Promise<{ session: SessionRow; user: UserRow }[]>;

  constructor(db: Database) {
    this.#db = db;
    const { users, sessions } = db.t;
    this.#userById = db.prepared('user_by_id', (q) => q.select().from(users).where(eq(users.id, sql.placeholder('id'))));
    this.#sessionWithUser = db.prepared('session_with_user', (q) =>
      q
        .select({ session: sessions, user: users })
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        .where(eq(sessions.id, sql.placeholder('id'))),
    );
  }

  async userById(id: string): Promise<UserRow | undefined> {
    return (await this.#userById({ id }))[0];
  }

  async userByEmail(email: string): Promise<UserRow | undefined> {
    const { users } = this.#db.t;
    return (await this.#db.q.select().from(users).where(and(eq(users.email, email), isNull(users.host))))[0];
  }

  async userByUsername(username: string): Promise<UserRow | undefined> {
    const { users } = this.#db.t;
    return (await this.#db.q.select().from(users).where(eq(users.username, username)))[0];
  }

  /** Whether a handle is used by another member or by a group (they share @name@host). */
  async usernameTaken(username: string, exceptUserId?: string): Promise<boolean> {
    const { users, groups } = this.#db.t;
    const where = exceptUserId ? and(eq(users.username, username), ne(users.id, exceptUserId)) : eq(users.username, username);
    if ((await this.#db.q.select({ id: users.id }).from(users).where(where)).length > 0) return true;
    return (await this.#db.q.select({ id: groups.id }).from(groups).where(eq(groups.handle, username))).length > 0;
  }

  async insertUser(user: NewUser): Promise<UserRow> {
    const { users } = this.#db.t;
    // Every account gets its unsubscribe token at once: creating it later, inside the
    // transaction of a notification, updated the member's row while another notification's
    // insert held a lock on it (a deadlock on PostgreSQL).
    return (await this.#db.w.insert(users).values({ unsubscribeToken: newSecret(), ...user }).returning())[0];
  }

  async updateUser(id: string, patch: Partial<NewUser>): Promise<UserRow | undefined> {
    const { users } = this.#db.t;
    return (
      await this.#db.w
        .update(users)
        .set({ ...patch, updatedAt: new Date() })
        .where(eq(users.id, id))
        .returning()
    )[0];
  }

  async deleteUser(id: string): Promise<void> {
    const { users } = this.#db.t;
    await this.#db.w.delete(users).where(eq(users.id, id));
  }

  async countUsers(): Promise<number> {
    const { users } = this.#db.t;
    return Number((await this.#db.q.select({ n: count() }).from(users).where(isNull(users.host)))[0]?.n ?? 0);
  }

  async countActiveAdmins(): Promise<number> {
    const { users } = this.#db.t;
    const rows = await this.#db.q
      .select({ n: count() })
      .from(users)
      .where(and(eq(users.role, 'admin'), eq(users.status, 'active')));
    return Number(rows[0]?.n ?? 0);
  }

  /** A page of members for the admin, newest first, optionally filtered by a search string. */
  async listUsers(opts: { search?: string; limit: number; offset: number }): Promise<UserRow[]> {
    const { users } = this.#db.t;
    const term = opts.search?.trim().toLowerCase();
    const where = term
      ? or(
          sql`lower(${users.username}) like ${`%${term}%`}`,
          sql`lower(${users.displayName}) like ${`%${term}%`}`,
          sql`lower(${users.email}) like ${`%${term}%`}`,
        )
      : undefined;
    return this.#db.q.select().from(users).where(and(isNull(users.host), where)).orderBy(desc(users.createdAt)).limit(opts.limit).offset(opts.offset);
  }

  // Sessions

  async insertSession(row: SessionRow): Promise<void> {
    const { sessions } = this.#db.t;
    await this.#db.w.insert(sessions).values(row);
  }

  async sessionWithUser(id: string): Promise<{ session: SessionRow; user: UserRow } | undefined> {
    return (await this.#sessionWithUser({ id }))[0];
  }

  async touchSession(id: string, lastUsedAt: Date, expiresAt: Date): Promise<void> {
    const { sessions } = this.#db.t;
    await this.#db.w.update(sessions).set({ lastUsedAt, expiresAt }).where(eq(sessions.id, id));
  }

  async sessionsOf(userId: string): Promise<SessionRow[]> {
    const { sessions } = this.#db.t;
    return this.#db.q
      .select()
      .from(sessions)
      .where(and(eq(sessions.userId, userId), gt(sessions.expiresAt, new Date())))
      .orderBy(desc(sessions.lastUsedAt));
  }

  /** Deletes sessions of a user (all, or all but one) and returns their ids. */
  async deleteSessionsOf(userId: string, exceptId?: string | null): Promise<string[]> {
    const { sessions } = this.#db.t;
    const where = exceptId ? and(eq(sessions.userId, userId), ne(sessions.id, exceptId)) : eq(sessions.userId, userId);
    return (await this.#db.w.delete(sessions).where(where).returning({ id: sessions.id })).map((r) => r.id);
  }

  async deleteSession(id: string, userId: string): Promise<boolean> {
    const { sessions } = this.#db.t;
    const rows = await this.#db.w
      .delete(sessions)
      .where(and(eq(sessions.id, id), eq(sessions.userId, userId)))
      .returning({ id: sessions.id });
    return rows.length > 0;
  }

  async deleteExpiredSessions(now: Date): Promise<number> {
    const { sessions } = this.#db.t;
    return (await this.#db.w.delete(sessions).where(lt(sessions.expiresAt, now)).returning({ id: sessions.id })).length;
  }

  // Email challenges

  async insertChallenge(row: NewChallenge): Promise<void> {
    const { emailChallenges } = this.#db.t;
    await this.#db.w.insert(emailChallenges).values(row);
  }

  async challengeById(id: string): Promise<ChallengeRow | undefined> {
    const { emailChallenges: c } = this.#db.t;
    return (await this.#db.q.select().from(c).where(eq(c.id, id)))[0];
  }

  async challengeByTokenHash(tokenHash: string): Promise<ChallengeRow | undefined> {
    const { emailChallenges: c } = this.#db.t;
    return (await this.#db.q.select().from(c).where(eq(c.tokenHash, tokenHash)))[0];
  }

  /** Counts one more attempt if the challenge is still open; returns the new count, or null. */
  async bumpChallengeAttempts(id: string): Promise<number | null> {
    const { emailChallenges: c } = this.#db.t;
    const rows = await this.#db.w
      .update(c)
      .set({ attempts: sql`${c.attempts} + 1` })
      .where(and(eq(c.id, id), isNull(c.consumedAt)))
      .returning({ attempts: c.attempts });
    return rows[0]?.attempts ?? null;
  }

  /** Marks a challenge used; false if it was already used (two clicks racing). */
  async consumeChallenge(id: string, at: Date): Promise<boolean> {
    const { emailChallenges: c } = this.#db.t;
    const rows = await this.#db.w
      .update(c)
      .set({ consumedAt: at })
      .where(and(eq(c.id, id), isNull(c.consumedAt)))
      .returning({ id: c.id });
    return rows.length > 0;
  }

  /** Closes the other open challenges of the same purpose for an email (a new code replaces old ones). */
  async closeOpenChallenges(email: string, purpose: ChallengeRow['purpose'], at: Date): Promise<void> {
    const { emailChallenges: c } = this.#db.t;
    await this.#db.w
      .update(c)
      .set({ consumedAt: at })
      .where(and(eq(c.email, email), eq(c.purpose, purpose), isNull(c.consumedAt)));
  }

  async deleteOldChallenges(before: Date): Promise<number> {
    const { emailChallenges: c } = this.#db.t;
    return (await this.#db.w.delete(c).where(lt(c.expiresAt, before)).returning({ id: c.id })).length;
  }
}
