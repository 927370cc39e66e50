// The instance's own settings (name, description, charter, privacy notice, sign-ups) and the
// one-time setup link that creates the first administrator.
import { createHash } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import { fail } from '../errors.ts';
import { type Locale, t } from '../../web/lib/i18n/index.ts';
import { type Actor, requireRole } from '../accounts/actor.ts';
import { hashSecret, newSecret, secretMatches } from '../accounts/secrets.ts';
import { checkbox, parse, text } from '../validation.ts';

export interface InstanceSettings {
  /** null: not set by the admin, the translated default is shown. */
  name: string | null;
  description: string | null;
  charter: string | null;
  privacyNotice: string | null;
  registrationsOpen: boolean;
}

/** Settings as shown to a visitor: defaults filled in their language. */
export interface InstanceView {
  name: string;
  description: string;
  charter: string;
  privacyNotice: string;
  registrationsOpen: boolean;
  /** Identifies the charter and notice a member consents to (changes when they change). */
  consentVersion: string;
}

const KEYS = ['name', 'description', 'charter', 'privacy_notice', 'registrations_open'] as const;
const SETUP_KEY = 'setup_token_hash';
const CACHE_MS = 5000;

const updateSchema = z.object({
  name: text(80).pipe(z.string().min(1, 'validation.required')),
  description: text(2000),
  charter: text(20_000),
  privacyNotice: text(20_000),
  registrationsOpen: checkbox,
});

export class InstanceService {
  readonly #db: Database;
  #cache: { at: number; value: InstanceSettings } | null = null;

  constructor(db: Database) {
    this.#db = db;
  }

  async settings(): Promise<InstanceSettings> {
    if (this.#cache && Date.now() - this.#cache.at < CACHE_MS) return this.#cache.value;
    const { instanceSettings: s } = this.#db.t;
    const rows = await this.#db.q.select().from(s).where(inArray(s.key, [...KEYS]));
    const map = new Map(rows.map((r) => [r.key, r.value]));
    const value: InstanceSettings = {
      name: map.get('name') || null,
      description: map.get('description') || null,
      charter: map.get('charter') || null,
      privacyNotice: map.get('privacy_notice') || null,
      registrationsOpen: map.get('registrations_open') !== 'false',
    };
    this.#cache = { at: Date.now(), value };
    return value;
  }

  /** Public view of the instance in a language. */
  async view(locale: Locale): Promise<InstanceView> {
    const s = await this.settings();
    const charter = s.charter ?? t(locale, 'instance.default_charter');
    const privacyNotice = s.privacyNotice ?? t(locale, 'instance.default_privacy');
    return {
      name: s.name ?? t(locale, 'instance.default_name'),
      description: s.description ?? t(locale, 'instance.default_description'),
      charter,
      privacyNotice,
      registrationsOpen: s.registrationsOpen,
      consentVersion: createHash('sha256')
        .update(`${s.charter ?? 'default'}\0${s.privacyNotice ?? 'default'}`)
        .digest('hex')
        .slice(0, 16),
    };
  }

  /** Admin only: changes the settings. */
  async update(actor: Actor | null, input: unknown): Promise<InstanceSettings> {
    requireRole(actor, 'admin');
    const v = parse(updateSchema, input);
    const { instanceSettings: s } = this.#db.t;
    const now = new Date();
    const values: Record<(typeof KEYS)[number], string> = {
      name: v.name,
      description: v.description,
      charter: v.charter,
      privacy_notice: v.privacyNotice,
      registrations_open: String(v.registrationsOpen),
    };
    await this.#db.tx(async () => {
      for (const [key, value] of Object.entries(values)) {
        await this.#db.w
          .insert(s)
          .values({ key, value, updatedAt: now })
          .onConflictDoUpdate({ target: s.key, set: { value, updatedAt: now } });
      }
    });
    this.#cache = null;
    return this.settings();
  }

  /** Sets the name at setup time (the admin may edit it later). */
  async setName(name: string): Promise<void> {
    const { instanceSettings: s } = this.#db.t;
    const now = new Date();
    await this.#db.tx(() =>
      this.#db.w
        .insert(s)
        .values({ key: 'name', value: name, updatedAt: now })
        .onConflictDoUpdate({ target: s.key, set: { value: name, updatedAt: now } }),
    );
    this.#cache = null;
  }

  /**
   * Issues a fresh one-time setup token (only its hash is kept) for when no administrator
   * exists yet. Each start replaces the previous one.
   */
  async issueSetupToken(): Promise<string> {
    const token = newSecret();
    const { instanceSettings: s } = this.#db.t;
    const now = new Date();
    await this.#db.tx(() =>
      this.#db.w
        .insert(s)
        .values({ key: SETUP_KEY, value: hashSecret(token), updatedAt: now })
        .onConflictDoUpdate({ target: s.key, set: { value: hashSecret(token), updatedAt: now } }),
    );
    return token;
  }

  /** Whether a setup token is valid right now (for the setup page). */
  async setupTokenValid(token: string): Promise<boolean> {
    const { instanceSettings: s } = this.#db.t;
    const row = (await this.#db.q.select().from(s).where(eq(s.key, SETUP_KEY)))[0];
    return Boolean(row && token && secretMatches(token, row.value));
  }

  /** Uses up the setup token inside the caller's transaction; throws gone if it is not valid. */
  async consumeSetupToken(token: string): Promise<void> {
    const { instanceSettings: s } = this.#db.t;
    await this.#db.tx(async () => {
      const row = (await this.#db.q.select().from(s).where(eq(s.key, SETUP_KEY)))[0];
      if (!row || !token || !secretMatches(token, row.value)) throw fail.gone('setup.invalid_token');
      const deleted = await this.#db.w.delete(s).where(eq(s.key, SETUP_KEY)).returning({ key: s.key });
      if (!deleted.length) throw fail.gone('setup.invalid_token');
    });
  }
}
