-- Discovery over wide areas (a map of France) walks events by start time from a month before
-- the range: with the end in the index, events already over are skipped in the index itself
-- instead of being read from the table (docs/performance.md, Events).
DROP INDEX `events_starts_idx`;--> statement-breakpoint
CREATE INDEX `events_starts_idx` ON `events` (`starts_at`,`ends_at`);
