// Sign-up, confirmation, login by code and password, email change, sessions: through the real
// HTTP API of a real node, with mails caught by a real SMTP server, on each database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { dialects } from '../../tests/helpers/db.ts';
import { startTestNode, type TestNode } from '../../tests/helpers/node.ts';
import { codeOf } from '../../tests/helpers/smtp.ts';

describe.each(dialects)('accounts on %s', (dialect) => {
  let n: TestNode;
  beforeAll(async () => {
    n = await startTestNode(dialect, { rateLimits: false });
  });
  afterAll(() => n?.close());

  const countUsers = () => n.node.services.repo.countUsers();

  it('signs up in one step and confirms by the mailed code', async () => {
    const c = n.client();
    const start = await c.post('/api/auth/signup', { email: 'Lea@Example.org ', displayName: 'Léa Martin', postalCode: '75011', consent: true });
    expect(start.status).toBe(202);
    expect(start.body.challengeId).toMatch(/^[a-z0-9]{16}$/);
    const mail = await n.smtp.waitFor('lea@example.org');
    expect(mail.subject).toContain('Confirmez votre inscription');
    const { code, link } = codeOf(mail);
    expect(link).toContain('/verify?token=');
    const verified = await c.post('/api/auth/verify', { challengeId: start.body.challengeId, code });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ purpose: 'signup', user: { username: 'lea_martin', displayName: 'Léa Martin', role: 'member' } });
    const me = await c.get('/api/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email: 'lea@example.org', postalCode: '75011', communeCode: '75111', communeName: 'Paris 11e Arrondissement', hasPassword: false });
    const row = await n.node.services.repo.userByEmail('lea@example.org');
    expect(row?.consentVersion).toMatch(/^[0-9a-f]{16}$/);
    expect(row?.departementCode).toBe('75');
  });

  it('answers a sign-up with a known email exactly like a new one, and mails the owner a login code', async () => {
    const before = await countUsers();
    const c = n.client();
    const res = await c.post('/api/auth/signup', { email: 'lea@example.org', displayName: 'Intruder', postalCode: '13001', consent: true });
    expect(res.status).toBe(202);
    expect(Object.keys(res.body)).toEqual(['challengeId']);
    const mail = await n.smtp.waitFor('lea@example.org');
    expect(mail.subject).toContain('déjà un compte');
    const verified = await c.post('/api/auth/verify', { challengeId: res.body.challengeId, code: codeOf(mail).code });
    expect(verified.body).toMatchObject({ purpose: 'login', user: { username: 'lea_martin', displayName: 'Léa Martin' } });
    expect(await countUsers()).toBe(before);
  });

  it('asks for the commune when a postal code covers several', async () => {
    const c = n.client();
    const ambiguous = await c.post('/api/auth/signup', { email: 'paul@example.org', displayName: 'Paul', postalCode: '01400', consent: true });
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.body.fields.communeCode).toMatch(/Plusieurs communes/);
    const wrong = await c.post('/api/auth/signup', { email: 'paul@example.org', displayName: 'Paul', postalCode: '01400', communeCode: '75111', consent: true });
    expect(wrong.body.fields.communeCode).toMatch(/ne correspond pas/);
    const communes = await c.get('/api/postal-codes/01400');
    const chatillon = communes.body.communes.find((x: { name: string }) => x.name === 'Châtillon-sur-Chalaronne');
    const ok = await c.post('/api/auth/signup', { email: 'paul@example.org', displayName: 'Paul', postalCode: '01400', communeCode: chatillon.code, consent: true });
    expect(ok.status).toBe(202);
    await c.post('/api/auth/verify', { challengeId: ok.body.challengeId, code: codeOf(await n.smtp.waitFor('paul@example.org')).code });
    expect((await c.get('/api/me')).body.communeName).toBe('Châtillon-sur-Chalaronne');
  });

  it('refuses bad sign-up input with a message per field, in the member’s language, creating nothing', async () => {
    const before = await countUsers();
    const mailsBefore = n.smtp.mails.length;
    const fr = await n.client().post('/api/auth/signup', { email: 'not-an-email', displayName: '', postalCode: '7501', consent: false });
    expect(fr.status).toBe(400);
    expect(fr.body.error).toBe('invalid_input');
    expect(fr.body.fields).toMatchObject({
      email: "Cette adresse e-mail n'est pas valide.",
      displayName: expect.stringContaining('Le nom affiché'),
      postalCode: 'Le code postal doit comporter 5 chiffres.',
      consent: expect.stringContaining('accepter la charte'),
    });
    const en = await n.client({ language: 'en-GB,en;q=0.8' }).post('/api/auth/signup', { email: 'x@example.org', displayName: 'X', postalCode: '99999', consent: true });
    expect(en.status).toBe(400);
    expect(en.body.fields.postalCode).toBe('This postal code is unknown.');
    const types = await n.client().post('/api/auth/signup', { email: 42, displayName: { a: 1 }, postalCode: ['75011'], consent: 'yes' });
    expect(types.status).toBe(400);
    expect(Object.keys(types.body.fields).sort()).toEqual(['consent', 'displayName', 'email', 'postalCode']);
    const control = await n.client().post('/api/auth/signup', { email: 'y@example.org', displayName: 'Bad\u0007Name', postalCode: '75011', consent: true });
    expect(control.status).toBe(400);
    await new Promise((r) => setTimeout(r, 200));
    expect(await countUsers()).toBe(before);
    expect(n.smtp.mails.length).toBe(mailsBefore);
  });

  it('limits code guesses per challenge and refuses expired or reused codes', async () => {
    const c = n.client();
    const start = await c.post('/api/auth/login/code', { email: 'lea@example.org' });
    const { code, link } = codeOf(await n.smtp.waitFor('lea@example.org'));
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) {
      const r = await c.post('/api/auth/verify', { challengeId: start.body.challengeId, code: wrong });
      expect(r.status).toBe(400);
      expect(r.body.fields.code).toBe('Code incorrect ou expiré.');
    }
    const locked = await c.post('/api/auth/verify', { challengeId: start.body.challengeId, code });
    expect(locked.status).toBe(410);
    // The link of the same challenge still works once (160-bit token, not guessable)…
    const token = new URL(link!).searchParams.get('token');
    expect((await c.post('/api/auth/verify', { token })).status).toBe(200);
    // …and only once.
    const again = await c.post('/api/auth/verify', { token });
    expect(again.status).toBe(410);
    expect(again.body.message).toMatch(/expiré ou a déjà servi/);
  });

  it('refuses a code after ten minutes', async () => {
    const c = n.client();
    const start = await c.post('/api/auth/login/code', { email: 'lea@example.org' });
    const { code } = codeOf(await n.smtp.waitFor('lea@example.org'));
    const { db } = n.node.services;
    const { emailChallenges } = db.t;
    await db.tx(() => db.w.update(emailChallenges).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(emailChallenges.id, start.body.challengeId)));
    expect((await c.post('/api/auth/verify', { challengeId: start.body.challengeId, code })).status).toBe(410);
  });

  it('answers a login request for an unknown email like a known one, and never logs anyone in with it', async () => {
    const c = n.client();
    const unknown = await c.post('/api/auth/login/code', { email: 'nobody@example.org' });
    expect(unknown.status).toBe(202);
    expect(Object.keys(unknown.body)).toEqual(['challengeId']);
    const mail = await n.smtp.waitFor('nobody@example.org');
    expect(mail.subject).toContain('Connexion à');
    expect(mail.text).not.toMatch(/\b\d{6}\b/);
    for (const code of ['000000', '123456']) {
      expect((await c.post('/api/auth/verify', { challengeId: unknown.body.challengeId, code })).status).toBe(400);
    }
  });

  it('sets a password, logs in with it, and gives one answer for a wrong password or an unknown email', async () => {
    const { client } = await n.signup('hugo@example.org', 'Hugo');
    const weak = await client.put('/api/me/password', { newPassword: 'password123' });
    expect(weak.status).toBe(400);
    expect(weak.body.fields.newPassword).toMatch(/trop courant/);
    const short = await client.put('/api/me/password', { newPassword: 'court' });
    expect(short.body.fields.newPassword).toMatch(/au moins 8/);
    expect((await client.put('/api/me/password', { newPassword: 'la lutte continue 2026' })).status).toBe(204);
    const changedMail = await n.smtp.waitFor('hugo@example.org');
    expect(changedMail.subject).toContain('mot de passe a changé');

    const fresh = n.client();
    const ok = await fresh.post('/api/auth/login/password', { email: 'HUGO@example.org', password: 'la lutte continue 2026' });
    expect(ok.status).toBe(200);
    expect((await fresh.get('/api/me')).body.email).toBe('hugo@example.org');
    const wrong = await n.client().post('/api/auth/login/password', { email: 'hugo@example.org', password: 'nope nope nope' });
    const unknown = await n.client().post('/api/auth/login/password', { email: 'ghost@example.org', password: 'nope nope nope' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);

    // Changing it needs the current one, and closes the member's other sessions.
    expect((await client.put('/api/me/password', { newPassword: 'un autre mot de passe' })).body.fields.currentPassword).toBeDefined();
    const bad = await client.put('/api/me/password', { currentPassword: 'wrong', newPassword: 'un autre mot de passe' });
    expect(bad.body.fields.currentPassword).toMatch(/incorrect/);
    expect((await client.put('/api/me/password', { currentPassword: 'la lutte continue 2026', newPassword: 'un autre mot de passe' })).status).toBe(204);
    expect((await client.get('/api/me')).status).toBe(200);
    expect((await fresh.get('/api/me')).status).toBe(401);
  });

  it('changes the email after confirmation by the new address, telling the old one', async () => {
    const { client } = await n.signup('ines@example.org', 'Inès');
    const res = await client.post('/api/me/email', { email: 'ines.new@example.org' });
    expect(res.status).toBe(202);
    const { code } = codeOf(await n.smtp.waitFor('ines.new@example.org'));
    const verified = await client.post('/api/auth/verify', { challengeId: res.body.challengeId, code });
    expect(verified.body.purpose).toBe('email_change');
    expect((await client.get('/api/me')).body.email).toBe('ines.new@example.org');
    const notice = await n.smtp.waitFor('ines@example.org');
    expect(notice.text).toContain('ines.new@example.org');

    // An address another account uses: same answer, nothing changes, its owner is told.
    const taken = await client.post('/api/me/email', { email: 'lea@example.org' });
    expect(taken.status).toBe(202);
    const mail = await n.smtp.waitFor('lea@example.org');
    expect(mail.subject).toContain("Changement d'adresse");
    expect((await client.get('/api/me')).body.email).toBe('ines.new@example.org');
  });

  it('lists sessions, ends one, refuses another member’s session id, and logs out', async () => {
    const { client, user } = await n.signup('jade@example.org', 'Jade');
    const second = await n.login('jade@example.org');
    const list = await client.get('/api/me/sessions');
    expect(list.body.sessions).toHaveLength(2);
    expect(list.body.sessions.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    const other = list.body.sessions.find((s: { current: boolean }) => !s.current);
    const stranger = await n.signup('karim@example.org', 'Karim');
    expect((await stranger.client.delete(`/api/me/sessions/${other.id}`)).status).toBe(404);
    expect((await second.get('/api/me')).status).toBe(200);
    expect((await client.delete(`/api/me/sessions/${other.id}`)).status).toBe(204);
    expect((await second.get('/api/me')).status).toBe(401);
    expect((await client.post('/api/auth/logout')).status).toBe(204);
    expect((await client.get('/api/me')).status).toBe(401);
    expect(user.username).toBe('jade');
  });

  it('exports the member’s data without secrets, then erases the account for real', async () => {
    const { client, user } = await n.signup('lou@example.org', 'Lou');
    const exported = await client.get('/api/me/export?format=json');
    expect(exported.status).toBe(200);
    expect(exported.body.account.email).toBe('lou@example.org');
    expect(JSON.stringify(exported.body)).not.toMatch(/passwordHash|secretHash|tokenHash|codeHash/);
    const refused = await client.delete('/api/me', { confirm: 'someone_else' });
    expect(refused.status).toBe(400);
    expect((await client.delete('/api/me', { confirm: user.username })).status).toBe(204);
    expect((await client.get('/api/me')).status).toBe(401);
    const { db, repo } = n.node.services;
    expect(await repo.userByEmail('lou@example.org')).toBeUndefined();
    const { mails, sessions, emailChallenges } = db.t;
    expect(await db.q.select().from(mails).where(eq(mails.toAddress, 'lou@example.org'))).toEqual([]);
    expect(await db.q.select().from(sessions).where(eq(sessions.userId, user.id))).toEqual([]);
    expect(await db.q.select().from(emailChallenges).where(eq(emailChallenges.email, 'lou@example.org'))).toEqual([]);
  });
});
