-- Chat (decision 0016): rooms (direct, private, group channels, event rooms), their members,
-- read positions, messages numbered per room (seq) and versioned per change, reactions.
CREATE TABLE `chat_members` (
	`room_id` text NOT NULL,
	`user_id` text NOT NULL,
	`role` text DEFAULT 'member' NOT NULL,
	`joined_at` integer NOT NULL,
	PRIMARY KEY(`room_id`, `user_id`),
	FOREIGN KEY (`room_id`) REFERENCES `chat_rooms`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `chat_members_user_idx` ON `chat_members` (`user_id`);--> statement-breakpoint
CREATE TABLE `chat_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`room_id` text NOT NULL,
	`seq` integer NOT NULL,
	`version` integer NOT NULL,
	`author_id` text,
	`client_id` text NOT NULL,
	`body` text NOT NULL,
	`body_html` text NOT NULL,
	`reply_to_id` text,
	`edited_at` integer,
	`deleted_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`room_id`) REFERENCES `chat_rooms`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`author_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `chat_messages_seq_uq` ON `chat_messages` (`room_id`,`seq`);--> statement-breakpoint
CREATE UNIQUE INDEX `chat_messages_client_uq` ON `chat_messages` (`room_id`,`author_id`,`client_id`);--> statement-breakpoint
CREATE INDEX `chat_messages_version_idx` ON `chat_messages` (`room_id`,`version`);--> statement-breakpoint
CREATE INDEX `chat_messages_author_idx` ON `chat_messages` (`author_id`);--> statement-breakpoint
CREATE TABLE `chat_reactions` (
	`message_id` text NOT NULL,
	`user_id` text NOT NULL,
	`emoji` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`message_id`, `user_id`, `emoji`),
	FOREIGN KEY (`message_id`) REFERENCES `chat_messages`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `chat_reactions_user_idx` ON `chat_reactions` (`user_id`);--> statement-breakpoint
CREATE TABLE `chat_reads` (
	`room_id` text NOT NULL,
	`user_id` text NOT NULL,
	`seq` integer DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`room_id`, `user_id`),
	FOREIGN KEY (`room_id`) REFERENCES `chat_rooms`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `chat_reads_user_idx` ON `chat_reads` (`user_id`);--> statement-breakpoint
CREATE TABLE `chat_rooms` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`group_id` text,
	`event_id` text,
	`pair_key` text,
	`name` text DEFAULT '' NOT NULL,
	`main` integer DEFAULT false NOT NULL,
	`read_only` integer DEFAULT false NOT NULL,
	`created_by` text,
	`last_seq` integer DEFAULT 0 NOT NULL,
	`version` integer DEFAULT 0 NOT NULL,
	`last_message_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `chat_rooms_pair_uq` ON `chat_rooms` (`pair_key`);--> statement-breakpoint
CREATE UNIQUE INDEX `chat_rooms_event_uq` ON `chat_rooms` (`event_id`);--> statement-breakpoint
CREATE INDEX `chat_rooms_group_idx` ON `chat_rooms` (`group_id`);
