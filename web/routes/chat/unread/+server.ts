// The member's unread messages across their conversations, for the badge of the page header
// (asked again after a live message; the socket gives the total on connection and on reads).
import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { registry } from '#server/registry.ts';

export const GET: RequestHandler = async ({ locals }) => {
  if (!locals.actor) return json({ total: 0 }, { status: 401, headers: { 'cache-control': 'private, no-store' } });
  return json({ total: await registry().chat.unreadTotal(locals.actor.userId) }, { headers: { 'cache-control': 'private, no-store' } });
};
