// Named rate-limit policies, consumed by services (not by routes: every adapter must hit them).
// In memory for one process; in Redis when REDIS_URL is set, so that several processes share
// the counts. Buckets keyed by an email use a hash of it, never the address.
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { fail } from '../errors.ts';
import { bucketKey } from '../accounts/secrets.ts';

/** points per duration (seconds); blockDuration (seconds) once exhausted. */
const POLICIES = {
  'signup:ip': { points: 10, duration: 3600 },
  'signup:email': { points: 3, duration: 3600 },
  'code-send:ip': { points: 20, duration: 3600 },
  'code-send:email': { points: 5, duration: 3600 },
  'code-verify:ip': { points: 30, duration: 600 },
  'password-login:ip': { points: 30, duration: 600 },
  // ASVS 2.2.1 asks for at most 100 failures an hour per account; we allow 10 per 15 min. Code
  // login stays open, so an attacker cannot lock a member out by burning this bucket.
  'password-login:account': { points: 10, duration: 900 },
  'password-change:account': { points: 10, duration: 3600 },
  'setup:ip': { points: 10, duration: 3600 },
  'upload:account': { points: 30, duration: 3600 },
  'remote-lookup:account': { points: 60, duration: 600 },
  // Posting: generous for real use, a brake on spam bursts.
  'post:account': { points: 30, duration: 600 },
  'comment:account': { points: 60, duration: 600 },
  'friend-request:account': { points: 50, duration: 3600 },
  'group-create:account': { points: 5, duration: 86400 },
  'event-create:account': { points: 30, duration: 86400 },
  'rsvp:account': { points: 60, duration: 600 },
  'event-invite:account': { points: 300, duration: 3600 },
  'report:account': { points: 30, duration: 3600 },
  // Chat: a burst of quick lines is normal ("on est à l'entrée du marché"), a flood is not.
  'chat:account': { points: 120, duration: 60 },
  'chat:room': { points: 1200, duration: 60 },
  'chat-room:account': { points: 30, duration: 3600 },
  'search:ip': { points: 120, duration: 60 },
  // A map view loads 20–60 tiles; panning around a city a few hundred a minute.
  'tiles:ip': { points: 1500, duration: 60 },
} as const;

export type PolicyName = keyof typeof POLICIES;

export class RateLimits {
  readonly #limiters = new Map<PolicyName, RateLimiterAbstract>();
  #enabled = true;

  constructor(redis: Redis | null) {
    for (const [name, p] of Object.entries(POLICIES) as [PolicyName, { points: number; duration: number }][]) {
      const memory = new RateLimiterMemory({ keyPrefix: name, points: p.points, duration: p.duration });
      this.#limiters.set(
        name,
        redis
          ? new RateLimiterRedis({
              storeClient: redis,
              useRedisPackage: false,
              keyPrefix: `rl:${name}`,
              points: p.points,
              duration: p.duration,
              insuranceLimiter: memory, // Redis down: keep limiting per process
            })
          : memory,
      );
    }
  }

  /** Tests and benchmarks that are not about rate limits may turn them off. */
  disable() {
    this.#enabled = false;
  }

  /** Takes one point from each bucket; throws rate_limited (with Retry-After) when one is empty. */
  async consume(...buckets: [PolicyName, string][]): Promise<void> {
    if (!this.#enabled) return;
    for (const [name, key] of buckets) {
      try {
        await this.#limiters.get(name)!.consume(name.endsWith(':email') || name.endsWith(':account') ? bucketKey(key) : key);
      } catch (e) {
        if (e instanceof RateLimiterRes) throw fail.rateLimited(Math.ceil(e.msBeforeNext / 1000));
        throw e;
      }
    }
  }

  /** Forgets a bucket (e.g. after a successful password login). */
  async reset(name: PolicyName, key: string): Promise<void> {
    await this.#limiters.get(name)!.delete(name.endsWith(':email') || name.endsWith(':account') ? bucketKey(key) : key);
  }
}
