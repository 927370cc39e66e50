// Local groups ("groupes d'action"). Roles: member < organizer < admin.
//   - admins: edit the group, change roles (a group always keeps an admin), delete it;
//   - organizers: approve or decline join requests, invite, remove members (not admins),
//     pin and delete posts, export the member list (contacts only with consent);
//   - members: post to the group, leave, choose whether organizers see their contacts.
// Openness: open (anyone joins), on request (organizers approve; optional question),
// invite-only (an invitation of a member, or an invitation link).
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import type { EventBus } from '../events.ts';
import { fail } from '../errors.ts';
import { checkbox, departementFilter, parse, postalCode, text } from '../validation.ts';
import { type Actor, requireActor } from '../accounts/actor.ts';
import { resolveCommune } from '../accounts/commune.ts';
import type { AccountsRepository } from '../accounts/repository.ts';
import { hashSecret, newId, newSecret } from '../accounts/secrets.ts';
import { RESERVED_USERNAMES, USERNAME_RE, slugify } from '../accounts/usernames.ts';
import { distanceKm } from '../geo/communes.ts';
import { processAvatar, processBanner } from '../media/images.ts';
import type { MediaStore } from '../media/store.ts';
import type { NotificationService } from '../notifications/service.ts';
import { renderMarkdown } from '../posts/markdown.ts';
import type { PostsRepository } from '../posts/repository.ts';
import { memberSummary, type MemberSummary } from '../profiles/summary.ts';
import type { RateLimits } from '../security/rate-limits.ts';
import { normalizeForSearch } from '../search/normalize.ts';
import type { GroupRole, GroupRow, GroupsRepository } from './repository.ts';
import { csvTable } from '../csv.ts';

const RANK: Record<GroupRole, number> = { member: 1, organizer: 2, admin: 3 };
const INVITATION_DAYS = 14;
const DIRECTORY_PAGE = 30;

export interface GroupSummary {
  id: string;
  handle: string;
  name: string;
  kind: 'local' | 'thematic';
  communeName: string | null;
  departementCode: string | null;
  territory: string;
  openness: 'open' | 'request' | 'invite';
  memberCount: number;
  avatarUrl: string | null;
  distanceKm?: number;
  /** The viewer's standing: a role, a pending request, or nothing. */
  status?: GroupRole | 'requested' | null;
}

export interface GroupView extends GroupSummary {
  descriptionHtml: string;
  description: string;
  bannerUrl: string | null;
  joinQuestion: string;
  membersVisibility: 'public' | 'members' | 'organizers';
  communeCode: string | null;
  pinnedPostId: string | null;
  myRole: GroupRole | null;
  myShareContact: boolean;
  requested: boolean;
  invited: boolean;
  following: boolean;
  canSeeMembers: boolean;
  /** The group's server when it lives on another one (membership is decided there). */
  host: string | null;
}

export interface GroupMemberView extends MemberSummary {
  role: GroupRole;
  joinedAt: Date;
  /** Only for organizers, and only when the member consented. */
  email?: string;
  phone?: string | null;
}

const media = (key: string | null) => (key ? `/media/${key}` : null);

const handleSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(USERNAME_RE, 'group.handle_invalid')
  .refine((h) => !RESERVED_USERNAMES.has(h), 'username.reserved');

const fields = {
  name: text(80, 'group.name_invalid').pipe(z.string().min(2, 'group.name_invalid')),
  description: text(5000, 'group.description_too_long'),
  kind: z.enum(['local', 'thematic'], { error: 'validation.invalid' }),
  postalCode: z.union([z.literal(''), postalCode]).optional(),
  communeCode: z.string().trim().max(5).optional().nullable(),
  territory: text(120),
  openness: z.enum(['open', 'request', 'invite'], { error: 'validation.invalid' }),
  joinQuestion: text(300),
  membersVisibility: z.enum(['public', 'members', 'organizers'], { error: 'validation.invalid' }),
};
const createSchema = z.object({
  ...fields,
  handle: handleSchema.optional(),
  description: fields.description.optional().default(''),
  territory: fields.territory.optional().default(''),
  openness: fields.openness.optional().default('open'),
  joinQuestion: fields.joinQuestion.optional().default(''),
  membersVisibility: fields.membersVisibility.optional().default('members'),
});
const updateSchema = z.object({ ...fields, handle: handleSchema }).partial();
const joinSchema = z.object({ answer: text(1000).optional().default(''), shareContact: checkbox.optional().default(false) });
const directorySchema = z.object({
  q: z.string().trim().max(100).optional().default(''),
  commune: z.string().trim().max(5).optional().default(''),
  departement: departementFilter,
  km: z.coerce.number().int().min(1).max(500).optional(),
  page: z.coerce.number().int().min(1).max(1000).optional().default(1),
});

export class GroupService {
  readonly #db: Database;
  readonly #repo: GroupsRepository;
  readonly #accounts: AccountsRepository;
  readonly #posts: PostsRepository;
  readonly #notifications: NotificationService;
  readonly #media: MediaStore;
  readonly #limits: RateLimits;
  readonly #events: EventBus;
  readonly #uploadLimit: number;

  constructor(d: {
    db: Database;
    repo: GroupsRepository;
    accounts: AccountsRepository;
    posts: PostsRepository;
    notifications: NotificationService;
    media: MediaStore;
    limits: RateLimits;
    events: EventBus;
    uploadLimitBytes: number;
  }) {
    this.#db = d.db;
    this.#repo = d.repo;
    this.#accounts = d.accounts;
    this.#posts = d.posts;
    this.#notifications = d.notifications;
    this.#media = d.media;
    this.#limits = d.limits;
    this.#events = d.events;
    this.#uploadLimit = d.uploadLimitBytes;
  }

  async #group(idOrHandle: unknown): Promise<GroupRow> {
    if (typeof idOrHandle !== 'string' || idOrHandle.length > 64) throw fail.notFound();
    const group = (await this.#repo.byId(idOrHandle)) ?? (await this.#repo.byHandle(idOrHandle.toLowerCase()));
    if (!group) throw fail.notFound();
    return group;
  }

  /** The actor's role, or a forbidden error below the required one. */
  async #require(actor: Actor, group: GroupRow, min: GroupRole): Promise<GroupRole> {
    const role = await this.#repo.role(group.id, actor.userId);
    if (!role || RANK[role] < RANK[min]) throw fail.forbidden('group.role_required');
    return role;
  }

  /** Handles share one namespace with usernames (both become @name@host on the fediverse). */
  async #handleFree(handle: string, exceptGroupId?: string): Promise<boolean> {
    return !(await this.#repo.handleTaken(handle, exceptGroupId)) && !(await this.#accounts.usernameTaken(handle));
  }

  #place(v: { postalCode?: string; communeCode?: string | null }) {
    if (v.postalCode === undefined) return {};
    if (v.postalCode === '') return { communeCode: null, communeName: null, departementCode: null, lat: null, lon: null };
    const c = resolveCommune(v.postalCode, v.communeCode ?? null);
    return { communeCode: c.code, communeName: c.name, departementCode: c.departementCode, lat: c.lat, lon: c.lon };
  }

  #summary(g: GroupRow, status?: GroupRole | 'requested' | null): GroupSummary {
    return {
      id: g.id,
      handle: g.handle,
      name: g.name,
      kind: g.kind,
      communeName: g.communeName,
      departementCode: g.departementCode,
      territory: g.territory,
      openness: g.openness,
      memberCount: g.memberCount,
      avatarUrl: media(g.avatarKey),
      ...(status !== undefined ? { status } : {}),
    };
  }

  /** Creates a group; its creator is its first admin. */
  async create(actor: Actor | null, input: unknown): Promise<GroupSummary> {
    const a = requireActor(actor);
    const v = parse(createSchema, input);
    if (v.kind === 'local' && !v.postalCode) throw fail.invalid({ postalCode: 'group.place_required' });
    await this.#limits.consume(['group-create:account', a.userId]);
    const place = this.#place(v);
    const group = await this.#db.tx(async () => {
      let handle = v.handle ?? slugify(v.name);
      if (v.handle && !(await this.#handleFree(handle))) throw fail.conflict('group.handle_taken', { handle: 'group.handle_taken' });
      for (let i = 2; !v.handle && !(await this.#handleFree(handle)); i++) handle = `${slugify(v.name).slice(0, 25)}_${i}`;
      const now = new Date();
      const row = await this.#repo.insert({
        id: newId(),
        handle,
        name: v.name,
        searchName: normalizeForSearch(`${v.name} ${handle}`),
        description: v.description,
        descriptionHtml: renderMarkdown(v.description).html,
        kind: v.kind,
        ...place,
        territory: v.territory,
        openness: v.openness,
        joinQuestion: v.joinQuestion,
        membersVisibility: v.membersVisibility,
        createdAt: now,
        updatedAt: now,
      });
      await this.#repo.addMember(row.id, a.userId, 'admin', false, now);
      return (await this.#repo.byId(row.id))!;
    });
    await this.#membershipChanged(group.id, a.userId);
    return this.#summary(group, 'admin');
  }

  /** Changes a group's settings (admins). */
  async update(actor: Actor | null, groupId: string, input: unknown): Promise<GroupView> {
    const a = requireActor(actor);
    const group = await this.#group(groupId);
    await this.#require(a, group, 'admin');
    const v = parse(updateSchema, input);
    const patch: Record<string, unknown> = {};
    for (const key of ['name', 'kind', 'territory', 'openness', 'joinQuestion', 'membersVisibility'] as const) if (v[key] !== undefined) patch[key] = v[key];
    if (v.description !== undefined) Object.assign(patch, { description: v.description, descriptionHtml: renderMarkdown(v.description).html });
    Object.assign(patch, this.#place(v));
    if ((v.kind ?? group.kind) === 'local' && (v.postalCode === '' || (!group.communeCode && !v.postalCode))) throw fail.invalid({ postalCode: 'group.place_required' });
    await this.#db.tx(async () => {
      if (v.handle && v.handle !== group.handle) {
        if (!(await this.#handleFree(v.handle, group.id))) throw fail.conflict('group.handle_taken', { handle: 'group.handle_taken' });
        patch.handle = v.handle;
      }
      const name = (patch.name as string | undefined) ?? group.name;
      const handle = (patch.handle as string | undefined) ?? group.handle;
      patch.searchName = normalizeForSearch(`${name} ${handle}`);
      await this.#repo.update(group.id, patch);
    });
    return this.view(a, group.id);
  }

  /** Sets the group's avatar or banner (admins). */
  async setImage(actor: Actor | null, groupId: string, which: 'avatar' | 'banner', bytes: Buffer): Promise<void> {
    const a = requireActor(actor);
    const group = await this.#group(groupId);
    await this.#require(a, group, 'admin');
    await this.#limits.consume(['upload:account', a.userId]);
    if (bytes.length > this.#uploadLimit) throw fail.tooLarge('avatar.too_large', { mb: Math.round(this.#uploadLimit / 1048576) });
    if (!bytes.length) throw fail.invalid({ [which]: 'avatar.invalid' });
    const webp = which === 'avatar' ? await processAvatar(bytes) : await processBanner(bytes);
    const key = await this.#media.put('groups', 'webp', webp);
    const previous = which === 'avatar' ? group.avatarKey : group.bannerKey;
    await this.#db.tx(() => this.#repo.update(group.id, which === 'avatar' ? { avatarKey: key } : { bannerKey: key }));
    await this.#media.delete(previous);
  }

  /** A group page as the viewer may see it. */
  async view(viewer: Actor | null, idOrHandle: string): Promise<GroupView> {
    const group = await this.#group(idOrHandle);
    const membership = viewer ? await this.#repo.membership(group.id, viewer.userId) : undefined;
    const myRole = membership?.role ?? null;
    const canSeeMembers =
      group.membersVisibility === 'public' ||
      (group.membersVisibility === 'members' && myRole !== null) ||
      (group.membersVisibility === 'organizers' && myRole !== null && RANK[myRole] >= RANK.organizer);
    return {
      ...this.#summary(group, myRole),
      description: group.description,
      descriptionHtml: group.descriptionHtml,
      bannerUrl: media(group.bannerKey),
      joinQuestion: group.joinQuestion,
      membersVisibility: group.membersVisibility,
      communeCode: group.communeCode,
      pinnedPostId: group.pinnedPostId,
      myRole,
      myShareContact: membership?.shareContact ?? false,
      requested: viewer ? Boolean(await this.#repo.joinRequest(group.id, viewer.userId)) : false,
      invited: viewer ? Boolean(await this.#repo.invitationFor(group.id, viewer.userId)) : false,
      following: viewer ? await this.#repo.follows(group.id, viewer.userId) : false,
      canSeeMembers,
      host: group.host,
    };
  }

  /** The members, if the group shows them to the viewer; contacts only to organizers, only with consent. */
  async members(viewer: Actor | null, groupId: string): Promise<GroupMemberView[]> {
    const view = await this.view(viewer, groupId);
    if (!view.canSeeMembers) throw fail.forbidden('group.members_hidden');
    const organizer = view.myRole !== null && RANK[view.myRole] >= RANK.organizer;
    return (await this.#repo.members(view.id)).map((m) => ({
      ...memberSummary(m),
      role: m.role,
      joinedAt: m.joinedAt,
      ...(organizer && m.shareContact ? { email: m.email, phone: m.phone } : {}),
    }));
  }

  /** The member list as CSV (organizers), with contacts only for members who consented. */
  async exportCsv(actor: Actor | null, groupId: string): Promise<{ filename: string; csv: string }> {
    const a = requireActor(actor);
    const group = await this.#group(groupId);
    await this.#require(a, group, 'organizer');
    const rows = (await this.#repo.members(group.id, 100_000)).map((m) => [
      m.displayName,
      m.username,
      m.role,
      m.joinedAt.toISOString().slice(0, 10),
      m.shareContact ? m.email : '',
      m.shareContact ? (m.phone ?? '') : '',
    ]);
    return { filename: `${group.handle}-members.csv`, csv: csvTable(['display_name', 'username', 'role', 'joined_at', 'email', 'phone'], rows) };
  }

  /**
   * Joins an open group, asks to join one on request, or accepts an invitation to an
   * invite-only group. Returns the viewer's new standing.
   */
  async join(actor: Actor | null, groupId: string, input: unknown = {}): Promise<GroupRole | 'requested'> {
    const a = requireActor(actor);
    const group = await this.#group(groupId);
    const v = parse(joinSchema, input ?? {});
    if (group.host) return this.#askRemote(a, group, v);
    const result = await this.#db.tx(async () => {
      const existing = await this.#repo.role(group.id, a.userId);
      if (existing) return existing;
      const invited = await this.#repo.invitationFor(group.id, a.userId);
      if (group.openness === 'open' || invited) {
        await this.#repo.addMember(group.id, a.userId, 'member', v.shareContact, new Date());
        await this.#repo.deleteInvitationsFor(group.id, a.userId);
        await this.#repo.takeJoinRequest(group.id, a.userId);
        return 'member' as const;
      }
      if (group.openness === 'invite') throw fail.forbidden('group.invite_only');
      if (group.joinQuestion && !v.answer) throw fail.invalid({ answer: 'group.answer_required' });
      if (!(await this.#repo.insertJoinRequest(group.id, a.userId, v.answer, v.shareContact, new Date()))) return 'requested' as const;
      await this.#notifications.notifyAll(await this.#repo.organizerIds(group.id), { type: 'group_join_request', actorId: a.userId, groupId: group.id });
      return 'requested' as const;
    });
    if (result === 'member') await this.#membershipChanged(group.id, a.userId);
    return result;
  }

  /**
   * A group of another server decides who joins it: the request is kept here, and the publisher
   * sends a Join; membership starts when the group's Accept arrives (joinAnswered).
   */
  async #askRemote(a: Actor, group: GroupRow, v: { answer: string; shareContact: boolean }): Promise<GroupRole | 'requested'> {
    const result = await this.#db.tx(async () => {
      const existing = await this.#repo.role(group.id, a.userId);
      if (existing) return existing;
      return (await this.#repo.insertJoinRequest(group.id, a.userId, v.answer, v.shareContact, new Date())) ? ('sent' as const) : ('requested' as const);
    });
    if (result === 'sent') this.#events.emit('group.remote_join', { groupId: group.id, userId: a.userId });
    return result === 'sent' ? 'requested' : result;
  }

  /**
   * Someone of another server asks to join a group here (a Join): the same rules as for members
   * (open: in at once; on request: organizers decide; invite-only: only if invited). Returns their
   * standing, null when refused; the publisher answers with Accept or Reject.
   */
  async remoteJoin(personId: string, groupId: string, joinUri: string): Promise<GroupRole | 'requested' | null> {
    const group = await this.#repo.byId(groupId);
    const person = await this.#accounts.userById(personId);
    if (!group || group.host || !person?.host || person.status !== 'active') return null;
    const result = await this.#db.tx(async () => {
      const existing = await this.#repo.role(group.id, personId);
      if (existing) {
        await this.#repo.setUri('member', group.id, personId, joinUri);
        return existing;
      }
      const invited = await this.#repo.invitationFor(group.id, personId);
      if (group.openness === 'open' || invited) {
        await this.#repo.addMember(group.id, personId, 'member', false, new Date(), joinUri);
        await this.#repo.deleteInvitationsFor(group.id, personId);
        await this.#repo.takeJoinRequest(group.id, personId);
        return 'member' as const;
      }
      if (group.openness === 'invite') return null;
      if (await this.#repo.insertJoinRequest(group.id, personId, '', false, new Date(), joinUri))
        await this.#notifications.notifyAll(await this.#repo.organizerIds(group.id), { type: 'group_join_request', actorId: personId, groupId: group.id });
      else await this.#repo.setUri('request', group.id, personId, joinUri);
      return 'requested' as const;
    });
    if (result !== 'requested') this.#events.emit('group.answered', { groupId: group.id, userId: personId, approved: result !== null, joinUri });
    if (result === 'member') await this.#membershipChanged(group.id, personId);
    return result;
  }

  /** Someone of another server leaves a group here, or withdraws their request (a Leave). */
  async remoteLeave(personId: string, groupId: string): Promise<void> {
    const group = await this.#repo.byId(groupId);
    if (!group || group.host) return;
    const left = await this.#db.tx(async () => (await this.#repo.takeJoinRequest(group.id, personId)) !== null || (await this.#repo.removeMember(group.id, personId)));
    if (left) await this.#membershipChanged(group.id, personId);
  }

  /** Someone of another server follows a group here (its public posts), or stops (Follow, Undo). */
  async remoteFollow(personId: string, groupId: string, follow: boolean, followUri: string | null): Promise<boolean> {
    const group = await this.#repo.byId(groupId);
    if (!group || group.host) return false;
    await this.#db.tx(() => this.#repo.setFollow(group.id, personId, follow, new Date(), followUri));
    return true;
  }

  /** The answer of a group of another server to a member's Join (a Reject also ends a membership). */
  async joinAnswered(groupId: string, userId: string, approved: boolean): Promise<boolean> {
    const group = await this.#repo.byId(groupId);
    if (!group?.host) return false;
    const changed = await this.#db.tx(async () => {
      const request = await this.#repo.takeJoinRequest(group.id, userId);
      if (approved) return request ? this.#repo.addMember(group.id, userId, 'member', request.shareContact, new Date(), request.uri) : false;
      return (await this.#repo.removeMember(group.id, userId)) || request !== null;
    });
    if (!changed) return false;
    await this.#notifications.notify({ userId, type: approved ? 'group_join_approved' : 'group_join_declined', actorId: null, groupId: group.id });
    await this.#membershipChanged(group.id, userId);
    return true;
  }

  /** Joins with an invitation link (the token from the URL). */
  async joinWithLink(actor: Actor | null, token: unknown, input: unknown = {}): Promise<GroupSummary> {
    const a = requireActor(actor);
    if (typeof token !== 'string' || token.length < 10 || token.length > 64) throw fail.gone('group.invitation_invalid');
    const invitation = await this.#repo.invitationByToken(hashSecret(token));
    if (!invitation) throw fail.gone('group.invitation_invalid');
    const v = parse(joinSchema, input ?? {});
    const group = (await this.#repo.byId(invitation.groupId))!;
    const added = await this.#db.tx(() => this.#repo.addMember(group.id, a.userId, 'member', v.shareContact, new Date()));
    if (added) {
      await this.#db.tx(() => this.#repo.takeJoinRequest(group.id, a.userId));
      await this.#membershipChanged(group.id, a.userId);
    }
    return this.#summary((await this.#repo.byId(group.id))!, await this.#repo.role(group.id, a.userId));
  }

  /** The group an invitation link leads to, for the page that asks to confirm (null if invalid). */
  async invitationTarget(token: unknown): Promise<GroupSummary | null> {
    if (typeof token !== 'string' || token.length < 10 || token.length > 64) return null;
    const invitation = await this.#repo.invitationByToken(hashSecret(token));
    const group = invitation ? await this.#repo.byId(invitation.groupId) : undefined;
    return group ? this.#summary(group) : null;
  }

  /** Leaves a group. The last admin must first hand over. */
  async leave(actor: Actor | null, groupId: string): Promise<void> {
    const a = requireActor(actor);
    const group = await this.#group(groupId);
    const joinUri = await this.#db.tx(async () => {
      const membership = await this.#repo.membership(group.id, a.userId);
      if (!membership) {
        // Withdrawing a pending request is leaving too.
        const request = await this.#repo.takeJoinRequest(group.id, a.userId);
        if (request) return request.uri;
        throw fail.notFound('group.not_member');
      }
      if (membership.role === 'admin' && (await this.#repo.countAdmins(group.id)) <= 1) throw fail.conflict('group.last_admin');
      await this.#repo.removeMember(group.id, a.userId);
      return membership.uri;
    });
    if (group.host) this.#events.emit('group.remote_leave', { groupId: group.id, userId: a.userId, joinUri });
    await this.#membershipChanged(group.id, a.userId);
  }

  /** Pending join requests (organizers). */
  async requests(actor: Actor | null, groupId: string) {
    const a = requireActor(actor);
    const group = await this.#group(groupId);
    await this.#require(a, group, 'organizer');
    return (await this.#repo.joinRequests(group.id)).map((r) => ({ ...memberSummary(r), answer: r.answer, createdAt: r.createdAt }));
  }

  /** Approves or declines a join request (organizers); the requester is told either way. */
  async decide(actor: Actor | null, groupId: string, userId: string, approve: boolean): Promise<void> {
    const a = requireActor(actor);
    const group = await this.#group(groupId);
    await this.#require(a, group, 'organizer');
    const joinUri = await this.#db.tx(async () => {
      const request = await this.#repo.takeJoinRequest(group.id, String(userId));
      if (!request) throw fail.conflict('group.request_gone');
      if (approve) await this.#repo.addMember(group.id, request.userId, 'member', request.shareContact, new Date(), request.uri);
      await this.#notifications.notify({ userId: request.userId, type: approve ? 'group_join_approved' : 'group_join_declined', actorId: a.userId, groupId: group.id });
      return request.uri;
    });
    // A request from another server is answered there (Accept or Reject of its Join).
    if (joinUri) this.#events.emit('group.answered', { groupId: group.id, userId: String(userId), approved: approve, joinUri });
    if (approve) await this.#membershipChanged(group.id, String(userId));
  }

  /** Invites a member of the instance (organizers); they are notified and join with one click. */
  async invite(actor: Actor | null, groupId: string, username: unknown): Promise<void> {
    const a = requireActor(actor);
    const group = await this.#group(groupId);
    await this.#require(a, group, 'organizer');
    const invitee = typeof username === 'string' ? await this.#accounts.userByUsername(username.trim().replace(/^@/, '').toLowerCase()) : undefined;
    if (!invitee || invitee.status !== 'active') throw fail.invalid({ username: 'group.invitee_unknown' });
    if (await this.#repo.role(group.id, invitee.id)) throw fail.conflict('group.already_member', { username: 'group.already_member' });
    await this.#db.tx(async () => {
      if (await this.#repo.invitationFor(group.id, invitee.id)) return;
      const now = new Date();
      await this.#repo.insertInvitation({ id: newId(), groupId: group.id, inviterId: a.userId, inviteeId: invitee.id, tokenHash: null, createdAt: now, expiresAt: new Date(now.getTime() + INVITATION_DAYS * 86_400_000) });
      await this.#notifications.notify({ userId: invitee.id, type: 'group_invitation', actorId: a.userId, groupId: group.id });
    });
  }

  /** Declines a personal invitation. */
  async declineInvitation(actor: Actor | null, groupId: string): Promise<void> {
    const a = requireActor(actor);
    const group = await this.#group(groupId);
    await this.#db.tx(() => this.#repo.deleteInvitationsFor(group.id, a.userId));
  }

  /** Creates an invitation link valid 14 days (organizers); the token is shown once. */
  async createLink(actor: Actor | null, groupId: string): Promise<{ id: string; token: string; expiresAt: Date }> {
    const a = requireActor(actor);
    const group = await this.#group(groupId);
    await this.#require(a, group, 'organizer');
    const token = newSecret();
    const now = new Date();
    const row = { id: newId(), groupId: group.id, inviterId: a.userId, inviteeId: null, tokenHash: hashSecret(token), createdAt: now, expiresAt: new Date(now.getTime() + INVITATION_DAYS * 86_400_000) };
    await this.#db.tx(() => this.#repo.insertInvitation(row));
    return { id: row.id, token, expiresAt: row.expiresAt };
  }

  async links(actor: Actor | null, groupId: string) {
    const a = requireActor(actor);
    const group = await this.#group(groupId);
    await this.#require(a, group, 'organizer');
    return (await this.#repo.linkInvitations(group.id)).map((i) => ({ id: i.id, createdAt: i.createdAt, expiresAt: i.expiresAt }));
  }

  async revokeLink(actor: Actor | null, groupId: string, invitationId: string): Promise<void> {
    const a = requireActor(actor);
    const group = await this.#group(groupId);
    await this.#require(a, group, 'organizer');
    if (!(await this.#db.tx(() => this.#repo.deleteInvitation(group.id, String(invitationId))))) throw fail.notFound();
  }

  /** Changes a member's role (admins). The group always keeps an admin. */
  async setRole(actor: Actor | null, groupId: string, userId: string, input: unknown): Promise<void> {
    const a = requireActor(actor);
    const group = await this.#group(groupId);
    await this.#require(a, group, 'admin');
    const { role } = parse(z.object({ role: z.enum(['member', 'organizer', 'admin'], { error: 'validation.invalid' }) }), input);
    await this.#db.tx(async () => {
      const current = await this.#repo.role(group.id, String(userId));
      if (!current) throw fail.notFound('group.not_member');
      if (current === 'admin' && role !== 'admin' && (await this.#repo.countAdmins(group.id)) <= 1) throw fail.conflict('group.last_admin');
      await this.#repo.setRole(group.id, String(userId), role);
    });
  }

  /** Removes a member (organizers; only admins remove organizers and admins). */
  async remove(actor: Actor | null, groupId: string, userId: string): Promise<void> {
    const a = requireActor(actor);
    const group = await this.#group(groupId);
    const mine = await this.#require(a, group, 'organizer');
    if (userId === a.userId) throw fail.invalid({ userId: 'group.use_leave' });
    const joinUri = await this.#db.tx(async () => {
      const membership = await this.#repo.membership(group.id, String(userId));
      if (!membership) throw fail.notFound('group.not_member');
      const theirs = membership.role;
      if (RANK[theirs] >= RANK.organizer && mine !== 'admin') throw fail.forbidden('group.role_required');
      if (theirs === 'admin' && (await this.#repo.countAdmins(group.id)) <= 1) throw fail.conflict('group.last_admin');
      await this.#repo.removeMember(group.id, String(userId));
      return membership.uri;
    });
    // Someone of another server is told there (a Reject of the Join that made them a member).
    if (joinUri) this.#events.emit('group.answered', { groupId: group.id, userId: String(userId), approved: false, joinUri });
    await this.#membershipChanged(group.id, String(userId));
  }

  /** The member's consent to show their email and phone to the group's organizers. */
  async setShareContact(actor: Actor | null, groupId: string, input: unknown): Promise<void> {
    const a = requireActor(actor);
    const group = await this.#group(groupId);
    const { shareContact } = parse(z.object({ shareContact: checkbox }), input);
    if (!(await this.#db.tx(() => this.#repo.setShareContact(group.id, a.userId, shareContact)))) throw fail.notFound('group.not_member');
  }

  /** Follows a group's public posts without joining. */
  async follow(actor: Actor | null, groupId: string, follow: boolean): Promise<void> {
    const a = requireActor(actor);
    const group = await this.#group(groupId);
    const before = await this.#repo.follow(group.id, a.userId);
    await this.#db.tx(() => this.#repo.setFollow(group.id, a.userId, follow, new Date()));
    // A group of another server is followed there (a Follow, or its Undo).
    if (group.host && Boolean(before) !== follow) this.#events.emit('group.remote_follow', { groupId: group.id, userId: a.userId, follow, uri: before?.uri ?? null });
    await this.#membershipChanged(group.id, a.userId);
  }

  /** Pins one of the group's posts at the top of its page (organizers); null unpins. */
  async pin(actor: Actor | null, groupId: string, postId: string | null): Promise<void> {
    const a = requireActor(actor);
    const group = await this.#group(groupId);
    await this.#require(a, group, 'organizer');
    if (postId) {
      const post = await this.#posts.byId(String(postId));
      if (!post || post.groupId !== group.id) throw fail.invalid({ postId: 'group.pin_not_in_group' });
    }
    await this.#db.tx(() => this.#repo.update(group.id, { pinnedPostId: postId || null }));
  }

  /** Deletes the group, its posts and memberships (admins). */
  async delete(actor: Actor | null, groupId: string, input: unknown): Promise<void> {
    const a = requireActor(actor);
    const group = await this.#group(groupId);
    await this.#require(a, group, 'admin');
    const { confirm } = parse(z.object({ confirm: z.string().max(100) }), input);
    if (confirm.trim().toLowerCase() !== group.handle) throw fail.invalid({ confirm: 'group.delete_confirm_mismatch' });
    const members = await this.#repo.memberIds(group.id);
    const { postImages, posts } = this.#db.t;
    const images = await this.#db.q
      .select({ key: postImages.mediaKey })
      .from(postImages)
      .innerJoin(posts, eq(posts.id, postImages.postId))
      .where(eq(posts.groupId, group.id));
    await this.#db.tx(() => this.#repo.delete(group.id));
    for (const key of [group.avatarKey, group.bannerKey, ...images.map((i) => i.key)]) await this.#media.delete(key);
    for (const userId of members) this.#events.emit('group.membership', { groupId: group.id, userId, member: false, following: false });
  }

  /** Groups whose new posts a member receives live: as a member, or as a follower. */
  async liveGroups(userId: string): Promise<{ member: string[]; following: string[] }> {
    const { groupFollows: f } = this.#db.t;
    const following = (await this.#db.q.select({ id: f.groupId }).from(f).where(eq(f.userId, userId))).map((r) => r.id);
    return { member: await this.#repo.groupIdsOf(userId), following };
  }

  /** Announces a member's new standing with a group (live rooms follow it). */
  async #membershipChanged(groupId: string, userId: string) {
    const member = (await this.#repo.role(groupId, userId)) !== null;
    const following = await this.#repo.follows(groupId, userId);
    this.#events.emit('group.membership', { groupId, userId, member, following });
  }

  /** The actor's groups and invitations. */
  async mine(actor: Actor | null) {
    const a = requireActor(actor);
    const groups = (await this.#repo.groupsOf(a.userId)).map((g) => this.#summary(g, g.role));
    const invitations = (await this.#repo.invitationsOf(a.userId)).map((i) => this.#summary(i.group));
    return { groups, invitations };
  }

  /** The directory: by name, commune, département, or distance from the viewer's commune. */
  async directory(viewer: Actor | null, input: unknown = {}): Promise<{ groups: GroupSummary[]; more: boolean; near: boolean }> {
    const v = parse(directorySchema, input ?? {});
    let center: { lat: number; lon: number } | null = null;
    if (v.km) {
      const me = viewer ? await this.#accounts.userById(viewer.userId) : undefined;
      if (me?.lat !== null && me?.lat !== undefined && me.lon !== null) center = { lat: me.lat, lon: me.lon };
      else throw fail.invalid({ km: 'group.no_commune' });
    }
    const box = center
      ? (() => {
          const dLat = v.km! / 111;
          const dLon = v.km! / (111 * Math.max(0.2, Math.cos((center.lat * Math.PI) / 180)));
          return { minLat: center.lat - dLat, maxLat: center.lat + dLat, minLon: center.lon - dLon, maxLon: center.lon + dLon };
        })()
      : undefined;
    const rows = await this.#repo.search({
      text: v.q ? normalizeForSearch(v.q) : undefined,
      communeCode: v.commune || undefined,
      departementCode: v.departement || undefined,
      box,
      limit: center ? 500 : DIRECTORY_PAGE + 1,
      offset: center ? 0 : (v.page - 1) * DIRECTORY_PAGE,
    });
    let list = rows.map((g) => ({ g, d: center && g.lat !== null && g.lon !== null ? distanceKm(center, { lat: g.lat, lon: g.lon }) : undefined }));
    if (center) {
      list = list.filter((x) => x.d !== undefined && x.d <= v.km!).sort((x, y) => x.d! - y.d!);
      list = list.slice((v.page - 1) * DIRECTORY_PAGE, v.page * DIRECTORY_PAGE + 1);
    }
    const statuses = viewer ? await this.#repo.statusesOf(viewer.userId, list.map((x) => x.g.id)) : new Map();
    return {
      groups: list.slice(0, DIRECTORY_PAGE).map(({ g, d }) => ({
        ...this.#summary(g, viewer ? (statuses.get(g.id) ?? null) : undefined),
        ...(d !== undefined ? { distanceKm: Math.round(d) } : {}),
      })),
      more: list.length > DIRECTORY_PAGE,
      near: center !== null,
    };
  }

  /** Groups near the actor's commune that they have not joined (home page of a new member). */
  async nearMe(actor: Actor | null, limit = 5): Promise<GroupSummary[]> {
    const a = requireActor(actor);
    const me = await this.#accounts.userById(a.userId);
    if (!me || me.lat === null || me.lon === null) return [];
    for (const km of [15, 50, 150]) {
      const { groups } = await this.directory(a, { km });
      const open = groups.filter((g) => !g.status);
      if (open.length) return open.slice(0, limit);
    }
    return [];
  }
}
