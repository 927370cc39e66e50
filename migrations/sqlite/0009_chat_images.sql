-- Pictures in chat messages (decision 0016).
CREATE TABLE `chat_images` (
	`id` text PRIMARY KEY NOT NULL,
	`message_id` text NOT NULL,
	`media_key` text NOT NULL,
	`width` integer NOT NULL,
	`height` integer NOT NULL,
	`position` integer NOT NULL,
	FOREIGN KEY (`message_id`) REFERENCES `chat_messages`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `chat_images_message_idx` ON `chat_images` (`message_id`,`position`);
