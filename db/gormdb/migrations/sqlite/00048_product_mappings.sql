-- SCIM/directory group to product mappings (issue 11): a team maps a group
-- to a product on a project, so group membership grants and revokes it.
-- project_access.origin records why a member has a product: manual (an
-- admin granted it; existing rows) or group (a mapping did; removed when the
-- user leaves every mapped group giving it).
-- +goose Up
ALTER TABLE `project_access` ADD COLUMN `origin` text NOT NULL DEFAULT 'manual';
CREATE TABLE `product_mappings` (
    `id` text NOT NULL,
    `team_id` text NOT NULL,
    `group_id` text NOT NULL,
    `project_id` text NOT NULL,
    `product_key` text NOT NULL,
    `created_at` datetime,
    PRIMARY KEY (`id`)
);
CREATE UNIQUE INDEX `idx_product_mappings_unique` ON `product_mappings`(`team_id`,`group_id`,`project_id`,`product_key`);
CREATE INDEX `idx_product_mappings_group` ON `product_mappings`(`group_id`);
