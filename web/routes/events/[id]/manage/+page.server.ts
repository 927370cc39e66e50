// The organizers' page of an event: status, requests, participants and check-in, walk-ins,
// invitations, stepping down, deletion. Each action calls one service, which decides; after a
// success the page comes back at the section (or the participant's row) that changed.
import { error, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad, RequestEvent } from './$types';
import { registry } from '#server/registry.ts';
import { isAppError } from '#server/errors.ts';
import type { Services } from '#server/services.ts';
import { t } from '#lib/i18n/index.ts';
import { action, type ActionInput } from '#lib/server/forms.ts';

export const load: PageServerLoad = async ({ params, locals, url }) => {
  if (!locals.actor) redirect(303, `/login?next=${encodeURIComponent(url.pathname)}`);
  const s = registry();
  try {
    const event = await s.events.view(locals.actor, params.id, locals.locale);
    if (!event.rights.organizer) error(403, t(locals.locale, 'error.forbidden'));
    const [participants, invitations] = await Promise.all([s.rsvps.participants(locals.actor, event.id), s.events.invitations(locals.actor, event.id)]);
    return { event, participants, invitations, done: url.searchParams.get('done'), invited: Number(url.searchParams.get('n') ?? 0) || 0 };
  } catch (e) {
    if (isAppError(e) && (e.kind === 'not_found' || e.kind === 'forbidden')) error(e.kind === 'not_found' ? 404 : 403, t(locals.locale, e.messageKey));
    throw e;
  }
};

const text = (v: ActionInput[string] | undefined) => (typeof v === 'string' ? v : '');

/** An action of this page: runs one service call, then goes where `run` says. */
const manage =
  (form: string, run: (s: Services, actor: App.Locals['actor'], id: string, input: ActionInput) => Promise<string>) =>
  (event: RequestEvent) =>
    action(
      event,
      async ({ input, services }) => {
        const to = await run(services, event.locals.actor, event.params.id, input);
        redirect(303, to);
      },
      { form },
    );

const back = (id: string, done: string, anchor: string) => `/events/${id}/manage?done=${done}#${anchor}`;

export const actions: Actions = {
  status: manage('status', async (s, a, id, i) => {
    await s.events.setStatus(a, id, { status: i.status });
    return back(id, 'status', 'status');
  }),
  approve: manage('requests', async (s, a, id, i) => {
    await s.rsvps.decide(a, id, text(i.userId), true);
    return back(id, 'decided', 'requests');
  }),
  decline: manage('requests', async (s, a, id, i) => {
    await s.rsvps.decide(a, id, text(i.userId), false);
    return back(id, 'decided', 'requests');
  }),
  attendance: manage('attendance', async (s, a, id, i) => {
    await s.rsvps.setAttendance(a, id, text(i.userId), { attendance: i.attendance });
    return `/events/${id}/manage#p-${encodeURIComponent(text(i.userId))}`;
  }),
  walkIn: manage('walkIn', async (s, a, id, i) => {
    await s.rsvps.addWalkIn(a, id, { username: i.username });
    return back(id, 'walk_in', 'walk-ins');
  }),
  step: manage('step', async (s, a, id, i) => {
    await s.rsvps.addWalkIn(a, id, { count: i.count });
    return `/events/${id}/manage#walk-ins`;
  }),
  count: manage('count', async (s, a, id, i) => {
    await s.rsvps.addWalkIn(a, id, { count: i.count });
    return back(id, 'count', 'walk-ins');
  }),
  invite: manage('invite', async (s, a, id, i) => {
    const { invited } = await s.events.invite(a, id, { usernames: i.usernames });
    return `/events/${id}/manage?done=invited&n=${invited}#invitations`;
  }),
  stepDown: manage('stepDown', async (s, a, id) => {
    await s.events.stepDown(a, id);
    return `/events/${id}`;
  }),
  delete: manage('delete', async (s, a, id) => {
    await s.events.delete(a, id);
    return '/events?deleted=1';
  }),
};
