// Per-actor key pairs, generated on first use and kept as JWK: one RSASSA-PKCS1-v1_5 key for
// HTTP Signatures (what Mastodon verifies) and one Ed25519 key for FEP-8b32 object proofs.
import { and, eq } from 'drizzle-orm';
import { exportJwk, generateCryptoKeyPair, importJwk } from '@fedify/fedify';
import type { Database } from '../db/client.ts';

const ALGORITHMS = ['RSASSA-PKCS1-v1_5', 'Ed25519'] as const;
type Algorithm = (typeof ALGORITHMS)[number];

/** Imported keys kept in memory: importing an RSA private key costs more than serving an actor. */
const CACHE_SIZE = 2000;

export class ActorKeys {
  readonly #db: Database;
  readonly #cache = new Map<string, CryptoKeyPair[]>();
  constructor(db: Database) {
    this.#db = db;
  }

  /** Forgets an actor's keys (account erased). */
  forget(actorId: string): void {
    this.#cache.delete(actorId);
  }

  async #load(actorId: string, algorithm: Algorithm): Promise<CryptoKeyPair | null> {
    const { actorKeys: k } = this.#db.t;
    const row = (await this.#db.q.select().from(k).where(and(eq(k.actorId, actorId), eq(k.algorithm, algorithm))))[0];
    if (!row) return null;
    return {
      publicKey: await importJwk(JSON.parse(row.publicJwk), 'public'),
      privateKey: await importJwk(JSON.parse(row.privateJwk), 'private'),
    };
  }

  /** The actor's key pairs, RSA first; created and stored the first time. */
  async pairs(actorId: string): Promise<CryptoKeyPair[]> {
    const cached = this.#cache.get(actorId);
    if (cached) return cached;
    const pairs = await this.#loadOrCreate(actorId);
    if (this.#cache.size >= CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(actorId, pairs);
    return pairs;
  }

  async #loadOrCreate(actorId: string): Promise<CryptoKeyPair[]> {
    const pairs: CryptoKeyPair[] = [];
    for (const algorithm of ALGORITHMS) {
      let pair = await this.#load(actorId, algorithm);
      if (!pair) {
        const fresh = await generateCryptoKeyPair(algorithm);
        const { actorKeys: k } = this.#db.t;
        await this.#db.tx(async () => {
          // Two first requests may race: the first insert wins, both then read the winner.
          await this.#db.w
            .insert(k)
            .values({
              actorId,
              algorithm,
              publicJwk: JSON.stringify(await exportJwk(fresh.publicKey)),
              privateJwk: JSON.stringify(await exportJwk(fresh.privateKey)),
              createdAt: new Date(),
            })
            .onConflictDoNothing();
        });
        pair = (await this.#load(actorId, algorithm))!;
      }
      pairs.push(pair);
    }
    return pairs;
  }
}
