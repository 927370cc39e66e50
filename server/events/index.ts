// The events domain, built once by the composition root (server/services.ts).
import type { Database } from '../db/client.ts';
import type { EventBus } from '../events.ts';
import type { AccountsRepository } from '../accounts/repository.ts';
import type { FriendsRepository } from '../friends/repository.ts';
import type { GroupsRepository } from '../groups/repository.ts';
import type { MediaStore } from '../media/store.ts';
import type { NotificationService } from '../notifications/service.ts';
import type { RateLimits } from '../security/rate-limits.ts';
import { EventAccess } from './access.ts';
import { CalendarService } from './calendar.ts';
import { DiscoveryService } from './discovery.ts';
import { EventNotifier } from './notifier.ts';
import { ReportService } from './reports.ts';
import { EventsRepository } from './repository.ts';
import { RsvpService } from './rsvp.ts';
import { EventService } from './service.ts';
import { VocabService } from './vocab.ts';

export interface EventsDomain {
  repo: EventsRepository;
  access: EventAccess;
  vocab: VocabService;
  events: EventService;
  rsvps: RsvpService;
  discovery: DiscoveryService;
  reports: ReportService;
  calendar: CalendarService;
  notifier: EventNotifier;
}

export function buildEventsDomain(d: {
  db: Database;
  bus: EventBus;
  accounts: AccountsRepository;
  friends: FriendsRepository;
  groups: GroupsRepository;
  notifications: NotificationService;
  media: MediaStore;
  limits: RateLimits;
  uploadLimitBytes: number;
  publicUrl: URL;
  instanceName: () => Promise<string>;
  onError?: (e: unknown) => void;
}): EventsDomain {
  const repo = new EventsRepository(d.db);
  const access = new EventAccess({ events: repo, groups: d.groups, friends: d.friends, accounts: d.accounts });
  const vocab = new VocabService(d.db);
  const notifier = new EventNotifier({ db: d.db, events: repo, groups: d.groups, notifications: d.notifications, onError: d.onError });
  const events = new EventService({
    db: d.db,
    repo,
    access,
    vocab,
    groups: d.groups,
    accounts: d.accounts,
    friends: d.friends,
    notifications: d.notifications,
    notifier,
    media: d.media,
    limits: d.limits,
    bus: d.bus,
    uploadLimitBytes: d.uploadLimitBytes,
  });
  const rsvps = new RsvpService({ db: d.db, repo, events, accounts: d.accounts, groups: d.groups, friends: d.friends, notifications: d.notifications, limits: d.limits, bus: d.bus });
  const discovery = new DiscoveryService({ repo, events, accounts: d.accounts, groups: d.groups });
  const reports = new ReportService({ db: d.db, events, access, vocab, media: d.media, limits: d.limits, uploadLimitBytes: d.uploadLimitBytes });
  const calendar = new CalendarService({ db: d.db, repo, access, groups: d.groups, notifications: d.notifications, publicUrl: d.publicUrl, instanceName: d.instanceName });
  return { repo, access, vocab, events, rsvps, discovery, reports, calendar, notifier };
}
