import { error, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad, RequestEvent } from './$types';
import { registry } from '#server/registry.ts';
import { isAppError, toProblem } from '#server/errors.ts';
import { t } from '#lib/i18n/index.ts';
import { action } from '#lib/server/forms.ts';
import { asJson, myFriends } from '#lib/server/chat.ts';
import { newClientId, type ChatMessage } from '#lib/chat/client.ts';
import type { ChatRoom } from '#lib/chat/view.ts';

// The first page of a room is rendered here (and, without JavaScript, each older page and the
// search results); with JavaScript the tab's chat client takes over from what this gave.
export const load: PageServerLoad = async ({ params, locals, url }) => {
  if (!locals.actor) redirect(303, `/login?next=${encodeURIComponent(url.pathname)}`);
  const s = registry();
  const before = url.searchParams.get('before') || undefined;
  const q = url.searchParams.get('q')?.trim() || null;
  try {
    const room = await s.chat.room(locals.actor, params.id);
    const history = await s.chat.history(locals.actor, room.id, { before });
    let search: ChatMessage[] | null = null;
    let searchError: string | null = null;
    if (q) {
      try {
        search = asJson((await s.chat.search(locals.actor, room.id, { q })).messages) as unknown as ChatMessage[];
      } catch (e) {
        if (!isAppError(e)) throw e;
        const problem = toProblem(e, locals.locale).body;
        searchError = Object.values(problem.fields ?? {})[0] ?? problem.message;
      }
    }
    // Replying without JavaScript: ?reply=<message id>, among the messages shown.
    const replyId = url.searchParams.get('reply');
    const reply = replyId ? (history.messages.find((m) => m.id === replyId && !m.deletedAt) ?? null) : null;
    // The owner of a private conversation adds friends from a list.
    const me = room.kind === 'private' && room.rights.moderate ? await s.repo.userById(locals.actor.userId) : null;
    const inRoom = new Set(room.members.map((m) => m.id));
    const addable = me ? (await myFriends(locals.actor, me.username)).filter((f) => !inRoom.has(f.id)) : [];
    return {
      addable,
      room: asJson(room) as ChatRoom,
      history: asJson(history) as unknown as { messages: ChatMessage[]; version: number; more: boolean },
      before: before ? Number(before) : null,
      q,
      search,
      searchError,
      reply: reply ? { id: reply.id, name: reply.author?.displayName ?? '', excerpt: reply.body.slice(0, 140) } : null,
      // A form sent twice (a double tap, a resent POST) is stored once.
      clientId: newClientId(),
    };
  } catch (e) {
    if (isAppError(e) && e.kind === 'not_found') error(404, t(locals.locale, 'chat.room_unknown'));
    if (isAppError(e) && e.kind === 'invalid_input') error(400, t(locals.locale, 'chat.cursor_invalid'));
    throw e;
  }
};

const back = (event: RequestEvent, anchor = 'latest') => `/chat/${event.params.id}#${anchor}`;

export const actions: Actions = {
  send: (event) =>
    action(
      event,
      async ({ input, services }) => {
        // Without JavaScript one attachment comes with the form: a picture, or a PDF document.
        const file = input.attachment instanceof File && input.attachment.size > 0 ? input.attachment : null;
        const bytes = file ? Buffer.from(await file.arrayBuffer()) : null;
        const pdf = file !== null && (file.type === 'application/pdf' || /\.pdf$/i.test(file.name));
        await services.chat.send(
          event.locals.actor,
          event.params.id,
          { clientId: input.clientId, body: input.body, replyTo: typeof input.replyTo === 'string' && input.replyTo ? input.replyTo : null },
          bytes && !pdf ? [bytes] : [],
          bytes && pdf ? [{ bytes, name: file!.name }] : [],
        );
        redirect(303, back(event));
      },
      { form: 'send' },
    ),
  react: (event) =>
    action(
      event,
      async ({ input, services }) => {
        const m = await services.chat.react(event.locals.actor, input.messageId, { emoji: input.emoji, on: input.on !== 'false' });
        redirect(303, back(event, `m-${m.seq}`));
      },
      { form: 'message' },
    ),
  edit: (event) =>
    action(
      event,
      async ({ input, services }) => {
        const m = await services.chat.edit(event.locals.actor, input.messageId, { body: input.body });
        redirect(303, back(event, `m-${m.seq}`));
      },
      { form: 'message' },
    ),
  delete: (event) =>
    action(
      event,
      async ({ input, services }) => {
        const m = await services.chat.remove(event.locals.actor, input.messageId);
        redirect(303, back(event, `m-${m.seq}`));
      },
      { form: 'message' },
    ),
  addMember: (event) =>
    action(
      event,
      async ({ input, services }) => {
        await services.chat.addMembers(event.locals.actor, event.params.id, { memberIds: typeof input.userId === 'string' && input.userId ? [input.userId] : [] });
        redirect(303, `/chat/${event.params.id}#settings`);
      },
      { form: 'settings' },
    ),
  removeMember: (event) =>
    action(
      event,
      async ({ input, services }) => {
        await services.chat.removeMember(event.locals.actor, event.params.id, input.userId);
        // Leaving one's own conversation: back to the list.
        redirect(303, input.userId === event.locals.actor?.userId ? '/chat' : `/chat/${event.params.id}#settings`);
      },
      { form: 'settings' },
    ),
  channel: (event) =>
    action(
      event,
      async ({ input, services }) => {
        await services.chat.updateChannel(event.locals.actor, event.params.id, {
          ...(typeof input.name === 'string' ? { name: input.name } : {}),
          readOnly: input.readOnly === 'on',
        });
        redirect(303, `/chat/${event.params.id}#settings`);
      },
      { form: 'settings' },
    ),
  deleteChannel: (event) =>
    action(
      event,
      async ({ services }) => {
        const room = await services.chat.room(event.locals.actor, event.params.id);
        await services.chat.deleteChannel(event.locals.actor, event.params.id);
        redirect(303, room.group ? `/g/${room.group.handle}` : '/chat');
      },
      { form: 'settings' },
    ),
  read: (event) =>
    action(
      event,
      async ({ input, services }) => {
        await services.chat.markRead(event.locals.actor, event.params.id, { seq: input.seq });
        redirect(303, back(event));
      },
      { form: 'read' },
    ),
};
