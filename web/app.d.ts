// Types the web layer shares with SvelteKit.
import type { Actor, RequestMeta } from '../server/accounts/actor.ts';
import type { Locale } from './lib/i18n/index.ts';

declare global {
  namespace App {
    interface Locals {
      actor: Actor | null;
      /** What the layout shows about the logged-in member. */
      user: { id: string; username: string; displayName: string; role: Actor['role']; coordinator: boolean; avatarUrl: string | null } | null;
      locale: Locale;
      meta: RequestMeta;
    }
    interface Error {
      message: string;
    }
  }
}

export {};
