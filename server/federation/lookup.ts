// Finds an account on another server from its handle (@name@host) or URL, the way a member
// will look up someone to befriend. WebFinger, then the actor document fetched with a request
// signed by our instance actor (servers in "secure mode" demand it).
import { lookupWebFinger } from '@fedify/webfinger';
import { isActor } from '@fedify/vocab';
import { z } from 'zod';
import { fail } from '../errors.ts';
import { parse } from '../validation.ts';
import { type Actor, requireActor } from '../accounts/actor.ts';
import type { RateLimits } from '../security/rate-limits.ts';
import { type AppFederation, INSTANCE_ACTOR } from './federation.ts';
import type { FederationPolicy } from './policy.ts';
import type { RemoteActors } from './actors.ts';

export interface RemoteAccount {
  /** Its ActivityPub id. */
  id: string;
  handle: string;
  name: string | null;
  /** Its page on its server. */
  url: string | null;
  type: string;
  /** Our row for it: a member-like person or a group, and its handle here (/@name@host). */
  localId: string;
  kind: 'person' | 'group';
  username: string;
}

const HANDLE = /^@?[^@\s/]+@[^@\s/]+$/;
const handleSchema = z.object({
  handle: z
    .string({ error: 'federation.lookup_invalid' })
    .trim()
    .max(300, 'federation.lookup_invalid')
    .refine((h) => HANDLE.test(h) || /^https?:\/\/[^\s]+$/i.test(h), 'federation.lookup_invalid'),
});

const AS2 = /^application\/(activity\+json|ld\+json)/;
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/;

export class RemoteLookup {
  readonly #federation: AppFederation;
  readonly #publicUrl: URL;
  readonly #limits: RateLimits;
  readonly #allowPrivateAddress: boolean;

  readonly #policy: FederationPolicy;
  readonly #actors: RemoteActors;

  constructor(d: { federation: AppFederation; publicUrl: URL; limits: RateLimits; allowPrivateAddress: boolean; policy: FederationPolicy; actors: RemoteActors }) {
    this.#policy = d.policy;
    this.#actors = d.actors;
    this.#federation = d.federation;
    this.#publicUrl = d.publicUrl;
    this.#limits = d.limits;
    this.#allowPrivateAddress = d.allowPrivateAddress;
  }

  /** The actor URL a handle points to, by WebFinger; null when the server does not know it. */
  async #webfinger(user: string, host: string): Promise<URL | null> {
    const resource = `acct:${user}@${host}`;
    let links: { rel?: string; type?: string; href?: string }[] | undefined;
    if (this.#allowPrivateAddress && LOOPBACK.test(host)) {
      // Test instances on loopback speak plain http; Fedify's lookup always uses https.
      const res = await fetch(`http://${host}/.well-known/webfinger?resource=${encodeURIComponent(resource)}`, {
        headers: { Accept: 'application/jrd+json' },
        redirect: 'error',
      }).catch(() => null);
      if (!res?.ok) return null;
      links = ((await res.json().catch(() => null)) as { links?: typeof links } | null)?.links;
    } else {
      links = (await lookupWebFinger(resource, { allowPrivateAddress: false }).catch(() => null))?.links as typeof links;
    }
    const self = links?.find((l) => l.rel === 'self' && l.type && AS2.test(l.type) && l.href);
    return self?.href ? new URL(self.href) : null;
  }

  /** Members look up a remote account or group by handle (@name@host) or by the address of its page. */
  async lookup(actor: Actor | null, input: unknown): Promise<RemoteAccount> {
    const a = requireActor(actor);
    const { handle } = parse(handleSchema, input);
    await this.#limits.consume(['remote-lookup:account', a.userId]);
    let href: URL | null;
    let user: string | null = null;
    if (HANDLE.test(handle)) {
      const [name, host] = handle.replace(/^@/, '').split('@');
      user = name;
      if (!(await this.#policy.federatesWith(host.toLowerCase()))) throw fail.notFound('federation.not_federated');
      href = await this.#webfinger(name, host.toLowerCase());
    } else href = new URL(handle);
    if (!href || href.origin === this.#publicUrl.origin) throw fail.notFound('federation.lookup_not_found');
    if (!(await this.#policy.federatesWith(href.host))) throw fail.notFound('federation.not_federated');
    const ctx = this.#federation.createContext(this.#publicUrl, null);
    const documentLoader = await ctx.getDocumentLoader({ identifier: INSTANCE_ACTOR });
    const object = await ctx.lookupObject(href.href, { documentLoader }).catch(() => null);
    // The document must be an actor served from the host the handle (or address) names.
    if (!object || !isActor(object) || !object.id || object.id.host !== href.host) throw fail.notFound('federation.lookup_not_found');
    const stored = await this.#actors.store(object);
    if (!stored) throw fail.notFound('federation.lookup_not_found');
    const local = await this.#actors.localHandle(stored);
    return {
      id: object.id.href,
      handle: `@${object.preferredUsername ?? user}@${object.id.host}`,
      name: object.name?.toString() ?? null,
      url: object.url instanceof URL ? object.url.href : null,
      type: object.constructor.name,
      localId: stored.id,
      kind: stored.kind,
      username: local,
    };
  }
}
