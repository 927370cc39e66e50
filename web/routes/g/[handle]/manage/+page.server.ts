import { error, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { isAppError } from '#server/errors.ts';
import { t } from '#lib/i18n/index.ts';
import { action } from '#lib/server/forms.ts';
import { withCommuneChoices } from '#lib/server/communes.ts';

export const load: PageServerLoad = async ({ params, locals }) => {
  if (!locals.actor) redirect(303, '/login');
  const s = registry();
  try {
    const group = await s.groups.view(locals.actor, params.handle);
    const [requests, links, members] = await Promise.all([
      s.groups.requests(locals.actor, group.id),
      s.groups.links(locals.actor, group.id),
      s.groups.members(locals.actor, group.id).catch(() => []),
    ]);
    const place = group.communeCode ? { postalCode: '', communeCode: group.communeCode } : { postalCode: '', communeCode: '' };
    return { group, requests, links, members, place };
  } catch (e) {
    if (isAppError(e) && (e.kind === 'not_found' || e.kind === 'forbidden')) error(e.kind === 'not_found' ? 404 : 403, t(locals.locale, e.messageKey));
    throw e;
  }
};

type Ctx = Parameters<NonNullable<Actions['approve']>>[0];
const manage = (run: (s: ReturnType<typeof registry>, a: App.Locals['actor'], groupId: string, input: Record<string, unknown>) => Promise<unknown>, form?: string, stay = false) => (event: Ctx) =>
  action(
    event,
    async ({ input, services }) => {
      const group = await services.groups.view(event.locals.actor, event.params.handle!);
      const result = await run(services, event.locals.actor, group.id, input);
      if (stay) return { form, ...(result as object) };
      redirect(303, `/g/${group.handle}/manage`);
    },
    { form },
  );

export const actions: Actions = {
  approve: manage((s, a, id, i) => s.groups.decide(a, id, String(i.userId ?? ''), true)),
  decline: manage((s, a, id, i) => s.groups.decide(a, id, String(i.userId ?? ''), false)),
  invite: manage(async (s, a, id, i) => ({ invited: await s.groups.invite(a, id, i.username).then(() => true) }), 'invite', true),
  link: manage(async (s, a, id) => ({ link: (await s.groups.createLink(a, id)).token }), 'link', true),
  revoke: manage((s, a, id, i) => s.groups.revokeLink(a, id, String(i.linkId ?? ''))),
  role: manage((s, a, id, i) => s.groups.setRole(a, id, String(i.userId ?? ''), { role: i.role })),
  remove: manage((s, a, id, i) => s.groups.remove(a, id, String(i.userId ?? ''))),
  settings: async (event) =>
    withCommuneChoices(
      await action(
        event,
        async ({ input, services }) => {
          const group = await services.groups.view(event.locals.actor, event.params.handle!);
          const patch: Record<string, unknown> = { ...input };
          if (!input.postalCode) delete patch.postalCode; // empty: keep the commune
          const updated = await services.groups.update(event.locals.actor, group.id, patch);
          redirect(303, `/g/${updated.handle}/manage?saved=1`);
        },
        { form: 'settings' },
      ),
    ),
  image: (event) =>
    action(
      event,
      async ({ data, input, services }) => {
        const group = await services.groups.view(event.locals.actor, event.params.handle!);
        const file = data.get('file');
        const which = input.which === 'banner' ? 'banner' : 'avatar';
        await services.groups.setImage(event.locals.actor, group.id, which, file instanceof File ? Buffer.from(await file.arrayBuffer()) : Buffer.alloc(0));
        redirect(303, `/g/${group.handle}/manage`);
      },
      { form: 'image' },
    ),
  delete: (event) =>
    action(
      event,
      async ({ input, services }) => {
        const group = await services.groups.view(event.locals.actor, event.params.handle!);
        await services.groups.delete(event.locals.actor, group.id, input);
        redirect(303, '/groups?deleted=1');
      },
      { form: 'delete' },
    ),
};
