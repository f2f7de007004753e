-- Webhooks (issue 14 #4): endpoints a team registers, one delivery row per
-- (event, endpoint) queued in the event's own transaction, and one row per
-- HTTP attempt. Dispatchers on every replica lease due deliveries with an
-- atomic conditional UPDATE (lease_owner, lease_until); the attempts
-- primary key (delivery_id, n) makes a second copy of one attempt impossible.
-- +goose Up
CREATE TABLE `webhook_endpoints` (
    `id` text PRIMARY KEY,
    `team_id` text NOT NULL,
    `url` text NOT NULL,
    `events` text NOT NULL DEFAULT '',
    `sealed_secret` text NOT NULL,
    `enabled` integer NOT NULL DEFAULT 1,
    `disabled_at` datetime,
    `last_success_at` datetime,
    `created_at` datetime NOT NULL
);
CREATE INDEX `idx_webhook_endpoints_team` ON `webhook_endpoints`(`team_id`);
CREATE TABLE `webhook_deliveries` (
    `id` text PRIMARY KEY,
    `team_id` text NOT NULL,
    `endpoint_id` text NOT NULL,
    `event_id` integer NOT NULL,
    `event_type` text NOT NULL,
    `status` text NOT NULL,
    `attempts` integer NOT NULL DEFAULT 0,
    `next_attempt_at` datetime NOT NULL,
    `lease_owner` text NOT NULL DEFAULT '',
    `lease_until` datetime,
    `last_status` integer NOT NULL DEFAULT 0,
    `last_error` text NOT NULL DEFAULT '',
    `replay_of` text NOT NULL DEFAULT '',
    `created_at` datetime NOT NULL,
    `updated_at` datetime NOT NULL
);
CREATE INDEX `idx_webhook_deliveries_due` ON `webhook_deliveries`(`status`, `next_attempt_at`);
CREATE INDEX `idx_webhook_deliveries_team` ON `webhook_deliveries`(`team_id`, `created_at`);
CREATE INDEX `idx_webhook_deliveries_endpoint` ON `webhook_deliveries`(`endpoint_id`);
CREATE TABLE `webhook_attempts` (
    `delivery_id` text NOT NULL,
    `n` integer NOT NULL,
    `at` datetime NOT NULL,
    `owner` text NOT NULL,
    `status` integer NOT NULL,
    `error` text NOT NULL DEFAULT '',
    `duration_ms` integer NOT NULL,
    `response_prefix` text NOT NULL DEFAULT '',
    PRIMARY KEY (`delivery_id`, `n`)
);

-- +goose Down
DROP TABLE `webhook_attempts`;
DROP TABLE `webhook_deliveries`;
DROP TABLE `webhook_endpoints`;
