// SQLite schema. Must stay identical in tables, columns, keys and indexes to schema.pg.ts
// (checked by schema-parity.test.ts). Timestamps are milliseconds, booleans 0/1, JSON is text.
import { sqliteTable, text, integer, index, uniqueIndex, primaryKey } from 'drizzle-orm/sqlite-core';

const ts = (name: string) => integer(name, { mode: 'timestamp_ms' });
const bool = (name: string) => integer(name, { mode: 'boolean' });

export const users = sqliteTable(
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
    consentVersion: text('consent_version'),
    consentedAt: ts('consented_at'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [uniqueIndex('users_username_uq').on(t.username), uniqueIndex('users_email_uq').on(t.email)],
);

export const sessions = sqliteTable(
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

export const emailChallenges = sqliteTable(
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

export const instanceSettings = sqliteTable('instance_settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  updatedAt: ts('updated_at').notNull(),
});

export const mails = sqliteTable(
  'mails',
  {
    id: text('id').primaryKey(),
    toAddress: text('to_address').notNull(),
    userId: text('user_id').references(() => users.id, { onDelete: 'set null' }),
    template: text('template').notNull(),
    subject: text('subject').notNull(),
    textBody: text('text_body').notNull(),
    htmlBody: text('html_body').notNull(),
    status: text('status', { enum: ['queued', 'sent', 'kept', 'failed'] }).notNull().default('queued'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    createdAt: ts('created_at').notNull(),
    sentAt: ts('sent_at'),
  },
  (t) => [index('mails_created_idx').on(t.createdAt), index('mails_to_idx').on(t.toAddress)],
);

export const actorKeys = sqliteTable(
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

export const kvEntries = sqliteTable(
  'kv_entries',
  {
    key: text('key').primaryKey(),
    value: text('value').notNull(),
    expiresAt: ts('expires_at'),
  },
  (t) => [index('kv_entries_expires_idx').on(t.expiresAt)],
);

export const queueMessages = sqliteTable(
  'queue_messages',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
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

export const inboundActivities = sqliteTable(
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
export const knownInstances = sqliteTable('known_instances', {
  host: text('host').primaryKey(),
  firstSeenAt: ts('first_seen_at').notNull(),
  lastSeenAt: ts('last_seen_at').notNull(),
  lastVerifiedAt: ts('last_verified_at'),
  lastVerifiedActor: text('last_verified_actor'),
});
