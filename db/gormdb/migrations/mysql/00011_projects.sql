-- Products, projects and product access (issue 11 #5, R-MEM-4): a team's
-- product catalogue is data (one product the base, seed 002's Docs); a project
-- belongs to a team; a project member is a team user with a level and
-- per-product access. Teams that exist already get seed 002's catalogue, as
-- CreateTeam gives every new team.
-- Text columns are case-exact (utf8mb4_bin).
-- Safe to re-run (MariaDB commits DDL as it goes).
-- +goose Up
CREATE TABLE IF NOT EXISTS `products` (
  `team_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `product_key` varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `name` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `is_base` smallint NOT NULL DEFAULT 0,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`team_id`,`product_key`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE IF NOT EXISTS `projects` (
  `id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `team_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `name` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `name_lower` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_projects_team_name` (`team_id`,`name_lower`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE IF NOT EXISTS `project_members` (
  `project_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `user_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `team_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `level` varchar(16) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`project_id`,`user_id`),
  KEY `idx_project_members_user` (`user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE IF NOT EXISTS `project_access` (
  `project_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `user_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `product_key` varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `team_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  PRIMARY KEY (`project_id`,`user_id`,`product_key`),
  KEY `idx_project_access_user` (`user_id`),
  KEY `idx_project_access_product` (`team_id`,`product_key`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
INSERT IGNORE INTO products (team_id, product_key, name, is_base, created_at) SELECT id, 'docs', 'Docs', 1, created_at FROM teams;
INSERT IGNORE INTO products (team_id, product_key, name, is_base, created_at) SELECT id, 'build', 'Build', 0, created_at FROM teams;
INSERT IGNORE INTO products (team_id, product_key, name, is_base, created_at) SELECT id, 'cost', 'Cost', 0, created_at FROM teams;
INSERT IGNORE INTO products (team_id, product_key, name, is_base, created_at) SELECT id, 'insight', 'Insight', 0, created_at FROM teams;
INSERT IGNORE INTO products (team_id, product_key, name, is_base, created_at) SELECT id, 'design-collaboration', 'Design Collaboration', 0, created_at FROM teams;
INSERT IGNORE INTO products (team_id, product_key, name, is_base, created_at) SELECT id, 'model-coordination', 'Model Coordination', 0, created_at FROM teams;
INSERT IGNORE INTO products (team_id, product_key, name, is_base, created_at) SELECT id, 'takeoff', 'Takeoff', 0, created_at FROM teams;
