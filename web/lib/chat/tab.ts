// The tab's chat: one ChatClient on the tab's shared socket, its outbox in localStorage, for
// every chat page of the tab (so that leaving a room does not lose what waits to be sent).
//
// A phone that loses its network keeps a WebSocket "open" until its heartbeat times out (and
// browsers' offline switch does not close it at all): when the browser says it is offline, the
// socket is closed at once — the page says so — and opened again when the network returns, which
// syncs the rooms and sends the outbox.
import { realtime } from '#lib/realtime.ts';
import { ChatClient } from './client.ts';

let client: ChatClient | null = null;
let owner: string | null = null;
let watching = false;

function watchNetwork() {
  if (watching || typeof window === 'undefined') return;
  watching = true;
  window.addEventListener('offline', () => {
    const socket = realtime();
    if (socket.connected || socket.active) socket.disconnect();
  });
  window.addEventListener('online', () => {
    const socket = realtime();
    if (!socket.connected) socket.connect();
  });
}

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // storage refused (private mode settings): the outbox lives in memory
  }
}

/** The tab's chat client for the logged-in member (browser only). */
export function chatClient(userId: string): ChatClient {
  if (!client || owner !== userId) {
    client = new ChatClient(realtime(), { storage: storage(), userId });
    owner = userId;
    watchNetwork();
  }
  return client;
}
