// GDPR art. 15 and 20: everything the instance keeps about the member, as a JSON download.
import { error, type RequestHandler } from '@sveltejs/kit';
import { registry } from '#server/registry.ts';
import { t } from '#lib/i18n/index.ts';

export const GET: RequestHandler = async ({ locals }) => {
  if (!locals.actor) error(401, t(locals.locale, 'error.unauthenticated'));
  const data = await registry().privacy.export(locals.actor);
  return new Response(JSON.stringify(data, null, 2), {
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Disposition': 'attachment; filename="my-data.json"',
      'Cache-Control': 'no-store',
    },
  });
};
