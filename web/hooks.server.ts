// Every page request: who is asking (session cookie), in which language, from where. The
// services come from the registry the node filled at boot.
import type { Handle, HandleServerError } from '@sveltejs/kit/hooks';
import { registry } from '#server/registry.ts';
import { negotiateLocale, t } from '#lib/i18n/index.ts';
import { LOCALE_COOKIE, sessionCookie } from '#server/http/cookies.ts';
import { INTERNAL_HEADERS } from '#server/http/security.ts';
import { ProfileService } from '#server/profiles/service.ts';

export const handle: Handle = async ({ event, resolve }) => {
  const s = registry();
  const found = await s.sessions.validate(event.cookies.get(sessionCookie(s.config.secure).name));
  const locale = negotiateLocale(event.cookies.get(LOCALE_COOKIE) ?? found?.user.locale, event.request.headers.get('accept-language'));
  event.locals.actor = found?.actor ?? null;
  event.locals.user = found
    ? {
        id: found.user.id,
        username: found.user.username,
        displayName: found.user.displayName,
        role: found.user.role,
        coordinator: found.user.role === 'admin' || found.user.coordinator,
        avatarUrl: ProfileService.avatarUrl(found.user),
      }
    : null;
  event.locals.locale = locale;
  event.locals.meta = {
    // Written by Express from the trusted proxies only; never the client's own header.
    ip: event.request.headers.get(INTERNAL_HEADERS.clientIp) ?? 'unknown',
    userAgent: (event.request.headers.get('user-agent') ?? '').slice(0, 300),
    locale,
  };
  const response = await resolve(event, {
    transformPageChunk: ({ html }) => html.replace('%lang%', locale),
  });
  // Maps loading tiles or a style from elsewhere (the admin's choice): allow those origins.
  const csp = response.headers.get('content-security-policy');
  if (csp) response.headers.set('content-security-policy', withMapOrigins(csp, s.config.map));
  // Pages may show personal data: never stored by shared caches.
  if (event.locals.actor) response.headers.set('Cache-Control', 'private, no-store');
  return response;
};

/** Adds the map's other origins (tiles not proxied, a vector style and what it loads) to the CSP. */
function withMapOrigins(csp: string, map: ReturnType<typeof registry>['config']['map']): string {
  const origins = new Set(map.extraOrigins);
  if (map.tileUrl && !map.proxy) origins.add(new URL(map.tileUrl.replace(/\{[xyz]\}/g, '0')).origin);
  if (map.styleUrl) origins.add(new URL(map.styleUrl).origin);
  if (!origins.size) return csp;
  const extra = [...origins].join(' ');
  return csp.replace(/(img-src|connect-src)([^;]*)/g, (_m, name: string, rest: string) => `${name}${rest} ${extra}`);
}

/** Errors while rendering: a translated message for the member, details only in the server log. */
export const handleError: HandleServerError = (input) => {
  const locale = input.event.locals.locale ?? 'fr';
  if (input.kind === 'app') return; // thrown with error(status, translated message)
  if (input.kind === 'framework' || input.kind === 'validation') {
    const status = input.error.status;
    const key = status === 404 ? 'error.not_found' : status === 413 ? 'error.payload_too_large' : status === 403 ? 'error.forbidden' : 'error.invalid_input';
    return { message: t(locale, key) };
  }
  console.error('page error', input.event.url.pathname, input.error);
  return { message: t(locale, 'error.internal') };
};
