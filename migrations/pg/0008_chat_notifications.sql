-- Chat notifications (decision 0016): a notification may point at a chat room; it goes with the room.
ALTER TABLE "notifications" ADD COLUMN "chat_room_id" text;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_chat_room_id_chat_rooms_id_fk" FOREIGN KEY ("chat_room_id") REFERENCES "public"."chat_rooms"("id") ON DELETE cascade ON UPDATE no action;
