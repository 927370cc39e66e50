// What the administrator decided about other servers (decision 0017). Two modes: `open` (every
// server but the blocked ones) and `allowlist` (only the servers allowed: a movement's network of
// trusted instances, the mode proposed at setup). Per server: block (nothing in, nothing out),
// silence (kept out of public timelines and discovery), reject media (their pictures are not
// shown), reject reports (their Flags are dropped). Checked on every way in and out: inbox,
// fetches, lookups, remote media, deliveries.
import { asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Database, Schema } from '../db/client.ts';
import { fail } from '../errors.ts';
import { parse, text } from '../validation.ts';
import { type Actor, requireRole } from '../accounts/actor.ts';

export type FederationMode = 'open' | 'allowlist';
export type PolicyRow = Schema['federationPolicies']['$inferSelect'];
export interface HostRules {
  /** Whether anything may come from or go to this server. */
  federates: boolean;
  silenced: boolean;
  rejectMedia: boolean;
  rejectReports: boolean;
}

const MODE_KEY = 'federation_mode';
const CACHE_MS = 5000;

/** A server's name as compared everywhere: lower case, IDNA (punycode), port kept, no dot at the end. */
export function normalizeHost(input: string): string | null {
  const raw = input.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/.*$/, '').replace(/\.(?=:|$)/, '');
  if (!raw || /[\s@]/.test(raw)) return null;
  try {
    const u = new URL(`http://${raw}`);
    if (u.username || u.password || u.pathname !== '/' || u.search || u.hash) return null;
    return u.host;
  } catch {
    return null;
  }
}

const hostSchema = z
  .string({ error: 'federation.host_invalid' })
  .max(260, 'federation.host_invalid')
  .transform((h, c) => {
    const n = normalizeHost(h);
    if (!n) c.addIssue({ code: 'custom', message: 'federation.host_invalid' });
    return n ?? '';
  });
const ruleSchema = z.object({
  host: hostSchema,
  action: z.enum(['allow', 'block', 'silence'], { error: 'federation.action_invalid' }),
  rejectMedia: z.boolean().default(false),
  rejectReports: z.boolean().default(false),
  note: text(500).default(''),
});
const modeSchema = z.object({ mode: z.enum(['open', 'allowlist'], { error: 'federation.mode_invalid' }) });

export class FederationPolicy {
  readonly #db: Database;
  readonly #ownHost: string;
  #cache: { at: number; mode: FederationMode; rules: Map<string, PolicyRow> } | null = null;

  constructor(db: Database, publicUrl: URL) {
    this.#db = db;
    this.#ownHost = publicUrl.host.toLowerCase();
  }

  async #load() {
    if (this.#cache && Date.now() - this.#cache.at < CACHE_MS) return this.#cache;
    const { federationPolicies: p, instanceSettings: s } = this.#db.t;
    const rows = await this.#db.q.select().from(p);
    const mode = (await this.#db.q.select().from(s).where(eq(s.key, MODE_KEY)))[0]?.value;
    this.#cache = { at: Date.now(), mode: mode === 'allowlist' ? 'allowlist' : 'open', rules: new Map(rows.map((r) => [r.host, r])) };
    return this.#cache;
  }

  /** Drops what was read (after a change here; other processes see it within CACHE_MS). */
  forget(): void {
    this.#cache = null;
  }

  async mode(): Promise<FederationMode> {
    return (await this.#load()).mode;
  }

  /** What applies to a server (`host` as in a URL: name and port). */
  async rules(host: string): Promise<HostRules> {
    const h = normalizeHost(host) ?? host.toLowerCase();
    if (h === this.#ownHost) return { federates: true, silenced: false, rejectMedia: false, rejectReports: false };
    const { mode, rules } = await this.#load();
    const rule = rules.get(h);
    const federates = rule?.action === 'block' ? false : mode === 'open' ? true : rule?.action === 'allow' || rule?.action === 'silence';
    return { federates, silenced: rule?.action === 'silence', rejectMedia: Boolean(rule?.rejectMedia), rejectReports: Boolean(rule?.rejectReports) };
  }

  async federatesWith(host: string): Promise<boolean> {
    return (await this.rules(host)).federates;
  }

  // Administration (admins; moderators may read).

  async list(actor: Actor | null): Promise<{ mode: FederationMode; rules: PolicyRow[] }> {
    requireRole(actor, 'admin', 'moderator');
    const { federationPolicies: p } = this.#db.t;
    return { mode: await this.mode(), rules: await this.#db.q.select().from(p).orderBy(asc(p.host)) };
  }

  async setMode(actor: Actor | null, input: unknown): Promise<FederationMode> {
    requireRole(actor, 'admin');
    const { mode } = parse(modeSchema, input);
    await this.writeMode(mode);
    return mode;
  }

  /** Stores the mode (also at setup, before any administrator is logged in). */
  async writeMode(mode: FederationMode): Promise<void> {
    const { instanceSettings: s } = this.#db.t;
    const now = new Date();
    await this.#db.tx(() => this.#db.w.insert(s).values({ key: MODE_KEY, value: mode, updatedAt: now }).onConflictDoUpdate({ target: s.key, set: { value: mode, updatedAt: now } }));
    this.forget();
  }

  async setRule(actor: Actor | null, input: unknown): Promise<PolicyRow> {
    const a = requireRole(actor, 'admin');
    const v = parse(ruleSchema, input);
    if (v.host === this.#ownHost) throw fail.invalid({ host: 'federation.host_own' });
    const { federationPolicies: p } = this.#db.t;
    const now = new Date();
    const values = { action: v.action, rejectMedia: v.rejectMedia, rejectReports: v.rejectReports, note: v.note, updatedAt: now };
    const row = (
      await this.#db.tx(() =>
        this.#db.w
          .insert(p)
          .values({ host: v.host, createdBy: a.userId, createdAt: now, ...values })
          .onConflictDoUpdate({ target: p.host, set: values })
          .returning(),
      )
    )[0];
    this.forget();
    return row;
  }

  async removeRule(actor: Actor | null, host: unknown): Promise<void> {
    requireRole(actor, 'admin');
    const h = parse(hostSchema, host);
    const { federationPolicies: p } = this.#db.t;
    const gone = await this.#db.tx(() => this.#db.w.delete(p).where(eq(p.host, h)).returning({ host: p.host }));
    if (!gone.length) throw fail.notFound();
    this.forget();
  }
}
