// Friend and block buttons as form actions, shared by the pages that show them (a profile, the
// friends page, search results): each posts a `userId`, calls the friends service verb of the
// same name, then goes back to the page it came from.
import { redirect, type RequestEvent } from '@sveltejs/kit';
import { action } from './forms.ts';

export type RelationVerb = 'request' | 'cancel' | 'accept' | 'decline' | 'unfriend' | 'block' | 'unblock';

export function relationActions<V extends RelationVerb>(verbs: readonly V[], back: (event: RequestEvent) => string) {
  const one = (verb: V) => (event: RequestEvent) =>
    action(event, async ({ input, services }) => {
      await services.friends[verb](event.locals.actor, String(input.userId ?? ''));
      redirect(303, back(event));
    });
  return Object.fromEntries(verbs.map((v) => [v, one(v)])) as Record<V, ReturnType<typeof one>>;
}
