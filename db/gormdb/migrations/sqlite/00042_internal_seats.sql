-- An external subscriber may hold an internal seat anyway (issue 11 #6,
-- R-MEM-5), so their access does not stop if the external subscription
-- ends: internal_seat = 1 counts them against the team's seats too.
-- +goose Up
ALTER TABLE `external_subscriptions` ADD COLUMN `internal_seat` integer NOT NULL DEFAULT 0;
