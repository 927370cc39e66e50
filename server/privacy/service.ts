// The one place that lists where personal data lives (GDPR art. 30 record, art. 15/20 export,
// art. 17 erasure). Every table of the schema must appear in PERSONAL_DATA or in NOT_PERSONAL
// (checked by a test), so a new table cannot be forgotten by export and erasure.
import { eq, or } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import type { EventBus } from '../events.ts';
import { fail } from '../errors.ts';
import type { MediaStore } from '../media/store.ts';
import { parse } from '../validation.ts';
import { type Actor, requireActor } from '../accounts/actor.ts';
import type { AccountsRepository } from '../accounts/repository.ts';
import type { SessionService } from '../accounts/sessions.ts';

/** Tables with rows about a member: what the row holds, and how erasure treats it. */
export const PERSONAL_DATA = {
  users: 'the account: email, names, postal code and commune, skills, bio, consent — deleted',
  sessions: 'open sessions (device label, dates; no IP) — deleted with the account',
  email_challenges: 'pending codes for the account or its email — deleted',
  mails: 'mails to the member (bodies dropped once sent, all purged after 7 days) — deleted',
  actor_keys: "the member's federation key pairs — deleted",
} as const;

/** Tables without personal data of local members (or with a retention rule of their own). */
export const NOT_PERSONAL = {
  instance_settings: 'instance configuration',
  kv_entries: 'federation caches (remote documents, keys), expiring',
  queue_messages: 'pending jobs; a job about a deleted member finds nothing and ends',
  inbound_activities: 'raw activities received from other servers (audit), purged after 30 days',
  known_instances: 'other servers we heard from: host, dates, the last actor whose signature verified',
} as const;

const deleteSchema = z.object({ confirm: z.string().max(100) });

export class PrivacyService {
  readonly #db: Database;
  readonly #repo: AccountsRepository;
  readonly #sessions: SessionService;
  readonly #media: MediaStore;
  readonly #events: EventBus;

  constructor(deps: { db: Database; repo: AccountsRepository; sessions: SessionService; media: MediaStore; events: EventBus }) {
    this.#db = deps.db;
    this.#repo = deps.repo;
    this.#sessions = deps.sessions;
    this.#media = deps.media;
    this.#events = deps.events;
  }

  /** Everything the instance keeps about the actor, as JSON (no secrets: no hashes, no keys). */
  async export(actor: Actor | null): Promise<Record<string, unknown>> {
    const a = requireActor(actor);
    const user = await this.#repo.userById(a.userId);
    if (!user) throw fail.unauthenticated();
    const { passwordHash, ...account } = user;
    const { mails } = this.#db.t;
    const sentMails = await this.#db.q
      .select({ to: mails.toAddress, subject: mails.subject, status: mails.status, createdAt: mails.createdAt })
      .from(mails)
      .where(or(eq(mails.userId, user.id), eq(mails.toAddress, user.email)));
    return {
      exportedAt: new Date().toISOString(),
      account: {
        ...account,
        skills: JSON.parse(account.skills),
        skillTags: JSON.parse(account.skillTags),
        hasPassword: passwordHash !== null,
      },
      sessions: (await this.#sessions.list(a)).map(({ id: _id, ...s }) => s),
      mails: sentMails,
    };
  }

  /**
   * Erases the actor's account and personal data. The member confirms by typing their
   * username; the last administrator cannot leave the instance without one.
   */
  async deleteAccount(actor: Actor | null, input: unknown): Promise<void> {
    const a = requireActor(actor);
    const { confirm } = parse(deleteSchema, input);
    const user = await this.#repo.userById(a.userId);
    if (!user) throw fail.unauthenticated();
    if (confirm.trim().toLowerCase().replace(/^@/, '') !== user.username) throw fail.invalid({ confirm: 'delete.confirm_mismatch' });
    const { mails, emailChallenges, actorKeys } = this.#db.t;
    const sessionIds = (await this.#sessions.list(a)).map((s) => s.id);
    await this.#db.tx(async () => {
      if (user.role === 'admin' && user.status === 'active' && (await this.#repo.countActiveAdmins()) <= 1) {
        throw fail.conflict('admin.last_admin');
      }
      await this.#db.w.delete(mails).where(or(eq(mails.userId, user.id), eq(mails.toAddress, user.email)));
      await this.#db.w.delete(emailChallenges).where(or(eq(emailChallenges.userId, user.id), eq(emailChallenges.email, user.email)));
      await this.#db.w.delete(actorKeys).where(eq(actorKeys.actorId, user.id));
      await this.#repo.deleteUser(user.id); // sessions go with it (foreign key cascade)
    });
    await this.#media.delete(user.avatarKey);
    this.#events.emit('sessions.ended', { userId: user.id, sessionIds });
    this.#events.emit('user.deleted', { userId: user.id });
  }
}
