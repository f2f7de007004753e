-- Issue 12: the account (subscription) ladder and classic user management
-- (see the sqlite file of the same number for the why). Text columns are
-- utf8mb4_bin (case-exact); emails are compared through email_lower. Safe
-- to re-run (MariaDB commits DDL as it goes).
-- +goose Up
CREATE TABLE IF NOT EXISTS `account_members` (
  `account_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `email_lower` varchar(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `email` varchar(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `first_name` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '',
  `last_name` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '',
  `role` varchar(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '',
  `status` varchar(16) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT 'active',
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`account_id`,`email_lower`),
  KEY `idx_account_members_role` (`account_id`,`role`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT IGNORE INTO `account_members` (`account_id`, `email_lower`, `email`, `first_name`, `last_name`, `role`, `status`, `created_at`, `updated_at`)
SELECT t.`account_id`, u.`email_lower`, u.`email`, u.`first_name`, u.`last_name`, 'owner', 'active', t.`created_at`, t.`created_at`
FROM `teams` t JOIN `users` u ON u.`id` = t.`primary_user_id`
WHERE t.`id` = (SELECT t2.`id` FROM `teams` t2 WHERE t2.`account_id` = t.`account_id` ORDER BY t2.`created_at`, t2.`id` LIMIT 1);

ALTER TABLE `contracts` ADD COLUMN IF NOT EXISTS `number` varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '';
ALTER TABLE `contracts` ADD COLUMN IF NOT EXISTS `products` varchar(2048) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '';
ALTER TABLE `contracts` ADD COLUMN IF NOT EXISTS `seats` bigint NOT NULL DEFAULT 0;
UPDATE `contracts` SET `number` = `id` WHERE `number` = '';
CREATE UNIQUE INDEX IF NOT EXISTS `idx_contracts_account_number` ON `contracts` (`account_id`,`number`);

CREATE TABLE IF NOT EXISTS `contract_users` (
  `contract_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `email_lower` varchar(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `account_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `email` varchar(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `added_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`contract_id`,`email_lower`),
  KEY `idx_contract_users_account` (`account_id`,`email_lower`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
