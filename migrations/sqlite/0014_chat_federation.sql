ALTER TABLE `chat_messages` ADD `uri` text;--> statement-breakpoint
CREATE INDEX `chat_messages_uri_idx` ON `chat_messages` (`uri`);--> statement-breakpoint
ALTER TABLE `chat_rooms` ADD `federated` integer DEFAULT false NOT NULL;--> statement-breakpoint
UPDATE `chat_rooms` SET `federated` = 1 WHERE `kind` = 'direct' AND EXISTS (SELECT 1 FROM `chat_members` `m` INNER JOIN `users` `u` ON `u`.`id` = `m`.`user_id` WHERE `m`.`room_id` = `chat_rooms`.`id` AND `u`.`host` IS NOT NULL);