-- Custom migration: every account has its unsubscribe token from now on (created with the
-- account); members who signed up before get one here. 122 random bits (gen_random_uuid, built
-- into PostgreSQL 13+), as hex.
UPDATE "users" SET "unsubscribe_token" = replace(gen_random_uuid()::text, '-', '') WHERE "unsubscribe_token" IS NULL;
