// The instance policy: how server names are compared, and what each mode and rule lets through,
// on both databases. The rules are read through the service (cache included), as every way in
// and out reads them.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects, type TestDatabase } from '../../tests/helpers/db.ts';
import type { Actor } from '../accounts/actor.ts';
import { FederationPolicy, normalizeHost, ruleCandidates, type HostRules } from './policy.ts';

describe('normalizeHost', () => {
  it.each([
    ['Example.ORG', 'example.org'],
    ['example.org.', 'example.org'],
    ['  example.org  ', 'example.org'],
    ['example.org:8443', 'example.org:8443'],
    ['example.org.:8443', 'example.org:8443'],
    ['example.org:443', 'example.org'],
    ['example.org:80', 'example.org'],
    ['https://Example.org/users/alice?x=1#y', 'example.org'],
    ['http://example.org:3000/', 'example.org:3000'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['BÜCHER.example', 'xn--bcher-kva.example'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['127.0.0.1:8080', '127.0.0.1:8080'],
    ['[::1]:8080', '[::1]:8080'],
    ['under_score.example.org', 'under_score.example.org'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeHost(input)).toBe(expected);
  });

  it.each([
    '',
    '   ',
    'alice@example.org',
    '@alice@example.org',
    'https://alice@example.org/',
    'localhost',
    'example',
    'exa mple.org',
    'example..org',
    '-example.org',
    'example.org:99999',
    'example.org:port',
    'ftp://example.org',
    'javascript:alert(1)',
    '*.example.org',
    'exa%mple.org',
    `${'a'.repeat(64)}.org`,
  ])('refuses %j', (input) => {
    expect(normalizeHost(input)).toBeNull();
  });

  it('lists the names a rule may be written on, most specific first', () => {
    expect(ruleCandidates('a.b.example.org:8443')).toEqual(['a.b.example.org:8443', 'a.b.example.org', 'b.example.org', 'example.org']);
    expect(ruleCandidates('example.org')).toEqual(['example.org']);
    expect(ruleCandidates('127.0.0.1:8080')).toEqual(['127.0.0.1:8080', '127.0.0.1']);
  });
});

describe.each(dialects)('FederationPolicy on %s', (dialect) => {
  let h: TestDatabase;
  let policy: FederationPolicy;
  let admin: Actor;
  const OWN = 'our.example';

  beforeAll(async () => {
    h = await createTestDatabase(dialect);
    policy = new FederationPolicy(h.db, new URL(`https://${OWN}`));
    const now = new Date();
    const { users } = h.db.t;
    await h.db.tx(() =>
      h.db.w.insert(users).values({ id: 'admin0000000000a', username: 'admin', searchName: 'admin', email: 'admin@our.example', displayName: 'Admin', role: 'admin', createdAt: now, updatedAt: now }),
    );
    admin = { userId: 'admin0000000000a', role: 'admin', sessionId: null };
  });
  afterAll(() => h.cleanup());

  beforeEach(async () => {
    await h.db.tx(() => h.db.w.delete(h.db.t.federationPolicies));
    policy.forget();
  });

  it('treats an instance without a stored mode as open (set up before the choice existed)', async () => {
    expect(await policy.mode()).toBe('open');
    expect(await policy.federatesWith('anyone.example')).toBe(true);
  });

  const rule = (r: Partial<HostRules>): HostRules => ({ federates: true, silenced: false, rejectMedia: false, rejectReports: false, ...r });
  const EXCLUDED = rule({ federates: false, silenced: true, rejectMedia: true, rejectReports: true });
  const matrix: [mode: 'open' | 'allowlist', action: 'none' | 'allow' | 'silence' | 'block', expected: HostRules][] = [
    ['open', 'none', rule({})],
    ['open', 'allow', rule({})],
    ['open', 'silence', rule({ silenced: true })],
    ['open', 'block', EXCLUDED],
    ['allowlist', 'none', EXCLUDED],
    ['allowlist', 'allow', rule({})],
    ['allowlist', 'silence', rule({ silenced: true })],
    ['allowlist', 'block', EXCLUDED],
  ];
  for (const [mode, action, expected] of matrix) {
    it(`mode ${mode}, ${action === 'none' ? 'no rule' : `rule ${action}`}: ${expected.federates ? 'federates' : 'excluded'}${expected.federates && expected.silenced ? ', silenced' : ''}`, async () => {
      await policy.writeMode(mode);
      if (action !== 'none') await policy.setRule(admin, { host: 'remote.example', action });
      expect(await policy.rules('remote.example')).toEqual(expected);
      expect(await policy.rules('REMOTE.example.')).toEqual(expected);
      expect(await policy.federatesWith('remote.example')).toBe(expected.federates);
      // Our own name always federates, whatever the mode and rules.
      expect(await policy.rules(OWN)).toEqual(rule({}));
    });
  }

  it('carries reject media and reject reports on servers it federates with', async () => {
    await policy.writeMode('allowlist');
    await policy.setRule(admin, { host: 'media.example', action: 'allow', rejectMedia: true });
    await policy.setRule(admin, { host: 'reports.example', action: 'silence', rejectReports: 'on' });
    expect(await policy.rules('media.example')).toEqual(rule({ rejectMedia: true }));
    expect(await policy.rules('reports.example')).toEqual(rule({ silenced: true, rejectReports: true }));
  });

  it('applies a rule to subdomains, the most specific rule winning', async () => {
    await policy.writeMode('open');
    await policy.setRule(admin, { host: 'example.net', action: 'block' });
    await policy.setRule(admin, { host: 'good.example.net', action: 'allow' });
    expect(await policy.federatesWith('example.net')).toBe(false);
    expect(await policy.federatesWith('social.example.net')).toBe(false);
    expect(await policy.federatesWith('social.example.net:8443')).toBe(false);
    expect(await policy.federatesWith('good.example.net')).toBe(true);
    expect(await policy.federatesWith('a.good.example.net')).toBe(true);
    expect(await policy.federatesWith('notexample.net')).toBe(true);
  });

  it('refuses a rule on our own name, a bad name, action or mode, changing nothing', async () => {
    await expect(policy.setRule(admin, { host: 'OUR.example.', action: 'block' })).rejects.toMatchObject({ kind: 'invalid_input', fields: { host: 'federation.host_own' } });
    await expect(policy.setRule(admin, { host: 'alice@x.example', action: 'block' })).rejects.toMatchObject({ fields: { host: 'federation.host_invalid' } });
    await expect(policy.setRule(admin, { host: 'x.example', action: 'nuke' })).rejects.toMatchObject({ fields: { action: 'federation.action_invalid' } });
    await expect(policy.setMode(admin, { mode: 'closed' })).rejects.toMatchObject({ fields: { mode: 'federation.mode_invalid' } });
    expect((await policy.list(admin)).rules).toEqual([]);
  });

  it('sees a change made here at once (the cache is dropped after commit)', async () => {
    await policy.writeMode('open');
    expect(await policy.federatesWith('late.example')).toBe(true);
    await policy.setRule(admin, { host: 'late.example', action: 'block' });
    expect(await policy.federatesWith('late.example')).toBe(false);
    await policy.removeRule(admin, 'late.example');
    expect(await policy.federatesWith('late.example')).toBe(true);
    await expect(policy.removeRule(admin, 'late.example')).rejects.toMatchObject({ kind: 'not_found' });
  });

  it('lets administrators write and moderators only read', async () => {
    const moderator: Actor = { userId: 'm', role: 'moderator', sessionId: null };
    const member: Actor = { userId: 'u', role: 'member', sessionId: null };
    expect((await policy.list(moderator)).rules).toEqual([]);
    await expect(policy.list(member)).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(policy.list(null)).rejects.toMatchObject({ kind: 'unauthenticated' });
    await expect(policy.setRule(moderator, { host: 'x.example', action: 'block' })).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(policy.setMode(moderator, { mode: 'open' })).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(policy.importBlocks(moderator, 'x.example')).rejects.toMatchObject({ kind: 'forbidden' });
    expect(await policy.exportBlocks(moderator)).toMatch(/^#domain,/);
  });

  describe('block-list import', () => {
    it('imports Mastodon’s CSV: suspend → block, silence → silence, noop → allow with its flags; our own name skipped', async () => {
      await policy.writeMode('open');
      const csv = [
        '#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate',
        'bad.example,suspend,false,false,"Spam, harassment",false',
        'loud.example,silence,true,false,,false',
        'pics.example,noop,true,true,,false',
        'quiet.example,noop,false,false,,false',
        `${OWN},suspend,false,false,,false`,
      ].join('\n');
      const result = await policy.importBlocks(admin, csv);
      expect(result).toMatchObject({ created: 3, updated: 0, unchanged: 0, skippedCount: 2 });
      expect(result.skipped).toEqual([
        { line: 5, host: 'quiet.example', reason: 'nothing' },
        { line: 6, host: OWN, reason: 'own' },
      ]);
      const rules = (await policy.list(admin)).rules.map(({ host, action, rejectMedia, rejectReports, note }) => ({ host, action, rejectMedia, rejectReports, note }));
      expect(rules).toEqual([
        { host: 'bad.example', action: 'block', rejectMedia: false, rejectReports: false, note: 'Spam, harassment' },
        { host: 'loud.example', action: 'silence', rejectMedia: true, rejectReports: false, note: '' },
        { host: 'pics.example', action: 'allow', rejectMedia: true, rejectReports: true, note: '' },
      ]);
      expect(await policy.federatesWith('bad.example')).toBe(false);
      // The export reads back as the same list (and Mastodon reads it: no byte-order mark).
      const exported = await policy.exportBlocks(admin);
      expect(exported.startsWith('#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\r\n')).toBe(true);
      expect(exported).toContain('"bad.example","suspend","false","false","Spam, harassment","false"');
      expect(await policy.importBlocks(admin, exported)).toMatchObject({ created: 0, updated: 0, unchanged: 3 });
    });

    it('only restricts: never lifts a block, never lets in a server the allow-list keeps out', async () => {
      await policy.writeMode('allowlist');
      await policy.setRule(admin, { host: 'friend.example', action: 'allow' });
      await policy.setRule(admin, { host: 'enemy.example', action: 'block', note: 'ours' });
      const list = ['friend.example,silence,false,true,,', 'enemy.example,noop,true,false,,', 'stranger.example,silence,false,false,,', 'worse.example,suspend,false,false,,'];
      const result = await policy.importBlocks(admin, `#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n${list.join('\n')}`);
      expect(result).toMatchObject({ created: 1, updated: 2, skipped: [{ line: 4, host: 'stranger.example', reason: 'not_allowed' }] });
      expect(await policy.rules('friend.example')).toEqual(rule({ silenced: true, rejectReports: true }));
      expect(await policy.rules('enemy.example')).toEqual(EXCLUDED);
      expect((await policy.list(admin)).rules.find((r) => r.host === 'enemy.example')).toMatchObject({ action: 'block', rejectMedia: true, note: 'ours' });
      expect(await policy.federatesWith('stranger.example')).toBe(false);
      expect(await policy.federatesWith('worse.example')).toBe(false);
    });

    it('reads a plain list of names (one a line, # comments) as suspensions', async () => {
      await policy.writeMode('open');
      const result = await policy.importBlocks(admin, '\uFEFF# a shared list, "quoted" words\r\nOne.example\r\n\r\nhttps://two.example/\r\n*.three.example\r\n');
      expect(result).toMatchObject({ created: 3 });
      expect((await policy.list(admin)).rules.map((r) => [r.host, r.action])).toEqual([
        ['one.example', 'block'],
        ['three.example', 'block'],
        ['two.example', 'block'],
      ]);
    });

    const header = '#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n';
    it.each([
      ['a bad name', `${header}good.example,suspend,,,,\nbad name,suspend,,,,`, 'federation_admin.import_bad_host', { line: 3, value: 'bad name' }],
      ['a bad severity', `${header}good.example,destroy,,,,`, 'federation_admin.import_bad_severity', { line: 2, value: 'destroy' }],
      ['a bad boolean', `${header}good.example,suspend,maybe,,,`, 'federation_admin.import_bad_boolean', { line: 2, value: 'maybe' }],
      ['an unclosed quote', `${header}good.example,suspend,,,"oops\n`, 'federation_admin.import_bad_quote', { line: 2 }],
      ['two names on a line of a plain list', 'good.example\nx.example,y.example', 'federation_admin.import_one_per_line', { line: 2 }],
      ['an empty file', '\n# nothing\n', 'federation_admin.import_empty', {}],
      ['too many lines', Array.from({ length: 10_001 }, (_, i) => `s${i}.example`).join('\n'), 'federation_admin.import_too_many', { max: 10_000 }],
    ])('refuses %s, naming the line, and changes nothing', async (_name, text, key, params) => {
      await policy.writeMode('open');
      await expect(policy.importBlocks(admin, text)).rejects.toMatchObject({ kind: 'invalid_input', messageKey: key, params });
      expect((await policy.list(admin)).rules).toEqual([]);
    });

    it('imports 10,000 lines in one transaction', async () => {
      await policy.writeMode('open');
      const result = await policy.importBlocks(admin, Array.from({ length: 10_000 }, (_, i) => `s${i}.example`).join('\n'));
      expect(result.created).toBe(10_000);
      expect(await policy.federatesWith('s9999.example')).toBe(false);
    });
  });
});
