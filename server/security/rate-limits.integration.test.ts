// Anti-abuse from day one: sign-ups, code sends and password guesses are limited per address and
// per account, with a translated answer and Retry-After.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../../tests/helpers/node.ts';

describe('rate limits', () => {
  let n: TestNode;
  beforeAll(async () => {
    n = await startTestNode('sqlite');
  });
  afterAll(() => n?.close());

  it('stops password guessing on one account after 10 tries, whatever the address', async () => {
    const { client } = await n.signup('guess@example.org', 'Guess');
    await client.put('/api/me/password', { newPassword: 'le vrai mot de passe' });
    for (let i = 0; i < 10; i++) {
      const r = await n.client().post('/api/auth/login/password', { email: 'guess@example.org', password: `essai ${i}` });
      expect(r.status).toBe(401);
    }
    const blocked = await n.client().post('/api/auth/login/password', { email: 'guess@example.org', password: 'le vrai mot de passe' });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(blocked.body.message).toMatch(/^Trop de tentatives\. Réessayez dans \d+ min\.$/);
    // Code login still works: guessing cannot lock a member out.
    expect((await n.client().post('/api/auth/login/code', { email: 'guess@example.org' })).status).toBe(202);
  });

  it('limits sign-up attempts for one address', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await n.client().post('/api/auth/signup', { email: 'spam@example.org', displayName: 'Spam', postalCode: '75011', consent: true })).status);
    }
    expect(statuses).toEqual([202, 202, 202, 429]);
  });

  it('limits code mails to one address', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await n.client({ language: 'en' }).post('/api/auth/login/code', { email: 'flood@example.org' })).status);
    expect(statuses.slice(0, 5)).toEqual([202, 202, 202, 202, 202]);
    expect(statuses[5]).toBe(429);
  });
});
