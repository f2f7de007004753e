-- Seats and subscriptions (issue 11 #6, R-MEM-5): a team's subscriptions give
-- seats per product; a user with access to a product uses one of its seats
-- unless they hold an external subscription to it. A product without any
-- subscription has no seat limit.
-- +goose Up
CREATE TABLE `subscriptions` (
    `id` text NOT NULL,
    `team_id` text NOT NULL,
    `product_key` text NOT NULL,
    `seats` integer NOT NULL,
    `created_at` datetime,
    PRIMARY KEY (`id`)
);
CREATE INDEX `idx_subscriptions_team_product` ON `subscriptions`(`team_id`,`product_key`);
CREATE TABLE `external_subscriptions` (
    `user_id` text NOT NULL,
    `product_key` text NOT NULL,
    `team_id` text NOT NULL,
    PRIMARY KEY (`user_id`,`product_key`)
);
CREATE INDEX `idx_external_subscriptions_team` ON `external_subscriptions`(`team_id`,`product_key`);
