// Profiles: what a member shows of themselves, and to whom.
//   - display name, username and picture: everyone (they identify the member on the network);
//   - bio and skills: members of this instance, and everyone if the member made them public;
//   - commune: members of this instance if the member chose to show it; the member themself;
//   - a suspended member's profile: staff only.
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import type { EventBus } from '../events.ts';
import { fail } from '../errors.ts';
import { isLocale } from '../../web/lib/i18n/index.ts';
import type { MediaStore } from '../media/store.ts';
import { processAvatar } from '../media/images.ts';
import type { RateLimits } from '../security/rate-limits.ts';
import { checkbox, parse, postalCode, text } from '../validation.ts';
import { type Actor, requireActor, type UserRole } from '../accounts/actor.ts';
import { resolveCommune } from '../accounts/commune.ts';
import type { AccountsRepository, UserRow } from '../accounts/repository.ts';
import { RESERVED_USERNAMES, USERNAME_RE } from '../accounts/usernames.ts';
import { isSkill, MAX_SKILL_TAG_LENGTH, MAX_SKILL_TAGS, type Skill } from './skills.ts';
import { normalizeForSearch } from '../search/normalize.ts';
import type { FriendsRepository } from '../friends/repository.ts';

export const BIO_MAX = 500;

export interface ProfileView {
  id: string;
  username: string;
  displayName: string;
  avatarUrl: string | null;
  role: UserRole;
  /** Absent when the viewer may not see them. */
  bio?: string;
  skills?: Skill[];
  skillTags?: string[];
  commune?: { name: string; code: string } | null;
  memberSince?: Date;
  suspended?: boolean;
  /** True when the viewer sees less than members do (to say so on the page). */
  restricted: boolean;
  isSelf: boolean;
  /** Someone of another server: its name, and their page there. */
  remote: { host: string; url: string | null } | null;
}

/** The member's own full profile, for the settings page. */
export interface OwnProfile {
  id: string;
  username: string;
  displayName: string;
  email: string;
  bio: string;
  skills: Skill[];
  skillTags: string[];
  postalCode: string | null;
  communeCode: string | null;
  communeName: string | null;
  profilePublic: boolean;
  showCommune: boolean;
  locale: string;
  avatarUrl: string | null;
  hasPassword: boolean;
  role: UserRole;
  phone: string | null;
  friendRequestsFrom: 'everyone' | 'friends_of_friends' | 'nobody';
  friendListVisibility: 'public' | 'members' | 'friends' | 'only_me';
  searchable: boolean;
}

const tagList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')))
  .transform((tags) => [...new Set(tags.map((t) => t.normalize('NFC').trim().toLowerCase()).filter(Boolean))])
  .refine((tags) => tags.length <= MAX_SKILL_TAGS && tags.every((t) => t.length <= MAX_SKILL_TAG_LENGTH && !/[\u0000-\u001f]/.test(t)), {
    message: 'skill_tags.invalid',
  });

const skillList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]))
  .refine((list) => list.every(isSkill), { message: 'skills.invalid' })
  .transform((list) => [...new Set(list)] as Skill[]);

const updateSchema = z.object({
  displayName: text(60, 'display_name.invalid').pipe(z.string().min(1, 'display_name.invalid')).optional(),
  username: z
    .string()
    .trim()
    .toLowerCase()
    .regex(USERNAME_RE, 'username.invalid')
    .refine((u) => !RESERVED_USERNAMES.has(u), 'username.reserved')
    .optional(),
  bio: text(BIO_MAX, 'bio.too_long').optional(),
  skills: skillList.optional(),
  skillTags: tagList.optional(),
  // Empty: the member no longer gives a commune (data minimisation).
  postalCode: z.union([z.literal(''), postalCode]).optional(),
  communeCode: z.string().trim().max(5).optional().nullable(),
  profilePublic: checkbox.optional(),
  showCommune: checkbox.optional(),
  locale: z.string().refine(isLocale, 'validation.invalid').optional(),
  phone: z
    .string()
    .trim()
    .max(30, 'phone.invalid')
    .regex(/^(\+?[0-9][0-9 .()-]{5,28})?$/, 'phone.invalid')
    .optional(),
  friendRequestsFrom: z.enum(['everyone', 'friends_of_friends', 'nobody'], { error: 'validation.invalid' }).optional(),
  friendListVisibility: z.enum(['public', 'members', 'friends', 'only_me'], { error: 'validation.invalid' }).optional(),
  searchable: checkbox.optional(),
});

const parseJsonList = (raw: string): string[] => {
  try {
    const v = JSON.parse(raw);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
};

export class ProfileService {
  readonly #db: Database;
  readonly #repo: AccountsRepository;
  readonly #media: MediaStore;
  readonly #limits: RateLimits;
  readonly #events: EventBus;
  readonly #uploadLimit: number;
  readonly #friends: FriendsRepository;

  constructor(deps: {
    db: Database;
    repo: AccountsRepository;
    friends: FriendsRepository;
    media: MediaStore;
    limits: RateLimits;
    events: EventBus;
    uploadLimitBytes: number;
  }) {
    this.#friends = deps.friends;
    this.#db = deps.db;
    this.#repo = deps.repo;
    this.#media = deps.media;
    this.#limits = deps.limits;
    this.#events = deps.events;
    this.#uploadLimit = deps.uploadLimitBytes;
  }

  static avatarUrl(user: Pick<UserRow, 'avatarKey'>): string | null {
    return user.avatarKey ? `/media/${user.avatarKey}` : null;
  }

  /** A profile as the viewer may see it; not found for unknown (or, to non-staff, suspended) members. */
  async view(viewer: Actor | null, username: string): Promise<ProfileView> {
    const user = typeof username === 'string' ? await this.#repo.userByUsername(username.toLowerCase()) : undefined;
    if (!user) throw fail.notFound();
    const isSelf = viewer?.userId === user.id;
    const isStaff = viewer?.role === 'admin' || viewer?.role === 'moderator';
    if (user.status !== 'active' && !isStaff) throw fail.notFound();
    // A member who blocked the viewer does not exist for them.
    if (viewer && !isSelf && (await this.#friends.hasBlocked(user.id, viewer.userId))) throw fail.notFound();
    const member = viewer !== null;
    const seesDetails = member || user.profilePublic;
    const { remoteActors: ra } = this.#db.t;
    const remote = user.host
      ? { host: user.host, url: (await this.#db.q.select({ url: ra.url }).from(ra).where(eq(ra.id, user.id)))[0]?.url ?? null }
      : null;
    return {
      id: user.id,
      username: user.username,
      displayName: user.displayName,
      avatarUrl: user.host ? await this.#remoteAvatar(user.id) : ProfileService.avatarUrl(user),
      role: user.role,
      ...(seesDetails ? { bio: user.bio, skills: parseJsonList(user.skills).filter(isSkill), skillTags: parseJsonList(user.skillTags) } : {}),
      ...(member ? { memberSince: user.createdAt } : {}),
      ...((isSelf || (member && user.showCommune)) && user.communeCode
        ? { commune: { name: user.communeName ?? '', code: user.communeCode } }
        : {}),
      ...(user.status !== 'active' ? { suspended: true } : {}),
      restricted: !seesDetails,
      isSelf,
      remote,
    };
  }

  /** The picture of someone of another server, through the media proxy (set by services.ts). */
  #remoteAvatar: (userId: string) => Promise<string | null> = async () => null;
  useRemoteMedia(avatar: (userId: string) => Promise<string | null>): void {
    this.#remoteAvatar = avatar;
  }

  /** The username behind an actor id, for a browser that opened an actor URL. */
  async usernameOf(userId: string): Promise<string> {
    const user = typeof userId === 'string' ? await this.#repo.userById(userId) : undefined;
    if (!user || user.status !== 'active') throw fail.notFound();
    return user.username;
  }

  /** How many members the instance has (home page). */
  memberCount(): Promise<number> {
    return this.#repo.countUsers();
  }

  /** The actor's own profile and settings. */
  async own(actor: Actor | null): Promise<OwnProfile> {
    const a = requireActor(actor);
    const u = await this.#repo.userById(a.userId);
    if (!u) throw fail.unauthenticated();
    return {
      id: u.id,
      username: u.username,
      displayName: u.displayName,
      email: u.email,
      bio: u.bio,
      skills: parseJsonList(u.skills).filter(isSkill),
      skillTags: parseJsonList(u.skillTags),
      postalCode: u.postalCode,
      communeCode: u.communeCode,
      communeName: u.communeName,
      profilePublic: u.profilePublic,
      showCommune: u.showCommune,
      locale: u.locale,
      avatarUrl: ProfileService.avatarUrl(u),
      hasPassword: u.passwordHash !== null,
      role: u.role,
      phone: u.phone,
      friendRequestsFrom: u.friendRequestsFrom,
      friendListVisibility: u.friendListVisibility,
      searchable: u.searchable,
    };
  }

  /** Updates the actor's own profile; only the fields given change. */
  async update(actor: Actor | null, input: unknown): Promise<OwnProfile> {
    const a = requireActor(actor);
    const v = parse(updateSchema, input);
    const patch: Record<string, unknown> = {};
    if (v.displayName !== undefined) patch.displayName = v.displayName;
    if (v.bio !== undefined) patch.bio = v.bio;
    if (v.skills !== undefined) patch.skills = JSON.stringify(v.skills);
    if (v.skillTags !== undefined) patch.skillTags = JSON.stringify(v.skillTags);
    if (v.profilePublic !== undefined) patch.profilePublic = v.profilePublic;
    if (v.showCommune !== undefined) patch.showCommune = v.showCommune;
    if (v.locale !== undefined) patch.locale = v.locale;
    if (v.phone !== undefined) patch.phone = v.phone || null;
    if (v.friendRequestsFrom !== undefined) patch.friendRequestsFrom = v.friendRequestsFrom;
    if (v.friendListVisibility !== undefined) patch.friendListVisibility = v.friendListVisibility;
    if (v.searchable !== undefined) patch.searchable = v.searchable;
    if (v.postalCode === '') {
      Object.assign(patch, { postalCode: null, communeCode: null, communeName: null, departementCode: null, lat: null, lon: null });
    } else if (v.postalCode !== undefined) {
      const c = resolveCommune(v.postalCode, v.communeCode ?? null);
      Object.assign(patch, { postalCode: v.postalCode, communeCode: c.code, communeName: c.name, departementCode: c.departementCode, lat: c.lat, lon: c.lon });
    }
    await this.#db.tx(async () => {
      const current = await this.#repo.userById(a.userId);
      if (!current) throw fail.unauthenticated();
      if (v.username !== undefined && v.username !== current.username) {
        if (await this.#repo.usernameTaken(v.username, a.userId)) throw fail.conflict('username.taken', { username: 'username.taken' });
        patch.username = v.username;
      }
      if (patch.displayName !== undefined || patch.username !== undefined) {
        patch.searchName = normalizeForSearch(`${(patch.displayName as string) ?? current.displayName} ${(patch.username as string) ?? current.username}`);
      }
      if (Object.keys(patch).length) await this.#repo.updateUser(a.userId, patch);
    });
    this.#events.emit('user.updated', { userId: a.userId });
    return this.own(a);
  }

  /** Replaces the actor's picture with a re-encoded, metadata-free square. */
  async setAvatar(actor: Actor | null, bytes: Buffer): Promise<string> {
    const a = requireActor(actor);
    await this.#limits.consume(['upload:account', a.userId]);
    if (bytes.length > this.#uploadLimit) throw fail.tooLarge('avatar.too_large', { mb: Math.round(this.#uploadLimit / 1048576) });
    if (!bytes.length) throw fail.invalid({ avatar: 'avatar.invalid' });
    const webp = await processAvatar(bytes);
    const key = await this.#media.put('avatars', 'webp', webp);
    let previous: string | null = null;
    try {
      await this.#db.tx(async () => {
        const user = await this.#repo.userById(a.userId);
        if (!user) throw fail.unauthenticated();
        previous = user.avatarKey;
        await this.#repo.updateUser(a.userId, { avatarKey: key });
      });
    } catch (e) {
      await this.#media.delete(key);
      throw e;
    }
    await this.#media.delete(previous);
    this.#events.emit('user.updated', { userId: a.userId });
    return `/media/${key}`;
  }

  async removeAvatar(actor: Actor | null): Promise<void> {
    const a = requireActor(actor);
    let previous: string | null = null;
    await this.#db.tx(async () => {
      const user = await this.#repo.userById(a.userId);
      previous = user?.avatarKey ?? null;
      await this.#repo.updateUser(a.userId, { avatarKey: null });
    });
    await this.#media.delete(previous);
    this.#events.emit('user.updated', { userId: a.userId });
  }
}
