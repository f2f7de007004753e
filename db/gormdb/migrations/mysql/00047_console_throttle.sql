-- Console sign-in throttling in the database (issue 13): one row per failed
-- password, code or reset attempt, keyed by a SHA-256 of the throttle's
-- scope and the account or client address, so replicas share the counts.
-- +goose Up
CREATE TABLE `console_throttle` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `key_hash` varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `at` datetime(3) NOT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_console_throttle_key` (`key_hash`, `at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE `console_throttle`;
