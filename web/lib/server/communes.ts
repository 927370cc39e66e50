// After a failed sign-up or profile form, the communes of the postal code typed, so that the
// form can offer the choice without JavaScript.
import { fail, isActionFailure } from '@sveltejs/kit';
import { communesForPostalCode, isPostalCodeFormat } from '#server/geo/communes.ts';
import type { FormFailure } from './forms.ts';

export function withCommuneChoices<T>(result: T) {
  if (!isActionFailure(result)) return result;
  const data = result.data as unknown as FormFailure;
  const code = (data.values?.postalCode ?? '').trim();
  if (!isPostalCodeFormat(code)) return result;
  return fail(result.status, { ...data, communes: communesForPostalCode(code).map((c) => ({ code: c.code, name: c.name })) });
}
