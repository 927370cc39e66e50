// Form actions call one service function through this helper: a service failure becomes a
// SvelteKit `fail()` carrying the translated message, per-field messages and the values to put
// back in the form (never passwords). Redirects and SvelteKit errors pass through.
import { fail, isHttpError, isRedirect, type RequestEvent } from '@sveltejs/kit';
import { isAppError, toProblem } from '#server/errors.ts';
import { challengeCookie, cookieAttributes, sessionCookie as sessionCookieSpec } from '#server/http/cookies.ts';
import { t } from '#lib/i18n/index.ts';
import { registry } from '#server/registry.ts';
import { safePath } from '#lib/safe-path.ts';
import type { Services } from '#server/services.ts';

/** What a failed action returns to the page. */
export interface FormFailure {
  message: string;
  fields: Record<string, string>;
  values: Record<string, string>;
  /** Which form on the page failed, when a page has several. */
  form?: string;
}

// Never echoed back: passwords, tokens, one-time codes, typed confirmations (not postalCode!).
const SECRET_FIELDS = /password|token|^code$|^confirm$/i;

export type ActionInput = Record<string, string | string[] | File>;

/** FormData → plain object; repeated names (checkbox groups) become arrays. */
export function formObject(data: FormData): ActionInput {
  const out: ActionInput = {};
  for (const key of new Set(data.keys())) {
    const all = data.getAll(key);
    out[key] = all.length > 1 ? (all.filter((v) => typeof v === 'string') as string[]) : (all[0] as string | File);
  }
  return out;
}

export async function action<T>(
  event: RequestEvent,
  run: (ctx: { input: ActionInput; data: FormData; services: Services }) => Promise<T>,
  opts: { form?: string } = {},
) {
  const locale = event.locals.locale;
  let data: FormData;
  try {
    data = await event.request.formData();
  } catch (e) {
    // The adapter refuses a body over BODY_SIZE_LIMIT while we read it.
    const tooLarge = isHttpError(e) && e.status === 413;
    const failure: FormFailure = {
      message: t(locale, tooLarge ? 'error.payload_too_large' : 'error.invalid_input'),
      fields: {},
      values: {},
      form: opts.form,
    };
    return fail(tooLarge ? 413 : 400, failure);
  }
  const input = formObject(data);
  try {
    return await run({ input, data, services: registry() });
  } catch (e) {
    if (isRedirect(e) || isHttpError(e)) throw e;
    if (!isAppError(e)) console.error('form action failed', event.url.pathname, e);
    const problem = toProblem(e, locale);
    const values: Record<string, string> = {};
    for (const [k, v] of Object.entries(input)) if (typeof v === 'string' && !SECRET_FIELDS.test(k)) values[k] = v;
    const failure: FormFailure = { message: problem.body.message, fields: problem.body.fields ?? {}, values, form: opts.form };
    return fail(problem.status, failure);
  }
}

/** Sets the session cookie after a login (same attributes as the API's). */
export function setSessionCookie(event: RequestEvent, token: string) {
  const s = registry();
  const spec = sessionCookieSpec(s.config.secure);
  event.cookies.set(spec.name, token, cookieAttributes(spec, s.config.sessionDays * 86400));
}

export function setChallengeCookie(event: RequestEvent, id: string) {
  const spec = challengeCookie(registry().config.secure);
  event.cookies.set(spec.name, id, cookieAttributes(spec, 600));
}

export function readChallengeCookie(event: RequestEvent): string | undefined {
  return event.cookies.get(challengeCookie(registry().config.secure).name);
}

export function clearChallengeCookie(event: RequestEvent) {
  event.cookies.delete(challengeCookie(registry().config.secure).name, { path: '/' });
}

const NEXT_COOKIE = 'militant_next';

/**
 * Remembers where to go after logging in or signing up (`?next=/events/…`): the call to join an
 * event brings the new member back to it, even through the emailed code. Only a path of this site.
 */
export function rememberNext(event: RequestEvent) {
  const next = event.url.searchParams.get('next');
  if (!next) return;
  const path = safePath(next, '');
  if (path) event.cookies.set(NEXT_COOKIE, path, { path: '/', httpOnly: true, sameSite: 'lax', secure: registry().config.secure, maxAge: 3600 });
}

/** The remembered destination (forgotten once read), or the fallback. */
export function takeNext(event: RequestEvent, fallback: string): string {
  const next = event.cookies.get(NEXT_COOKIE);
  if (!next) return fallback;
  event.cookies.delete(NEXT_COOKIE, { path: '/' });
  return safePath(next, fallback);
}

export function clearSessionCookie(event: RequestEvent) {
  event.cookies.delete(sessionCookieSpec(registry().config.secure).name, { path: '/' });
}
