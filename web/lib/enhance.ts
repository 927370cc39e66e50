// Progressive enhancement of forms: after a JavaScript submit, keep what the member typed (the
// server echoes values anyway; without JavaScript the page reloads with them).
import type { SubmitFunction } from '$app/forms';

/** use:enhance={keepValues} — submit in the background, do not clear the form. */
export const keepValues: SubmitFunction = () => async ({ update }) => update({ reset: false });

/** use:enhance={whileBusy((b) => (busy = b))} — the same, with a flag to disable the button meanwhile. */
export function whileBusy(set: (busy: boolean) => void): SubmitFunction {
  return () => {
    set(true);
    return async ({ update }) => {
      await update({ reset: false });
      set(false);
    };
  };
}
