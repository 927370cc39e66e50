ALTER TABLE `group_join_requests` ADD `uri` text;--> statement-breakpoint
ALTER TABLE `group_members` ADD `uri` text;