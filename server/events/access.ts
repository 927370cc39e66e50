// Who may see and do what with an event — the one rule for a single event. Lists use the same rule
// as SQL (EventsRepository.listedFor); the authorization matrix test checks both.
//
//   organizers: the event's personal organizers, and the organizers and admins of its group;
//   see:        public and unlisted events: everyone (unlisted ones are never listed);
//               group events: the group's members; friends events: friends of a personal
//               organizer; and anyone invited or who answered; never across a block;
//   confirmed:  a participant whose seat is confirmed ("going"), or an organizer;
//   the exact address, when hidden: confirmed participants only; the contact: participants
//               (going, waiting, pending) and organizers; the participant list: organizers;
//   reports:    organizers, the instance's coordinators (and admins), and each report's author.
import type { Actor } from '../accounts/actor.ts';
import type { AccountsRepository } from '../accounts/repository.ts';
import type { FriendsRepository } from '../friends/repository.ts';
import type { GroupsRepository } from '../groups/repository.ts';
import type { EventRow, EventsRepository, RsvpRow } from './repository.ts';
import { ACTIVE_STATUSES } from './repository.ts';

/** What one viewer may do with one event, computed once per request. */
export interface EventRights {
  see: boolean;
  organizer: boolean;
  confirmed: boolean;
  exactAddress: boolean;
  contact: boolean;
  participants: boolean;
  rsvp: RsvpRow | null;
  invited: boolean;
}

export class EventAccess {
  readonly #events: EventsRepository;
  readonly #groups: GroupsRepository;
  readonly #friends: FriendsRepository;
  readonly #accounts: AccountsRepository;

  constructor(d: { events: EventsRepository; groups: GroupsRepository; friends: FriendsRepository; accounts: AccountsRepository }) {
    this.#events = d.events;
    this.#groups = d.groups;
    this.#friends = d.friends;
    this.#accounts = d.accounts;
  }

  /** Whether a member organises the event (in person, or as an organizer of its group). */
  async isOrganizer(userId: string | null, event: EventRow): Promise<boolean> {
    if (!userId) return false;
    if (await this.#events.isPersonalOrganizer(event.id, userId)) return true;
    if (!event.groupId) return false;
    const role = await this.#groups.role(event.groupId, userId);
    return role === 'organizer' || role === 'admin';
  }

  /** Whether a member is a coordinator of the instance (admins are). */
  async isCoordinator(actor: Actor | null): Promise<boolean> {
    if (!actor) return false;
    if (actor.role === 'admin') return true;
    return (await this.#accounts.userById(actor.userId))?.coordinator === true;
  }

  async rights(viewer: Actor | null, event: EventRow): Promise<EventRights> {
    const userId = viewer?.userId ?? null;
    const organizer = await this.isOrganizer(userId, event);
    const rsvp = userId ? ((await this.#events.rsvp(event.id, userId)) ?? null) : null;
    const invited = userId ? await this.#events.invited(event.id, userId) : false;
    const see = organizer || (await this.#canSee(userId, event, rsvp, invited));
    const confirmed = organizer || rsvp?.status === 'going';
    const participant = rsvp !== null && ['going', 'waitlist', 'pending'].includes(rsvp.status);
    return {
      see,
      organizer,
      confirmed: see && confirmed,
      exactAddress: see && (!event.hideAddress || confirmed),
      contact: see && (organizer || participant),
      participants: organizer,
      rsvp,
      invited,
    };
  }

  async #canSee(userId: string | null, event: EventRow, rsvp: RsvpRow | null, invited: boolean): Promise<boolean> {
    if (userId && event.creatorId && (await this.#friends.blockedEither(userId, event.creatorId))) return false;
    if (event.visibility === 'public' || event.visibility === 'unlisted') return true;
    if (!userId) return false;
    if (invited || (rsvp && ACTIVE_STATUSES.includes(rsvp.status))) return true;
    if (event.visibility === 'group') return event.groupId !== null && (await this.#groups.role(event.groupId, userId)) !== null;
    // friends: a friend of any personal organizer
    for (const organizerId of await this.#events.organizerIds(event.id)) if (await this.#friends.areFriends(userId, organizerId)) return true;
    return false;
  }
}
