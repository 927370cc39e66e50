// The administrator's two lists for actions: kinds of action (and the counters their reports ask
// first) and the concerns heard in the field. Entries are archived, never deleted (the service
// says so); each action calls one service function.
import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { action, type ActionInput } from '#lib/server/forms.ts';
import { actionWithLists } from '#lib/server/organize.ts';

export const load: PageServerLoad = async ({ locals, url }) => ({
  lists: await registry().eventVocab.adminList(locals.actor, locals.locale),
  done: url.searchParams.get('done'),
  list: url.searchParams.get('v'),
});

/**
 * The entry's fields as the service takes them. HTML forms send nothing for an empty position
 * (meaning "not given") and nothing when no counter is ticked (meaning "none": the form says it
 * showed the counters with `metricsShown`).
 */
function entry(input: ActionInput) {
  const list = (v: ActionInput[string] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  return {
    labelFr: input.labelFr,
    labelEn: input.labelEn,
    ...(input.position === '' || input.position === undefined ? {} : { position: input.position }),
    ...(input.metricsShown ? { metrics: list(input.metrics) } : {}),
  };
}

const vocab = (input: ActionInput) => (input.vocabulary === 'concern' ? 'concern' : 'kind');
const back = (input: ActionInput, done: string) => `/admin/events?done=${done}&v=${vocab(input)}#${vocab(input)}s`;

export const actions: Actions = {
  add: (event) =>
    actionWithLists(
      event,
      ['metrics'],
      async ({ input, services }) => {
        await services.eventVocab.add(event.locals.actor, input.vocabulary, entry(input));
        redirect(303, back(input, 'added'));
      },
      { form: 'add' },
    ),
  update: (event) =>
    actionWithLists(
      event,
      ['metrics'],
      async ({ input, services }) => {
        await services.eventVocab.update(event.locals.actor, input.vocabulary, input.key, entry(input));
        redirect(303, back(input, 'saved'));
      },
      { form: 'update' },
    ),
  archive: (event) =>
    action(
      event,
      async ({ input, services }) => {
        await services.eventVocab.setArchived(event.locals.actor, input.vocabulary, input.key, true);
        redirect(303, back(input, 'archived'));
      },
      { form: 'archive' },
    ),
  restore: (event) =>
    action(
      event,
      async ({ input, services }) => {
        await services.eventVocab.setArchived(event.locals.actor, input.vocabulary, input.key, false);
        redirect(303, back(input, 'restored'));
      },
      { form: 'archive' },
    ),
};
