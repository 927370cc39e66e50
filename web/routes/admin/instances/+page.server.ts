import type { PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';

export const load: PageServerLoad = async ({ locals }) => ({ instances: await registry().instances.list(locals.actor) });
