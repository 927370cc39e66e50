// Random identifiers and secrets, and how secrets are stored: only as SHA-256 hashes, compared in
// constant time (ASVS 11.5.1 / 7.2.3: at least 128 bits from a CSPRNG).
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';

/** A random, URL-safe, non-sequential identifier (80 bits) for rows shown in URLs. */
export function newId(): string {
  return encodeBase32LowerCaseNoPadding(randomBytes(10));
}

/** A random secret of 160 bits, URL-safe. */
export function newSecret(): string {
  return encodeBase32LowerCaseNoPadding(randomBytes(20));
}

/** A 6-digit one-time code. */
export function newCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Compares a secret with a stored hash in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A stable, non-reversible key for rate-limit buckets that would otherwise hold an email. */
export function bucketKey(value: string): string {
  return createHash('sha256').update(value.toLowerCase()).digest('base64url').slice(0, 22);
}
