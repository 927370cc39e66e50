// Telling many members about an event (a new action of their group, a change, a cancellation)
// runs on the queue after the change commits: a group of thousands must not hold the organizer's
// request, and a failure to notify must not undo the change.
import type { Database } from '../db/client.ts';
import { DbMessageQueue } from '../queue/db-queue.ts';
import type { GroupsRepository } from '../groups/repository.ts';
import type { NotificationService, NotificationType } from '../notifications/service.ts';
import { type EventsRepository, type RsvpStatus } from './repository.ts';

/** Who hears about it: the event's participants with some answers, or its group's members. */
export type Audience = { participants: RsvpStatus[] } | { groupMembers: true };

interface Job {
  eventId: string;
  type: NotificationType;
  actorId: string | null;
  audience: Audience;
}

export class EventNotifier {
  readonly #queue: DbMessageQueue;
  readonly #events: EventsRepository;
  readonly #groups: GroupsRepository;
  readonly #notifications: NotificationService;

  constructor(d: { db: Database; events: EventsRepository; groups: GroupsRepository; notifications: NotificationService; onError?: (e: unknown) => void }) {
    this.#queue = new DbMessageQueue(d.db, { queue: 'events', concurrency: 2, onError: d.onError });
    this.#events = d.events;
    this.#groups = d.groups;
    this.#notifications = d.notifications;
  }

  /** Queues the notification (joins the caller's transaction: sent only if it commits). */
  async announce(eventId: string, type: NotificationType, actorId: string | null, audience: Audience): Promise<void> {
    const job: Job = { eventId, type, actorId, audience };
    await this.#queue.enqueue(job, { orderingKey: eventId });
  }

  /** Handles one job: one notification per recipient (each respects the member's preferences). */
  async deliver(job: Job): Promise<number> {
    const event = await this.#events.byId(job.eventId);
    if (!event) return 0;
    const ids =
      'groupMembers' in job.audience
        ? event.groupId
          ? await this.#groups.memberIds(event.groupId)
          : []
        : await this.#events.answerIds(event.id, job.audience.participants);
    let sent = 0;
    for (const userId of new Set(ids)) {
      if (userId === job.actorId) continue;
      await this.#notifications.notify({ userId, type: job.type, actorId: job.actorId, eventId: event.id });
      sent++;
    }
    return sent;
  }

  listen(signal: AbortSignal): Promise<void> {
    return this.#queue.listen(async (message: unknown) => {
      const job = message as Job;
      if (typeof job?.eventId === 'string' && typeof job.type === 'string') await this.deliver(job);
    }, { signal });
  }
}
