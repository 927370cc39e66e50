// The other servers this instance has heard from: when, and when a request from one of them last
// carried a signature that verified (and by which actor). The admin's view of the federation, and
// later the base of allow- and deny-lists.
import { desc, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { type Actor, requireRole } from '../accounts/actor.ts';

export interface KnownInstance {
  host: string;
  firstSeenAt: Date;
  lastSeenAt: Date;
  lastVerifiedAt: Date | null;
  lastVerifiedActor: string | null;
}

export class KnownInstances {
  readonly #db: Database;
  readonly #ownHost: string;
  constructor(db: Database, publicUrl: URL) {
    this.#db = db;
    this.#ownHost = publicUrl.host;
  }

  /** Notes that a remote actor reached us, with a verified signature or not. */
  async seen(actorId: URL, verified: boolean): Promise<void> {
    if (actorId.host === this.#ownHost) return;
    const { knownInstances: k } = this.#db.t;
    const now = new Date();
    const verifiedFields = verified ? { lastVerifiedAt: now, lastVerifiedActor: actorId.href } : {};
    await this.#db.tx(() =>
      this.#db.w
        .insert(k)
        .values({ host: actorId.host, firstSeenAt: now, lastSeenAt: now, ...verifiedFields })
        .onConflictDoUpdate({ target: k.host, set: { lastSeenAt: now, ...verifiedFields } }),
    );
  }

  /** Administrators and moderators see the list. */
  async list(actor: Actor | null): Promise<KnownInstance[]> {
    requireRole(actor, 'admin', 'moderator');
    const { knownInstances: k } = this.#db.t;
    return this.#db.q.select().from(k).orderBy(desc(k.lastSeenAt)).limit(500);
  }

  async get(host: string): Promise<KnownInstance | undefined> {
    const { knownInstances: k } = this.#db.t;
    return (await this.#db.q.select().from(k).where(sql`${k.host} = ${host}`))[0];
  }
}
