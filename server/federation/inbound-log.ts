// Raw activities received from other servers, kept as text beside the few fields we index: for
// audit and for re-parsing when later versions handle more activity types. Purged after 30 days.
import { lt } from 'drizzle-orm';
import type { Activity } from '@fedify/vocab';
import type { Database } from '../db/client.ts';
import { newId } from '../accounts/secrets.ts';

const RETENTION_MS = 30 * 86_400_000;

export class InboundLog {
  readonly #db: Database;
  constructor(db: Database) {
    this.#db = db;
  }

  /** Stores a verified activity once (by its id). */
  async record(activity: Activity, recipientId: string | null): Promise<void> {
    const raw = JSON.stringify(await activity.toJsonLd());
    const { inboundActivities: t } = this.#db.t;
    const type = (JSON.parse(raw) as { type?: unknown }).type;
    await this.#db.tx(async () => {
      await this.#db.w
        .insert(t)
        .values({
          id: newId(),
          activityId: activity.id?.href ?? null,
          type: typeof type === 'string' ? type.slice(0, 100) : 'Activity',
          actorId: activity.actorId?.href ?? '',
          recipientId,
          raw,
          receivedAt: new Date(),
        })
        .onConflictDoNothing();
    });
  }

  async purge(now = new Date()): Promise<number> {
    const { inboundActivities: t } = this.#db.t;
    return this.#db.tx(async () => (await this.#db.w.delete(t).where(lt(t.receivedAt, new Date(now.getTime() - RETENTION_MS))).returning({ id: t.id })).length);
  }
}
