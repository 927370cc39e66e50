// The federation policy's API on a real node, on both databases: who may read and write (the
// service decides; this checks every route lands on the same answer), what bad input gets (a
// translated 400 naming the problem, and nothing changed), the setup's default mode, and the
// CSV export and import.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../../tests/helpers/node.ts';
import type { Client } from '../../tests/helpers/client.ts';
import { dialects } from '../../tests/helpers/db.ts';
import { t } from '../../web/lib/i18n/index.ts';

type Who = 'anonymous' | 'member' | 'moderator' | 'admin';
const ALL: Who[] = ['anonymous', 'member', 'moderator', 'admin'];
const HEADER = '#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate';

interface Row {
  name: string;
  method: 'GET' | 'PUT' | 'DELETE' | 'POST';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  allowed: Who[];
  /** Run before each attempt (the rule a DELETE removes must exist for the one who may). */
  before?: (n: TestNode, adminId: string) => Promise<unknown>;
}

const rows: Row[] = [
  { name: 'read the policy', method: 'GET', path: '/api/admin/federation', allowed: ['moderator', 'admin'] },
  { name: 'change the mode', method: 'PUT', path: '/api/admin/federation/mode', body: { mode: 'allowlist' }, allowed: ['admin'] },
  { name: 'set a rule', method: 'PUT', path: '/api/admin/federation/rules', body: { host: 'matrix.example', action: 'block' }, allowed: ['admin'] },
  {
    name: 'remove a rule',
    method: 'DELETE',
    path: '/api/admin/federation/rules/gone.example',
    allowed: ['admin'],
    before: (n, adminId) => n.node.services.policy.setRule({ userId: adminId, role: 'admin', sessionId: null }, { host: 'gone.example', action: 'block' }),
  },
  { name: 'export the block list', method: 'GET', path: '/api/admin/federation/blocks.csv', allowed: ['moderator', 'admin'] },
  { name: 'import a block list', method: 'POST', path: '/api/admin/federation/blocks.csv', body: 'imported.example\n', headers: { 'content-type': 'text/csv' }, allowed: ['admin'] },
];

describe.each(dialects)('federation policy API on %s', (dialect) => {
  let n: TestNode;
  const clients = {} as Record<Who, Client>;
  let adminId: string;
  let setupRefusal: { status: number; body: { fields?: Record<string, string> } };
  const rules = async () => (await clients.admin.get('/api/admin/federation')).body.rules.map((r: { host: string; action: string }) => `${r.host}:${r.action}`);

  beforeAll(async () => {
    n = await startTestNode(dialect, { rateLimits: false });
    const token = new URL(n.node.setupUrl!).searchParams.get('token');
    // A bad mode is refused before the one-time token is spent.
    setupRefusal = await n.client().post('/api/setup', { token, instanceName: 'Test', email: 'admin@example.org', displayName: 'Admin', password: 'un long mot de passe sûr', federationMode: 'everyone' });
    const admin = await n.setupAdmin();
    adminId = admin.user.id;
    const member = await n.signup('member@example.org', 'Member');
    const moderator = await n.signup('moderator@example.org', 'Moderator');
    expect((await admin.client.put(`/api/admin/users/${moderator.user.id}/role`, { role: 'moderator' })).status).toBe(204);
    Object.assign(clients, { anonymous: n.client(), member: member.client, moderator: moderator.client, admin: admin.client });
  });
  afterAll(() => n?.close());

  it('sets up in allow-list mode unless told otherwise, and refuses an unknown mode at setup', async () => {
    expect(setupRefusal.status).toBe(400);
    expect(setupRefusal.body.fields?.federationMode).toBe(t('fr', 'federation.mode_invalid'));
    const res = await clients.admin.get('/api/admin/federation');
    expect(res.body).toMatchObject({ mode: 'allowlist', ownHost: n.url.host, rules: [], instances: [] });
  });

  for (const row of rows) {
    for (const who of ALL) {
      const allowed = row.allowed.includes(who);
      it(`${row.name}: ${who} ${allowed ? 'may' : 'may not'}`, async () => {
        await row.before?.(n, adminId);
        const res = await clients[who].request(row.method, row.path, row.body, row.headers);
        if (allowed) expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
        else expect(res.status).toBe(who === 'anonymous' ? 401 : 403);
      });
    }
  }

  describe('bad input: a translated 400 naming the problem, nothing changed', () => {
    let before: string[];
    beforeAll(async () => {
      before = await rules();
    });
    afterAll(async () => {
      expect(await rules()).toEqual(before);
    });

    it.each([
      ['a bad host', { host: 'not a host', action: 'block' }, 'host', 'federation.host_invalid'],
      ['an account instead of a host', { host: 'alice@remote.example', action: 'block' }, 'host', 'federation.host_invalid'],
      ['a bad action', { host: 'remote.example', action: 'destroy' }, 'action', 'federation.action_invalid'],
      ['our own host', { host: 'OWN', action: 'block' }, 'host', 'federation.host_own'],
    ] as const)('refuses a rule with %s', async (_name, body, field, key) => {
      const res = await clients.admin.put('/api/admin/federation/rules', { ...body, host: body.host === 'OWN' ? n.url.host : body.host });
      expect(res.status).toBe(400);
      expect(res.body.fields[field]).toBe(t('fr', key));
    });

    it('refuses a bad mode', async () => {
      const res = await clients.admin.put('/api/admin/federation/mode', { mode: 'closed' });
      expect(res.status).toBe(400);
      expect(res.body.fields.mode).toBe(t('fr', 'federation.mode_invalid'));
    });

    it('refuses a CSV with a bad line, naming it, in the reader’s language', async () => {
      const csv = `${HEADER}\nfine.example,suspend,false,false,,false\nbad name,suspend,false,false,,false\n`;
      const fr = await clients.admin.post('/api/admin/federation/blocks.csv', csv, { 'content-type': 'text/csv' });
      expect(fr.status).toBe(400);
      expect(fr.body.message).toBe('Ligne 3 : « bad name » n’est pas un nom de serveur. Rien n’a été importé.');
      const en = await clients.admin.post('/api/admin/federation/blocks.csv', `${HEADER}\nfine.example,explode,,,,\n`, { 'content-type': 'text/csv', 'accept-language': 'en' });
      expect(en.body.message).toBe(t('en', 'federation_admin.import_bad_severity', { line: 2, value: 'explode' }));
    });

    it('refuses a JSON body or an empty one as a block list', async () => {
      expect((await clients.admin.post('/api/admin/federation/blocks.csv', { csv: 'x.example' })).body.message).toBe(t('fr', 'federation_admin.import_invalid_file'));
      expect((await clients.admin.post('/api/admin/federation/blocks.csv')).status).toBe(400);
    });

    it('answers 404 when removing a rule that does not exist', async () => {
      expect((await clients.admin.delete('/api/admin/federation/rules/nothing.example')).status).toBe(404);
    });
  });

  it('imports and exports Mastodon’s CSV, skipping our own host and servers the allow-list keeps out', async () => {
    await clients.admin.put('/api/admin/federation/mode', { mode: 'allowlist' });
    const csv = `${HEADER}\nspam.example,suspend,true,true,"Spam",false\nloud.example,silence,false,false,,false\n${n.url.host},suspend,false,false,,false\n`;
    const res = await clients.admin.post('/api/admin/federation/blocks.csv', csv, { 'content-type': 'text/csv' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      created: 1,
      skippedCount: 2,
      skipped: [
        { line: 3, host: 'loud.example', reason: 'not_allowed' },
        { line: 4, host: n.url.host, reason: 'own' },
      ],
    });
    const exported = await clients.moderator.get('/api/admin/federation/blocks.csv');
    expect(exported.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(exported.headers.get('content-disposition')).toBe('attachment; filename="domain_blocks.csv"');
    expect(exported.body).toContain('"spam.example","suspend","true","true","Spam","false"');
    expect(exported.body).not.toContain(n.url.host);
  });

  it('lists the servers heard from with what applies to each', async () => {
    await n.node.services.instances.seen(new URL('https://heard.example/users/x'), true);
    const before = (await clients.moderator.get('/api/admin/federation')).body.instances;
    expect(before).toEqual([expect.objectContaining({ host: 'heard.example', rule: null, action: null, federates: false })]);
    expect((await clients.admin.put('/api/admin/federation/rules', { host: 'heard.example', action: 'allow' })).status).toBe(200);
    const after = (await clients.moderator.get('/api/admin/federation')).body.instances;
    expect(after).toEqual([expect.objectContaining({ host: 'heard.example', rule: 'heard.example', action: 'allow', federates: true })]);
    expect(await n.node.services.policy.federatesWith('heard.example')).toBe(true);
  });
});
