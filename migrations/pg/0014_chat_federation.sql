ALTER TABLE "chat_messages" ADD COLUMN "uri" text;--> statement-breakpoint
ALTER TABLE "chat_rooms" ADD COLUMN "federated" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "chat_messages_uri_idx" ON "chat_messages" USING btree ("uri");