-- Custom migration: every account has its unsubscribe token from now on (created with the
-- account); members who signed up before get one here. 128 random bits, as hex.
UPDATE `users` SET `unsubscribe_token` = lower(hex(randomblob(16))) WHERE `unsubscribe_token` IS NULL;
