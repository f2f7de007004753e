-- An external subscriber may hold an internal seat anyway (issue 11 #6,
-- R-MEM-5), so their access does not stop if the external subscription
-- ends: internal_seat = 1 counts them against the team's seats too.
-- Safe to re-run (MariaDB commits DDL as it goes).
-- +goose Up
ALTER TABLE `external_subscriptions` ADD COLUMN IF NOT EXISTS `internal_seat` smallint NOT NULL DEFAULT 0;
