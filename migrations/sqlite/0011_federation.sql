CREATE TABLE `federation_policies` (
	`host` text PRIMARY KEY NOT NULL,
	`action` text NOT NULL,
	`reject_media` integer DEFAULT false NOT NULL,
	`reject_reports` integer DEFAULT false NOT NULL,
	`note` text DEFAULT '' NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE TABLE `remote_actors` (
	`id` text PRIMARY KEY NOT NULL,
	`uri` text NOT NULL,
	`host` text NOT NULL,
	`type` text NOT NULL,
	`inbox` text NOT NULL,
	`shared_inbox` text,
	`outbox` text,
	`followers` text,
	`url` text,
	`icon_url` text,
	`moved_to` text,
	`raw` text NOT NULL,
	`fetched_at` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `remote_actors_uri_uq` ON `remote_actors` (`uri`);--> statement-breakpoint
CREATE INDEX `remote_actors_host_idx` ON `remote_actors` (`host`);--> statement-breakpoint
ALTER TABLE `comments` ADD `uri` text;--> statement-breakpoint
CREATE UNIQUE INDEX `comments_uri_uq` ON `comments` (`uri`);--> statement-breakpoint
ALTER TABLE `friend_requests` ADD `uri` text;--> statement-breakpoint
ALTER TABLE `friendships` ADD `follow_uri` text;--> statement-breakpoint
ALTER TABLE `group_follows` ADD `uri` text;--> statement-breakpoint
ALTER TABLE `groups` ADD `host` text;--> statement-breakpoint
ALTER TABLE `likes` ADD `uri` text;--> statement-breakpoint
ALTER TABLE `posts` ADD `uri` text;--> statement-breakpoint
ALTER TABLE `posts` ADD `url` text;--> statement-breakpoint
CREATE UNIQUE INDEX `posts_uri_uq` ON `posts` (`uri`);--> statement-breakpoint
ALTER TABLE `users` ADD `host` text;--> statement-breakpoint
CREATE INDEX `users_host_idx` ON `users` (`host`);