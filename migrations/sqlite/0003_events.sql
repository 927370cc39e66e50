CREATE TABLE `calendar_feeds` (
	`user_id` text PRIMARY KEY NOT NULL,
	`token_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `calendar_feeds_token_uq` ON `calendar_feeds` (`token_hash`);--> statement-breakpoint
CREATE TABLE `event_invitations` (
	`event_id` text NOT NULL,
	`user_id` text NOT NULL,
	`inviter_id` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`event_id`, `user_id`),
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`inviter_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `event_invitations_user_idx` ON `event_invitations` (`user_id`);--> statement-breakpoint
CREATE TABLE `event_organizers` (
	`event_id` text NOT NULL,
	`user_id` text NOT NULL,
	`added_at` integer NOT NULL,
	PRIMARY KEY(`event_id`, `user_id`),
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `event_organizers_user_idx` ON `event_organizers` (`user_id`);--> statement-breakpoint
CREATE TABLE `event_report_concerns` (
	`report_id` text NOT NULL,
	`concern` text NOT NULL,
	PRIMARY KEY(`report_id`, `concern`),
	FOREIGN KEY (`report_id`) REFERENCES `event_reports`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `event_report_concerns_concern_idx` ON `event_report_concerns` (`concern`);--> statement-breakpoint
CREATE TABLE `event_report_photos` (
	`id` text PRIMARY KEY NOT NULL,
	`report_id` text NOT NULL,
	`media_key` text NOT NULL,
	`width` integer NOT NULL,
	`height` integer NOT NULL,
	`position` integer NOT NULL,
	FOREIGN KEY (`report_id`) REFERENCES `event_reports`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `event_report_photos_report_idx` ON `event_report_photos` (`report_id`,`position`);--> statement-breakpoint
CREATE TABLE `event_reports` (
	`id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`author_id` text,
	`participants` integer,
	`doors` integer,
	`leaflets` integer,
	`people` integer,
	`worked` text DEFAULT '' NOT NULL,
	`did_not_work` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`author_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `event_reports_author_uq` ON `event_reports` (`event_id`,`author_id`);--> statement-breakpoint
CREATE INDEX `event_reports_author_idx` ON `event_reports` (`author_id`);--> statement-breakpoint
CREATE TABLE `event_rsvps` (
	`event_id` text NOT NULL,
	`user_id` text NOT NULL,
	`status` text NOT NULL,
	`guests` integer DEFAULT 0 NOT NULL,
	`show_to_friends` integer DEFAULT false NOT NULL,
	`share_contact` integer DEFAULT false NOT NULL,
	`queued_at` integer,
	`attendance` text,
	`walk_in` integer DEFAULT false NOT NULL,
	`checked_in_at` integer,
	`reminded_day_at` integer,
	`reminded_hour_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`event_id`, `user_id`),
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `event_rsvps_user_idx` ON `event_rsvps` (`user_id`,`status`);--> statement-breakpoint
CREATE INDEX `event_rsvps_event_idx` ON `event_rsvps` (`event_id`,`status`,`queued_at`);--> statement-breakpoint
CREATE TABLE `event_vocab` (
	`vocabulary` text NOT NULL,
	`key` text NOT NULL,
	`label_fr` text NOT NULL,
	`label_en` text NOT NULL,
	`metrics` text DEFAULT '[]' NOT NULL,
	`position` integer DEFAULT 0 NOT NULL,
	`archived` integer DEFAULT false NOT NULL,
	PRIMARY KEY(`vocabulary`, `key`)
);
--> statement-breakpoint
CREATE TABLE `events` (
	`id` text PRIMARY KEY NOT NULL,
	`creator_id` text,
	`group_id` text,
	`title` text NOT NULL,
	`kind` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`description_html` text DEFAULT '' NOT NULL,
	`search_text` text DEFAULT '' NOT NULL,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`time_zone` text NOT NULL,
	`place_name` text DEFAULT '' NOT NULL,
	`street` text DEFAULT '' NOT NULL,
	`postal_code` text,
	`commune_code` text,
	`commune_name` text,
	`departement_code` text,
	`lat` real,
	`lon` real,
	`cell` integer,
	`exact_lat` real,
	`exact_lon` real,
	`online_url` text,
	`capacity` integer,
	`guests_max` integer DEFAULT 0 NOT NULL,
	`image_key` text,
	`image_alt` text DEFAULT '' NOT NULL,
	`contact` text DEFAULT '' NOT NULL,
	`visibility` text NOT NULL,
	`hide_address` integer DEFAULT false NOT NULL,
	`join_mode` text DEFAULT 'free' NOT NULL,
	`external_url` text,
	`status` text DEFAULT 'scheduled' NOT NULL,
	`participant_reports` integer DEFAULT false NOT NULL,
	`seats_taken` integer DEFAULT 0 NOT NULL,
	`going_count` integer DEFAULT 0 NOT NULL,
	`interested_count` integer DEFAULT 0 NOT NULL,
	`waitlist_count` integer DEFAULT 0 NOT NULL,
	`walk_ins` integer DEFAULT 0 NOT NULL,
	`sequence` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`creator_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `events_cell_idx` ON `events` (`cell`,`starts_at`,`ends_at`);--> statement-breakpoint
CREATE INDEX `events_kind_cell_idx` ON `events` (`kind`,`cell`,`starts_at`,`ends_at`);--> statement-breakpoint
CREATE INDEX `events_starts_idx` ON `events` (`starts_at`);--> statement-breakpoint
CREATE INDEX `events_group_idx` ON `events` (`group_id`,`starts_at`);--> statement-breakpoint
CREATE INDEX `events_creator_idx` ON `events` (`creator_id`);--> statement-breakpoint
CREATE INDEX `events_commune_idx` ON `events` (`commune_code`);--> statement-breakpoint
ALTER TABLE `mails` ADD `attachment_name` text;--> statement-breakpoint
ALTER TABLE `mails` ADD `attachment_type` text;--> statement-breakpoint
ALTER TABLE `mails` ADD `attachment` text;--> statement-breakpoint
-- drizzle-kit 0.31 drops ON DELETE from foreign keys added by ALTER TABLE on SQLite; restored
-- here so that the database matches the schema and its snapshot (deleting an event deletes its
-- notifications).
ALTER TABLE `notifications` ADD `event_id` text REFERENCES events(id) ON DELETE cascade;--> statement-breakpoint
ALTER TABLE `users` ADD `coordinator` integer DEFAULT false NOT NULL;