ALTER TABLE `event_rsvps` ADD `uri` text;--> statement-breakpoint
ALTER TABLE `events` ADD `uri` text;--> statement-breakpoint
ALTER TABLE `events` ADD `url` text;--> statement-breakpoint
CREATE UNIQUE INDEX `events_uri_uq` ON `events` (`uri`);