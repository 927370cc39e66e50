CREATE TABLE "federation_policies" (
	"host" text PRIMARY KEY NOT NULL,
	"action" text NOT NULL,
	"reject_media" boolean DEFAULT false NOT NULL,
	"reject_reports" boolean DEFAULT false NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "remote_actors" (
	"id" text PRIMARY KEY NOT NULL,
	"uri" text NOT NULL,
	"host" text NOT NULL,
	"type" text NOT NULL,
	"inbox" text NOT NULL,
	"shared_inbox" text,
	"outbox" text,
	"followers" text,
	"url" text,
	"icon_url" text,
	"moved_to" text,
	"raw" text NOT NULL,
	"fetched_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "comments" ADD COLUMN "uri" text;--> statement-breakpoint
ALTER TABLE "friend_requests" ADD COLUMN "uri" text;--> statement-breakpoint
ALTER TABLE "friendships" ADD COLUMN "follow_uri" text;--> statement-breakpoint
ALTER TABLE "group_follows" ADD COLUMN "uri" text;--> statement-breakpoint
ALTER TABLE "groups" ADD COLUMN "host" text;--> statement-breakpoint
ALTER TABLE "likes" ADD COLUMN "uri" text;--> statement-breakpoint
ALTER TABLE "posts" ADD COLUMN "uri" text;--> statement-breakpoint
ALTER TABLE "posts" ADD COLUMN "url" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "host" text;--> statement-breakpoint
ALTER TABLE "federation_policies" ADD CONSTRAINT "federation_policies_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "remote_actors_uri_uq" ON "remote_actors" USING btree ("uri");--> statement-breakpoint
CREATE INDEX "remote_actors_host_idx" ON "remote_actors" USING btree ("host");--> statement-breakpoint
CREATE UNIQUE INDEX "comments_uri_uq" ON "comments" USING btree ("uri");--> statement-breakpoint
CREATE UNIQUE INDEX "posts_uri_uq" ON "posts" USING btree ("uri");--> statement-breakpoint
CREATE INDEX "users_host_idx" ON "users" USING btree ("host");