// The "post" form action shared by the pages with a composer (home, group page).
import type { RequestEvent } from '@sveltejs/kit';
import { action } from './forms.ts';

export function postAction(event: RequestEvent) {
  return action(
    event,
    async ({ data, input, services }) => {
      const images = [];
      for (let n = 0; n < 4; n++) {
        const file = data.get(`image${n}`);
        if (file instanceof File && file.size > 0) images.push({ bytes: Buffer.from(await file.arrayBuffer()), alt: String(input[`alt${n}`] ?? '') });
      }
      await services.posts.create(event.locals.actor, { body: input.body ?? '', audience: input.audience, groupId: input.groupId || null }, images);
      return { posted: true };
    },
    { form: 'post' },
  );
}
