// The composition root: every service is built once, here, and handed to the adapters (HTTP
// API, web layer through the registry, sockets, federation, workers).
import type { Redis } from 'ioredis';
import { getLogger } from '@logtape/logtape';
import type { Config } from './config.ts';
import type { Database } from './db/client.ts';
import { EventBus } from './events.ts';
import { AccountsRepository } from './accounts/repository.ts';
import { SessionService } from './accounts/sessions.ts';
import { AccountService } from './accounts/service.ts';
import { AdminService } from './accounts/admin.ts';
import { InstanceService } from './instance/service.ts';
import { MailService } from './mail/service.ts';
import { DbMessageQueue } from './queue/db-queue.ts';
import { RateLimits } from './security/rate-limits.ts';
import { ProfileService } from './profiles/service.ts';
import { PrivacyService } from './privacy/service.ts';
import { MediaStore } from './media/store.ts';
import { DbKvStore } from './federation/kv.ts';
import { ActorKeys } from './federation/keys.ts';
import { InboundLog } from './federation/inbound-log.ts';
import { type AppFederation, buildFederation, inboxOrderingKey } from './federation/federation.ts';
import { KnownInstances } from './federation/instances.ts';
import { RemoteLookup } from './federation/lookup.ts';
import { FederationPolicy } from './federation/policy.ts';
import { RemoteActors } from './federation/actors.ts';
import { FederationRepository } from './federation/repository.ts';
import { Publisher } from './federation/publisher.ts';
import { setupObjects } from './federation/objects.ts';
import { setupInbox } from './federation/inbox.ts';
import { RemotePosts } from './posts/remote.ts';
import { RemoteEvents } from './events/remote.ts';
import { useRemoteEventImages } from './events/service.ts';
import { FriendsRepository } from './friends/repository.ts';
import { FriendService } from './friends/service.ts';
import { GroupsRepository } from './groups/repository.ts';
import { GroupService } from './groups/service.ts';
import { PostsRepository } from './posts/repository.ts';
import { AudienceRules } from './posts/audience.ts';
import { PostService } from './posts/service.ts';
import { NotificationService } from './notifications/service.ts';
import { SearchService } from './search/service.ts';
import { buildEventsDomain, type EventsDomain } from './events/index.ts';
import { ChatService } from './chat/service.ts';
import { RemoteMedia } from './media/remote.ts';

export interface Services {
  config: Config;
  db: Database;
  /** Domain events (what services announce after they commit). */
  bus: EventBus;
  limits: RateLimits;
  repo: AccountsRepository;
  sessions: SessionService;
  accounts: AccountService;
  admin: AdminService;
  instance: InstanceService;
  mail: MailService;
  profiles: ProfileService;
  privacy: PrivacyService;
  media: MediaStore;
  federation: AppFederation;
  inbound: InboundLog;
  instances: KnownInstances;
  remote: RemoteLookup;
  policy: FederationPolicy;
  actors: RemoteActors;
  publisher: Publisher;
  remotePosts: RemotePosts;
  friendsRepo: FriendsRepository;
  friends: FriendService;
  groups: GroupService;
  posts: PostService;
  audience: AudienceRules;
  notifications: NotificationService;
  search: SearchService;
  events: EventsDomain['events'];
  rsvps: EventsDomain['rsvps'];
  discovery: EventsDomain['discovery'];
  reports: EventsDomain['reports'];
  calendar: EventsDomain['calendar'];
  eventVocab: EventsDomain['vocab'];
  chat: ChatService;
  eventNotifier: EventsDomain['notifier'];
  /** Pictures of other servers, shown through this instance (`urlFor` in views). */
  remoteMedia: RemoteMedia;
}

export function buildServices(config: Config, db: Database, redis: Redis | null): Services {
  const events = new EventBus();
  const log = getLogger(['militant']);
  events.onError((error) => log.error('domain event listener failed: {error}', { error }));
  const limits = new RateLimits(redis);
  const repo = new AccountsRepository(db);
  const instance = new InstanceService(db);
  const mailLog = getLogger(['militant', 'mail']);
  const mail = new MailService({
    db,
    queue: new DbMessageQueue(db, { queue: 'mail', concurrency: 2, onError: (error) => mailLog.warn('mail queue: {error}', { error }) }),
    smtpUrl: config.smtpUrl,
    from: async () => config.mailFrom ?? `"${(await instance.view('fr')).name.replace(/"/g, '')}" <noreply@${config.publicUrl.hostname}>`,
    instanceName: async () => (await instance.view('fr')).name,
    log: {
      info: (m) => mailLog.info(m),
      warn: (m) => mailLog.warn(m),
      error: (m) => mailLog.error(m),
    },
  });
  const sessions = new SessionService({ db, repo, events, sessionDays: config.sessionDays });
  const accounts = new AccountService({ db, repo, sessions, mail, instance, limits, events, publicUrl: config.publicUrl });
  const media = new MediaStore(config.dataDir);
  const friendsRepo = new FriendsRepository(db);
  const groupsRepo = new GroupsRepository(db);
  const postsRepo = new PostsRepository(db);
  const audience = new AudienceRules(db, friendsRepo, groupsRepo);
  const notifications = new NotificationService({ db, friends: friendsRepo, audience, mail, events, publicUrl: config.publicUrl });
  const profiles = new ProfileService({ db, repo, friends: friendsRepo, media, limits, events, uploadLimitBytes: config.uploadLimitBytes });
  const friends = new FriendService({ db, repo: friendsRepo, accounts: repo, notifications, events, limits });
  const posts = new PostService({ db, repo: postsRepo, audience, friends: friendsRepo, groups: groupsRepo, accounts: repo, notifications, media, limits, events });
  const groups = new GroupService({ db, repo: groupsRepo, accounts: repo, posts: postsRepo, notifications, media, limits, events, uploadLimitBytes: config.uploadLimitBytes });
  const search = new SearchService({ db, friends: friendsRepo, groups, posts, postsRepo, limits });
  const privacy = new PrivacyService({ db, repo, sessions, media, events, groups: groupsRepo });
  const fedLog = getLogger(['militant', 'federation']);
  const inbound = new InboundLog(db);
  const keys = new ActorKeys(db);
  events.on('user.deleted', ({ userId }) => keys.forget(userId));
  const instances = new KnownInstances(db, config.publicUrl);
  const policy = new FederationPolicy(db, config.publicUrl);
  const admin = new AdminService({ db, repo, sessions, instance, limits, events, policy });
  const fedOut = new DbMessageQueue(db, { queue: 'fedify', nativeRetrial: true, maxAttempts: 16, onError: (error) => fedLog.warn('federation queue: {error}', { error }) });
  const federation = buildFederation({
    federatesWith: (host) => policy.federatesWith(host),
    publicUrl: config.publicUrl,
    kv: new DbKvStore(db),
    groups: groupsRepo,
    queue: {
      // Activities from one sender are handled in the order they arrived (a chat message before
      // the next, a Create before its Update), whichever process takes them; one that fails is
      // tried again a few times (within a minute), holding that sender's next ones meanwhile.
      inbox: new DbMessageQueue(db, { queue: 'fedify-inbox', orderingKeyOf: inboxOrderingKey, nativeRetrial: true, maxAttempts: 6, onError: (error) => fedLog.warn('federation inbox queue: {error}', { error }) }),
      // A failed delivery is retried in place, keeping its turn among messages of the same
      // ordering key (16 attempts: about six hours before giving up).
      outbox: fedOut,
      fanout: fedOut,
    },
    repo,
    instance,
    keys,
    inbound,
    instances,
    countUsers: () => repo.countUsers(),
    allowPrivateAddress: config.allowPrivateAddress,
  });
  const eventsLog = getLogger(['militant', 'events']);
  const eventsDomain = buildEventsDomain({
    db,
    bus: events,
    accounts: repo,
    friends: friendsRepo,
    groups: groupsRepo,
    notifications,
    media,
    limits,
    uploadLimitBytes: config.uploadLimitBytes,
    publicUrl: config.publicUrl,
    instanceName: async () => (await instance.view('fr')).name,
    onError: (error) => eventsLog.warn('events queue: {error}', { error }),
  });
  const chat = new ChatService({ db, accounts: repo, friends: friendsRepo, groups: groupsRepo, events: eventsDomain.repo, eventAccess: eventsDomain.access, limits, bus: events, notifications, media, uploadLimitBytes: config.uploadLimitBytes });
  privacy.addEraser((userId) => chat.eraseAuthor(userId));
  notifications.setChatHooks({ readable: (userId, roomId) => chat.canRead(userId, roomId) });
  const actors = new RemoteActors({ db, federation, policy, publicUrl: config.publicUrl });
  // Federation of the social core (decision 0017): what leaves through the publisher's queue,
  // what arrives through the inbox, the documents other servers fetch.
  const fedRepo = new FederationRepository(db);
  const remotePosts = new RemotePosts({ db, repo: postsRepo, audience, friends: friendsRepo, notifications, bus: events });
  const publisher = new Publisher({
    db,
    bus: events,
    federation,
    queue: new DbMessageQueue(db, { queue: 'publish', concurrency: 2, onError: (error) => fedLog.warn('publish queue: {error}', { error }) }),
    actors,
    policy,
    repo: fedRepo,
    accounts: repo,
    posts: postsRepo,
    events: eventsDomain.repo,
    groups: groupsRepo,
    chat,
    publicUrl: config.publicUrl,
  });
  privacy.addEraser(async (userId) => publisher.eraseMember(userId, keys));
  setupObjects(federation, { publicUrl: config.publicUrl, posts: postsRepo, friends: friendsRepo, actors, repo: fedRepo, groups: groupsRepo });
  const remoteEvents = new RemoteEvents({ db, repo: eventsDomain.repo, notifications, bus: events });
  setupInbox(federation, {
    db,
    publicUrl: config.publicUrl,
    actors,
    policy,
    inbound,
    instances,
    publisher,
    friends,
    posts: postsRepo,
    remotePosts,
    repo: fedRepo,
    privacy,
    remoteEvents,
    rsvps: eventsDomain.rsvps,
    groups,
    groupsRepo,
    chat,
  });
  const remote = new RemoteLookup({ federation, publicUrl: config.publicUrl, limits, allowPrivateAddress: config.allowPrivateAddress, policy, actors });
  const remoteMedia = new RemoteMedia({
    db,
    policy,
    dataDir: config.dataDir,
    allowPrivateAddress: config.allowPrivateAddress,
    publicUrl: config.publicUrl,
    onError: (error) => fedLog.warn('remote media: {error}', { error }),
  });
  posts.useRemoteMedia((url) => remoteMedia.urlFor(url));
  posts.useHiddenHosts(() => policy.hiddenHosts());
  useRemoteEventImages((url) => remoteMedia.urlFor(url));
  profiles.useRemoteMedia(async (userId) => remoteMedia.urlFor((await actors.byId(userId))?.iconUrl ?? null));
  return {
    config,
    db,
    bus: events,
    limits,
    repo,
    sessions,
    accounts,
    admin,
    instance,
    mail,
    profiles,
    privacy,
    media,
    federation,
    inbound,
    instances,
    remote,
    policy,
    actors,
    publisher,
    remotePosts,
    friendsRepo,
    friends,
    groups,
    posts,
    audience,
    notifications,
    search,
    events: eventsDomain.events,
    rsvps: eventsDomain.rsvps,
    discovery: eventsDomain.discovery,
    reports: eventsDomain.reports,
    calendar: eventsDomain.calendar,
    eventVocab: eventsDomain.vocab,
    eventNotifier: eventsDomain.notifier,
    chat,
    remoteMedia,
  };
}
