// Pure rules of accounts: passwords, usernames, secrets, session device labels.
import { describe, expect, it } from 'vitest';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.ts';
import { RESERVED_USERNAMES, slugify } from './usernames.ts';
import { hashSecret, newCode, newId, newSecret, secretMatches } from './secrets.ts';
import { deviceLabel } from './sessions.ts';

describe('passwords', () => {
  it('hashes with argon2id at OWASP parameters and verifies', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(hash, 'correct horse battery')).toBe(true);
    expect(await verifyPassword(hash, 'wrong')).toBe(false);
    expect(await verifyPassword(null, 'anything')).toBe(false);
    expect(await verifyPassword('not a hash', 'anything')).toBe(false);
  });

  it('asks for length, not composition, and refuses common or personal passwords', () => {
    expect(passwordProblem('short', [])?.key).toBe('password.too_short');
    expect(passwordProblem('x'.repeat(129), [])?.key).toBe('password.too_long');
    expect(passwordProblem('é'.repeat(128), [])).toBeNull(); // counted in characters, not bytes
    expect(passwordProblem('azertyuiop', [])?.key).toBe('password.common');
    expect(passwordProblem('Password1', [])?.key).toBe('password.common');
    expect(passwordProblem('motdepasse', [])?.key).toBe('password.common');
    expect(passwordProblem('camille2026!', ['camille@example.org'])?.key).toBe('password.personal');
    expect(passwordProblem('tout simplement long', ['camille@example.org'])).toBeNull();
  });
});

describe('usernames', () => {
  it('derive from display names without accents or punctuation', () => {
    expect(slugify('Élise Dupont-Moreau')).toBe('elise_dupont_moreau');
    expect(slugify('  Zoé  ')).toBe('zoe');
    expect(slugify('Marc Œuvray')).toBe('marc_oeuvray'); // ligatures spelled out, not dropped
    expect(slugify('李')).toBe('membre');
    expect(slugify('Al')).toBe('membre_al');
    expect(RESERVED_USERNAMES.has('admin')).toBe(true);
  });
});

describe('secrets', () => {
  it('are random, long enough and compared by hash', () => {
    expect(newId()).toMatch(/^[a-z2-7]{16}$/);
    expect(newSecret()).toMatch(/^[a-z2-7]{32}$/); // 160 bits
    expect(newCode()).toMatch(/^\d{6}$/);
    expect(new Set(Array.from({ length: 1000 }, newId)).size).toBe(1000);
    const s = newSecret();
    expect(secretMatches(s, hashSecret(s))).toBe(true);
    expect(secretMatches(s + 'x', hashSecret(s))).toBe(false);
    expect(secretMatches(s, 'short')).toBe(false);
  });
});

describe('session device labels', () => {
  it('name the browser and system, nothing identifying', () => {
    expect(deviceLabel('Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36')).toBe('Chrome · Android');
    expect(deviceLabel('Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1')).toBe('Safari · iOS');
    expect(deviceLabel('Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0')).toBe('Firefox · Linux');
    expect(deviceLabel('')).toBe('?');
  });
});
