// What the organizing pages (manage, report, coordination, vocabularies) share in the browser.
//
// stayInPlace — the organizers' quick forms (check-in at the door, the walk-in counter): the
// action redirects to the row it changed (#anchor), which is right without JavaScript; with it,
// the page refreshes in place — no jump to the top, focus stays on the button just tapped, and
// the history does not fill up with one entry per person checked in.
import type { SubmitFunction } from '$app/forms';
import { goto } from '$app/navigation';
import { locale } from '#lib/i18n/page.ts';

export const stayInPlace: SubmitFunction = () => async ({ result, update }) => {
  if (result.type === 'redirect') await goto(result.location, { reset: false, refreshAll: true, replace: true });
  else await update({ reset: false });
};

/** What a page's `form` holds after a failed action of web/lib/server/forms.ts (or a success). */
export type FormResult =
  | { form?: string; message?: string; fields?: Record<string, string>; values?: Record<string, string>; lists?: Record<string, string[]> }
  | null
  | undefined;

/** A count in the page's language ("1 234" in French), the same on the server and in the browser. */
export function formatNumber(n: number): string {
  return new Intl.NumberFormat(locale() === 'fr' ? 'fr-FR' : 'en-GB').format(n);
}
