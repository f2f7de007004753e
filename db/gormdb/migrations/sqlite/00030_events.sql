-- The transactional outbox (issue 14 #4): one row per audited change,
-- written in the transaction of its audit row, so no event is lost and
-- none is invented. Read in id order by GET /api/v1/teams/{team}/events.
-- +goose Up
CREATE TABLE `events` (
    `id` integer PRIMARY KEY AUTOINCREMENT,
    `team_id` text NOT NULL,
    `at` datetime NOT NULL,
    `type` text NOT NULL,
    `audit_id` integer NOT NULL,
    `target_kind` text NOT NULL,
    `target_id` text NOT NULL,
    `payload` text NOT NULL
);
CREATE INDEX `idx_events_team` ON `events`(`team_id`, `id`);

-- +goose Down
DROP TABLE `events`;
