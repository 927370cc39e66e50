// The chat client: what a browser tab (or a test) keeps of its rooms, and the rules that make the
// chat lose nothing (decision 0016). Framework-free, so that the pages and the tests run the same
// code.
//
//   - Sending: a message gets a client id at once and waits in an outbox (kept in storage, so a
//     reload or a crash of the tab keeps it); it is sent with an acknowledgement and leaves the
//     outbox only when the server answers that it is stored. No answer (network gone, phone
//     asleep, server restarting): it is sent again, with the same client id, on the next
//     connection; the server stores it once.
//   - Receiving: each room keeps the version it has seen. A live message one version ahead is
//     applied; anything further ahead means something was missed, and the room syncs from its
//     version; on every (re)connection every tracked room syncs before the outbox is resent.
import type { Socket } from 'socket.io-client';

export interface ChatMessage {
  id: string;
  roomId: string;
  seq: number;
  version: number;
  author: { id: string; username: string; displayName: string; avatarUrl: string | null } | null;
  clientId: string;
  body: string;
  html: string;
  replyTo: { id: string; seq: number; author: { displayName: string } | null; excerpt: string; deleted: boolean } | null;
  reactions: { emoji: string; userIds: string[] }[];
  /** Pictures sent with the message (HTTP multipart only; absent from older servers' answers). */
  images?: { url: string; width: number; height: number }[];
  files?: { url: string; name: string; size: number }[];
  editedAt: string | null;
  deletedAt: string | null;
  createdAt: string;
}

export interface PendingMessage {
  clientId: string;
  roomId: string;
  body: string;
  replyTo: string | null;
  createdAt: string;
  /** Set when the server refused it for good (too long, no right to post…): shown, not resent. */
  error: string | null;
}

interface RoomState {
  version: number;
  messages: Map<number, ChatMessage>;
  syncing: Promise<void> | null;
  /** A live message arrived during a sync: sync again after it. */
  again: boolean;
  /** The server no longer lets the member read the room (removed, left, blocked). */
  lost: boolean;
}

/** The part of Web Storage the client uses (localStorage in a browser, a Map in tests). */
export interface OutboxStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

type Answer = { ok: boolean; error?: string; message?: string; fields?: Record<string, string>; [k: string]: unknown };

/** The translated reason of a refusal: the field's own message when there is one ("too long"). */
export function answerError(answer: Answer): string {
  const field = answer.fields ? Object.values(answer.fields).find((v) => typeof v === 'string' && v) : undefined;
  return field ?? (typeof answer.message === 'string' ? answer.message : (answer.error ?? 'error'));
}

/** Answers that mean the member may no longer read the room. */
const LOST_ERRORS = new Set(['not_found', 'forbidden', 'unauthenticated']);

const ACK_TIMEOUT_MS = 10_000;
/** Refusals that sending again cannot fix. */
const FINAL_ERRORS = new Set(['invalid_input', 'forbidden', 'not_found', 'payload_too_large', 'unauthenticated']);

export function newClientId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export class ChatClient {
  readonly #socket: Socket;
  readonly #rooms = new Map<string, RoomState>();
  readonly #storage: OutboxStorage | null;
  readonly #key: string;
  #outbox: PendingMessage[];
  #flushing = false;
  /** A flush was asked for while one ran (a reconnection): run again after it. */
  #flushAgain = false;
  #retry: ReturnType<typeof setTimeout> | null = null;
  readonly #listeners = new Set<(roomId: string | null) => void>();

  constructor(socket: Socket, opts: { storage?: OutboxStorage | null; userId: string }) {
    this.#socket = socket;
    this.#storage = opts.storage ?? null;
    this.#key = `chat-outbox:${opts.userId}`;
    this.#outbox = this.#load();
    socket.on('connect', () => void this.#resume());
    socket.on('chat:message', (m: ChatMessage) => this.#live(m));
    if (socket.connected) void this.#resume();
  }

  /** Called with a room id when that room changed, null when the outbox did. */
  subscribe(listener: (roomId: string | null) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #notify(roomId: string | null) {
    for (const l of this.#listeners) l(roomId);
  }

  #load(): PendingMessage[] {
    try {
      const raw = this.#storage?.getItem(this.#key);
      const list = raw ? (JSON.parse(raw) as PendingMessage[]) : [];
      return Array.isArray(list) ? list.filter((p) => typeof p?.clientId === 'string' && typeof p.roomId === 'string' && typeof p.body === 'string') : [];
    } catch {
      return [];
    }
  }

  #save() {
    try {
      this.#storage?.setItem(this.#key, JSON.stringify(this.#outbox));
    } catch {
      // storage full or refused: the outbox still lives in memory
    }
  }

  /** Starts following a room from what the page already has (its history and version). */
  track(roomId: string, version: number, messages: ChatMessage[] = []): void {
    let state = this.#rooms.get(roomId);
    if (!state) {
      state = { version, messages: new Map(), syncing: null, again: false, lost: false };
      this.#rooms.set(roomId, state);
    }
    for (const m of messages) this.#apply(state, m);
    if (version > state.version) state.version = version;
    // Whatever happened between the page's load and now.
    if (this.#socket.connected) void this.sync(roomId);
  }

  untrack(roomId: string): void {
    this.#rooms.delete(roomId);
  }

  /** The room's messages in order, stored ones first, then those waiting to be sent. */
  messages(roomId: string): ChatMessage[] {
    const state = this.#rooms.get(roomId);
    return state ? [...state.messages.values()].sort((a, b) => a.seq - b.seq) : [];
  }

  pending(roomId: string): PendingMessage[] {
    return this.#outbox.filter((p) => p.roomId === roomId);
  }

  version(roomId: string): number {
    return this.#rooms.get(roomId)?.version ?? 0;
  }

  /** Whether the server refused the room on the last sync (the member lost access). */
  lost(roomId: string): boolean {
    return this.#rooms.get(roomId)?.lost ?? false;
  }

  get connected(): boolean {
    return this.#socket.connected;
  }

  /** Adds older messages (from history pages) without touching the version. */
  addOlder(roomId: string, messages: ChatMessage[]): void {
    const state = this.#rooms.get(roomId);
    if (!state) return;
    for (const m of messages) this.#apply(state, m);
    this.#notify(roomId);
  }

  #apply(state: RoomState, m: ChatMessage): boolean {
    const known = state.messages.get(m.seq);
    if (known && known.version >= m.version) return false;
    state.messages.set(m.seq, m);
    return true;
  }

  #live(m: ChatMessage) {
    const state = this.#rooms.get(m.roomId);
    if (!state) return;
    // The sender's own copy leaves the outbox as soon as it is seen stored.
    if (this.#dropPending(m.roomId, m.clientId, m.author?.id)) this.#notify(null);
    if (m.version <= state.version) {
      if (this.#apply(state, m)) this.#notify(m.roomId);
      return;
    }
    if (m.version === state.version + 1 && !state.syncing) {
      this.#apply(state, m);
      state.version = m.version;
      this.#notify(m.roomId);
      return;
    }
    // A gap: something was missed (or a sync is under way): the sync brings it, in order.
    this.#apply(state, m);
    this.#notify(m.roomId);
    void this.sync(m.roomId);
  }

  #dropPending(roomId: string, clientId: string, _authorId: string | undefined): boolean {
    const before = this.#outbox.length;
    this.#outbox = this.#outbox.filter((p) => !(p.roomId === roomId && p.clientId === clientId));
    if (this.#outbox.length !== before) {
      this.#save();
      return true;
    }
    return false;
  }

  /** Brings a room up to date from its version (page after page). */
  sync(roomId: string): Promise<void> {
    const state = this.#rooms.get(roomId);
    if (!state) return Promise.resolve();
    if (state.syncing) {
      state.again = true;
      return state.syncing;
    }
    state.syncing = (async () => {
      try {
        for (let page = 0; page < 1000; page++) {
          const answer = (await this.#socket.timeout(ACK_TIMEOUT_MS).emitWithAck('chat:sync', { rooms: [{ roomId, since: state.version }] })) as Answer & {
            rooms?: { changes: ChatMessage[]; version: number; more: boolean }[];
          };
          if (!answer.ok || !answer.rooms?.[0]) {
            if (!answer.ok && answer.error && LOST_ERRORS.has(answer.error) && !state.lost) {
              state.lost = true;
              this.#notify(roomId);
            }
            break;
          }
          const r = answer.rooms[0];
          if (state.lost) state.lost = false;
          for (const m of r.changes) this.#apply(state, m);
          if (r.version > state.version) state.version = r.version;
          this.#notify(roomId);
          if (!r.more) {
            if (!state.again) break;
            state.again = false;
          }
        }
      } catch {
        // No answer: the next connection syncs again.
      } finally {
        state.syncing = null;
        // Asked again while a request was lost (a reconnection during it): go again now.
        if (state.again && this.#socket.connected && this.#rooms.get(roomId) === state) {
          state.again = false;
          void this.sync(roomId);
        }
      }
    })();
    return state.syncing;
  }

  /** Queues a message and sends it; resolves once it is stored (or refused for good). */
  send(roomId: string, body: string, replyTo: string | null = null): PendingMessage {
    const pending: PendingMessage = { clientId: newClientId(), roomId, body, replyTo, createdAt: new Date().toISOString(), error: null };
    this.#outbox.push(pending);
    this.#save();
    this.#notify(null);
    void this.#flush();
    return pending;
  }

  /** Gives up a message that was refused (or that the member no longer wants to send). */
  discard(clientId: string): void {
    this.#outbox = this.#outbox.filter((p) => p.clientId !== clientId);
    this.#save();
    this.#notify(null);
  }

  /** Every tracked room syncs, then the outbox goes out again, in order. */
  async #resume() {
    await Promise.all([...this.#rooms.keys()].map((id) => this.sync(id)));
    await this.#flush();
  }

  async #flush() {
    if (this.#flushing) {
      this.#flushAgain = true;
      return;
    }
    this.#flushing = true;
    this.#flushAgain = false;
    if (this.#retry) {
      clearTimeout(this.#retry);
      this.#retry = null;
    }
    try {
      for (;;) {
        const next = this.#outbox.find((p) => p.error === null);
        if (!next || !this.#socket.connected) return;
        let answer: Answer;
        try {
          answer = (await this.#socket.timeout(ACK_TIMEOUT_MS).emitWithAck('chat:send', { roomId: next.roomId, clientId: next.clientId, body: next.body, replyTo: next.replyTo })) as Answer;
        } catch {
          // No answer: kept, sent again (same client id) on the next connection — or soon, if
          // the socket is still up and the answer was only slow.
          if (this.#socket.connected) this.#later(2000);
          return;
        }
        if (answer.ok) {
          const message = answer.message as unknown as ChatMessage;
          this.#dropPending(next.roomId, next.clientId, undefined);
          const state = this.#rooms.get(next.roomId);
          if (state) {
            this.#apply(state, message);
            if (message.version === state.version + 1) state.version = message.version;
            else if (message.version > state.version) void this.sync(next.roomId);
          }
          this.#notify(next.roomId);
          this.#notify(null);
        } else if (answer.error && FINAL_ERRORS.has(answer.error)) {
          next.error = answerError(answer);
          this.#save();
          this.#notify(null);
        } else {
          // Rate limited or unavailable: try again a little later.
          this.#later(typeof answer.retryAfter === 'number' ? Math.min(60, answer.retryAfter) * 1000 : 2000);
          return;
        }
      }
    } finally {
      this.#flushing = false;
      if (this.#flushAgain && !this.#retry) void this.#flush();
    }
  }

  #later(ms: number) {
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = setTimeout(() => {
      this.#retry = null;
      void this.#flush();
    }, ms);
  }

  /** Sends one request with an acknowledgement; no answer in time is an `unavailable` answer. */
  async #ask(event: string, payload: Record<string, unknown>): Promise<Answer> {
    if (!this.#socket.connected) return { ok: false, error: 'unavailable' };
    try {
      return (await this.#socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload)) as Answer;
    } catch {
      return { ok: false, error: 'unavailable' };
    }
  }

  /** A changed message from an answer: applied as a live one would be. */
  #changed(answer: Answer): Answer {
    if (answer.ok && answer.message && typeof answer.message === 'object') this.#live(answer.message as unknown as ChatMessage);
    return answer;
  }

  /** Older messages of a tracked room, before message number `before` (added to the room). */
  async history(roomId: string, before: number | null, limit?: number): Promise<Answer & { messages?: ChatMessage[]; more?: boolean }> {
    const answer = (await this.#ask('chat:history', { roomId, ...(before ? { before } : {}), ...(limit ? { limit } : {}) })) as Answer & { messages?: ChatMessage[]; more?: boolean };
    if (answer.ok && answer.messages) this.addOlder(roomId, answer.messages);
    return answer;
  }

  edit(messageId: string, body: string): Promise<Answer> {
    return this.#ask('chat:edit', { messageId, body }).then((a) => this.#changed(a));
  }

  remove(messageId: string): Promise<Answer> {
    return this.#ask('chat:delete', { messageId }).then((a) => this.#changed(a));
  }

  react(messageId: string, emoji: string, on: boolean): Promise<Answer> {
    return this.#ask('chat:react', { messageId, emoji, on }).then((a) => this.#changed(a));
  }

  /** Moves the read position forward; answers the room's unread count and the member's total. */
  read(roomId: string, seq: number): Promise<Answer & { readSeq?: number; unread?: number; total?: number }> {
    return this.#ask('chat:read', { roomId, seq });
  }

  /**
   * "Typing…": never stored nor acknowledged, and only sent while connected (never queued for
   * later). Not a volatile emit here: socket.io drops those whenever the transport is busy
   * writing (a sync, a read, the polling transport before the upgrade), which is most of the
   * time right after a page opens; the page sends it at most every few seconds anyway.
   */
  typing(roomId: string): void {
    if (this.#socket.connected) this.#socket.emit('chat:typing', { roomId });
  }
}
