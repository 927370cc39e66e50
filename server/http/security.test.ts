// Behind https (PUBLIC_URL https://…): HSTS and Secure, __Host- prefixed cookies.
import { describe, expect, it } from 'vitest';
import express from 'express';
import { securityHeaders } from './security.ts';
import { cookieAttributes, sessionCookie } from './cookies.ts';

async function headersFor(secure: boolean) {
  const app = express();
  app.use(securityHeaders({ secure }));
  app.get('/api/x', (_req, res) => res.json({}));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as { port: number };
  const res = await fetch(`http://127.0.0.1:${port}/api/x`);
  server.close();
  return res.headers;
}

describe('https deployment', () => {
  it('sends HSTS for a year only when the public URL is https', async () => {
    expect((await headersFor(true)).get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    expect((await headersFor(false)).get('strict-transport-security')).toBeNull();
  });

  it('names the session cookie __Host-session and marks it Secure', () => {
    const spec = sessionCookie(true);
    expect(spec.name).toBe('__Host-session');
    expect(cookieAttributes(spec, 60)).toEqual({ httpOnly: true, secure: true, sameSite: 'lax', path: '/', maxAge: 60 });
    expect(sessionCookie(false).name).toBe('session');
  });
});
