CREATE TABLE `actor_keys` (
	`actor_id` text NOT NULL,
	`algorithm` text NOT NULL,
	`public_jwk` text NOT NULL,
	`private_jwk` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`actor_id`, `algorithm`)
);
--> statement-breakpoint
CREATE TABLE `email_challenges` (
	`id` text PRIMARY KEY NOT NULL,
	`purpose` text NOT NULL,
	`email` text NOT NULL,
	`user_id` text,
	`token_hash` text NOT NULL,
	`code_hash` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`data` text DEFAULT '{}' NOT NULL,
	`expires_at` integer NOT NULL,
	`consumed_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `email_challenges_token_uq` ON `email_challenges` (`token_hash`);--> statement-breakpoint
CREATE INDEX `email_challenges_email_idx` ON `email_challenges` (`email`);--> statement-breakpoint
CREATE TABLE `inbound_activities` (
	`id` text PRIMARY KEY NOT NULL,
	`activity_id` text,
	`type` text NOT NULL,
	`actor_id` text NOT NULL,
	`recipient_id` text,
	`raw` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `inbound_activities_received_idx` ON `inbound_activities` (`received_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `inbound_activities_activity_uq` ON `inbound_activities` (`activity_id`);--> statement-breakpoint
CREATE TABLE `instance_settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `known_instances` (
	`host` text PRIMARY KEY NOT NULL,
	`first_seen_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`last_verified_at` integer,
	`last_verified_actor` text
);
--> statement-breakpoint
CREATE TABLE `kv_entries` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`expires_at` integer
);
--> statement-breakpoint
CREATE INDEX `kv_entries_expires_idx` ON `kv_entries` (`expires_at`);--> statement-breakpoint
CREATE TABLE `mails` (
	`id` text PRIMARY KEY NOT NULL,
	`to_address` text NOT NULL,
	`user_id` text,
	`template` text NOT NULL,
	`subject` text NOT NULL,
	`text_body` text NOT NULL,
	`html_body` text NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`created_at` integer NOT NULL,
	`sent_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `mails_created_idx` ON `mails` (`created_at`);--> statement-breakpoint
CREATE INDEX `mails_to_idx` ON `mails` (`to_address`);--> statement-breakpoint
CREATE TABLE `queue_messages` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`queue` text NOT NULL,
	`payload` text NOT NULL,
	`ordering_key` text,
	`available_at` integer NOT NULL,
	`locked_until` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `queue_messages_ready_idx` ON `queue_messages` (`queue`,`available_at`);--> statement-breakpoint
CREATE INDEX `queue_messages_ordering_idx` ON `queue_messages` (`queue`,`ordering_key`,`seq`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`secret_hash` text NOT NULL,
	`user_id` text NOT NULL,
	`device_label` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sessions_user_idx` ON `sessions` (`user_id`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`username` text NOT NULL,
	`email` text NOT NULL,
	`display_name` text NOT NULL,
	`password_hash` text,
	`role` text DEFAULT 'member' NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`bio` text DEFAULT '' NOT NULL,
	`avatar_key` text,
	`postal_code` text,
	`commune_code` text,
	`commune_name` text,
	`departement_code` text,
	`skills` text DEFAULT '[]' NOT NULL,
	`skill_tags` text DEFAULT '[]' NOT NULL,
	`locale` text DEFAULT 'fr' NOT NULL,
	`profile_public` integer DEFAULT false NOT NULL,
	`show_commune` integer DEFAULT false NOT NULL,
	`consent_version` text,
	`consented_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_username_uq` ON `users` (`username`);--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_uq` ON `users` (`email`);