import type { PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';

export const load: PageServerLoad = async ({ locals }) => ({ text: (await registry().instance.view(locals.locale)).privacyNotice });
