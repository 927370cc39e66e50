import { error, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { registry } from '#server/registry.ts';
import { isAppError } from '#server/errors.ts';
import { t } from '#lib/i18n/index.ts';
import { action } from '#lib/server/forms.ts';
import { safePath } from '#lib/safe-path.ts';

export const load: PageServerLoad = async ({ params, locals, url }) => {
  const s = registry();
  try {
    const post = await s.posts.get(locals.actor, params.id);
    const comments = await s.posts.comments(locals.actor, params.id);
    const group = post.group && locals.actor ? await s.groups.view(locals.actor, post.group.id) : null;
    return {
      post,
      comments,
      editing: url.searchParams.has('edit') && post.canEdit,
      source: post.canEdit ? (await s.posts.source(locals.actor, params.id)) : null,
      canPin: group?.myRole === 'organizer' || group?.myRole === 'admin',
      pinned: group?.pinnedPostId === post.id,
    };
  } catch (e) {
    if (isAppError(e) && e.kind === 'not_found') error(404, t(locals.locale, 'error.not_found'));
    throw e;
  }
};

const back = (input: Record<string, unknown>, fallback: string) => redirect(303, safePath(input.redirectTo, fallback));

export const actions: Actions = {
  like: (event) =>
    action(event, async ({ input, services }) => {
      await services.posts.like(event.locals.actor, event.params.id!, input.like !== '0');
      back(input, `/posts/${event.params.id}`);
    }),
  delete: (event) =>
    action(event, async ({ input, services }) => {
      await services.posts.delete(event.locals.actor, event.params.id!);
      back(input, '/');
    }),
  pin: (event) =>
    action(event, async ({ input, services }) => {
      const post = await services.posts.get(event.locals.actor, event.params.id!);
      if (!post.group) return { pinned: false };
      await services.groups.pin(event.locals.actor, post.group.id, input.pin === '0' ? null : post.id);
      back(input, `/g/${post.group.handle}`);
    }),
  edit: (event) =>
    action(
      event,
      async ({ input, services }) => {
        await services.posts.edit(event.locals.actor, event.params.id!, { body: input.body });
        redirect(303, `/posts/${event.params.id}`);
      },
      { form: 'edit' },
    ),
  comment: (event) =>
    action(
      event,
      async ({ input, services }) => {
        const c = await services.posts.comment(event.locals.actor, event.params.id!, { body: input.body, parentId: input.parentId || null });
        redirect(303, `/posts/${event.params.id}#comment-${c.id}`);
      },
      { form: 'comment' },
    ),
  deleteComment: (event) =>
    action(event, async ({ input, services }) => {
      await services.posts.deleteComment(event.locals.actor, String(input.commentId ?? ''));
      redirect(303, `/posts/${event.params.id}#comments`);
    }),
};
