// Friends and blocks. A friendship starts as a request the other member accepts or declines;
// either side can cancel or end it. Blocking ends everything between two members, hides each
// from the other, and tells the blocked member nothing. Who may send requests and who sees a
// friend list are the member's own settings.
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import type { EventBus } from '../events.ts';
import { fail } from '../errors.ts';
import { parse } from '../validation.ts';
import { type Actor, requireActor } from '../accounts/actor.ts';
import type { AccountsRepository, UserRow } from '../accounts/repository.ts';
import { distanceKm } from '../geo/communes.ts';
import type { NotificationService } from '../notifications/service.ts';
import { memberSummary, type MemberSummary } from '../profiles/summary.ts';
import { isSkill, type Skill } from '../profiles/skills.ts';
import type { RateLimits } from '../security/rate-limits.ts';
import type { FriendsRepository } from './repository.ts';

/** How two members stand, seen by the first. 'blocked': the viewer blocked the other. */
export type Relation = 'self' | 'friends' | 'request_sent' | 'request_received' | 'none' | 'blocked';

export interface RelationView {
  relation: Relation;
  /** Whether the viewer may send a request now (settings of the other member, blocks). */
  canRequest: boolean;
  mutualFriends: number;
}

export interface Suggestion extends MemberSummary {
  reason: 'mutual_friends' | 'same_groups' | 'nearby';
  count?: number;
  distanceKm?: number;
  skills?: Skill[];
}

const targetSchema = z.object({ userId: z.string().min(1).max(64) });
const suggestionsSchema = z.object({
  skill: z.string().optional().refine((s) => !s || isSkill(s), 'skills.invalid'),
  km: z.coerce.number().int().min(1).max(200).optional().default(30),
});
const PAGE = 50;

export class FriendService {
  readonly #db: Database;
  readonly #repo: FriendsRepository;
  readonly #accounts: AccountsRepository;
  readonly #notifications: NotificationService;
  readonly #events: EventBus;
  readonly #limits: RateLimits;

  constructor(d: { db: Database; repo: FriendsRepository; accounts: AccountsRepository; notifications: NotificationService; events: EventBus; limits: RateLimits }) {
    this.#limits = d.limits;
    this.#db = d.db;
    this.#repo = d.repo;
    this.#accounts = d.accounts;
    this.#notifications = d.notifications;
    this.#events = d.events;
  }

  /** Another active member, as seen by the actor; not found if absent, suspended or blocking. */
  async #other(actor: Actor, userId: unknown): Promise<UserRow> {
    const { userId: id } = parse(targetSchema, { userId });
    if (id === actor.userId) throw fail.invalid({ userId: 'friends.not_yourself' });
    const user = await this.#accounts.userById(id);
    if (!user || user.status !== 'active') throw fail.notFound();
    if (await this.#repo.hasBlocked(user.id, actor.userId)) throw fail.notFound();
    return user;
  }

  async #mayRequest(actor: Actor, target: UserRow): Promise<boolean> {
    if (await this.#repo.blockedEither(actor.userId, target.id)) return false;
    if (target.friendRequestsFrom === 'nobody') return false;
    if (target.friendRequestsFrom === 'friends_of_friends') return (await this.#repo.mutualCount(actor.userId, target.id)) > 0;
    return true;
  }

  /** How the actor stands with another member (for profile buttons). */
  async relation(actor: Actor | null, userId: string): Promise<RelationView> {
    const a = requireActor(actor);
    if (userId === a.userId) return { relation: 'self', canRequest: false, mutualFriends: 0 };
    const target = await this.#accounts.userById(userId);
    if (!target) throw fail.notFound();
    const mutualFriends = await this.#repo.mutualCount(a.userId, userId);
    if (await this.#repo.hasBlocked(a.userId, userId)) return { relation: 'blocked', canRequest: false, mutualFriends };
    if (await this.#repo.areFriends(a.userId, userId)) return { relation: 'friends', canRequest: false, mutualFriends };
    if (await this.#repo.request(a.userId, userId)) return { relation: 'request_sent', canRequest: false, mutualFriends };
    if (await this.#repo.request(userId, a.userId)) return { relation: 'request_received', canRequest: false, mutualFriends };
    return { relation: 'none', canRequest: await this.#mayRequest(a, target), mutualFriends };
  }

  /**
   * Asks another member to be friends. If they had already asked the actor, this accepts their
   * request instead (both want it). Returns the relation after the call.
   */
  async request(actor: Actor | null, userId: unknown): Promise<Relation> {
    const a = requireActor(actor);
    const target = await this.#other(a, userId);
    await this.#limits.consume(['friend-request:account', a.userId]);
    return this.#db.tx(async () => {
      if (await this.#repo.areFriends(a.userId, target.id)) throw fail.conflict('friends.already');
      if (await this.#repo.request(target.id, a.userId)) return this.#accept(a, target.id);
      if (!(await this.#mayRequest(a, target))) throw fail.forbidden('friends.requests_closed');
      if (!(await this.#repo.insertRequest(a.userId, target.id, new Date()))) throw fail.conflict('friends.already_requested');
      await this.#notifications.notify({ userId: target.id, type: 'friend_request', actorId: a.userId });
      this.#db.afterCommit(() => this.#events.emit('friend.requested', { fromId: a.userId, toId: target.id }));
      return 'request_sent' as const;
    });
  }

  async #accept(a: Actor, fromId: string): Promise<Relation> {
    const requestUri = (await this.#repo.request(fromId, a.userId))?.uri ?? null;
    if (!(await this.#repo.deleteRequest(fromId, a.userId))) throw fail.conflict('friends.request_gone');
    await this.#repo.deleteRequest(a.userId, fromId);
    await this.#repo.insertFriendship(a.userId, fromId, new Date());
    // Their Follow (from another server) now carries their side of the friendship.
    if (requestUri) await this.#repo.setFollowUri(fromId, a.userId, requestUri);
    await this.#notifications.notify({ userId: fromId, type: 'friend_accept', actorId: a.userId });
    this.#db.afterCommit(() => this.#events.emit('friend.accepted', { userId: a.userId, friendId: fromId, requestUri }));
    return 'friends';
  }

  /** Accepts a request the actor received. Racing a cancellation: one of them wins, cleanly. */
  async accept(actor: Actor | null, userId: unknown): Promise<Relation> {
    const a = requireActor(actor);
    const from = await this.#other(a, userId);
    return this.#db.tx(() => this.#accept(a, from.id));
  }

  /** Declines a request the actor received. The requester is not told. */
  async decline(actor: Actor | null, userId: unknown): Promise<void> {
    const a = requireActor(actor);
    const { userId: id } = parse(targetSchema, { userId });
    const requestUri = (await this.#repo.request(id, a.userId))?.uri ?? null;
    if (!(await this.#db.tx(() => this.#repo.deleteRequest(id, a.userId)))) throw fail.notFound('friends.request_gone');
    this.#events.emit('friend.declined', { fromId: id, toId: a.userId, requestUri });
  }

  /** Withdraws a request the actor sent. */
  async cancel(actor: Actor | null, userId: unknown): Promise<void> {
    const a = requireActor(actor);
    const { userId: id } = parse(targetSchema, { userId });
    const requestUri = (await this.#repo.request(a.userId, id))?.uri ?? null;
    if (!(await this.#db.tx(() => this.#repo.deleteRequest(a.userId, id)))) throw fail.notFound('friends.request_gone');
    this.#events.emit('friend.withdrawn', { fromId: a.userId, toId: id, requestUri });
  }

  /** Ends a friendship (for both). */
  async unfriend(actor: Actor | null, userId: unknown): Promise<void> {
    const a = requireActor(actor);
    const { userId: id } = parse(targetSchema, { userId });
    const follows = await this.#repo.followUris(a.userId, id);
    if (!(await this.#db.tx(() => this.#repo.deleteFriendship(a.userId, id)))) throw fail.notFound();
    this.#events.emit('friend.ended', { userId: a.userId, otherId: id, ourFollow: follows.ours, theirFollow: follows.theirs });
  }

  /** Blocks a member: ends friendship and requests both ways; they are not told. */
  async block(actor: Actor | null, userId: unknown): Promise<void> {
    const a = requireActor(actor);
    const { userId: id } = parse(targetSchema, { userId });
    if (id === a.userId) throw fail.invalid({ userId: 'friends.not_yourself' });
    const target = await this.#accounts.userById(id);
    if (!target) throw fail.notFound();
    // What a block ends, for the other server when they live on one (they are not told of the block).
    const follows = await this.#repo.followUris(a.userId, id);
    const sent = (await this.#repo.request(a.userId, id))?.uri ?? null;
    const received = (await this.#repo.request(id, a.userId))?.uri ?? null;
    const wereFriends = await this.#repo.areFriends(a.userId, id);
    await this.#db.tx(() => this.#repo.insertBlock(a.userId, id, new Date()));
    if (wereFriends || sent || received)
      this.#events.emit('friend.ended', { userId: a.userId, otherId: id, ourFollow: follows.ours ?? sent, theirFollow: follows.theirs ?? received });
    this.#events.emit('user.updated', { userId: a.userId });
    this.#events.emit('relation.blocked', { blockerId: a.userId, blockedId: id });
  }

  async unblock(actor: Actor | null, userId: unknown): Promise<void> {
    const a = requireActor(actor);
    const { userId: id } = parse(targetSchema, { userId });
    if (!(await this.#db.tx(() => this.#repo.deleteBlock(a.userId, id)))) throw fail.notFound();
  }

  // -------------------------------------------------------------------------------------------
  // From other servers (decision 0017): a Follow is a friend request, its Accept the acceptance.
  // The federation layer has resolved and checked the remote person; the same rules apply.

  /**
   * A person of another server asks to be friends (a Follow). Answers what to tell their server:
   * `accept` (already friends, or the member had asked them first: the friendship is made),
   * `reject` (the member takes no requests from them), `pending` (the member decides), `ignore`
   * (a block: nothing is said).
   */
  async remoteRequest(remoteId: string, localId: string, followUri: string): Promise<'accept' | 'reject' | 'pending' | 'ignore'> {
    const local = await this.#accounts.userById(localId);
    if (!local || local.host || local.status !== 'active') return 'ignore';
    if (await this.#repo.blockedEither(remoteId, localId)) return 'ignore';
    return this.#db.tx(async () => {
      if (await this.#repo.areFriends(localId, remoteId)) {
        await this.#repo.setFollowUri(remoteId, localId, followUri);
        return 'accept' as const;
      }
      const mine = await this.#repo.request(localId, remoteId);
      if (mine) {
        // Crossed requests: the member asked first, this answers it.
        await this.#repo.deleteRequest(localId, remoteId);
        await this.#repo.insertFriendship(localId, remoteId, new Date());
        await this.#repo.setFollowUri(remoteId, localId, followUri);
        if (mine.uri) await this.#repo.setFollowUri(localId, remoteId, mine.uri);
        await this.#notifications.notify({ userId: localId, type: 'friend_accept', actorId: remoteId });
        return 'accept' as const;
      }
      if (local.friendRequestsFrom === 'nobody') return 'reject' as const;
      if (local.friendRequestsFrom === 'friends_of_friends' && (await this.#repo.mutualCount(localId, remoteId)) === 0) return 'reject' as const;
      if (await this.#repo.insertRequest(remoteId, localId, new Date(), followUri)) await this.#notifications.notify({ userId: localId, type: 'friend_request', actorId: remoteId });
      return 'pending' as const;
    });
  }

  /** Their server accepted the member's request (or the Follow that carries the friendship). */
  async remoteAccepted(remoteId: string, localId: string): Promise<void> {
    await this.#db.tx(async () => {
      const request = await this.#repo.request(localId, remoteId);
      if (!request) return;
      await this.#repo.deleteRequest(localId, remoteId);
      await this.#repo.deleteRequest(remoteId, localId);
      await this.#repo.insertFriendship(localId, remoteId, new Date());
      if (request.uri) await this.#repo.setFollowUri(localId, remoteId, request.uri);
      await this.#notifications.notify({ userId: localId, type: 'friend_accept', actorId: remoteId });
    });
  }

  /** Their server refused the member's request, or ended the friendship (Reject, Undo). */
  async remoteEnded(remoteId: string, localId: string): Promise<void> {
    await this.#db.tx(async () => {
      await this.#repo.deleteRequest(localId, remoteId);
      await this.#repo.deleteRequest(remoteId, localId);
      await this.#repo.deleteFriendship(localId, remoteId);
    });
  }

  /**
   * A member's friend list, if the viewer may see it: public, members of the instance, friends
   * only, or the member alone (their setting). Members who block the viewer are left out.
   */
  async friendsOf(viewer: Actor | null, username: string, page = 1): Promise<{ friends: MemberSummary[]; total: number; more: boolean }> {
    const owner = typeof username === 'string' ? await this.#accounts.userByUsername(username.toLowerCase()) : undefined;
    if (!owner || owner.status !== 'active') throw fail.notFound();
    if (viewer && (await this.#repo.blockedEither(viewer.userId, owner.id))) throw fail.notFound();
    const isOwner = viewer?.userId === owner.id;
    const allowed =
      isOwner ||
      owner.friendListVisibility === 'public' ||
      (owner.friendListVisibility === 'members' && viewer !== null) ||
      (owner.friendListVisibility === 'friends' && viewer !== null && (await this.#repo.areFriends(viewer.userId, owner.id)));
    if (!allowed) throw fail.forbidden('friends.list_hidden');
    const exclude = viewer ? await this.#repo.blockedIds(viewer.userId) : [];
    const p = Math.max(1, Math.min(1000, Math.floor(Number(page)) || 1));
    const rows = await this.#repo.friendsOf(owner.id, exclude, PAGE + 1, (p - 1) * PAGE);
    return { friends: rows.slice(0, PAGE).map(memberSummary), total: await this.#repo.countFriends(owner.id), more: rows.length > PAGE };
  }

  /** The actor's requests (received and sent) and the members they block. */
  async overview(actor: Actor | null) {
    const a = requireActor(actor);
    const [incoming, outgoing, blocked] = await Promise.all([
      this.#repo.requests(a.userId, 'incoming'),
      this.#repo.requests(a.userId, 'outgoing'),
      this.#repo.blockedBy(a.userId),
    ]);
    const view = (rows: (Parameters<typeof memberSummary>[0] & { createdAt: Date })[]) => rows.map((r) => ({ ...memberSummary(r), since: r.createdAt }));
    return { incoming: view(incoming), outgoing: view(outgoing), blocked: view(blocked) };
  }

  /**
   * People the actor may want to befriend: friends of friends (by friends in common), members
   * of the same groups, and searchable members near the actor's commune — with a skill, if one
   * is asked for. Never: friends, pending requests, blocks either way, members who opted out of
   * suggestions.
   */
  async suggestions(actor: Actor | null, input: unknown = {}): Promise<Suggestion[]> {
    const a = requireActor(actor);
    const v = parse(suggestionsSchema, input ?? {});
    const me = await this.#accounts.userById(a.userId);
    if (!me) throw fail.unauthenticated();
    const pending = [...(await this.#repo.requests(a.userId, 'incoming')), ...(await this.#repo.requests(a.userId, 'outgoing'))].map((r) => r.id);
    const exclude = [a.userId, ...(await this.#repo.friendIds(a.userId)), ...(await this.#repo.blockedIds(a.userId)), ...pending];
    const out: Suggestion[] = [];
    const seen = new Set(exclude);
    const add = async (ids: { id: string; n: number }[], reason: Suggestion['reason']) => {
      const summaries = new Map((await this.#repo.suggestable(ids.map((i) => i.id))).map((s) => [s.id, s]));
      for (const { id, n } of ids) {
        const s = summaries.get(id);
        if (!s || seen.has(id)) continue;
        seen.add(id);
        out.push({ ...memberSummary(s), reason, count: n });
      }
    };
    if (!v.skill) {
      await add((await this.#repo.friendsOfFriends(a.userId, exclude, 12)).map((r) => ({ id: r.id, n: r.mutual })), 'mutual_friends');
      await add((await this.#repo.sameGroups(a.userId, exclude, 12)).map((r) => ({ id: r.id, n: r.shared })), 'same_groups');
    }
    if (me.lat !== null && me.lon !== null) {
      const center = { lat: me.lat, lon: me.lon };
      const near = await this.#repo.nearby(center, v.km, { exclude: [...seen], skill: v.skill, limit: 200 });
      const ranked = near
        .map((n) => ({ n, d: distanceKm(center, { lat: n.lat!, lon: n.lon! }) }))
        .filter((x) => x.d <= v.km)
        .sort((x, y) => x.d - y.d)
        .slice(0, 24);
      for (const { n, d } of ranked) {
        seen.add(n.id);
        let skills: Skill[] = [];
        try {
          skills = (JSON.parse(n.skills) as unknown[]).filter(isSkill);
        } catch {
          skills = [];
        }
        // The distance says where someone lives: only for members who show their commune.
        out.push({ ...memberSummary(n), reason: 'nearby', ...(n.showCommune ? { distanceKm: Math.round(d) } : {}), skills });
      }
    }
    return out;
  }
}
