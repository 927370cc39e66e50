// The page behind the unsubscribe link of mails: it asks to confirm (mail scanners open
// links); the button posts to /unsubscribe, handled by the server without login.
import type { PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';

export const load: PageServerLoad = async ({ url }) => {
  const token = url.searchParams.get('token') ?? '';
  const type = url.searchParams.get('type') ?? 'all';
  return {
    done: url.searchParams.has('done'),
    valid: url.searchParams.has('done') || (await registry().notifications.unsubscribeTarget({ token, type })) !== null,
    token,
    type,
  };
};
