-- Members (issue 11 #1): a team user's company, job role and account access
-- level live beside the user row, one row per user that has been given any;
-- a user without a row has no company or role and the level "member".
-- Companies are a team-level list, kept by the members that name them.
-- Text columns are case-exact (utf8mb4_bin); case-insensitive matching
-- uses the *_lower columns.
-- Safe to re-run (MariaDB commits DDL as it goes).
-- +goose Up
CREATE TABLE IF NOT EXISTS `member_profiles` (
  `user_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `team_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `company` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '',
  `company_lower` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '',
  `job_role` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '',
  `job_role_lower` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '',
  `access_level` varchar(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT 'member',
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`user_id`),
  KEY `idx_member_profiles_team_company` (`team_id`,`company_lower`,`user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE IF NOT EXISTS `team_companies` (
  `team_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `name_lower` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `name` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  PRIMARY KEY (`team_id`,`name_lower`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
