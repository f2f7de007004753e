-- Invitations (issue 11 #4, R-MEM-3): one current invitation per member; the
-- token is stored as its SHA-256 in hex (db/token.go), single-use; a resend replaces
-- the token and the expiry.
-- +goose Up
CREATE TABLE `invitations` (
    `user_id` text NOT NULL,
    `team_id` text NOT NULL,
    `token_hash` text NOT NULL,
    `sent_at` datetime NOT NULL,
    `expires_at` datetime NOT NULL,
    `accepted_at` datetime,
    PRIMARY KEY (`user_id`)
);
CREATE UNIQUE INDEX `idx_invitations_token` ON `invitations`(`token_hash`);
CREATE INDEX `idx_invitations_team` ON `invitations`(`team_id`,`expires_at`);
