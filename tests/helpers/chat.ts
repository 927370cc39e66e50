// Chat members and clients for the delivery tests, against an instance running as its own
// process (tests/helpers/instance.ts) or a test node: sign-up over HTTP with the mailed code,
// sockets that reconnect by themselves, the browser's ChatClient (web/lib/chat/client.ts) on top
// with a Map for its storage, and a relay standing for a member's network.
import { createServer, connect as tcp, type Socket as TcpSocket } from 'node:net';
import { io as connect, type Socket } from 'socket.io-client';
import { ChatClient, type ChatMessage, type OutboxStorage } from '../../web/lib/chat/client.ts';
import { Client } from './client.ts';
import { codeOf, type TestSmtp } from './smtp.ts';

export interface Member {
  email: string;
  client: Client;
  user: { id: string; username: string };
}

/**
 * Signs a member up through the API of an instance (the code comes by mail to the test SMTP
 * server). `origin` is the instance's public origin when it differs from `base` (several
 * processes behind one address); `forwardedFor` gives the request an address of its own, for an
 * instance that trusts the loopback proxy (the sign-up limit is per address).
 */
export async function signupOver(base: URL, smtp: TestSmtp, email: string, displayName: string, opts: { origin?: string; forwardedFor?: string } = {}): Promise<Member> {
  const client = new Client(base, { origin: opts.origin });
  const headers: Record<string, string> = opts.forwardedFor ? { 'x-forwarded-for': opts.forwardedFor } : {};
  const start = await client.post('/api/auth/signup', { email, displayName, postalCode: '75011', consent: true }, headers);
  if (start.status !== 202) throw new Error(`signup failed: ${start.status} ${JSON.stringify(start.body)}`);
  const { code } = codeOf(await smtp.waitFor(email));
  const verified = await client.post('/api/auth/verify', { challengeId: start.body.challengeId, code }, headers);
  if (verified.status !== 200) throw new Error(`verify failed: ${verified.status} ${JSON.stringify(verified.body)}`);
  return { email, client, user: verified.body.user };
}

export type Transport = 'websocket' | 'polling';

/** A socket as a browser tab opens it: session cookie, Origin, reconnecting by itself (quickly, for tests). */
export function chatSocket(base: URL, member: Member, opts: { origin?: string; transports?: Transport[]; connect?: boolean } = {}): Socket {
  return connect(base.origin, {
    transports: opts.transports ?? ['websocket'],
    extraHeaders: { cookie: member.client.cookieHeader, origin: opts.origin ?? base.origin, 'accept-language': 'fr' },
    reconnection: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 400,
    randomizationFactor: 0.3,
    timeout: 3000,
    autoConnect: opts.connect ?? true,
  });
}

export function memoryStorage(): OutboxStorage & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v) };
}

/** A member's tab: the real ChatClient on a socket, and what the test observes of it. */
export interface Peer {
  name: string;
  member: Member;
  socket: Socket;
  chat: ChatClient;
  storage: ReturnType<typeof memoryStorage>;
  /** Answers to chat:send, by client id (the last one for each). */
  acks: Map<string, { ok: boolean; duplicate?: boolean; error?: string; message?: unknown }>;
  /** Every client id this tab asked the client to send. */
  sent: string[];
  /** Live chat:message events received. */
  live: ChatMessage[];
  /** Socket connections made (the first one included). */
  connections: number;
  /** Whether the server said this connection is in its rooms (`chat:ready`, after it joined them). */
  ready: boolean;
  send(roomId: string, body: string): string;
  close(): void;
}

export function peer(name: string, base: URL, member: Member, opts: { origin?: string; transports?: Transport[] } = {}): Peer {
  const socket = chatSocket(base, member, { ...opts, connect: false });
  const storage = memoryStorage();
  const p: Peer = {
    name,
    member,
    socket,
    storage,
    chat: null as unknown as ChatClient,
    acks: new Map(),
    sent: [],
    live: [],
    connections: 0,
    ready: false,
    send(roomId, body) {
      const pending = p.chat.send(roomId, body);
      p.sent.push(pending.clientId);
      return pending.clientId;
    },
    close() {
      socket.close();
    },
  };
  // Watch the answers the client gets (the client reads them through this same method).
  const emitWithAck = socket.emitWithAck.bind(socket) as (ev: string, ...args: unknown[]) => Promise<unknown>;
  socket.emitWithAck = (async (ev: string, ...args: unknown[]) => {
    const answer = (await emitWithAck(ev, ...args)) as { ok: boolean; duplicate?: boolean; error?: string };
    if (ev === 'chat:send') p.acks.set((args[0] as { clientId: string }).clientId, answer);
    return answer;
  }) as Socket['emitWithAck'];
  socket.on('connect', () => p.connections++);
  socket.on('disconnect', () => (p.ready = false));
  socket.on('chat:ready', () => (p.ready = true));
  socket.on('chat:message', (m: ChatMessage) => p.live.push(m));
  p.chat = new ChatClient(socket, { storage, userId: member.user.id });
  socket.connect();
  return p;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(check: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(25);
  }
}

/**
 * Connected and in its rooms: the server joins a new socket to its rooms after a few queries, and
 * says so with `chat:ready`; what is sent before then reaches the tab by its sync, not live.
 */
export const connected = (p: Peer) => until(() => p.socket.connected && p.ready, 15_000, `${p.name} connected`);

/** The room's stored history, read through the API (every change after version 0, page after page). */
export async function stored(member: Member, roomId: string): Promise<ChatMessage[]> {
  const bySeq = new Map<number, ChatMessage>();
  let since = 0;
  for (let page = 0; page < 100; page++) {
    const res = await member.client.get(`/api/chat/rooms/${roomId}/messages?since=${since}`);
    if (res.status !== 200) throw new Error(`sync failed: ${res.status} ${JSON.stringify(res.body)}`);
    for (const m of res.body.changes as ChatMessage[]) bySeq.set(m.seq, m);
    since = res.body.version;
    if (!res.body.more) break;
  }
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** What two views of a room are compared on. */
export const essentials = (list: ChatMessage[]) => list.map((m) => ({ id: m.id, seq: m.seq, version: m.version, clientId: m.clientId, body: m.body, author: m.author?.id ?? null }));

/**
 * A TCP relay to a server, standing for one member's network: it can go down (new connections
 * refused, whatever the server does meanwhile), lose what the server answers, and drop the
 * connections it carries.
 */
export interface Gate {
  url: URL;
  /** New connections are let through. */
  open: boolean;
  /** What the server sends is lost on the way. */
  mute: boolean;
  /** Drops the connections under way (the client sees its transport close). */
  cut(): void;
  close(): Promise<void>;
}

export async function tcpGate(target: URL): Promise<Gate> {
  const carried = new Set<TcpSocket>();
  const server = createServer((client) => {
    if (!gate.open) return void client.destroy();
    const upstream = tcp(Number(target.port), target.hostname);
    carried.add(client);
    client.on('close', () => {
      carried.delete(client);
      upstream.end(); // after what is still on its way
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    // An end is passed on once what came before it is written.
    client.pipe(upstream);
    upstream.on('data', (chunk) => void (gate.mute || client.write(chunk)));
    upstream.on('end', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const gate: Gate = {
    url: new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}`),
    open: true,
    mute: false,
    cut() {
      for (const c of carried) c.destroy();
    },
    close() {
      gate.cut();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return gate;
}
