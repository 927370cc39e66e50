// A member's "my actions" feed at its secret address (/calendar/<token>.ics), for calendar apps:
// no session, the token is the key (see CalendarService.personalFeed).
import { error } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { registry } from '#server/registry.ts';
import { isAppError } from '#server/errors.ts';
import { t } from '#lib/i18n/index.ts';

export const GET: RequestHandler = async ({ params, locals }) => {
  const token = params.file.endsWith('.ics') ? params.file.slice(0, -4) : '';
  try {
    const body = await registry().calendar.personalFeed(token, locals.locale);
    return new Response(body, {
      headers: { 'content-type': 'text/calendar; charset=utf-8', 'cache-control': 'private, no-store', 'referrer-policy': 'no-referrer' },
    });
  } catch (e) {
    if (isAppError(e) && e.kind === 'not_found') error(404, t(locals.locale, 'error.not_found'));
    throw e;
  }
};
