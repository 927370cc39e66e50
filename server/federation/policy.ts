// What the administrator decided about other servers (decision 0017). Two modes: `open` (every
// server but the blocked ones) and `allowlist` (only the servers allowed: a movement's network of
// trusted instances, the mode proposed at setup). Per server: block (nothing in, nothing out),
// silence (kept out of public timelines and discovery), reject media (their pictures are not
// shown), reject reports (their Flags are dropped). Checked on every way in and out: inbox,
// fetches, lookups, remote media, deliveries.
//
// A rule on a name covers its subdomains, and the most specific rule wins (as Mastodon's domain
// blocks and allows do): blocking `example.org` also blocks `social.example.org`, whose owner
// controls both; shared block lists are written with that meaning.
import { asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Database, Schema } from '../db/client.ts';
import { fail } from '../errors.ts';
import { checkbox, parse, text } from '../validation.ts';
import { type Actor, requireRole } from '../accounts/actor.ts';
import { ACTION_OF, formatBlocklist, importError, MAX_IMPORT_BYTES, parseBlocklist } from './blocklist.ts';
import type { KnownInstance, KnownInstances } from './instances.ts';

export type FederationMode = 'open' | 'allowlist';
export type PolicyRow = Schema['federationPolicies']['$inferSelect'];
type Action = PolicyRow['action'];
export interface HostRules {
  /** Whether anything may come from or go to this server. */
  federates: boolean;
  silenced: boolean;
  rejectMedia: boolean;
  rejectReports: boolean;
}
export interface ImportResult {
  created: number;
  updated: number;
  unchanged: number;
  /** Lines not applied (the first SKIPPED_SHOWN): our own name, a server the allow-list keeps out, a noop without a flag. */
  skipped: { line: number; host: string; reason: 'own' | 'not_allowed' | 'nothing' }[];
  skippedCount: number;
}

const MODE_KEY = 'federation_mode';
const CACHE_MS = 5000;
const SKIPPED_SHOWN = 100;
const OPEN: HostRules = { federates: true, silenced: false, rejectMedia: false, rejectReports: false };
/** How much an action restricts: an import may only move a server up this scale. */
const STRICTNESS: Record<Action, number> = { allow: 0, silence: 1, block: 2 };

/** A server's name as compared everywhere: lower case, IDNA (punycode), port kept unless 80/443, no dot at the end. */
export function normalizeHost(input: string): string | null {
  const raw = input
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\//, '')
    .replace(/[/?#].*$/s, '');
  if (!raw || raw.length > 300 || /[\s@\\]/.test(raw) || raw.includes('://')) return null;
  let url: URL;
  try {
    url = new URL(`https://${raw}`);
  } catch {
    return null;
  }
  const name = url.hostname.replace(/\.+$/, '');
  // An IP literal, or a name of at least two DNS labels (letters, digits, hyphens; `_` seen in the wild).
  const ip = /^\[[0-9a-f:.]+\]$/.test(name) || /^\d{1,3}(\.\d{1,3}){3}$/.test(name);
  const labels = name.split('.');
  const dns = labels.length >= 2 && name.length <= 253 && labels.every((l) => /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/.test(l)) && !/^\d+$/.test(labels.at(-1)!);
  if (!ip && !dns) return null;
  // Federation runs on the default ports; a URL's `host` never shows them, so neither do rules.
  const port = url.port === '' || url.port === '80' || url.port === '443' ? '' : `:${url.port}`;
  return name + port;
}

/** The names a rule may be written on for this host, most specific first (name with port, name, parents). */
export function ruleCandidates(host: string): string[] {
  const m = /^(.*?)(:\d+)?$/.exec(host)!;
  const name = m[1];
  const out = m[2] ? [host] : [];
  if (name.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return [...out, name];
  const labels = name.split('.');
  for (let i = 0; i < labels.length - 1; i++) out.push(labels.slice(i).join('.'));
  return out;
}

function ruleFor<R>(rules: ReadonlyMap<string, R>, host: string): R | undefined {
  for (const candidate of ruleCandidates(host)) {
    const rule = rules.get(candidate);
    if (rule) return rule;
  }
  return undefined;
}

const hostSchema = z
  .string({ error: 'federation.host_invalid' })
  .max(300, 'federation.host_invalid')
  .transform((h, c) => {
    const n = normalizeHost(h);
    if (!n) c.addIssue({ code: 'custom', message: 'federation.host_invalid' });
    return n ?? '';
  });
const ruleSchema = z.object({
  host: hostSchema,
  action: z.enum(['allow', 'block', 'silence'], { error: 'federation.action_invalid' }),
  // Checkboxes of the admin page ("on") as well as JSON booleans.
  rejectMedia: checkbox.default(false),
  rejectReports: checkbox.default(false),
  note: text(500).optional().default(''),
});
const modeSchema = z.object({ mode: z.enum(['open', 'allowlist'], { error: 'federation.mode_invalid' }) });

export class FederationPolicy {
  readonly #db: Database;
  readonly #ownHost: string;
  #cache: { at: number; mode: FederationMode; rules: Map<string, PolicyRow> } | null = null;
  // Bumped by every change: a read that started before it must not be cached after it.
  #generation = 0;

  constructor(db: Database, publicUrl: URL) {
    this.#db = db;
    this.#ownHost = normalizeHost(publicUrl.host) ?? publicUrl.host;
  }

  async #readMode(): Promise<FederationMode> {
    const { instanceSettings: s } = this.#db.t;
    const stored = (await this.#db.q.select().from(s).where(eq(s.key, MODE_KEY)))[0]?.value;
    // Instances set up before the choice existed have no stored mode: they stay open.
    return stored === 'allowlist' ? 'allowlist' : 'open';
  }

  async #load() {
    if (this.#cache && Date.now() - this.#cache.at < CACHE_MS) return this.#cache;
    const generation = this.#generation;
    const { federationPolicies: p } = this.#db.t;
    const [rows, mode] = await Promise.all([this.#db.q.select().from(p), this.#readMode()]);
    const loaded = { at: Date.now(), mode, rules: new Map(rows.map((r) => [r.host, r])) };
    if (generation === this.#generation) this.#cache = loaded;
    return loaded;
  }

  /** Drops what was read (after a change here; other processes see it within CACHE_MS). */
  forget(): void {
    this.#generation++;
    this.#cache = null;
  }

  /** Forgets once the current transaction commits: a read before that would cache the old rules. */
  #forgetAfterCommit(): void {
    this.forget();
    this.#db.afterCommit(() => this.forget());
  }

  async mode(): Promise<FederationMode> {
    return (await this.#load()).mode;
  }

  /** What applies to a server (`host` as in a URL: name and port). A server we do not federate with gives nothing. */
  async rules(host: string): Promise<HostRules> {
    const h = normalizeHost(host) ?? host.toLowerCase();
    if (h === this.#ownHost) return OPEN;
    const { mode, rules } = await this.#load();
    const rule = ruleFor(rules, h);
    const federates = rule ? rule.action !== 'block' : mode === 'open';
    if (!federates) return { federates, silenced: true, rejectMedia: true, rejectReports: true };
    return { federates, silenced: rule?.action === 'silence', rejectMedia: Boolean(rule?.rejectMedia), rejectReports: Boolean(rule?.rejectReports) };
  }

  async federatesWith(host: string): Promise<boolean> {
    return (await this.rules(host)).federates;
  }

  #hidden: { at: number; generation: number; hosts: string[] } | null = null;

  /**
   * The servers whose content stays out of public lists here (public timeline, hashtags,
   * search): silenced ones, and blocked ones whose content arrived before the block. Among the
   * servers we know people or groups of; kept as long as the rules.
   */
  async hiddenHosts(): Promise<string[]> {
    await this.#load();
    const cached = this.#hidden;
    if (cached && cached.generation === this.#generation && Date.now() - cached.at < CACHE_MS) return cached.hosts;
    const generation = this.#generation;
    const { remoteActors: r } = this.#db.t;
    const known = (await this.#db.q.selectDistinct({ host: r.host }).from(r)).map((x) => x.host);
    const hosts: string[] = [];
    for (const host of known) {
      const rules = await this.rules(host);
      if (rules.silenced || !rules.federates) hosts.push(host);
    }
    this.#hidden = { at: Date.now(), generation, hosts };
    return hosts;
  }

  // Administration (admins; moderators may read).

  async list(actor: Actor | null): Promise<{ mode: FederationMode; rules: PolicyRow[] }> {
    requireRole(actor, 'admin', 'moderator');
    const { federationPolicies: p } = this.#db.t;
    return { mode: await this.#readMode(), rules: await this.#db.q.select().from(p).orderBy(asc(p.host)) };
  }

  /** The admin page's facts: mode, rules, and the servers we heard from with what applies to each. */
  async overview(actor: Actor | null, known: Pick<KnownInstances, 'list'>) {
    const { mode, rules } = await this.list(actor);
    const byHost = new Map(rules.map((r) => [r.host, r]));
    const instances = (await known.list(actor)).map((i: KnownInstance) => {
      const rule = ruleFor(byHost, normalizeHost(i.host) ?? i.host);
      return { ...i, rule: rule?.host ?? null, action: rule?.action ?? null, federates: rule ? rule.action !== 'block' : mode === 'open' };
    });
    return { mode, ownHost: this.#ownHost, rules, instances };
  }

  async setMode(actor: Actor | null, input: unknown): Promise<FederationMode> {
    requireRole(actor, 'admin');
    const { mode } = parse(modeSchema, input);
    await this.writeMode(mode);
    return mode;
  }

  /** Stores the mode (also at setup, before any administrator is logged in; joins its transaction). */
  async writeMode(mode: FederationMode): Promise<void> {
    const { instanceSettings: s } = this.#db.t;
    const now = new Date();
    await this.#db.tx(async () => {
      await this.#db.w.insert(s).values({ key: MODE_KEY, value: mode, updatedAt: now }).onConflictDoUpdate({ target: s.key, set: { value: mode, updatedAt: now } });
      this.#forgetAfterCommit();
    });
  }

  async setRule(actor: Actor | null, input: unknown): Promise<PolicyRow> {
    const a = requireRole(actor, 'admin');
    const v = parse(ruleSchema, input);
    if (v.host === this.#ownHost) throw fail.invalid({ host: 'federation.host_own' });
    const { federationPolicies: p } = this.#db.t;
    const now = new Date();
    const values = { action: v.action, rejectMedia: v.rejectMedia, rejectReports: v.rejectReports, note: v.note, updatedAt: now };
    return this.#db.tx(async () => {
      const [row] = await this.#db.w
        .insert(p)
        .values({ host: v.host, createdBy: a.userId, createdAt: now, ...values })
        .onConflictDoUpdate({ target: p.host, set: values })
        .returning();
      this.#forgetAfterCommit();
      return row;
    });
  }

  async removeRule(actor: Actor | null, host: unknown): Promise<void> {
    requireRole(actor, 'admin');
    const h = parse(z.object({ host: hostSchema }), { host }).host;
    const { federationPolicies: p } = this.#db.t;
    await this.#db.tx(async () => {
      const gone = await this.#db.w.delete(p).where(eq(p.host, h)).returning({ host: p.host });
      if (!gone.length) throw fail.notFound();
      this.#forgetAfterCommit();
    });
  }

  /** The rules as Mastodon's domain-block CSV (moderators may read it too). */
  async exportBlocks(actor: Actor | null): Promise<string> {
    return formatBlocklist((await this.list(actor)).rules);
  }

  /**
   * Imports a Mastodon block list (or a plain list of names), all or nothing. An import only ever
   * restricts: it never lifts a block, unsilences or clears a flag, never lets in a server the
   * allow-list keeps out, and never touches our own name (shared lists may well contain it).
   */
  async importBlocks(actor: Actor | null, input: unknown): Promise<ImportResult> {
    const a = requireRole(actor, 'admin');
    if (typeof input !== 'string' || input.includes('\u0000')) throw importError('federation_admin.import_invalid_file');
    if (Buffer.byteLength(input) > MAX_IMPORT_BYTES) throw importError('federation_admin.import_too_large', { max: MAX_IMPORT_BYTES / 1024 / 1024 });
    const entries = parseBlocklist(input, normalizeHost);
    const result: ImportResult = { created: 0, updated: 0, unchanged: 0, skipped: [], skippedCount: 0 };
    const { federationPolicies: p } = this.#db.t;
    await this.#db.tx(async () => {
      const mode = await this.#readMode();
      const rules = new Map((await this.#db.q.select().from(p)).map((r) => [r.host, r]));
      const before = new Map(rules);
      const changed = new Map<string, PolicyRow>();
      const seen = new Set<string>();
      const now = new Date();
      for (const e of entries) {
        const wanted = ACTION_OF[e.severity];
        const current = ruleFor(rules, e.host);
        const skip = (reason: ImportResult['skipped'][number]['reason']) => {
          if (result.skippedCount++ < SKIPPED_SHOWN) result.skipped.push({ line: e.line, host: e.host, reason });
        };
        if (e.host === this.#ownHost) skip('own');
        // A "noop" without a flag restricts nothing: storing it would only add an allow-list entry.
        else if (wanted === 'allow' && !e.rejectMedia && !e.rejectReports) skip('nothing');
        // Off the allow-list, a silence or a limit would let the server in: it stays out.
        else if (mode === 'allowlist' && !current && wanted !== 'block') skip('not_allowed');
        else {
          const exact = rules.get(e.host);
          const next: PolicyRow = {
            host: e.host,
            action: current && STRICTNESS[current.action] > STRICTNESS[wanted] ? current.action : wanted,
            rejectMedia: e.rejectMedia || Boolean(current?.rejectMedia),
            rejectReports: e.rejectReports || Boolean(current?.rejectReports),
            note: e.comment || exact?.note || '',
            createdBy: exact?.createdBy ?? a.userId,
            createdAt: exact?.createdAt ?? now,
            updatedAt: now,
          };
          seen.add(e.host);
          const same = exact && exact.action === next.action && exact.rejectMedia === next.rejectMedia && exact.rejectReports === next.rejectReports && exact.note === next.note;
          if (!same) {
            rules.set(e.host, next);
            changed.set(e.host, next);
          }
        }
      }
      for (const host of seen) result[!changed.has(host) ? 'unchanged' : before.has(host) ? 'updated' : 'created']++;
      const rows = [...changed.values()];
      // Batches keep each statement under the databases' limits on bound values.
      for (let i = 0; i < rows.length; i += 500) {
        await this.#db.w
          .insert(p)
          .values(rows.slice(i, i + 500))
          .onConflictDoUpdate({
            target: p.host,
            set: { action: sql`excluded.action`, rejectMedia: sql`excluded.reject_media`, rejectReports: sql`excluded.reject_reports`, note: sql`excluded.note`, updatedAt: sql`excluded.updated_at` },
          });
      }
      if (rows.length) this.#forgetAfterCommit();
    });
    return result;
  }
}
