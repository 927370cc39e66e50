// Chat across servers, the way out. A message is a `ChatMessage` (LitePub's one-to-one chat
// object, as Pleroma and Akkoma send it) in a `Create`: in a one-to-one room, from its author to
// the other member's server, addressed to them alone; in a group's main room, from its author to
// a group of another server, or redistributed by a group here to its members' servers (Announce,
// FEP-1b12), addressed to the group. Each goes through the queue with one ordering key per room,
// so that a server receives a room's messages in the order they were stored, and a server that is
// down gets them, still in order, when it is back (the queue retries with backoff).
import { Announce, ChatMessage, Create, Delete, Tombstone, Update, type Activity } from '@fedify/vocab';
import { Temporal } from '@js-temporal/polyfill';
import type { AccountsRepository } from '../accounts/repository.ts';
import { newId } from '../accounts/secrets.ts';
import type { ChatService } from '../chat/service.ts';
import type { GroupsRepository } from '../groups/repository.ts';
import type { AppFederation } from './federation.ts';
import type { FederationRepository, RemoteRecipient } from './repository.ts';
import { absoluteHtml } from './vocab.ts';

export type ChatJob = { t: 'chat-message'; messageId: string } | { t: 'chat-change'; messageId: string };

type Send = (fromId: string, to: RemoteRecipient[], activity: Activity, opts?: { shared?: boolean; orderingKey?: string }) => Promise<void>;
type GlobalInstant = NonNullable<ConstructorParameters<typeof ChatMessage>[0]['published']>;
const instant = (d: Date) => Temporal.Instant.fromEpochMilliseconds(d.getTime()) as unknown as GlobalInstant;

export class ChatOut {
  readonly #federation: AppFederation;
  readonly #origin: URL;
  readonly #chat: ChatService;
  readonly #groups: GroupsRepository;
  readonly #accounts: AccountsRepository;
  readonly #repo: FederationRepository;
  readonly #send: Send;

  constructor(d: { federation: AppFederation; publicUrl: URL; chat: ChatService; groups: GroupsRepository; accounts: AccountsRepository; repo: FederationRepository; send: Send }) {
    this.#federation = d.federation;
    this.#origin = d.publicUrl;
    this.#chat = d.chat;
    this.#groups = d.groups;
    this.#accounts = d.accounts;
    this.#repo = d.repo;
    this.#send = d.send;
  }

  /**
   * Where a room's messages go, or null. (Whether they leave at all is a flag on the room, set
   * when someone of another server came in, read by the send itself; here, who exactly.)
   */
  async #where(roomId: string): Promise<{ kind: 'direct'; to: RemoteRecipient[] } | { kind: 'remote-group'; group: RemoteRecipient } | { kind: 'our-group'; groupId: string; to: RemoteRecipient[] } | null> {
    const room = await this.#chat.roomById(roomId);
    if (!room) return null;
    if (room.kind === 'direct') {
      const to = await this.#repo.remoteByIds(await this.#chat.roomMemberIds(room.id));
      return to.length ? { kind: 'direct', to } : null;
    }
    if (room.kind !== 'group' || !room.main || !room.groupId) return null;
    const group = await this.#groups.byId(room.groupId);
    if (!group) return null;
    if (group.host) {
      const target = await this.#repo.remoteById(group.id);
      return target ? { kind: 'remote-group', group: target } : null;
    }
    const to = await this.#repo.remoteMembers(group.id);
    return to.length ? { kind: 'our-group', groupId: group.id, to } : null;
  }

  #uri(id: string): URL {
    return this.#federation.createContext(this.#origin, null).getActorUri(id);
  }

  async handle(job: ChatJob): Promise<void> {
    const found = await this.#chat.messageAndRoom(job.messageId);
    if (!found || !found.message.authorId) return;
    const { message, room } = found;
    const authorId = found.message.authorId;
    const where = await this.#where(room.id);
    if (!where) return;
    const author = await this.#accounts.userById(authorId);
    if (!author) return;
    const ours = !author.host;
    const id = new URL(`/chat/messages/${message.id}`, this.#origin);
    const orderingKey = `chat:${room.id}`;
    const addressed = where.kind === 'direct' ? where.to.map((r) => new URL(r.uri)) : [where.kind === 'remote-group' ? new URL(where.group.uri) : this.#uri(where.groupId)];
    const object = () =>
      new ChatMessage({
        id,
        attribution: this.#uri(author.id),
        content: absoluteHtml(message.bodyHtml, this.#origin.origin),
        mediaType: 'text/html',
        published: instant(message.createdAt),
        updated: message.editedAt ? instant(message.editedAt) : null,
        tos: addressed,
        audience: where.kind === 'direct' ? null : addressed[0],
      });
    let activity: Activity;
    if (job.t === 'chat-message') activity = new Create({ id: new URL('#create', id), actor: this.#uri(author.id), object: object(), tos: addressed });
    else if (message.deletedAt) activity = new Delete({ id: new URL(`#delete-${newId()}`, id), actor: this.#uri(author.id), object: new Tombstone({ id }), tos: addressed });
    else if (message.editedAt) activity = new Update({ id: new URL(`#update-${newId()}`, id), actor: this.#uri(author.id), object: object(), tos: addressed });
    else return;

    if (where.kind === 'our-group') {
      // The group redistributes its room: our members' messages embedded, others' by address.
      if (ours) return this.#announce(where.groupId, where.to, activity, addressed, orderingKey);
      if (!message.uri) return;
      if (job.t === 'chat-message') return this.#announce(where.groupId, where.to, new URL(message.uri), addressed, orderingKey);
      // A moderator here deleted a message of another server's member: the group says so.
      if (message.deletedAt) {
        const deletion = new Delete({ id: new URL(`#delete-${newId()}`, this.#uri(where.groupId)), actor: this.#uri(where.groupId), object: new Tombstone({ id: new URL(message.uri) }), tos: addressed });
        await this.#announce(where.groupId, where.to, deletion, addressed, orderingKey);
      }
      return;
    }
    if (!ours) return; // theirs: their server sent it
    await this.#send(author.id, where.kind === 'direct' ? where.to : [where.group], activity, { orderingKey });
  }

  async #announce(groupId: string, to: RemoteRecipient[], inner: Activity | URL, addressed: URL[], orderingKey: string) {
    await this.#send(groupId, to, new Announce({ id: new URL(`/users/${groupId}/announces/${newId()}`, this.#origin), actor: this.#uri(groupId), object: inner, tos: addressed }), { shared: true, orderingKey });
  }
}
