import type { PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';

export const load: PageServerLoad = async ({ locals }) => {
  const s = registry();
  const instance = await s.instance.view(locals.locale);
  return {
    description: instance.description,
    registrationsOpen: instance.registrationsOpen,
    members: await s.profiles.memberCount(),
  };
};
