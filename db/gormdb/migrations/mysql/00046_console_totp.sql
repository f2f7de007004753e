-- Console second factor (issue 13): authenticator-app (TOTP, RFC 6238)
-- enrolments and their recovery codes. sealed is the secret encrypted by
-- the console with AES-256-GCM (console.secret_key), never the secret;
-- recovery codes are stored as SHA-256 hashes. last_step makes every code
-- single-use across replicas.
-- +goose Up
CREATE TABLE `console_totp` (
  `team_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `user_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `sealed` blob NOT NULL,
  `confirmed_at` datetime(3) NULL,
  `last_step` bigint NOT NULL DEFAULT 0,
  `created_at` datetime(3) NOT NULL,
  PRIMARY KEY (`team_id`, `user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `console_recovery_codes` (
  `team_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `user_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `hash` varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `used_at` datetime(3) NULL,
  PRIMARY KEY (`team_id`, `user_id`, `hash`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE `console_recovery_codes`;
DROP TABLE `console_totp`;
