// Form actions with checkbox groups (a report's concerns, a kind's counters): forms.ts echoes
// single values after a failure, so the boxes a member ticked would come back unticked. This
// wrapper adds them, as `lists`, to the failure of an action that redirects when it succeeds.
import { fail, type RequestEvent } from '@sveltejs/kit';
import { action, type ActionInput } from './forms.ts';
import type { Services } from '#server/services.ts';

export async function actionWithLists(
  event: RequestEvent,
  names: readonly string[],
  run: (ctx: { input: ActionInput; data: FormData; services: Services }) => Promise<never>,
  opts: { form?: string } = {},
) {
  const lists: Record<string, string[]> = {};
  const failure = await action(
    event,
    (ctx) => {
      for (const name of names) lists[name] = ctx.data.getAll(name).filter((v): v is string => typeof v === 'string');
      return run(ctx);
    },
    opts,
  );
  return fail(failure.status, { ...failure.data, lists });
}
