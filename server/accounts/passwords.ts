// Password hashing with argon2id at OWASP's parameters (m=19 MiB, t=2, p=1; ASVS 11.4.2), and
// the password rules of ASVS 6.2: length 8–128, no composition rules, no common passwords.
import { hash, verify } from '@node-rs/argon2';
import { COMMON_PASSWORDS } from './common-passwords.ts';
import type { MessageKey } from '../../web/lib/i18n/index.ts';

const ARGON2 = { algorithm: 2 /* argon2id */, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

export function hashPassword(password: string): Promise<string> {
  return hash(password.normalize('NFKC'), ARGON2);
}

// A real hash of a random password, verified against when the account does not exist, so that a
// login attempt takes the same time whether or not the email is known (ASVS 6.3.8).
let dummyHash: Promise<string> | null = null;

/** Verifies a password; with no stored hash, spends the same time and returns false. */
export async function verifyPassword(storedHash: string | null, password: string): Promise<boolean> {
  if (!storedHash) {
    dummyHash ??= hashPassword(crypto.randomUUID());
    await verify(await dummyHash, password).catch(() => false);
    return false;
  }
  try {
    return await verify(storedHash, password.normalize('NFKC'));
  } catch {
    return false;
  }
}

/** Returns the rule a new password breaks, or null. */
export function passwordProblem(password: string, personal: string[]): { key: MessageKey; params?: Record<string, number> } | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN) return { key: 'password.too_short', params: { min: PASSWORD_MIN } };
  if (length > PASSWORD_MAX) return { key: 'password.too_long', params: { max: PASSWORD_MAX } };
  const lower = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) return { key: 'password.common' };
  for (const p of personal) {
    const part = p.toLowerCase().split('@')[0];
    if (part.length >= 4 && lower.includes(part)) return { key: 'password.personal' };
  }
  return null;
}
