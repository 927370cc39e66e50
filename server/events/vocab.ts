// The two lists the administrator edits: kinds of action (leafleting, door-to-door…) and the
// concerns heard in the field (cost of living, housing…). Entries are never deleted, only
// archived: past events and reports keep pointing at them.
import { and, asc, eq, max } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import { fail } from '../errors.ts';
import { type Actor, requireRole } from '../accounts/actor.ts';
import { slugify } from '../accounts/usernames.ts';
import { parse, text } from '../validation.ts';
import { optionalInt } from './schemas.ts';
import type { Locale } from '../../web/lib/i18n/index.ts';

export type Vocabulary = 'kind' | 'concern';
export const METRICS = ['doors', 'leaflets', 'people'] as const;
export type Metric = (typeof METRICS)[number];

export interface VocabEntry {
  key: string;
  label: string;
  labelFr: string;
  labelEn: string;
  metrics: Metric[];
  position: number;
  archived: boolean;
}

const CACHE_MS = 30_000;

const entrySchema = z.object({
  labelFr: text(80).pipe(z.string().min(2, 'vocab.label_invalid')),
  labelEn: text(80).pipe(z.string().min(2, 'vocab.label_invalid')),
  metrics: z
    .union([z.array(z.enum(METRICS, { error: 'validation.invalid' })).max(3), z.enum(METRICS, { error: 'validation.invalid' })])
    .optional()
    .transform((v) => (v === undefined ? undefined : Array.isArray(v) ? [...new Set(v)] : [v])),
  position: optionalInt(0, 1000, 'vocab.position_invalid').transform((v) => v ?? undefined),
});
const vocabularySchema = z.enum(['kind', 'concern'], { error: 'validation.invalid' });

export class VocabService {
  readonly #db: Database;
  #cache: { at: number; rows: Omit<VocabEntry, 'label'>[]; byVocab: Map<Vocabulary, Omit<VocabEntry, 'label'>[]> } | null = null;

  constructor(db: Database) {
    this.#db = db;
  }

  async #all(): Promise<Map<Vocabulary, Omit<VocabEntry, 'label'>[]>> {
    if (this.#cache && Date.now() - this.#cache.at < CACHE_MS) return this.#cache.byVocab;
    const { eventVocab: v } = this.#db.t;
    const rows = await this.#db.q.select().from(v).orderBy(asc(v.vocabulary), asc(v.position), asc(v.key));
    const byVocab = new Map<Vocabulary, Omit<VocabEntry, 'label'>[]>([
      ['kind', []],
      ['concern', []],
    ]);
    const mapped = rows.map((r) => ({
      key: r.key,
      labelFr: r.labelFr,
      labelEn: r.labelEn,
      metrics: (JSON.parse(r.metrics) as string[]).filter((m): m is Metric => (METRICS as readonly string[]).includes(m)),
      position: r.position,
      archived: r.archived,
      vocabulary: r.vocabulary,
    }));
    for (const r of mapped) byVocab.get(r.vocabulary)!.push(r);
    this.#cache = { at: Date.now(), rows: mapped, byVocab };
    return byVocab;
  }

  /** The entries of a list in a language (archived ones only when asked). */
  async list(vocabulary: Vocabulary, locale: Locale, opts: { archived?: boolean } = {}): Promise<VocabEntry[]> {
    const rows = (await this.#all()).get(vocabulary) ?? [];
    return rows.filter((r) => opts.archived || !r.archived).map((r) => ({ ...r, label: locale === 'en' ? r.labelEn : r.labelFr }));
  }

  /** Labels of every entry, archived included (to show old events and reports). */
  async labels(vocabulary: Vocabulary, locale: Locale): Promise<Map<string, string>> {
    return new Map((await this.list(vocabulary, locale, { archived: true })).map((e) => [e.key, e.label]));
  }

  /** Whether a key is a current (not archived) entry. */
  async isActive(vocabulary: Vocabulary, key: string): Promise<boolean> {
    return ((await this.#all()).get(vocabulary) ?? []).some((r) => r.key === key && !r.archived);
  }

  async entry(vocabulary: Vocabulary, key: string, locale: Locale): Promise<VocabEntry | undefined> {
    return (await this.list(vocabulary, locale, { archived: true })).find((e) => e.key === key);
  }

  /** Both lists with archived entries, for the administrator's page. */
  async adminList(actor: Actor | null, locale: Locale): Promise<{ kinds: VocabEntry[]; concerns: VocabEntry[] }> {
    requireRole(actor, 'admin');
    return { kinds: await this.list('kind', locale, { archived: true }), concerns: await this.list('concern', locale, { archived: true }) };
  }

  /** Adds an entry (administrators); its key is derived from the French label. */
  async add(actor: Actor | null, vocabularyInput: unknown, input: unknown): Promise<VocabEntry> {
    requireRole(actor, 'admin');
    const vocabulary = parse(vocabularySchema, vocabularyInput);
    const v = parse(entrySchema, input);
    const { eventVocab: t } = this.#db.t;
    const key = await this.#db.tx(async () => {
      const base = slugify(v.labelFr).slice(0, 40) || 'entry';
      let candidate = base;
      for (let i = 2; (await this.#db.q.select({ k: t.key }).from(t).where(and(eq(t.vocabulary, vocabulary), eq(t.key, candidate)))).length; i++) candidate = `${base}_${i}`;
      const last = (await this.#db.q.select({ p: max(t.position) }).from(t).where(eq(t.vocabulary, vocabulary)))[0]?.p ?? -1;
      await this.#db.w.insert(t).values({ vocabulary, key: candidate, labelFr: v.labelFr, labelEn: v.labelEn, metrics: JSON.stringify(v.metrics ?? []), position: v.position ?? Number(last) + 1 });
      return candidate;
    });
    this.#cache = null;
    return (await this.entry(vocabulary, key, 'fr'))!;
  }

  /** Renames an entry, changes its counters or position (administrators). */
  async update(actor: Actor | null, vocabularyInput: unknown, key: unknown, input: unknown): Promise<void> {
    requireRole(actor, 'admin');
    const vocabulary = parse(vocabularySchema, vocabularyInput);
    const v = parse(entrySchema, input);
    const { eventVocab: t } = this.#db.t;
    const changed = await this.#db.tx(async () =>
      this.#db.w
        .update(t)
        .set({ labelFr: v.labelFr, labelEn: v.labelEn, ...(v.metrics ? { metrics: JSON.stringify(v.metrics) } : {}), ...(v.position !== undefined ? { position: v.position } : {}) })
        .where(and(eq(t.vocabulary, vocabulary), eq(t.key, String(key))))
        .returning({ k: t.key }),
    );
    if (!changed.length) throw fail.notFound();
    this.#cache = null;
  }

  /** Archives an entry (no longer offered) or brings it back (administrators). */
  async setArchived(actor: Actor | null, vocabularyInput: unknown, key: unknown, archived: boolean): Promise<void> {
    requireRole(actor, 'admin');
    const vocabulary = parse(vocabularySchema, vocabularyInput);
    const { eventVocab: t } = this.#db.t;
    await this.#db.tx(async () => {
      const changed = await this.#db.w.update(t).set({ archived }).where(and(eq(t.vocabulary, vocabulary), eq(t.key, String(key)))).returning({ k: t.key });
      if (!changed.length) throw fail.notFound();
      if (archived && vocabulary === 'kind') {
        const left = await this.#db.q.select({ k: t.key }).from(t).where(and(eq(t.vocabulary, 'kind'), eq(t.archived, false)));
        if (!left.length) throw fail.conflict('vocab.last_kind');
      }
    });
    this.#cache = null;
  }
}
