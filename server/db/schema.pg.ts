// PostgreSQL schema. Must stay identical in tables, columns, keys and indexes to
// schema.sqlite.ts (checked by schema-parity.test.ts). Raw ActivityStreams JSON is text, not
// jsonb: jsonb reorders keys and would break signatures and audits.
import { pgTable, text, integer, bigserial, boolean, timestamp, doublePrecision, index, uniqueIndex, primaryKey } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const bool = (name: string) => boolean(name);

export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    username: text('username').notNull(),
    email: text('email').notNull(),
    displayName: text('display_name').notNull(),
    passwordHash: text('password_hash'),
    role: text('role', { enum: ['admin', 'moderator', 'member'] }).notNull().default('member'),
    status: text('status', { enum: ['active', 'suspended'] }).notNull().default('active'),
    bio: text('bio').notNull().default(''),
    avatarKey: text('avatar_key'),
    postalCode: text('postal_code'),
    communeCode: text('commune_code'),
    communeName: text('commune_name'),
    departementCode: text('departement_code'),
    skills: text('skills').notNull().default('[]'),
    skillTags: text('skill_tags').notNull().default('[]'),
    locale: text('locale').notNull().default('fr'),
    profilePublic: bool('profile_public').notNull().default(false),
    showCommune: bool('show_commune').notNull().default(false),
    phone: text('phone'),
    friendRequestsFrom: text('friend_requests_from', { enum: ['everyone', 'friends_of_friends', 'nobody'] }).notNull().default('everyone'),
    friendListVisibility: text('friend_list_visibility', { enum: ['public', 'members', 'friends', 'only_me'] }).notNull().default('friends'),
    searchable: bool('searchable').notNull().default(true),
    /** Sees the field reports of the whole instance (admins do too). */
    coordinator: bool('coordinator').notNull().default(false),
    lat: doublePrecision('lat'),
    lon: doublePrecision('lon'),
    searchName: text('search_name').notNull().default(''),
    unsubscribeToken: text('unsubscribe_token'),
    /** Null for members of this instance; the host (and port) of their server for remote actors. */
    host: text('host'),
    digestSentAt: ts('digest_sent_at'),
    consentVersion: text('consent_version'),
    consentedAt: ts('consented_at'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('users_username_uq').on(t.username),
    uniqueIndex('users_email_uq').on(t.email),
    uniqueIndex('users_unsubscribe_uq').on(t.unsubscribeToken),
    index('users_search_idx').on(t.searchName),
    index('users_geo_idx').on(t.lat, t.lon),
    index('users_host_idx').on(t.host),
  ],
);

export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    secretHash: text('secret_hash').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    deviceLabel: text('device_label').notNull().default(''),
    createdAt: ts('created_at').notNull(),
    lastUsedAt: ts('last_used_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

export const emailChallenges = pgTable(
  'email_challenges',
  {
    id: text('id').primaryKey(),
    purpose: text('purpose', { enum: ['signup', 'login', 'email_change', 'none'] }).notNull(),
    email: text('email').notNull(),
    userId: text('user_id').references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    codeHash: text('code_hash').notNull(),
    attempts: integer('attempts').notNull().default(0),
    data: text('data').notNull().default('{}'),
    expiresAt: ts('expires_at').notNull(),
    consumedAt: ts('consumed_at'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [uniqueIndex('email_challenges_token_uq').on(t.tokenHash), index('email_challenges_email_idx').on(t.email)],
);

export const instanceSettings = pgTable('instance_settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  updatedAt: ts('updated_at').notNull(),
});

export const mails = pgTable(
  'mails',
  {
    id: text('id').primaryKey(),
    toAddress: text('to_address').notNull(),
    userId: text('user_id').references(() => users.id, { onDelete: 'set null' }),
    template: text('template').notNull(),
    subject: text('subject').notNull(),
    textBody: text('text_body').notNull(),
    htmlBody: text('html_body').notNull(),
    listUnsubscribe: text('list_unsubscribe'),
    /** One attachment at most (an event's calendar file): name, media type, text content. */
    attachmentName: text('attachment_name'),
    attachmentType: text('attachment_type'),
    attachment: text('attachment'),
    status: text('status', { enum: ['queued', 'sent', 'kept', 'failed'] }).notNull().default('queued'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    createdAt: ts('created_at').notNull(),
    sentAt: ts('sent_at'),
  },
  (t) => [index('mails_created_idx').on(t.createdAt), index('mails_to_idx').on(t.toAddress)],
);

export const actorKeys = pgTable(
  'actor_keys',
  {
    actorId: text('actor_id').notNull(),
    algorithm: text('algorithm', { enum: ['RSASSA-PKCS1-v1_5', 'Ed25519'] }).notNull(),
    publicJwk: text('public_jwk').notNull(),
    privateJwk: text('private_jwk').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [primaryKey({ name: 'actor_keys_pk', columns: [t.actorId, t.algorithm] })],
);

export const kvEntries = pgTable(
  'kv_entries',
  {
    key: text('key').primaryKey(),
    value: text('value').notNull(),
    expiresAt: ts('expires_at'),
  },
  (t) => [index('kv_entries_expires_idx').on(t.expiresAt)],
);

export const queueMessages = pgTable(
  'queue_messages',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    queue: text('queue').notNull(),
    payload: text('payload').notNull(),
    orderingKey: text('ordering_key'),
    availableAt: ts('available_at').notNull(),
    lockedUntil: ts('locked_until'),
    attempts: integer('attempts').notNull().default(0),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    index('queue_messages_ready_idx').on(t.queue, t.availableAt),
    index('queue_messages_ordering_idx').on(t.queue, t.orderingKey, t.seq),
  ],
);

export const inboundActivities = pgTable(
  'inbound_activities',
  {
    id: text('id').primaryKey(),
    activityId: text('activity_id'),
    type: text('type').notNull(),
    actorId: text('actor_id').notNull(),
    recipientId: text('recipient_id'),
    raw: text('raw').notNull(),
    receivedAt: ts('received_at').notNull(),
  },
  (t) => [index('inbound_activities_received_idx').on(t.receivedAt), uniqueIndex('inbound_activities_activity_uq').on(t.activityId)],
);

/** Other servers this instance has heard from, and whether their signatures verified. */
export const knownInstances = pgTable('known_instances', {
  host: text('host').primaryKey(),
  firstSeenAt: ts('first_seen_at').notNull(),
  lastSeenAt: ts('last_seen_at').notNull(),
  lastVerifiedAt: ts('last_verified_at'),
  lastVerifiedActor: text('last_verified_actor'),
});

// Friends: a friendship is stored in both directions (one row per member), so that "my friends"
// is one index range. Federation maps it to a mutual Follow.
/**
 * Actors of other servers that this instance knows: a remote member is a row of `users` and a
 * remote group a row of `groups` (with `host` set), each with one row here under the same id
 * (decision 0017). Nothing here is trusted more than the document it was read from.
 */
export const remoteActors = pgTable(
  'remote_actors',
  {
    id: text('id').primaryKey(),
    uri: text('uri').notNull(),
    host: text('host').notNull(),
    /** Person, Service, Application, Group, Organization. */
    type: text('type').notNull(),
    inbox: text('inbox').notNull(),
    sharedInbox: text('shared_inbox'),
    outbox: text('outbox'),
    followers: text('followers'),
    /** Their page for people (profile or group page on that server). */
    url: text('url'),
    /** Their picture's address on that server (shown through our media proxy). */
    iconUrl: text('icon_url'),
    /** Set when the actor moved to another account (Move). */
    movedTo: text('moved_to'),
    /** The actor document as received (text: keys in their order). */
    raw: text('raw').notNull(),
    fetchedAt: ts('fetched_at').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [uniqueIndex('remote_actors_uri_uq').on(t.uri), index('remote_actors_host_idx').on(t.host)],
);
/** What the admin decided about another server: allow (allow-list mode), block, or limits. */
export const federationPolicies = pgTable('federation_policies', {
  host: text('host').primaryKey(),
  /** allow: on the allow-list; block: nothing in or out; silence: kept out of public lists and feeds. */
  action: text('action', { enum: ['allow', 'block', 'silence'] }).notNull(),
  rejectMedia: bool('reject_media').notNull().default(false),
  rejectReports: bool('reject_reports').notNull().default(false),
  note: text('note').notNull().default(''),
  createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: ts('created_at').notNull(),
  updatedAt: ts('updated_at').notNull(),
});
export const friendRequests = pgTable(
  'friend_requests',
  {
    fromId: text('from_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    toId: text('to_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The Follow activity that carries the request, when one side is remote. */
    uri: text('uri'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [primaryKey({ name: 'friend_requests_pk', columns: [t.fromId, t.toId] }), index('friend_requests_to_idx').on(t.toId, t.createdAt)],
);

export const friendships = pgTable(
  'friendships',
  {
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    friendId: text('friend_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    since: ts('since').notNull(),
    /** When the friend is remote: the accepted Follow from user to friend (to undo it). */
    followUri: text('follow_uri'),
  },
  (t) => [primaryKey({ name: 'friendships_pk', columns: [t.userId, t.friendId] }), index('friendships_friend_idx').on(t.friendId)],
);

export const blocks = pgTable(
  'blocks',
  {
    blockerId: text('blocker_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    blockedId: text('blocked_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [primaryKey({ name: 'blocks_pk', columns: [t.blockerId, t.blockedId] }), index('blocks_blocked_idx').on(t.blockedId)],
);

// Local groups ("groupes d'action").
export const groups = pgTable(
  'groups',
  {
    id: text('id').primaryKey(),
    handle: text('handle').notNull(),
    name: text('name').notNull(),
    searchName: text('search_name').notNull().default(''),
    description: text('description').notNull().default(''),
    descriptionHtml: text('description_html').notNull().default(''),
    kind: text('kind', { enum: ['local', 'thematic'] }).notNull(),
    communeCode: text('commune_code'),
    communeName: text('commune_name'),
    departementCode: text('departement_code'),
    lat: doublePrecision('lat'),
    lon: doublePrecision('lon'),
    territory: text('territory').notNull().default(''),
    avatarKey: text('avatar_key'),
    bannerKey: text('banner_key'),
    openness: text('openness', { enum: ['open', 'request', 'invite'] }).notNull().default('open'),
    joinQuestion: text('join_question').notNull().default(''),
    membersVisibility: text('members_visibility', { enum: ['public', 'members', 'organizers'] }).notNull().default('members'),
    pinnedPostId: text('pinned_post_id'),
    memberCount: integer('member_count').notNull().default(0),
    /** Null for groups of this instance; the host of their server for remote groups. */
    host: text('host'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('groups_handle_uq').on(t.handle),
    index('groups_search_idx').on(t.searchName),
    index('groups_departement_idx').on(t.departementCode),
    index('groups_geo_idx').on(t.lat, t.lon),
  ],
);

export const groupMembers = pgTable(
  'group_members',
  {
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['member', 'organizer', 'admin'] }).notNull().default('member'),
    shareContact: bool('share_contact').notNull().default(false),
    joinedAt: ts('joined_at').notNull(),
    /** The Join activity, when the member or the group is on another server. */
    uri: text('uri'),
  },
  (t) => [primaryKey({ name: 'group_members_pk', columns: [t.groupId, t.userId] }), index('group_members_user_idx').on(t.userId)],
);

export const groupJoinRequests = pgTable(
  'group_join_requests',
  {
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    answer: text('answer').notNull().default(''),
    shareContact: bool('share_contact').notNull().default(false),
    createdAt: ts('created_at').notNull(),
    /** The Join activity, when the requester or the group is on another server. */
    uri: text('uri'),
  },
  (t) => [primaryKey({ name: 'group_join_requests_pk', columns: [t.groupId, t.userId] }), index('group_join_requests_user_idx').on(t.userId)],
);

export const groupInvitations = pgTable(
  'group_invitations',
  {
    id: text('id').primaryKey(),
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    inviterId: text('inviter_id').references(() => users.id, { onDelete: 'set null' }),
    inviteeId: text('invitee_id').references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash'),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [
    uniqueIndex('group_invitations_token_uq').on(t.tokenHash),
    index('group_invitations_group_idx').on(t.groupId),
    index('group_invitations_invitee_idx').on(t.inviteeId),
  ],
);

export const groupFollows = pgTable(
  'group_follows',
  {
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The Follow activity, when the follower or the group is remote. */
    uri: text('uri'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [primaryKey({ name: 'group_follows_pk', columns: [t.groupId, t.userId] }), index('group_follows_user_idx').on(t.userId)],
);

// Posts, comments, likes. `html` is the sanitised rendering of `source` (safe Markdown);
// `search_text` its plain, accent-free text for search.
export const posts = pgTable(
  'posts',
  {
    id: text('id').primaryKey(),
    authorId: text('author_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    groupId: text('group_id').references(() => groups.id, { onDelete: 'cascade' }),
    audience: text('audience', { enum: ['public', 'friends', 'group', 'private'] }).notNull(),
    source: text('source').notNull(),
    html: text('html').notNull(),
    searchText: text('search_text').notNull().default(''),
    commentCount: integer('comment_count').notNull().default(0),
    likeCount: integer('like_count').notNull().default(0),
    /** ActivityPub id of a post from another server (ours are derived from the id). */
    uri: text('uri'),
    /** Its page on that server. */
    url: text('url'),
    createdAt: ts('created_at').notNull(),
    editedAt: ts('edited_at'),
  },
  (t) => [
    uniqueIndex('posts_uri_uq').on(t.uri),
    index('posts_author_idx').on(t.authorId, t.createdAt, t.id),
    index('posts_group_idx').on(t.groupId, t.createdAt, t.id),
    index('posts_audience_idx').on(t.audience, t.createdAt, t.id),
  ],
);

export const postImages = pgTable(
  'post_images',
  {
    id: text('id').primaryKey(),
    postId: text('post_id')
      .notNull()
      .references(() => posts.id, { onDelete: 'cascade' }),
    mediaKey: text('media_key').notNull(),
    width: integer('width').notNull(),
    height: integer('height').notNull(),
    alt: text('alt').notNull().default(''),
    position: integer('position').notNull(),
  },
  (t) => [index('post_images_post_idx').on(t.postId, t.position)],
);

export const postMentions = pgTable(
  'post_mentions',
  {
    postId: text('post_id')
      .notNull()
      .references(() => posts.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ name: 'post_mentions_pk', columns: [t.postId, t.userId] }), index('post_mentions_user_idx').on(t.userId)],
);

export const postHashtags = pgTable(
  'post_hashtags',
  {
    postId: text('post_id')
      .notNull()
      .references(() => posts.id, { onDelete: 'cascade' }),
    tag: text('tag').notNull(),
  },
  (t) => [primaryKey({ name: 'post_hashtags_pk', columns: [t.postId, t.tag] }), index('post_hashtags_tag_idx').on(t.tag)],
);

export const comments = pgTable(
  'comments',
  {
    id: text('id').primaryKey(),
    postId: text('post_id')
      .notNull()
      .references(() => posts.id, { onDelete: 'cascade' }),
    authorId: text('author_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    parentId: text('parent_id'),
    source: text('source').notNull(),
    html: text('html').notNull(),
    /** ActivityPub id of a comment from another server. */
    uri: text('uri'),
    createdAt: ts('created_at').notNull(),
    editedAt: ts('edited_at'),
  },
  (t) => [uniqueIndex('comments_uri_uq').on(t.uri), index('comments_post_idx').on(t.postId, t.createdAt), index('comments_author_idx').on(t.authorId), index('comments_parent_idx').on(t.parentId)],
);

export const likes = pgTable(
  'likes',
  {
    postId: text('post_id')
      .notNull()
      .references(() => posts.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The Like activity, when the liker is remote (to match its Undo). */
    uri: text('uri'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [primaryKey({ name: 'likes_pk', columns: [t.postId, t.userId] }), index('likes_user_idx').on(t.userId)],
);

// Notifications: what happened, to whom, by whom, about what. The text is composed when shown,
// in the reader's language, after checking they may still see what it is about.
export const notifications = pgTable(
  'notifications',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    actorId: text('actor_id').references(() => users.id, { onDelete: 'cascade' }),
    postId: text('post_id').references(() => posts.id, { onDelete: 'cascade' }),
    commentId: text('comment_id').references(() => comments.id, { onDelete: 'cascade' }),
    groupId: text('group_id').references(() => groups.id, { onDelete: 'cascade' }),
    eventId: text('event_id').references(() => events.id, { onDelete: 'cascade' }),
    /** Chat notifications: one unread per room and type at most (batched until read). */
    chatRoomId: text('chat_room_id').references(() => chatRooms.id, { onDelete: 'cascade' }),
    createdAt: ts('created_at').notNull(),
    readAt: ts('read_at'),
    emailState: text('email_state', { enum: ['none', 'digest', 'sent'] }).notNull().default('none'),
  },
  (t) => [index('notifications_user_idx').on(t.userId, t.createdAt), index('notifications_digest_idx').on(t.emailState, t.userId)],
);

export const notificationPrefs = pgTable(
  'notification_prefs',
  {
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    channel: text('channel', { enum: ['in_app', 'email_instant', 'email_digest', 'off'] }).notNull(),
  },
  (t) => [primaryKey({ name: 'notification_prefs_pk', columns: [t.userId, t.type] })],
);

// Events ("actions"): what militants organise and join. Times are instants (UTC) plus the IANA
// time zone they were set in. `lat`/`lon` and `cell` are the *public* position (the commune's
// centre when the exact address is kept for confirmed participants); `exact_*` is the real one.
// Geo search only ever reads the public position, so a radius query cannot reveal a hidden place.
export const eventVocab = pgTable(
  'event_vocab',
  {
    vocabulary: text('vocabulary', { enum: ['kind', 'concern'] }).notNull(),
    key: text('key').notNull(),
    labelFr: text('label_fr').notNull(),
    labelEn: text('label_en').notNull(),
    /** For kinds: the counters its report asks for, as a JSON array (doors, leaflets, people). */
    metrics: text('metrics').notNull().default('[]'),
    position: integer('position').notNull().default(0),
    archived: bool('archived').notNull().default(false),
  },
  (t) => [primaryKey({ name: 'event_vocab_pk', columns: [t.vocabulary, t.key] })],
);

export const events = pgTable(
  'events',
  {
    id: text('id').primaryKey(),
    creatorId: text('creator_id').references(() => users.id, { onDelete: 'set null' }),
    groupId: text('group_id').references(() => groups.id, { onDelete: 'set null' }),
    title: text('title').notNull(),
    kind: text('kind').notNull(),
    description: text('description').notNull().default(''),
    descriptionHtml: text('description_html').notNull().default(''),
    searchText: text('search_text').notNull().default(''),
    startsAt: ts('starts_at').notNull(),
    endsAt: ts('ends_at').notNull(),
    timeZone: text('time_zone').notNull(),
    placeName: text('place_name').notNull().default(''),
    street: text('street').notNull().default(''),
    postalCode: text('postal_code'),
    communeCode: text('commune_code'),
    communeName: text('commune_name'),
    departementCode: text('departement_code'),
    lat: doublePrecision('lat'),
    lon: doublePrecision('lon'),
    cell: integer('cell'),
    exactLat: doublePrecision('exact_lat'),
    exactLon: doublePrecision('exact_lon'),
    onlineUrl: text('online_url'),
    capacity: integer('capacity'),
    guestsMax: integer('guests_max').notNull().default(0),
    imageKey: text('image_key'),
    imageAlt: text('image_alt').notNull().default(''),
    contact: text('contact').notNull().default(''),
    visibility: text('visibility', { enum: ['public', 'group', 'friends', 'unlisted'] }).notNull(),
    hideAddress: bool('hide_address').notNull().default(false),
    joinMode: text('join_mode', { enum: ['free', 'approval', 'invite', 'external'] }).notNull().default('free'),
    externalUrl: text('external_url'),
    status: text('status', { enum: ['scheduled', 'postponed', 'cancelled'] }).notNull().default('scheduled'),
    participantReports: bool('participant_reports').notNull().default(false),
    /** Seats taken by confirmed participants and their guests (the capacity rule reads it). */
    seatsTaken: integer('seats_taken').notNull().default(0),
    goingCount: integer('going_count').notNull().default(0),
    interestedCount: integer('interested_count').notNull().default(0),
    waitlistCount: integer('waitlist_count').notNull().default(0),
    /** People who came without an account on the network (counted at check-in). */
    walkIns: integer('walk_ins').notNull().default(0),
    /** Bumped on each change that matters to a calendar (iCalendar SEQUENCE). */
    sequence: integer('sequence').notNull().default(0),
    /** ActivityPub id of an event of another server (ours are derived from the id), and its page there. */
    uri: text('uri'),
    url: text('url'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('events_uri_uq').on(t.uri),
    index('events_cell_idx').on(t.cell, t.startsAt, t.endsAt),
    index('events_kind_cell_idx').on(t.kind, t.cell, t.startsAt, t.endsAt),
    index('events_starts_idx').on(t.startsAt, t.endsAt),
    index('events_group_idx').on(t.groupId, t.startsAt),
    index('events_creator_idx').on(t.creatorId),
    index('events_commune_idx').on(t.communeCode),
  ],
);

/** Members who organise an event in person (besides the organizers of its group, if any). */
export const eventOrganizers = pgTable(
  'event_organizers',
  {
    eventId: text('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    addedAt: ts('added_at').notNull(),
  },
  (t) => [primaryKey({ name: 'event_organizers_pk', columns: [t.eventId, t.userId] }), index('event_organizers_user_idx').on(t.userId)],
);

export const eventRsvps = pgTable(
  'event_rsvps',
  {
    eventId: text('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    status: text('status', { enum: ['going', 'waitlist', 'pending', 'interested', 'not_going', 'rejected'] }).notNull(),
    guests: integer('guests').notNull().default(0),
    /** Whether friends may see the member's name among the participants. */
    showToFriends: bool('show_to_friends').notNull().default(false),
    /** Whether organizers may see the member's email and phone. */
    shareContact: bool('share_contact').notNull().default(false),
    /** Position in the waiting list: the time the member entered it. */
    queuedAt: ts('queued_at'),
    attendance: text('attendance', { enum: ['present', 'absent'] }),
    walkIn: bool('walk_in').notNull().default(false),
    checkedInAt: ts('checked_in_at'),
    remindedDayAt: ts('reminded_day_at'),
    remindedHourAt: ts('reminded_hour_at'),
    /** The Join that carries the answer, when the event or the participant is on another server. */
    uri: text('uri'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'event_rsvps_pk', columns: [t.eventId, t.userId] }),
    index('event_rsvps_user_idx').on(t.userId, t.status),
    index('event_rsvps_event_idx').on(t.eventId, t.status, t.queuedAt),
  ],
);

export const eventInvitations = pgTable(
  'event_invitations',
  {
    eventId: text('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    inviterId: text('inviter_id').references(() => users.id, { onDelete: 'set null' }),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [primaryKey({ name: 'event_invitations_pk', columns: [t.eventId, t.userId] }), index('event_invitations_user_idx').on(t.userId)],
);

/** "Fiches d'observation": what an action achieved and what the people met talked about. */
export const eventReports = pgTable(
  'event_reports',
  {
    id: text('id').primaryKey(),
    eventId: text('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    authorId: text('author_id').references(() => users.id, { onDelete: 'set null' }),
    participants: integer('participants'),
    doors: integer('doors'),
    leaflets: integer('leaflets'),
    people: integer('people'),
    worked: text('worked').notNull().default(''),
    didNotWork: text('did_not_work').notNull().default(''),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [uniqueIndex('event_reports_author_uq').on(t.eventId, t.authorId), index('event_reports_author_idx').on(t.authorId)],
);

export const eventReportConcerns = pgTable(
  'event_report_concerns',
  {
    reportId: text('report_id')
      .notNull()
      .references(() => eventReports.id, { onDelete: 'cascade' }),
    concern: text('concern').notNull(),
  },
  (t) => [primaryKey({ name: 'event_report_concerns_pk', columns: [t.reportId, t.concern] }), index('event_report_concerns_concern_idx').on(t.concern)],
);

export const eventReportPhotos = pgTable(
  'event_report_photos',
  {
    id: text('id').primaryKey(),
    reportId: text('report_id')
      .notNull()
      .references(() => eventReports.id, { onDelete: 'cascade' }),
    mediaKey: text('media_key').notNull(),
    width: integer('width').notNull(),
    height: integer('height').notNull(),
    position: integer('position').notNull(),
  },
  (t) => [index('event_report_photos_report_idx').on(t.reportId, t.position)],
);

/** Secret address of a member's "my events" calendar feed (stored hashed; revocable). */
export const calendarFeeds = pgTable(
  'calendar_feeds',
  {
    userId: text('user_id')
      .primaryKey()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [uniqueIndex('calendar_feeds_token_uq').on(t.tokenHash)],
);

// ---------------------------------------------------------------------------------------------
// Chat (decision 0016). A room is a one-to-one conversation, a small private group, a channel of
// a local group, or an event's room. Who may read a group's or an event's room follows from
// membership and answers (no copy to drift); direct and private rooms list their members.
// Every room counts two sequences: `lastSeq` numbers messages (1, 2, 3… with no gap), `version`
// numbers every change (a new message, an edit, a deletion, a reaction): a client that saw
// version v asks for what changed after v and gets each message once, in order.

export const chatRooms = pgTable(
  'chat_rooms',
  {
    id: text('id').primaryKey(),
    kind: text('kind', { enum: ['direct', 'private', 'group', 'event'] }).notNull(),
    groupId: text('group_id').references(() => groups.id, { onDelete: 'cascade' }),
    eventId: text('event_id').references(() => events.id, { onDelete: 'cascade' }),
    /** The two members of a direct room, sorted and joined ("a:b"): one room per pair. */
    pairKey: text('pair_key'),
    name: text('name').notNull().default(''),
    /** A group's main room (every group has one). */
    main: bool('main').notNull().default(false),
    /** Announcements: only the group's organizers post. */
    readOnly: bool('read_only').notNull().default(false),
    /** Someone of another server reads it (its messages leave through the federation publisher). */
    federated: bool('federated').notNull().default(false),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    lastSeq: integer('last_seq').notNull().default(0),
    version: integer('version').notNull().default(0),
    lastMessageAt: ts('last_message_at'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [uniqueIndex('chat_rooms_pair_uq').on(t.pairKey), uniqueIndex('chat_rooms_event_uq').on(t.eventId), index('chat_rooms_group_idx').on(t.groupId)],
);

/** Members of direct and private rooms. */
export const chatMembers = pgTable(
  'chat_members',
  {
    roomId: text('room_id')
      .notNull()
      .references(() => chatRooms.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['owner', 'member'] }).notNull().default('member'),
    joinedAt: ts('joined_at').notNull(),
  },
  (t) => [primaryKey({ name: 'chat_members_pk', columns: [t.roomId, t.userId] }), index('chat_members_user_idx').on(t.userId)],
);

/** How far each member has read each room (kept across devices). */
export const chatReads = pgTable(
  'chat_reads',
  {
    roomId: text('room_id')
      .notNull()
      .references(() => chatRooms.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull().default(0),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [primaryKey({ name: 'chat_reads_pk', columns: [t.roomId, t.userId] }), index('chat_reads_user_idx').on(t.userId)],
);

export const chatMessages = pgTable(
  'chat_messages',
  {
    id: text('id').primaryKey(),
    roomId: text('room_id')
      .notNull()
      .references(() => chatRooms.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    /** The room's version at the message's last change. */
    version: integer('version').notNull(),
    authorId: text('author_id').references(() => users.id, { onDelete: 'set null' }),
    /** Chosen by the sending client: a retry of the same message is stored once. */
    clientId: text('client_id').notNull(),
    body: text('body').notNull(),
    bodyHtml: text('body_html').notNull(),
    replyToId: text('reply_to_id'),
    editedAt: ts('edited_at'),
    deletedAt: ts('deleted_at'),
    /** The message's ActivityPub id when it came from another server. */
    uri: text('uri'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('chat_messages_seq_uq').on(t.roomId, t.seq),
    uniqueIndex('chat_messages_client_uq').on(t.roomId, t.authorId, t.clientId),
    index('chat_messages_version_idx').on(t.roomId, t.version),
    index('chat_messages_uri_idx').on(t.uri),
    index('chat_messages_author_idx').on(t.authorId),
  ],
);

export const chatReactions = pgTable(
  'chat_reactions',
  {
    messageId: text('message_id')
      .notNull()
      .references(() => chatMessages.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    emoji: text('emoji').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [primaryKey({ name: 'chat_reactions_pk', columns: [t.messageId, t.userId, t.emoji] }), index('chat_reactions_user_idx').on(t.userId)],
);

/** Pictures sent in chat messages (re-encoded WebP without metadata: no GPS position leaks). */
export const chatImages = pgTable(
  'chat_images',
  {
    id: text('id').primaryKey(),
    messageId: text('message_id')
      .notNull()
      .references(() => chatMessages.id, { onDelete: 'cascade' }),
    mediaKey: text('media_key').notNull(),
    width: integer('width').notNull(),
    height: integer('height').notNull(),
    position: integer('position').notNull(),
  },
  (t) => [index('chat_images_message_idx').on(t.messageId, t.position)],
);

/** Documents sent in chat messages: PDF only (leaflets, posters, briefing sheets to print). */
export const chatFiles = pgTable(
  'chat_files',
  {
    id: text('id').primaryKey(),
    messageId: text('message_id')
      .notNull()
      .references(() => chatMessages.id, { onDelete: 'cascade' }),
    mediaKey: text('media_key').notNull(),
    /** The name shown (cleaned); never used as a path. */
    name: text('name').notNull(),
    size: integer('size').notNull(),
    position: integer('position').notNull(),
  },
  (t) => [index('chat_files_message_idx').on(t.messageId, t.position)],
);
