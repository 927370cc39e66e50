ALTER TABLE `chat_messages` ADD `uri` text;--> statement-breakpoint
CREATE INDEX `chat_messages_uri_idx` ON `chat_messages` (`uri`);--> statement-breakpoint
ALTER TABLE `chat_rooms` ADD `federated` integer DEFAULT false NOT NULL;