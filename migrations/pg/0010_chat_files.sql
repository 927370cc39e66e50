-- PDF documents in chat messages (decision 0016).
CREATE TABLE "chat_files" (
	"id" text PRIMARY KEY NOT NULL,
	"message_id" text NOT NULL,
	"media_key" text NOT NULL,
	"name" text NOT NULL,
	"size" integer NOT NULL,
	"position" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "chat_files" ADD CONSTRAINT "chat_files_message_id_chat_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."chat_messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "chat_files_message_idx" ON "chat_files" USING btree ("message_id","position");
