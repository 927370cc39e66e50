// Who may and who must not, for every endpoint of the node so far: one table, each row tried by
// anonymous visitors, members, moderators and administrators, on a real node. The services
// decide; this checks every adapter path lands on the same answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from './helpers/node.ts';
import type { Client } from './helpers/client.ts';

type Who = 'anonymous' | 'member' | 'moderator' | 'admin';
const ALL: Who[] = ['anonymous', 'member', 'moderator', 'admin'];

interface Row {
  name: string;
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: (ids: Ids) => string;
  body?: (ids: Ids) => unknown;
  /** Who gets a success (2xx); everyone else must get exactly `denied` (or 401 when anonymous). */
  allowed: Who[];
  denied?: number;
}

interface Ids {
  member: string;
  victim: string;
  moderator: string;
  admin: string;
  victimSession: string;
}

const rows: Row[] = [
  { name: 'read own profile', method: 'get', path: () => '/api/me', allowed: ['member', 'moderator', 'admin'] },
  { name: 'edit own profile', method: 'patch', path: () => '/api/me', body: () => ({ bio: 'hello' }), allowed: ['member', 'moderator', 'admin'] },
  { name: 'list own sessions', method: 'get', path: () => '/api/me/sessions', allowed: ['member', 'moderator', 'admin'] },
  { name: "end another member's session", method: 'delete', path: (i) => `/api/me/sessions/${i.victimSession}`, allowed: [], denied: 404 },
  { name: 'export own data', method: 'get', path: () => '/api/me/export', allowed: ['member', 'moderator', 'admin'] },
  { name: 'read instance settings (admin)', method: 'get', path: () => '/api/admin/settings', allowed: ['admin'], denied: 403 },
  {
    name: 'change instance settings',
    method: 'put',
    path: () => '/api/admin/settings',
    body: () => ({ name: 'Nouveau nom', description: '', charter: '', privacyNotice: '', registrationsOpen: true }),
    allowed: ['admin'],
    denied: 403,
  },
  { name: 'read the mail outbox', method: 'get', path: () => '/api/admin/outbox', allowed: ['admin'], denied: 403 },
  { name: 'list members with emails', method: 'get', path: () => '/api/admin/users', allowed: ['admin'], denied: 403 },
  { name: 'list known instances', method: 'get', path: () => '/api/admin/instances', allowed: ['moderator', 'admin'], denied: 403 },
  { name: 'promote a member', method: 'put', path: (i) => `/api/admin/users/${i.member}/role`, body: () => ({ role: 'member' }), allowed: ['admin'], denied: 403 },
  { name: 'suspend a member', method: 'put', path: (i) => `/api/admin/users/${i.victim}/status`, body: () => ({ status: 'active' }), allowed: ['moderator', 'admin'], denied: 403 },
  { name: 'suspend the moderator', method: 'put', path: (i) => `/api/admin/users/${i.moderator}/status`, body: () => ({ status: 'active' }), allowed: ['admin'], denied: 403 },
  { name: 'read a profile', method: 'get', path: () => '/api/users/victim', allowed: ALL },
  { name: 'read instance facts', method: 'get', path: () => '/api/instance', allowed: ALL },
];

describe('authorization matrix', () => {
  let n: TestNode;
  const clients = {} as Record<Who, Client>;
  let ids: Ids;

  beforeAll(async () => {
    n = await startTestNode('sqlite', { rateLimits: false });
    const admin = await n.setupAdmin();
    const member = await n.signup('member@example.org', 'Member');
    const moderator = await n.signup('moderator@example.org', 'Moderator');
    const victim = await n.signup('victim@example.org', 'Victim');
    expect((await admin.client.put(`/api/admin/users/${moderator.user.id}/role`, { role: 'moderator' })).status).toBe(204);
    // The moderator's role is read from the database at each request: no need to log in again.
    clients.anonymous = n.client();
    clients.member = member.client;
    clients.moderator = moderator.client;
    clients.admin = admin.client;
    const sessions = await victim.client.get('/api/me/sessions');
    ids = { member: member.user.id, victim: victim.user.id, moderator: moderator.user.id, admin: admin.user.id, victimSession: sessions.body.sessions[0].id };
  });
  afterAll(() => n?.close());

  for (const row of rows) {
    for (const who of ALL) {
      const allowed = row.allowed.includes(who);
      it(`${row.name}: ${who} ${allowed ? 'may' : 'may not'}`, async () => {
        const res = await clients[who].request(row.method.toUpperCase(), row.path(ids), row.body?.(ids));
        if (allowed) expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
        else if (who === 'anonymous' && !row.allowed.includes('anonymous') && row.denied !== 404) {
          expect(res.status).toBe(401);
          expect(res.body.error).toBe('unauthenticated');
        } else expect(res.status).toBe(who === 'anonymous' ? 401 : (row.denied ?? 403));
      });
    }
  }

  it('hides a suspended member from members but not from staff', async () => {
    expect((await clients.admin.put(`/api/admin/users/${ids.victim}/status`, { status: 'suspended' })).status).toBe(204);
    expect((await clients.member.get('/api/users/victim')).status).toBe(404);
    expect((await clients.anonymous.get('/api/users/victim')).status).toBe(404);
    expect((await clients.moderator.get('/api/users/victim')).body.suspended).toBe(true);
    expect((await clients.admin.put(`/api/admin/users/${ids.victim}/status`, { status: 'active' })).status).toBe(204);
  });

  it('never lets a moderator suspend an administrator, nor anyone suspend themself', async () => {
    expect((await clients.moderator.put(`/api/admin/users/${ids.admin}/status`, { status: 'suspended' })).status).toBe(403);
    expect((await clients.admin.put(`/api/admin/users/${ids.admin}/status`, { status: 'suspended' })).status).toBe(403);
  });

  it('keeps at least one administrator', async () => {
    const res = await clients.admin.put(`/api/admin/users/${ids.admin}/role`, { role: 'member' });
    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(/au moins un·e administrateur/);
    const adminName = (await clients.admin.get('/api/me')).body.username;
    expect(adminName).toMatch(/^admin_\d+$/); // "admin" itself is reserved
    const del = await clients.admin.delete('/api/me', { confirm: adminName });
    expect(del.status).toBe(409);
  });

  it('ends every session of a suspended member at once and refuses their logins', async () => {
    const target = await n.signup('target@example.org', 'Target');
    await target.client.put('/api/me/password', { newPassword: 'mot de passe du compte' });
    await n.smtp.waitFor('target@example.org'); // "your password changed"
    expect((await target.client.get('/api/me')).status).toBe(200);
    expect((await clients.moderator.put(`/api/admin/users/${target.user.id}/status`, { status: 'suspended' })).status).toBe(204);
    expect((await target.client.get('/api/me')).status).toBe(401);
    const login = await n.client().post('/api/auth/login/password', { email: 'target@example.org', password: 'mot de passe du compte' });
    expect(login.status).toBe(403);
    expect(login.body.message).toBe('Ce compte est suspendu.');
    const code = await n.client().post('/api/auth/login/code', { email: 'target@example.org' });
    expect(code.status).toBe(202); // same answer as for anyone…
    await new Promise((r) => setTimeout(r, 300));
    expect(n.smtp.mails.filter((m) => m.to.includes('target@example.org'))).toEqual([]); // …but no code is sent
  });

  it('shows profile details to members only unless the member made them public', async () => {
    await clients.member.patch('/api/me', { bio: 'Militante à Lyon', skills: ['legal', 'it'], showCommune: false });
    const anon = await clients.anonymous.get('/api/users/member');
    expect(anon.body).toMatchObject({ username: 'member', displayName: 'Member', restricted: true });
    expect(anon.body.bio).toBeUndefined();
    expect(anon.body.commune).toBeUndefined();
    const other = await clients.moderator.get('/api/users/member');
    expect(other.body).toMatchObject({ bio: 'Militante à Lyon', skills: ['legal', 'it'], restricted: false });
    expect(other.body.commune).toBeUndefined();
    await clients.member.patch('/api/me', { profilePublic: true, showCommune: true });
    expect((await clients.anonymous.get('/api/users/member')).body.bio).toBe('Militante à Lyon');
    expect((await clients.anonymous.get('/api/users/member')).body.commune).toBeUndefined();
    expect((await clients.moderator.get('/api/users/member')).body.commune).toMatchObject({ name: 'Paris 11e Arrondissement' });
  });
});
