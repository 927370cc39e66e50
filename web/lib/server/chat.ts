// What the chat pages load on the server: the member's friends (to start conversations with),
// and rooms and messages in the very shape the API and the sockets give them (dates as strings),
// so that the browser's chat client takes over the server's first render as it is.
import type { Actor } from '#server/accounts/actor.ts';
import { registry } from '#server/registry.ts';
import type { ChatMember } from '#lib/chat/view.ts';

/** Round trip through JSON: what a client receives from the API. */
export function asJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The member's friends, by name, for the "write to" pickers (at most 1,000). */
export async function myFriends(actor: Actor, username: string): Promise<ChatMember[]> {
  const s = registry();
  const out: ChatMember[] = [];
  for (let page = 1; page <= 20; page++) {
    const { friends, more } = await s.friends.friendsOf(actor, username, page);
    out.push(...friends);
    if (!more) break;
  }
  return out.sort((a, b) => a.displayName.localeCompare(b.displayName));
}
