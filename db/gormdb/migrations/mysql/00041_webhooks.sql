-- Webhooks (issue 14 #4): endpoints a team registers, one delivery row per
-- (event, endpoint) queued in the event's own transaction, and one row per
-- HTTP attempt. Dispatchers on every replica lease due deliveries with an
-- atomic conditional UPDATE (lease_owner, lease_until); the attempts
-- primary key (delivery_id, n) makes a second copy of one attempt impossible.
-- +goose Up
CREATE TABLE IF NOT EXISTS `webhook_endpoints` (
  `id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `team_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `url` text CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `events` text CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `sealed_secret` text CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `enabled` tinyint(1) NOT NULL DEFAULT 1,
  `disabled_at` datetime(3) DEFAULT NULL,
  `last_success_at` datetime(3) DEFAULT NULL,
  `created_at` datetime(3) NOT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_webhook_endpoints_team` (`team_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE IF NOT EXISTS `webhook_deliveries` (
  `id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `team_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `endpoint_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `event_id` bigint(20) NOT NULL,
  `event_type` varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `status` varchar(16) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `attempts` int NOT NULL DEFAULT 0,
  `next_attempt_at` datetime(3) NOT NULL,
  `lease_owner` varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '',
  `lease_until` datetime(3) DEFAULT NULL,
  `last_status` int NOT NULL DEFAULT 0,
  `last_error` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '',
  `replay_of` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '',
  `created_at` datetime(3) NOT NULL,
  `updated_at` datetime(3) NOT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_webhook_deliveries_due` (`status`, `next_attempt_at`),
  KEY `idx_webhook_deliveries_team` (`team_id`, `created_at`),
  KEY `idx_webhook_deliveries_endpoint` (`endpoint_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE IF NOT EXISTS `webhook_attempts` (
  `delivery_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `n` int NOT NULL,
  `at` datetime(3) NOT NULL,
  `owner` varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `status` int NOT NULL,
  `error` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '',
  `duration_ms` bigint(20) NOT NULL,
  `response_prefix` text CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  PRIMARY KEY (`delivery_id`, `n`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE `webhook_attempts`;
DROP TABLE `webhook_deliveries`;
DROP TABLE `webhook_endpoints`;
