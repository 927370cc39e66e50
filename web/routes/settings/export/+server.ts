// GDPR art. 15 and 20: everything the instance keeps about the member, as a .zip (JSON, CSV and
// their pictures).
import { error, type RequestHandler } from '@sveltejs/kit';
import { registry } from '#server/registry.ts';
import { t } from '#lib/i18n/index.ts';

export const GET: RequestHandler = async ({ locals }) => {
  if (!locals.actor) error(401, t(locals.locale, 'error.unauthenticated'));
  const { filename, bytes } = await registry().privacy.exportArchive(locals.actor);
  return new Response(bytes as unknown as BodyInit, {
    headers: {
      'Content-Type': 'application/zip',
      'Content-Disposition': `attachment; filename="${filename}"`,
      'Cache-Control': 'no-store',
    },
  });
};
