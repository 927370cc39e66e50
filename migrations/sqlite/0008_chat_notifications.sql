-- Chat notifications (decision 0016): a notification may point at a chat room; it goes with the room.
-- drizzle-kit 0.31 drops ON DELETE from foreign keys added by ALTER TABLE on SQLite; restored
-- by hand, as in 0003.
ALTER TABLE `notifications` ADD `chat_room_id` text REFERENCES chat_rooms(id) ON DELETE cascade;
