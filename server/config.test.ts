import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('configuration', () => {
  it('has working defaults: SQLite under ./data, localhost:3000, no SMTP', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.publicUrl.href).toBe('http://localhost:3000/');
    expect(c.database).toMatchObject({ dialect: 'sqlite' });
    expect(c.database.dialect === 'sqlite' && c.database.file).toMatch(/data\/militant\.sqlite$/);
    expect(c.smtpUrl).toBeNull();
    expect(c.secure).toBe(false);
    expect(c.role).toBe('all');
  });

  it('reads PostgreSQL, Redis, SMTP, https and proxy settings', () => {
    const c = loadConfig({
      PUBLIC_URL: 'https://militants.example.org',
      DATABASE_URL: 'postgres://u:p@db:5432/militant',
      REDIS_URL: 'redis://redis:6379',
      SMTP_URL: 'smtps://u:p@mail.example.org:465',
      TRUST_PROXY: 'loopback',
      ROLE: 'worker',
    });
    expect(c.secure).toBe(true);
    expect(c.database).toEqual({ dialect: 'postgres', url: 'postgres://u:p@db:5432/militant' });
    expect(c.trustProxy).toBe('loopback');
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
  });

  it('reports every bad value at once, in plain words', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({ PORT: 'eighty', SMTP_URL: 'mail.example.org', REDIS_URL: 'localhost:6379', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toHaveLength(4);
    expect(error!.message).toMatch(/SMTP_URL: must start with smtp:\/\/ or smtps:\/\//);
    expect(error!.message).toMatch(/docs\/configuration\.md/);
  });

  it('refuses a public URL with a path, a bad database URL, and the SSRF escape hatch in production', () => {
    expect(() => loadConfig({ PUBLIC_URL: 'https://example.org/militants' })).toThrow(/origin only/);
    expect(() => loadConfig({ PUBLIC_URL: 'ftp://example.org' })).toThrow(/http/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ ALLOW_PRIVATE_ADDRESS: 'true' })).toThrow(/ALLOW_PRIVATE_ADDRESS/);
    expect(loadConfig({ ALLOW_PRIVATE_ADDRESS: 'true', NODE_ENV: 'test' }).allowPrivateAddress).toBe(true);
  });

  it('treats empty variables as unset, as .env files write them', () => {
    expect(loadConfig({ SMTP_URL: '', DATABASE_URL: '' }).smtpUrl).toBeNull();
  });
});
