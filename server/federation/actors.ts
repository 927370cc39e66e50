// Actors of other servers as rows of our own tables (decision 0017): a person is a `users` row, a
// group a `groups` row, each with its `remote_actors` row (same id). Resolved from their server
// through the hardened loader (policy, SSRF guard, media type, id check), refreshed after a day or
// when they announce an update. Their names and texts are cut and cleaned; their picture is shown
// through our media proxy, never fetched by members' browsers from their server.
import { eq } from 'drizzle-orm';
import { type Actor as ApActor, Group as ApGroup, isActor } from '@fedify/vocab';
import type { Database, Schema } from '../db/client.ts';
import { newId } from '../accounts/secrets.ts';
import { normalizeForSearch } from '../search/normalize.ts';
import type { AppFederation } from './federation.ts';
import { INSTANCE_ACTOR } from './federation.ts';
import { remoteLine, remoteText, remoteUrl, sanitizeRemoteHtml } from './content.ts';
import type { FederationPolicy } from './policy.ts';

export type RemoteActorRow = Schema['remoteActors']['$inferSelect'];
export type RemoteKind = 'person' | 'group';
export interface ResolvedActor {
  /** The id of our `users` or `groups` row. */
  id: string;
  kind: RemoteKind;
  remote: RemoteActorRow;
}

const REFRESH_MS = 24 * 3600_000;
const GROUP_TYPES = new Set(['Group', 'Organization']);

/** The part of a handle before @host: letters, digits, _ . - only, lower case, at most 60. */
function handlePart(name: string | null | undefined, fallback: string): string {
  const clean = normalizeForSearch(name ?? '')
    .replace(/[^a-z0-9_.-]+/g, '_')
    .replace(/^[_.-]+|[_.-]+$/g, '')
    .slice(0, 60);
  return clean || fallback;
}

export class RemoteActors {
  readonly #db: Database;
  readonly #federation: AppFederation;
  readonly #policy: FederationPolicy;
  readonly #publicUrl: URL;

  constructor(d: { db: Database; federation: AppFederation; policy: FederationPolicy; publicUrl: URL }) {
    this.#db = d.db;
    this.#federation = d.federation;
    this.#policy = d.policy;
    this.#publicUrl = d.publicUrl;
  }

  /** Whether a URL is one of ours. */
  isLocal(uri: URL | string): boolean {
    return new URL(uri).origin === this.#publicUrl.origin;
  }

  async byUri(uri: string): Promise<ResolvedActor | null> {
    const { remoteActors: r, users } = this.#db.t;
    const row = (await this.#db.q.select().from(r).where(eq(r.uri, uri)))[0];
    if (!row) return null;
    const person = (await this.#db.q.select({ id: users.id }).from(users).where(eq(users.id, row.id)))[0];
    return { id: row.id, kind: person ? 'person' : 'group', remote: row };
  }

  async byId(id: string): Promise<RemoteActorRow | null> {
    const { remoteActors: r } = this.#db.t;
    return (await this.#db.q.select().from(r).where(eq(r.id, id)))[0] ?? null;
  }

  /** Loads an object from its origin, signed by the instance actor (servers in secure mode ask). */
  async fetchObject(uri: string) {
    const ctx = this.#federation.createContext(this.#publicUrl, null);
    const documentLoader = await ctx.getDocumentLoader({ identifier: INSTANCE_ACTOR });
    return ctx.lookupObject(uri, { documentLoader });
  }

  /** A document of another server as JSON, as it was served (through the hardened loader, signed by the instance). */
  async fetchRaw(uri: string): Promise<Record<string, unknown> | null> {
    const ctx = this.#federation.createContext(this.#publicUrl, null);
    const loader = await ctx.getDocumentLoader({ identifier: INSTANCE_ACTOR });
    const doc = await loader(uri).catch(() => null);
    return doc && doc.document && typeof doc.document === 'object' ? (doc.document as Record<string, unknown>) : null;
  }

  /**
   * The local row of a remote actor, fetched from its server when unknown or older than a day (or
   * `refresh`). Null when it cannot be had: blocked server, not an actor, not served where it says.
   */
  async resolve(uri: URL | string, opts: { refresh?: boolean } = {}): Promise<ResolvedActor | null> {
    const url = new URL(uri);
    if (this.isLocal(url)) return null;
    if (!(await this.#policy.federatesWith(url.host))) return null;
    const known = await this.byUri(url.href);
    if (known && !opts.refresh && Date.now() - known.remote.fetchedAt.getTime() < REFRESH_MS) return known;
    const object = await this.fetchObject(url.href).catch(() => null);
    if (!object || !isActor(object) || !object.id || object.id.href !== url.href) return known;
    return this.store(object);
  }

  /** Creates or updates the rows of an actor document (already checked to come from its origin). */
  async store(object: ApActor): Promise<ResolvedActor | null> {
    const uri = object.id!;
    const inbox = object.inboxId;
    if (!inbox || inbox.origin !== uri.origin) return null;
    const type = object.constructor.name.replace(/^_/, '');
    const kind: RemoteKind = object instanceof ApGroup || GROUP_TYPES.has(type) ? 'group' : 'person';
    const host = uri.host.toLowerCase();
    const sharedInbox = object.endpoints?.sharedInbox ?? null;
    const icon = await object.getIcon().catch(() => null);
    const iconUrl = remoteUrl(icon?.url instanceof URL ? icon.url : null);
    const page = remoteUrl(object.url instanceof URL ? object.url : ((object.url as { href?: URL } | null)?.href ?? null));
    const raw = JSON.stringify(await object.toJsonLd());
    const fields = {
      uri: uri.href,
      host,
      type,
      inbox: inbox.href,
      sharedInbox: sharedInbox && sharedInbox.origin === uri.origin ? sharedInbox.href : null,
      outbox: object.outboxId?.origin === uri.origin ? object.outboxId.href : null,
      followers: object.followersId?.origin === uri.origin ? object.followersId.href : null,
      url: page?.href ?? null,
      iconUrl: iconUrl?.href ?? null,
      raw,
      fetchedAt: new Date(),
    };
    const name = remoteLine(object.name?.toString() ?? '', 100);
    const preferred = object.preferredUsername?.toString() ?? null;
    const summary = object.summary?.toString() ?? '';
    const { remoteActors: r, users, groups } = this.#db.t;
    return this.#db.tx(async () => {
      const existing = (await this.#db.q.select().from(r).where(eq(r.uri, uri.href)))[0];
      const now = new Date();
      if (existing) {
        await this.#db.w.update(r).set(fields).where(eq(r.id, existing.id));
        if (kind === 'person')
          await this.#db.w
            .update(users)
            .set({ displayName: name || preferred || host, searchName: normalizeForSearch(name || preferred || ''), bio: remoteText(summary, 2000), updatedAt: now })
            .where(eq(users.id, existing.id));
        else
          await this.#db.w
            .update(groups)
            .set({ name: name || preferred || host, searchName: normalizeForSearch(name || preferred || ''), description: remoteText(summary, 5000), descriptionHtml: sanitizeRemoteHtml(summary), updatedAt: now })
            .where(eq(groups.id, existing.id));
        return { id: existing.id, kind, remote: { ...existing, ...fields } };
      }
      const id = newId();
      const handle = await this.#freeHandle(`${handlePart(preferred, id)}@${host}`);
      if (kind === 'person') {
        await this.#db.w.insert(users).values({
          id,
          username: handle,
          email: `${id}@remote.invalid`,
          displayName: name || preferred || host,
          searchName: normalizeForSearch(name || preferred || ''),
          bio: remoteText(summary, 2000),
          host,
          profilePublic: true,
          searchable: false,
          createdAt: now,
          updatedAt: now,
        });
      } else {
        await this.#db.w.insert(groups).values({
          id,
          handle,
          name: name || preferred || host,
          searchName: normalizeForSearch(name || preferred || ''),
          description: remoteText(summary, 5000),
          descriptionHtml: sanitizeRemoteHtml(summary),
          kind: 'thematic',
          openness: object.manuallyApprovesFollowers ? 'request' : 'open',
          membersVisibility: 'organizers',
          host,
          createdAt: now,
          updatedAt: now,
        });
      }
      const row = { id, createdAt: now, movedTo: null, ...fields };
      await this.#db.w.insert(r).values(row);
      return { id, kind, remote: row };
    });
  }

  async #freeHandle(handle: string): Promise<string> {
    const { users, groups } = this.#db.t;
    const taken = async (h: string) =>
      (await this.#db.q.select({ id: users.id }).from(users).where(eq(users.username, h))).length > 0 ||
      (await this.#db.q.select({ id: groups.id }).from(groups).where(eq(groups.handle, h))).length > 0;
    if (!(await taken(handle))) return handle;
    const [name, host] = handle.split('@');
    for (let i = 2; i < 100; i++) if (!(await taken(`${name}_${i}@${host}`))) return `${name}_${i}@${host}`;
    return `${newId()}@${host}`;
  }

  /** Our handle for a resolved actor (its page here is /@handle). */
  async localHandle(actor: ResolvedActor): Promise<string> {
    const { users, groups } = this.#db.t;
    if (actor.kind === 'person') return (await this.#db.q.select({ h: users.username }).from(users).where(eq(users.id, actor.id)))[0]?.h ?? '';
    return (await this.#db.q.select({ h: groups.handle }).from(groups).where(eq(groups.id, actor.id)))[0]?.h ?? '';
  }

  /** The ActivityPub id of one of our users or groups, or of a remote one. */
  async uriOf(id: string): Promise<URL> {
    const remote = await this.byId(id);
    if (remote) return new URL(remote.uri);
    return this.#federation.createContext(this.#publicUrl, null).getActorUri(id);
  }
}
