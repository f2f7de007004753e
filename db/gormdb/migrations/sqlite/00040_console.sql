-- The admin console (issue 13): browser sessions (server-side, revocable,
-- idle and absolute timeouts) single-use login and password-reset links, and argon2id password hashes
-- for local sign-in. Only SHA-256
-- hashes of their secrets are stored (db/token.go). console_settings holds
-- a team's post-sign-in destinations.
-- +goose Up
CREATE TABLE `console_sessions` (
    `hash` text NOT NULL,
    `team_id` text NOT NULL,
    `user_id` text NOT NULL,
    `method` text NOT NULL,
    `created_at` datetime NOT NULL,
    `last_seen_at` datetime NOT NULL,
    `expires_at` datetime NOT NULL,
    `revoked_at` datetime,
    PRIMARY KEY (`hash`)
);
CREATE INDEX `idx_console_sessions_user` ON `console_sessions`(`team_id`, `user_id`);

CREATE TABLE `console_links` (
    `hash` text NOT NULL,
    `team_id` text NOT NULL,
    `user_id` text NOT NULL,
    `purpose` text NOT NULL,
    `created_at` datetime NOT NULL,
    `expires_at` datetime NOT NULL,
    `used_at` datetime,
    PRIMARY KEY (`hash`)
);

CREATE TABLE `console_passwords` (
    `team_id` text NOT NULL,
    `user_id` text NOT NULL,
    `hash` text NOT NULL,
    `updated_at` datetime NOT NULL,
    PRIMARY KEY (`team_id`, `user_id`)
);

CREATE TABLE `console_settings` (
    `team_id` text NOT NULL,
    `admin_destination` text NOT NULL,
    `user_destination` text NOT NULL,
    `updated_at` datetime NOT NULL,
    PRIMARY KEY (`team_id`)
);

-- +goose Down
DROP TABLE `console_settings`;
DROP TABLE `console_passwords`;
DROP TABLE `console_links`;
DROP TABLE `console_sessions`;
