import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { action } from '#lib/server/forms.ts';
import { withCommuneChoices } from '#lib/server/communes.ts';
import { SKILLS } from '#server/profiles/skills.ts';
import { BIO_MAX } from '#server/profiles/service.ts';

export const load: PageServerLoad = async ({ locals, url }) => {
  const s = registry();
  return {
    me: await s.profiles.own(locals.actor),
    skills: [...SKILLS],
    bioMax: BIO_MAX,
    uploadMb: Math.round(s.config.uploadLimitBytes / 1048576),
    host: s.config.publicUrl.host,
    welcome: url.searchParams.has('welcome'),
  };
};

export const actions: Actions = {
  profile: async (event) =>
    withCommuneChoices(
      await action(
        event,
        async ({ input, services }) => {
          await services.profiles.update(event.locals.actor, {
            displayName: input.displayName,
            username: input.username,
            bio: input.bio,
            skills: input.skills ?? [],
            skillTags: input.skillTags ?? '',
            postalCode: input.postalCode,
            communeCode: input.communeCode || null,
          });
          return { saved: 'profile' };
        },
        { form: 'profile' },
      ),
    ),
  avatar: (event) =>
    action(
      event,
      async ({ input, services }) => {
        const file = input.avatar;
        const bytes = file instanceof File ? Buffer.from(await file.arrayBuffer()) : Buffer.alloc(0);
        await services.profiles.setAvatar(event.locals.actor, bytes);
        return { saved: 'avatar' };
      },
      { form: 'avatar' },
    ),
  removeAvatar: (event) =>
    action(
      event,
      async ({ services }) => {
        await services.profiles.removeAvatar(event.locals.actor);
        return { saved: 'avatar' };
      },
      { form: 'avatar' },
    ),
};
