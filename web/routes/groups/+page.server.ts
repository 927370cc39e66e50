import type { PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { isAppError } from '#server/errors.ts';
import { communesForPostalCode, isPostalCodeFormat } from '#server/geo/communes.ts';

export const load: PageServerLoad = async ({ locals, url }) => {
  const s = registry();
  const q = url.searchParams.get('q') ?? '';
  const postal = url.searchParams.get('postal') ?? '';
  const departement = url.searchParams.get('departement') ?? '';
  const km = url.searchParams.get('km') ?? '';
  const page = url.searchParams.get('page') ?? '1';
  // A postal code narrows to its communes (several may share it): the first one here; the
  // département filter covers the rest.
  const commune = isPostalCodeFormat(postal) ? (communesForPostalCode(postal)[0]?.code ?? 'none') : '';
  let result: Awaited<ReturnType<typeof s.groups.directory>> = { groups: [], more: false, near: false };
  let error: string | null = null;
  try {
    result = await s.groups.directory(locals.actor, { q, commune, departement, km: km || undefined, page });
  } catch (e) {
    if (!isAppError(e)) throw e;
    error = Object.values(e.fields)[0]?.toString() ?? e.messageKey;
  }
  return {
    filters: { q, postal, departement, km, page: Number(page) || 1 },
    result,
    error,
    mine: locals.actor ? await s.groups.mine(locals.actor) : null,
  };
};
