-- Custom migration (drizzle-kit generate --custom): full-text search of posts, which drizzle
-- cannot describe. posts has a text primary key, and the implicit rowid of such a table may
-- change on VACUUM, so the FTS rows are keyed by a small map table with an INTEGER PRIMARY KEY.
-- search_text is already lower-cased and stripped of accents by the application; the
-- tokenizer strips them too, for the query side.
CREATE TABLE `posts_search_rowids` (`rowid` integer PRIMARY KEY, `post_id` text NOT NULL UNIQUE);
--> statement-breakpoint
CREATE VIRTUAL TABLE `posts_fts` USING fts5(search_text, tokenize = 'unicode61 remove_diacritics 2');
--> statement-breakpoint
CREATE TRIGGER `posts_search_ai` AFTER INSERT ON `posts` BEGIN
  INSERT INTO `posts_search_rowids` (`post_id`) VALUES (new.`id`);
  INSERT INTO `posts_fts` (rowid, search_text) VALUES ((SELECT `rowid` FROM `posts_search_rowids` WHERE `post_id` = new.`id`), new.`search_text`);
END;
--> statement-breakpoint
CREATE TRIGGER `posts_search_ad` AFTER DELETE ON `posts` BEGIN
  DELETE FROM `posts_fts` WHERE rowid = (SELECT `rowid` FROM `posts_search_rowids` WHERE `post_id` = old.`id`);
  DELETE FROM `posts_search_rowids` WHERE `post_id` = old.`id`;
END;
--> statement-breakpoint
CREATE TRIGGER `posts_search_au` AFTER UPDATE OF `search_text` ON `posts` BEGIN
  UPDATE `posts_fts` SET search_text = new.`search_text` WHERE rowid = (SELECT `rowid` FROM `posts_search_rowids` WHERE `post_id` = new.`id`);
END;
