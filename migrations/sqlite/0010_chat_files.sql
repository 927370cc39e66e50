-- PDF documents in chat messages (decision 0016).
CREATE TABLE `chat_files` (
	`id` text PRIMARY KEY NOT NULL,
	`message_id` text NOT NULL,
	`media_key` text NOT NULL,
	`name` text NOT NULL,
	`size` integer NOT NULL,
	`position` integer NOT NULL,
	FOREIGN KEY (`message_id`) REFERENCES `chat_messages`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `chat_files_message_idx` ON `chat_files` (`message_id`,`position`);
