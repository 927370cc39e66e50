// The Fedify federation: actors (a Person per member, an Application for the instance),
// WebFinger, NodeInfo, inboxes. ActivityStreams vocabulary stays in this folder; the rest of the
// server speaks domain terms. See docs/federation.md for what we send and accept.
import { Temporal } from '@js-temporal/polyfill';
import { type Context, type Federation, type KvStore, type MessageQueue, createFederation } from '@fedify/fedify';
import { Application, Endpoints, Group, Image, Person } from '@fedify/vocab';
import { getLogger } from '@logtape/logtape';
import type { AccountsRepository, UserRow } from '../accounts/repository.ts';
import type { GroupRow, GroupsRepository } from '../groups/repository.ts';
import type { InstanceService } from '../instance/service.ts';
import { ProfileService } from '../profiles/service.ts';
import type { ActorKeys } from './keys.ts';
import type { InboundLog } from './inbound-log.ts';
import type { KnownInstances } from './instances.ts';
import { escapeHtml } from '../html.ts';
import { loaderFactories } from './loader.ts';

/** The identifier of the instance actor; member identifiers are 16-character ids, so no clash. */
export const INSTANCE_ACTOR = 'instance';
export const SOFTWARE = { name: 'militant-network', version: '0.1.0' };

export interface FederationDeps {
  publicUrl: URL;
  kv: KvStore;
  queue: MessageQueue | { inbox: MessageQueue; outbox: MessageQueue; fanout: MessageQueue };
  repo: AccountsRepository;
  groups: GroupsRepository;
  instance: InstanceService;
  keys: ActorKeys;
  inbound: InboundLog;
  instances: KnownInstances;
  countUsers: () => Promise<number>;
  /** Test-only: lets two instances on loopback reach each other (disables the SSRF guard). */
  allowPrivateAddress: boolean;
  /** Whether the instance's policy lets us talk to a server (every fetch asks it first). */
  federatesWith: (host: string) => Promise<boolean>;
}

export type AppFederation = Federation<null>;

/**
 * The ordering key of a message on Fedify's queue: an incoming activity is keyed by its sender, so
 * that one sender's activities are handled one at a time, in the order they arrived (Fedify sets
 * none on the way in). Outgoing messages keep the key Fedify gives them.
 */
export function inboxOrderingKey(message: unknown): string | null {
  const m = message as { type?: unknown; activity?: { actor?: unknown } } | null;
  if (m?.type !== 'inbox') return null;
  const actor = m.activity?.actor;
  const id = typeof actor === 'string' ? actor : typeof (actor as { id?: unknown } | undefined)?.id === 'string' ? (actor as { id: string }).id : null;
  return id ? `inbox:${id.slice(0, 500)}` : null;
}

/** A member's actor document (also embedded in the Update sent when they change their profile). */
export async function personFor(ctx: Context<null>, user: UserRow, publicUrl: URL): Promise<Person> {
  const keys = await ctx.getActorKeyPairs(user.id);
  const avatar = ProfileService.avatarUrl(user);
  return new Person({
    id: ctx.getActorUri(user.id),
    preferredUsername: user.username,
    name: user.displayName,
    // Bio only when the member chose to show it beyond the instance (privacy by default).
    summary: user.profilePublic && user.bio ? escapeHtml(user.bio) : null,
    url: new URL(`/@${user.username}`, publicUrl),
    inbox: ctx.getInboxUri(user.id),
    endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
    followers: ctx.getFollowersUri(user.id),
    icon: avatar ? new Image({ url: new URL(avatar, publicUrl), mediaType: 'image/webp' }) : null,
    publicKey: keys[0]?.cryptographicKey,
    assertionMethods: keys.map((k) => k.multikey),
    manuallyApprovesFollowers: true,
    discoverable: user.profilePublic,
    indexable: false,
  });
}

/**
 * A group's actor (FEP-1b12): members join it (Join, or Follow for public posts only), it
 * redistributes what they post in it (Announce). Its moderators collection lists its organizers
 * only when the group shows its members publicly; otherwise it says nothing.
 */
export async function groupFor(ctx: Context<null>, group: GroupRow, publicUrl: URL): Promise<Group> {
  const keys = await ctx.getActorKeyPairs(group.id);
  return new Group({
    id: ctx.getActorUri(group.id),
    preferredUsername: group.handle,
    name: group.name,
    summary: group.descriptionHtml || null,
    url: new URL(`/g/${group.handle}`, publicUrl),
    inbox: ctx.getInboxUri(group.id),
    endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
    followers: ctx.getFollowersUri(group.id),
    attribution: ctx.getCollectionUri('moderators', { identifier: group.id }),
    icon: group.avatarKey ? new Image({ url: new URL(`/media/${group.avatarKey}`, publicUrl), mediaType: 'image/webp' }) : null,
    publicKey: keys[0]?.cryptographicKey,
    assertionMethods: keys.map((k) => k.multikey),
    // Open groups take members at once; the others decide (request, invitation).
    manuallyApprovesFollowers: group.openness !== 'open',
    discoverable: true,
    indexable: false,
  });
}

export function buildFederation(d: FederationDeps): AppFederation {
  const log = getLogger(['militant', 'federation']);
  const federation = createFederation<null>({
    kv: d.kv,
    queue: d.queue,
    manuallyStartQueue: true,
    origin: d.publicUrl.origin,
    signatureTimeWindow: Temporal.Duration.from({ hours: 1 }),
    // A server that keeps failing (10 failures within 10 minutes) is left alone, its deliveries
    // held; after a minute one is tried again, and the held ones follow once it answers. (Fedify's
    // default pause is 30 minutes: too long for a chat after an instance's restart.)
    circuitBreaker: { failureThreshold: 10, recoveryDelay: { minutes: 1 } },
    // Every fetch (actors, keys, objects) through our hardened loader: policy, SSRF guard, media
    // type, size, redirects, id check (server/federation/loader.ts).
    ...loaderFactories({ mayFetch: d.federatesWith, allowPrivateAddress: d.allowPrivateAddress, userAgent: `${SOFTWARE.name}/${SOFTWARE.version} (+${d.publicUrl.origin})` }),
  });

  federation
    .setActorDispatcher('/users/{identifier}', async (ctx, identifier) => {
      if (identifier === INSTANCE_ACTOR) {
        const keys = await ctx.getActorKeyPairs(INSTANCE_ACTOR);
        const view = await d.instance.view('fr');
        return new Application({
          id: ctx.getActorUri(INSTANCE_ACTOR),
          preferredUsername: d.publicUrl.hostname,
          name: view.name,
          summary: escapeHtml(view.description),
          url: d.publicUrl,
          inbox: ctx.getInboxUri(INSTANCE_ACTOR),
          endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
          publicKey: keys[0]?.cryptographicKey,
          assertionMethods: keys.map((k) => k.multikey),
          manuallyApprovesFollowers: true,
          discoverable: false,
          indexable: false,
        });
      }
      const user = await d.repo.userById(identifier);
      if (!user) {
        // Groups share the address space (ids of 16 random characters, handles in one namespace).
        const group = await d.groups.byId(identifier);
        return group && !group.host ? groupFor(ctx, group, d.publicUrl) : null;
      }
      // People of other servers have rows here too: they are not served as ours.
      if (user.host || user.status !== 'active') return null;
      // A signed fetch (servers in secure mode sign theirs): verify it and remember the server.
      // Not for the instance actor above, whose key other servers fetch to verify ours.
      if (ctx.request.headers.has('signature') || ctx.request.headers.has('signature-input')) {
        const owner = await ctx.getSignedKeyOwner().catch(() => null);
        const keyId = (await ctx.getSignedKey().catch(() => null))?.id;
        if (owner?.id) await d.instances.seen(owner.id, true);
        else if (keyId) await d.instances.seen(keyId, false);
      }
      return personFor(ctx, user, d.publicUrl);
    })
    .setKeyPairsDispatcher(async (_ctx, identifier) => {
      if (identifier !== INSTANCE_ACTOR) {
        const user = await d.repo.userById(identifier);
        const group = user ? undefined : await d.groups.byId(identifier);
        if (user ? user.host : !group || group.host) return [];
      }
      return d.keys.pairs(identifier);
    })
    .mapHandle(async (_ctx, handle) => {
      if (handle.toLowerCase() === d.publicUrl.hostname.toLowerCase()) return INSTANCE_ACTOR;
      const user = await d.repo.userByUsername(handle.toLowerCase());
      if (user) return !user.host && user.status === 'active' ? user.id : null;
      const group = await d.groups.byHandle(handle.toLowerCase());
      return group && !group.host ? group.id : null;
    });

  // A member's followers are their friends, a list they may keep private: the collection exists
  // (servers expect it on an actor) and says nothing.
  federation.setFollowersDispatcher('/users/{identifier}/followers', async (_ctx, identifier) => {
    if (identifier === INSTANCE_ACTOR) return { items: [] };
    const user = await d.repo.userById(identifier);
    if (!user) {
      const group = await d.groups.byId(identifier);
      return group && !group.host ? { items: [] } : null;
    }
    if (user.host || user.status !== 'active') return null;
    return { items: [] };
  });

  // A group's moderators (FEP-1b12): its organizers, when the group shows its members publicly.
  federation.setCollectionDispatcher('moderators', Person, '/users/{identifier}/moderators', async (ctx, { identifier }) => {
    const group = await d.groups.byId(identifier);
    if (!group || group.host) return null;
    if (group.membersVisibility !== 'public') return { items: [] };
    const ids = await d.groups.organizerIds(group.id);
    const local: Person[] = [];
    for (const id of ids) {
      const user = await d.repo.userById(id);
      if (user && !user.host && user.status === 'active') local.push(new Person({ id: ctx.getActorUri(id) }));
    }
    return { items: local };
  });

  federation.setNodeInfoDispatcher('/nodeinfo/2.1', async () => {
    const settings = await d.instance.settings();
    const view = await d.instance.view('fr');
    return {
      software: { name: SOFTWARE.name, version: SOFTWARE.version },
      protocols: ['activitypub'],
      openRegistrations: settings.registrationsOpen,
      usage: { users: { total: await d.countUsers() }, localPosts: 0, localComments: 0 },
      metadata: { nodeName: view.name, nodeDescription: view.description },
    };
  });

  // Inbox listeners and object dispatchers are set up once every service exists (services.ts:
  // setupInbox, setupObjects).
  return federation;
}
