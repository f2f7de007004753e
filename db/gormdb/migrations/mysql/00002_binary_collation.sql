-- The legacy schema gave 10 tables (and its schema_migrations) the database's default collation
-- (utf8mb4_general_ci on a stock MariaDB), so directory anchors, SSO ids and
-- the email index compared case-insensitively there and case-exactly on
-- SQLite and PostgreSQL. Convert them to utf8mb4_bin like the rest; unique
-- keys stay valid (values only become more distinct). The database default
-- becomes utf8mb4_bin too, so a table a later migration forgets to collate
-- explicitly is still case-exact. On a database created by 00001 this is a no-op.
-- +goose Up
ALTER DATABASE CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE `directory_anchors` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE `directory_connections` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE `directory_cursors` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE `directory_runs` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE `sso_assertions` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE `sso_configs` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE `sso_keys` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE `sso_requests` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE `sso_sessions` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE `user_emails` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
