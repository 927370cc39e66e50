ALTER TABLE "event_rsvps" ADD COLUMN "uri" text;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "uri" text;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "url" text;--> statement-breakpoint
CREATE UNIQUE INDEX "events_uri_uq" ON "events" USING btree ("uri");