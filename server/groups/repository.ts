// Storage of groups, memberships, join requests, invitations and follows.
import { and, isNotNull, asc, count, desc, eq, gt, inArray, or, sql } from 'drizzle-orm';
import type { Database, Schema } from '../db/client.ts';
import { summaryFields, type SummaryColumns } from '../profiles/summary.ts';
import { escapeLike } from '../search/normalize.ts';

export type GroupRow = Schema['groups']['$inferSelect'];
export type NewGroup = Schema['groups']['$inferInsert'];
export type GroupRole = 'member' | 'organizer' | 'admin';
export type MembershipRow = Schema['groupMembers']['$inferSelect'];
export type InvitationRow = Schema['groupInvitations']['$inferSelect'];

export interface MemberRow extends SummaryColumns {
  role: GroupRole;
  shareContact: boolean;
  joinedAt: Date;
  email: string;
  phone: string | null;
}

export class GroupsRepository {
  readonly #db: Database;
  readonly #role: (p: { g: string; u: string }) => Promise<{ role: GroupRole }[]>;

  constructor(db: Database) {
    this.#db = db;
    const { groupMembers: m } = db.t;
    this.#role = db.prepared('group_role', (q) =>
      q
        .select({ role: m.role })
        .from(m)
        .where(and(eq(m.groupId, sql.placeholder('g')), eq(m.userId, sql.placeholder('u')))),
    );
  }

  async byId(id: string): Promise<GroupRow | undefined> {
    const { groups } = this.#db.t;
    return (await this.#db.q.select().from(groups).where(eq(groups.id, id)))[0];
  }

  /** Several groups in one query (lists of events name their groups). */
  async byIds(ids: string[]): Promise<GroupRow[]> {
    if (!ids.length) return [];
    const { groups } = this.#db.t;
    return this.#db.q.select().from(groups).where(inArray(groups.id, ids));
  }

  async byHandle(handle: string): Promise<GroupRow | undefined> {
    const { groups } = this.#db.t;
    return (await this.#db.q.select().from(groups).where(eq(groups.handle, handle)))[0];
  }

  async handleTaken(handle: string, exceptId?: string): Promise<boolean> {
    const { groups } = this.#db.t;
    const rows = await this.#db.q.select({ id: groups.id }).from(groups).where(eq(groups.handle, handle));
    return rows.some((r) => r.id !== exceptId);
  }

  async insert(group: NewGroup): Promise<GroupRow> {
    const { groups } = this.#db.t;
    return (await this.#db.w.insert(groups).values(group).returning())[0];
  }

  async update(id: string, patch: Partial<NewGroup>): Promise<GroupRow | undefined> {
    const { groups } = this.#db.t;
    return (await this.#db.w.update(groups).set({ ...patch, updatedAt: new Date() }).where(eq(groups.id, id)).returning())[0];
  }

  async delete(id: string): Promise<void> {
    const { groups } = this.#db.t;
    await this.#db.w.delete(groups).where(eq(groups.id, id));
  }

  /** The member's role in a group, or null. */
  async role(groupId: string, userId: string): Promise<GroupRole | null> {
    return (await this.#role({ g: groupId, u: userId }))[0]?.role ?? null;
  }

  async membership(groupId: string, userId: string): Promise<MembershipRow | undefined> {
    const { groupMembers: m } = this.#db.t;
    return (await this.#db.q.select().from(m).where(and(eq(m.groupId, groupId), eq(m.userId, userId))))[0];
  }

  /** Adds a member (no-op if already one) and keeps the member count; true if added. */
  async addMember(groupId: string, userId: string, role: GroupRole, shareContact: boolean, at: Date, uri: string | null = null): Promise<boolean> {
    const { groupMembers: m, groups } = this.#db.t;
    const rows = await this.#db.w
      .insert(m)
      .values({ groupId, userId, role, shareContact, joinedAt: at, uri })
      .onConflictDoNothing()
      .returning({ u: m.userId });
    if (!rows.length) return false;
    await this.#db.w.update(groups).set({ memberCount: sql`${groups.memberCount} + 1` }).where(eq(groups.id, groupId));
    return true;
  }

  async removeMember(groupId: string, userId: string): Promise<boolean> {
    const { groupMembers: m, groups } = this.#db.t;
    const rows = await this.#db.w.delete(m).where(and(eq(m.groupId, groupId), eq(m.userId, userId))).returning({ u: m.userId });
    if (!rows.length) return false;
    await this.#db.w.update(groups).set({ memberCount: sql`${groups.memberCount} - 1` }).where(eq(groups.id, groupId));
    return true;
  }

  async setRole(groupId: string, userId: string, role: GroupRole): Promise<void> {
    const { groupMembers: m } = this.#db.t;
    await this.#db.w.update(m).set({ role }).where(and(eq(m.groupId, groupId), eq(m.userId, userId)));
  }

  async setShareContact(groupId: string, userId: string, shareContact: boolean): Promise<boolean> {
    const { groupMembers: m } = this.#db.t;
    return (await this.#db.w.update(m).set({ shareContact }).where(and(eq(m.groupId, groupId), eq(m.userId, userId))).returning({ u: m.userId })).length > 0;
  }

  async countAdmins(groupId: string): Promise<number> {
    const { groupMembers: m } = this.#db.t;
    return Number((await this.#db.q.select({ n: count() }).from(m).where(and(eq(m.groupId, groupId), eq(m.role, 'admin'))))[0]?.n ?? 0);
  }

  /** Members with their contact columns (the service decides what to show), admins first. */
  async members(groupId: string, limit = 1000, offset = 0): Promise<MemberRow[]> {
    const { groupMembers: m, users } = this.#db.t;
    const rows = await this.#db.q
      .select({ ...summaryFields(users), role: m.role, shareContact: m.shareContact, joinedAt: m.joinedAt, email: users.email, phone: users.phone })
      .from(m)
      .innerJoin(users, eq(users.id, m.userId))
      .where(and(eq(m.groupId, groupId), eq(users.status, 'active')))
      .orderBy(sql`case ${m.role} when 'admin' then 0 when 'organizer' then 1 else 2 end`, asc(users.displayName), asc(users.id))
      .limit(limit)
      .offset(offset);
    return rows as MemberRow[];
  }

  /** Ids of organizers and admins (for notifications). */
  async organizerIds(groupId: string): Promise<string[]> {
    const { groupMembers: m } = this.#db.t;
    const rows = await this.#db.q
      .select({ id: m.userId })
      .from(m)
      .where(and(eq(m.groupId, groupId), inArray(m.role, ['organizer', 'admin'])));
    return rows.map((r) => r.id);
  }

  /** Whether someone of another server is a member. */
  async hasRemoteMember(groupId: string): Promise<boolean> {
    const { groupMembers: m, users } = this.#db.t;
    return (await this.#db.q.select({ u: m.userId }).from(m).innerJoin(users, eq(users.id, m.userId)).where(and(eq(m.groupId, groupId), isNotNull(users.host))).limit(1)).length > 0;
  }

  async memberIds(groupId: string): Promise<string[]> {
    const { groupMembers: m } = this.#db.t;
    return (await this.#db.q.select({ id: m.userId }).from(m).where(eq(m.groupId, groupId))).map((r) => r.id);
  }

  /** The groups of a member, with their role. */
  async groupsOf(userId: string): Promise<(GroupRow & { role: GroupRole })[]> {
    const { groupMembers: m, groups } = this.#db.t;
    const rows = await this.#db.q
      .select({ group: groups, role: m.role })
      .from(m)
      .innerJoin(groups, eq(groups.id, m.groupId))
      .where(eq(m.userId, userId))
      .orderBy(asc(groups.name));
    return rows.map((r) => ({ ...r.group, role: r.role }));
  }

  async groupIdsOf(userId: string): Promise<string[]> {
    const { groupMembers: m } = this.#db.t;
    return (await this.#db.q.select({ id: m.groupId }).from(m).where(eq(m.userId, userId))).map((r) => r.id);
  }

  // Join requests

  async joinRequest(groupId: string, userId: string) {
    const { groupJoinRequests: r } = this.#db.t;
    return (await this.#db.q.select().from(r).where(and(eq(r.groupId, groupId), eq(r.userId, userId))))[0];
  }

  async insertJoinRequest(groupId: string, userId: string, answer: string, shareContact: boolean, at: Date, uri: string | null = null): Promise<boolean> {
    const { groupJoinRequests: r } = this.#db.t;
    return (
      await this.#db.w.insert(r).values({ groupId, userId, answer, shareContact, createdAt: at, uri }).onConflictDoNothing().returning({ u: r.userId })
    ).length > 0;
  }

  /** Deletes a join request and returns it (null if it was already handled). */
  async takeJoinRequest(groupId: string, userId: string) {
    const { groupJoinRequests: r } = this.#db.t;
    return (await this.#db.w.delete(r).where(and(eq(r.groupId, groupId), eq(r.userId, userId))).returning())[0] ?? null;
  }

  async joinRequests(groupId: string) {
    const { groupJoinRequests: r, users } = this.#db.t;
    return this.#db.q
      .select({ ...summaryFields(users), answer: r.answer, createdAt: r.createdAt })
      .from(r)
      .innerJoin(users, eq(users.id, r.userId))
      .where(and(eq(r.groupId, groupId), eq(users.status, 'active')))
      .orderBy(asc(r.createdAt));
  }

  // Invitations

  async insertInvitation(row: InvitationRow): Promise<void> {
    const { groupInvitations: i } = this.#db.t;
    await this.#db.w.insert(i).values(row);
  }

  async invitationByToken(tokenHash: string): Promise<InvitationRow | undefined> {
    const { groupInvitations: i } = this.#db.t;
    return (await this.#db.q.select().from(i).where(and(eq(i.tokenHash, tokenHash), gt(i.expiresAt, new Date()))))[0];
  }

  /** A live personal invitation of a member to a group. */
  async invitationFor(groupId: string, userId: string): Promise<InvitationRow | undefined> {
    const { groupInvitations: i } = this.#db.t;
    return (
      await this.#db.q
        .select()
        .from(i)
        .where(and(eq(i.groupId, groupId), eq(i.inviteeId, userId), gt(i.expiresAt, new Date())))
    )[0];
  }

  async deleteInvitationsFor(groupId: string, userId: string): Promise<void> {
    const { groupInvitations: i } = this.#db.t;
    await this.#db.w.delete(i).where(and(eq(i.groupId, groupId), eq(i.inviteeId, userId)));
  }

  async linkInvitations(groupId: string): Promise<InvitationRow[]> {
    const { groupInvitations: i } = this.#db.t;
    return this.#db.q
      .select()
      .from(i)
      .where(and(eq(i.groupId, groupId), sql`${i.tokenHash} is not null`, gt(i.expiresAt, new Date())))
      .orderBy(desc(i.createdAt));
  }

  async deleteInvitation(groupId: string, id: string): Promise<boolean> {
    const { groupInvitations: i } = this.#db.t;
    return (await this.#db.w.delete(i).where(and(eq(i.groupId, groupId), eq(i.id, id))).returning({ id: i.id })).length > 0;
  }

  /** Personal invitations waiting for a member's answer. */
  async invitationsOf(userId: string) {
    const { groupInvitations: i, groups } = this.#db.t;
    return this.#db.q
      .select({ invitation: i, group: groups })
      .from(i)
      .innerJoin(groups, eq(groups.id, i.groupId))
      .where(and(eq(i.inviteeId, userId), gt(i.expiresAt, new Date())))
      .orderBy(desc(i.createdAt));
  }

  // Follows

  async follow(groupId: string, userId: string) {
    const { groupFollows: f } = this.#db.t;
    return (await this.#db.q.select().from(f).where(and(eq(f.groupId, groupId), eq(f.userId, userId))))[0];
  }

  /** Records the id of the Join (or Follow) that carries a membership, request or follow across servers. */
  async setUri(table: 'member' | 'request' | 'follow', groupId: string, userId: string, uri: string): Promise<void> {
    const { groupMembers: m, groupJoinRequests: r, groupFollows: f } = this.#db.t;
    const t = table === 'member' ? m : table === 'request' ? r : f;
    await this.#db.w.update(t).set({ uri }).where(and(eq(t.groupId, groupId), eq(t.userId, userId)));
  }

  async follows(groupId: string, userId: string): Promise<boolean> {
    const { groupFollows: f } = this.#db.t;
    return (await this.#db.q.select({ u: f.userId }).from(f).where(and(eq(f.groupId, groupId), eq(f.userId, userId)))).length > 0;
  }

  async setFollow(groupId: string, userId: string, follow: boolean, at: Date, uri: string | null = null): Promise<void> {
    const { groupFollows: f } = this.#db.t;
    if (follow) await this.#db.w.insert(f).values({ groupId, userId, createdAt: at, uri }).onConflictDoNothing();
    else await this.#db.w.delete(f).where(and(eq(f.groupId, groupId), eq(f.userId, userId)));
  }

  // Directory

  /** Groups matching a text, a commune or a département, or within a bounding box. */
  async search(opts: {
    text?: string;
    communeCode?: string;
    departementCode?: string;
    box?: { minLat: number; maxLat: number; minLon: number; maxLon: number };
    limit: number;
    offset: number;
  }): Promise<GroupRow[]> {
    const { groups } = this.#db.t;
    const where = and(
      opts.text ? sql`${groups.searchName} like ${`%${escapeLike(opts.text)}%`} escape '\\'` : undefined,
      opts.communeCode ? eq(groups.communeCode, opts.communeCode) : undefined,
      opts.departementCode ? eq(groups.departementCode, opts.departementCode) : undefined,
      opts.box
        ? and(
            sql`${groups.lat} between ${opts.box.minLat} and ${opts.box.maxLat}`,
            sql`${groups.lon} between ${opts.box.minLon} and ${opts.box.maxLon}`,
          )
        : undefined,
    );
    return this.#db.q
      .select()
      .from(groups)
      .where(where)
      .orderBy(desc(groups.memberCount), asc(groups.name))
      .limit(opts.limit)
      .offset(opts.offset);
  }

  /** Memberships and pending requests of a member among some groups (directory badges). */
  async statusesOf(userId: string, groupIds: string[]): Promise<Map<string, GroupRole | 'requested'>> {
    const out = new Map<string, GroupRole | 'requested'>();
    if (!groupIds.length) return out;
    const { groupMembers: m, groupJoinRequests: r } = this.#db.t;
    for (const row of await this.#db.q
      .select({ g: m.groupId, role: m.role })
      .from(m)
      .where(and(eq(m.userId, userId), inArray(m.groupId, groupIds))))
      out.set(row.g, row.role);
    for (const row of await this.#db.q
      .select({ g: r.groupId })
      .from(r)
      .where(and(eq(r.userId, userId), inArray(r.groupId, groupIds))))
      if (!out.has(row.g)) out.set(row.g, 'requested');
    return out;
  }

  /** Groups a member organizes (to list join requests), or belongs to. */
  async managedBy(userId: string): Promise<string[]> {
    const { groupMembers: m } = this.#db.t;
    return (
      await this.#db.q
        .select({ g: m.groupId })
        .from(m)
        .where(and(eq(m.userId, userId), or(eq(m.role, 'organizer'), eq(m.role, 'admin'))))
    ).map((r) => r.g);
  }
}
