-- Invitations (issue 11 #4, R-MEM-3): one current invitation per member; the
-- token is stored as its SHA-256 in hex (db/token.go), single-use; a resend replaces
-- the token and the expiry.
-- Safe to re-run (MariaDB commits DDL as it goes).
-- +goose Up
CREATE TABLE IF NOT EXISTS `invitations` (
  `user_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `team_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `token_hash` varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `sent_at` datetime(3) NOT NULL,
  `expires_at` datetime(3) NOT NULL,
  `accepted_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`user_id`),
  UNIQUE KEY `idx_invitations_token` (`token_hash`),
  KEY `idx_invitations_team` (`team_id`,`expires_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
