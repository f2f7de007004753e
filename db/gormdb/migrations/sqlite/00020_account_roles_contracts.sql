-- Issue 12: the account (subscription) ladder and classic user management.
-- account_members: the people an account knows, with their account role
-- (owner > secondary-owner > company-admin > product-user, '' for none) and
-- status; exactly one owner per account (R-OWN-1), kept by the store's
-- compare-and-swap transfer. Existing accounts get their first team's primary
-- admin as owner (R-OWN-1: by default the purchaser). contracts gain a
-- number (unique per account), products and seats; contract_users are the
-- users of the classic view (R-CLS-4), apart from team users.
-- +goose Up
CREATE TABLE `account_members` (
    `account_id` text NOT NULL,
    `email_lower` text NOT NULL,
    `email` text NOT NULL,
    `first_name` text NOT NULL DEFAULT "",
    `last_name` text NOT NULL DEFAULT "",
    `role` text NOT NULL DEFAULT "",
    `status` text NOT NULL DEFAULT "active",
    `created_at` datetime,
    `updated_at` datetime,
    PRIMARY KEY (`account_id`,`email_lower`)
);
CREATE INDEX `idx_account_members_role` ON `account_members`(`account_id`,`role`);

INSERT INTO `account_members` (`account_id`, `email_lower`, `email`, `first_name`, `last_name`, `role`, `status`, `created_at`, `updated_at`)
SELECT t.`account_id`, u.`email_lower`, u.`email`, u.`first_name`, u.`last_name`, 'owner', 'active', t.`created_at`, t.`created_at`
FROM `teams` t JOIN `users` u ON u.`id` = t.`primary_user_id`
WHERE t.`id` = (SELECT t2.`id` FROM `teams` t2 WHERE t2.`account_id` = t.`account_id` ORDER BY t2.`created_at`, t2.`id` LIMIT 1);

ALTER TABLE `contracts` ADD COLUMN `number` text NOT NULL DEFAULT "";
ALTER TABLE `contracts` ADD COLUMN `products` text NOT NULL DEFAULT "";
ALTER TABLE `contracts` ADD COLUMN `seats` integer NOT NULL DEFAULT 0;
UPDATE `contracts` SET `number` = `id` WHERE `number` = '';
CREATE UNIQUE INDEX `idx_contracts_account_number` ON `contracts`(`account_id`,`number`);

CREATE TABLE `contract_users` (
    `contract_id` text NOT NULL,
    `email_lower` text NOT NULL,
    `account_id` text NOT NULL,
    `email` text NOT NULL,
    `added_at` datetime,
    PRIMARY KEY (`contract_id`,`email_lower`)
);
CREATE INDEX `idx_contract_users_account` ON `contract_users`(`account_id`,`email_lower`);
