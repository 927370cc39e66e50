ALTER TABLE "group_join_requests" ADD COLUMN "uri" text;--> statement-breakpoint
ALTER TABLE "group_members" ADD COLUMN "uri" text;