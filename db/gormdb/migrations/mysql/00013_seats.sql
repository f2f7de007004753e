-- Seats and subscriptions (issue 11 #6, R-MEM-5): a team's subscriptions give
-- seats per product; a user with access to a product uses one of its seats
-- unless they hold an external subscription to it. A product without any
-- subscription has no seat limit.
-- Safe to re-run (MariaDB commits DDL as it goes).
-- +goose Up
CREATE TABLE IF NOT EXISTS `subscriptions` (
  `id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `team_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `product_key` varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `seats` int NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_subscriptions_team_product` (`team_id`,`product_key`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE IF NOT EXISTS `external_subscriptions` (
  `user_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `product_key` varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `team_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  PRIMARY KEY (`user_id`,`product_key`),
  KEY `idx_external_subscriptions_team` (`team_id`,`product_key`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
