-- Custom migration (drizzle-kit generate --custom): full-text search of posts. search_text is
-- already lower-cased and stripped of accents by the application, so the 'simple' text search
-- configuration (no stemming, no extension needed) is enough.
CREATE INDEX "posts_search_fts_idx" ON "posts" USING gin (to_tsvector('simple', "search_text"));
