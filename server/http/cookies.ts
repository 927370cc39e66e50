// The session cookie: HttpOnly, SameSite=Lax, and Secure with the __Host- prefix when the
// instance is served over https (ASVS 3.3). Shared by the API and the web layer.
export interface CookieSpec {
  name: string;
  secure: boolean;
}

export const sessionCookie = (secure: boolean): CookieSpec => ({ name: secure ? '__Host-session' : 'session', secure });
/** Remembers which sign-up or login challenge the browser is answering (10 minutes). */
export const challengeCookie = (secure: boolean): CookieSpec => ({ name: secure ? '__Host-challenge' : 'challenge', secure });
export const LOCALE_COOKIE = 'lang';

export interface CookieOptions {
  httpOnly: boolean;
  secure: boolean;
  sameSite: 'lax';
  path: '/';
  maxAge: number;
}

/** Attributes of our cookies, maxAge in seconds (SvelteKit's cookies.set). */
export function cookieAttributes(spec: CookieSpec, maxAgeSeconds: number): CookieOptions {
  return { httpOnly: true, secure: spec.secure, sameSite: 'lax', path: '/', maxAge: maxAgeSeconds };
}

/** The same for Express' res.cookie, which counts maxAge in milliseconds. */
export function expressCookieOptions(spec: CookieSpec, maxAgeSeconds: number): CookieOptions {
  return { ...cookieAttributes(spec, maxAgeSeconds), maxAge: maxAgeSeconds * 1000 };
}

/** Reads one cookie from a Cookie header (no dependency; values are our own tokens). */
export function readCookie(header: string | null | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return null;
      }
    }
  }
  return null;
}
