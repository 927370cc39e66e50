// The language switch: a cookie for everyone, and the profile for members (mails follow it).
import { redirect, type Actions } from '@sveltejs/kit';
import { isLocale } from '#lib/i18n/index.ts';
import { LOCALE_COOKIE } from '#server/http/cookies.ts';
import { registry } from '#server/registry.ts';

/** Only local paths: an open redirect would let a link send members to a fake login page. */
function safePath(value: FormDataEntryValue | null): string {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\') ? value : '/';
}

export const load = () => redirect(303, '/');

export const actions: Actions = {
  default: async ({ request, cookies, locals }) => {
    const data = await request.formData().catch(() => new FormData());
    const locale = data.get('locale');
    if (isLocale(locale)) {
      cookies.set(LOCALE_COOKIE, locale, { path: '/', httpOnly: false, sameSite: 'lax', maxAge: 365 * 86400, secure: registry().config.secure });
      if (locals.actor) await registry().profiles.update(locals.actor, { locale }).catch(() => {});
    }
    redirect(303, safePath(data.get('redirectTo')));
  },
};
