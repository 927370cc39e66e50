import type { PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';

export const load: PageServerLoad = async ({ locals, url }) => ({ feed: await registry().posts.publicTimeline(locals.actor, url.searchParams.get('cursor')) });
