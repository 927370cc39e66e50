// One socket per browser tab, opened on first use, for live feeds and the notification badge.
// Only ids and counts come through it; content is fetched from the API, which checks access.
import { io, type Socket } from 'socket.io-client';

let socket: Socket | null = null;

export function realtime(): Socket {
  socket ??= io({ path: '/socket.io', withCredentials: true });
  return socket;
}

export function closeRealtime(): void {
  socket?.close();
  socket = null;
}
