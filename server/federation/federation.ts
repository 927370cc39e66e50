// The Fedify federation: actors (a Person per member, an Application for the instance),
// WebFinger, NodeInfo, inboxes. ActivityStreams vocabulary stays in this folder; the rest of the
// server speaks domain terms. See docs/federation.md for what we send and accept.
import { Temporal } from '@js-temporal/polyfill';
import { type Context, type Federation, type KvStore, type MessageQueue, createFederation } from '@fedify/fedify';
import { Application, Endpoints, Image, Person } from '@fedify/vocab';
import { getLogger } from '@logtape/logtape';
import type { AccountsRepository, UserRow } from '../accounts/repository.ts';
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
  queue: MessageQueue;
  repo: AccountsRepository;
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

export function buildFederation(d: FederationDeps): AppFederation {
  const log = getLogger(['militant', 'federation']);
  const federation = createFederation<null>({
    kv: d.kv,
    queue: d.queue,
    manuallyStartQueue: true,
    origin: d.publicUrl.origin,
    signatureTimeWindow: Temporal.Duration.from({ hours: 1 }),
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
      // People of other servers have rows here too: they are not served as ours.
      if (!user || user.host || user.status !== 'active') return null;
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
        if (!user || user.host) return [];
      }
      return d.keys.pairs(identifier);
    })
    .mapHandle(async (_ctx, handle) => {
      if (handle.toLowerCase() === d.publicUrl.hostname.toLowerCase()) return INSTANCE_ACTOR;
      const user = await d.repo.userByUsername(handle.toLowerCase());
      return user && !user.host && user.status === 'active' ? user.id : null;
    });

  // A member's followers are their friends, a list they may keep private: the collection exists
  // (servers expect it on an actor) and says nothing.
  federation.setFollowersDispatcher('/users/{identifier}/followers', async (_ctx, identifier) => {
    if (identifier === INSTANCE_ACTOR) return { items: [] };
    const user = await d.repo.userById(identifier);
    if (!user || user.host || user.status !== 'active') return null;
    return { items: [] };
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
