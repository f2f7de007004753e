-- SCIM/directory group to product mappings (issue 11): a team maps a group
-- to a product on a project, so group membership grants and revokes it.
-- project_access.origin records why a member has a product: manual (an
-- admin granted it; existing rows) or group (a mapping did; removed when the
-- user leaves every mapped group giving it).
-- Safe to re-run (MariaDB commits DDL as it goes).
-- +goose Up
ALTER TABLE `project_access` ADD COLUMN IF NOT EXISTS `origin` varchar(16) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT 'manual';
CREATE TABLE IF NOT EXISTS `product_mappings` (
  `id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `team_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `group_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `project_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `product_key` varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_product_mappings_unique` (`team_id`,`group_id`,`project_id`,`product_key`),
  KEY `idx_product_mappings_group` (`group_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
