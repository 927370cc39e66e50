// The instance's federation policy: mode, rules per server, Mastodon block lists, known servers.
// Every action is one service call, which checks the role itself; forms work without JavaScript.
import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { action } from '#lib/server/forms.ts';

export const load: PageServerLoad = async ({ locals }) => {
  const s = registry();
  return { policy: await s.policy.overview(locals.actor, s.instances) };
};

export const actions: Actions = {
  mode: (event) =>
    action(event, async ({ input, services }) => ({ saved: 'mode' as const, mode: await services.policy.setMode(event.locals.actor, input) }), { form: 'mode' }),
  rule: (event) =>
    action(
      event,
      async ({ input, services }) => {
        await services.policy.setRule(event.locals.actor, input);
        return { saved: 'rule' as const };
      },
      { form: 'rule' },
    ),
  remove: (event) =>
    action(
      event,
      async ({ input, services }) => {
        await services.policy.removeRule(event.locals.actor, input.host);
        return { saved: 'removed' as const };
      },
      { form: 'rules' },
    ),
  import: (event) =>
    action(
      event,
      async ({ input, services }) => {
        const file = input.file;
        const text = file instanceof File && file.size > 0 ? await file.text() : null;
        return { imported: await services.policy.importBlocks(event.locals.actor, text) };
      },
      { form: 'import' },
    ),
};
