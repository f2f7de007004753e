-- Baseline: the schema of the release before issue 10 (made then by gorm
-- AutoMigrate under the legacy schema_migrations ids 0001_core .. 0400_policy),
-- written out so it never changes again. A database made by that release
-- has it already: Migrate records this version as applied without running it.
-- No Down section: rolling the baseline back would drop every table.
-- +goose Up

CREATE TABLE `accounts` (
    `id` text,
    `name` text NOT NULL,
    `created_at` datetime,
    PRIMARY KEY (`id`)
);

CREATE TABLE `teams` (
    `id` text,
    `account_id` text NOT NULL,
    `name` text NOT NULL,
    `primary_user_id` text NOT NULL,
    `policy_mode` text NOT NULL DEFAULT "default",
    `created_at` datetime,
    PRIMARY KEY (`id`)
);
CREATE INDEX `idx_teams_account` ON `teams`(`account_id`);

CREATE TABLE `team_domains` (
    `team_id` text,
    `domain` text,
    PRIMARY KEY (`team_id`,`domain`)
);

CREATE TABLE `users` (
    `id` text,
    `team_id` text NOT NULL,
    `email` text NOT NULL,
    `email_lower` text NOT NULL,
    `email_domain` text NOT NULL,
    `user_name` text NOT NULL,
    `user_name_lower` text NOT NULL,
    `first_name` text NOT NULL,
    `last_name` text NOT NULL,
    `status` text NOT NULL,
    `type` text NOT NULL,
    `source` text NOT NULL,
    `admin_role` text NOT NULL DEFAULT "",
    `external_id` text NOT NULL DEFAULT "",
    `attributes` blob,
    `version` integer NOT NULL,
    `created_at` datetime,
    `updated_at` datetime,
    PRIMARY KEY (`id`)
);
CREATE INDEX `idx_users_email` ON `users`(`email_lower`);
CREATE INDEX `idx_users_team_domain` ON `users`(`team_id`,`email_domain`);
CREATE INDEX `idx_users_team_external` ON `users`(`team_id`,`external_id`);
CREATE UNIQUE INDEX `idx_users_team_username` ON `users`(`team_id`,`user_name_lower`);
CREATE UNIQUE INDEX `idx_users_team_email` ON `users`(`team_id`,`email_lower`);

CREATE TABLE `admin_persons` (
    `email_lower` text,
    `account_id` text NOT NULL,
    PRIMARY KEY (`email_lower`)
);

CREATE TABLE `groups` (
    `id` text,
    `team_id` text NOT NULL,
    `display_name` text NOT NULL,
    `display_name_lower` text NOT NULL,
    `external_id` text NOT NULL DEFAULT "",
    `source` text NOT NULL,
    `attributes` blob,
    `member_count` integer NOT NULL DEFAULT 0,
    `version` integer NOT NULL,
    `created_at` datetime,
    `updated_at` datetime,
    PRIMARY KEY (`id`)
);
CREATE INDEX `idx_groups_team_external` ON `groups`(`team_id`,`external_id`);
CREATE UNIQUE INDEX `idx_groups_team_name` ON `groups`(`team_id`,`display_name_lower`);

CREATE TABLE `group_members` (
    `group_id` text,
    `user_id` text,
    `team_id` text NOT NULL,
    PRIMARY KEY (`group_id`,`user_id`)
);
CREATE INDEX `idx_members_user` ON `group_members`(`user_id`);

CREATE TABLE `tokens` (
    `id` text,
    `team_id` text NOT NULL,
    `kind` text NOT NULL,
    `user_id` text NOT NULL DEFAULT "",
    `prefix` text NOT NULL,
    `hash` text NOT NULL,
    `created_at` datetime,
    `last_used_at` datetime,
    `revoked_at` datetime,
    PRIMARY KEY (`id`)
);
CREATE UNIQUE INDEX `idx_tokens_hash` ON `tokens`(`hash`);
CREATE INDEX `idx_tokens_team` ON `tokens`(`team_id`);

CREATE TABLE `audit_log` (
    `id` integer PRIMARY KEY AUTOINCREMENT,
    `team_id` text NOT NULL,
    `at` datetime NOT NULL,
    `actor_kind` text NOT NULL,
    `actor_id` text NOT NULL,
    `actor_name` text NOT NULL,
    `action` text NOT NULL,
    `target_kind` text NOT NULL,
    `target_id` text NOT NULL,
    `details` text
);
CREATE INDEX `idx_audit_team` ON `audit_log`(`team_id`);

CREATE TABLE `contracts` (
    `id` text,
    `account_id` text NOT NULL,
    `name` text NOT NULL,
    `contract_manager` text NOT NULL,
    `software_coordinator` text NOT NULL,
    `created_at` datetime,
    PRIMARY KEY (`id`)
);
CREATE INDEX `idx_contracts_account` ON `contracts`(`account_id`);

CREATE TABLE `settings` (
    `name` text,
    `value` text NOT NULL,
    `updated_at` datetime,
    PRIMARY KEY (`name`)
);

CREATE TABLE `user_emails` (
    `user_id` text,
    `position` integer,
    `team_id` text NOT NULL,
    `value_lower` text NOT NULL,
    `type_lower` text NOT NULL DEFAULT "",
    `value` text NOT NULL,
    `type` text NOT NULL DEFAULT "",
    `is_primary` numeric NOT NULL DEFAULT false,
    PRIMARY KEY (`user_id`,`position`)
);
CREATE INDEX `idx_user_emails_lookup` ON `user_emails`(`team_id`,`value_lower`);
CREATE INDEX idx_users_team_id ON "users" (team_id, id);
CREATE INDEX idx_users_team_created ON "users" (team_id, created_at);
CREATE INDEX idx_groups_team_id ON "groups" (team_id, id);

CREATE TABLE `directory_connections` (
    `id` text,
    `team_id` text NOT NULL,
    `kind` text NOT NULL,
    `url` text NOT NULL,
    `start_tls` numeric NOT NULL,
    `bind_dn` text NOT NULL,
    `password_ref` text NOT NULL,
    `base_dn` text NOT NULL,
    `user_filter` text,
    `group_filter` text,
    `mapping` text,
    `capem` text,
    `tls_pin` text NOT NULL DEFAULT "",
    `interval_sec` integer NOT NULL,
    `delete_limit` integer NOT NULL DEFAULT 0,
    `enabled` numeric NOT NULL,
    `created_at` datetime,
    `updated_at` datetime,
    PRIMARY KEY (`id`)
);
CREATE INDEX `idx_dirconn_team` ON `directory_connections`(`team_id`);

CREATE TABLE `directory_cursors` (
    `connection_id` text,
    `cookie` blob,
    `scope_hash` text NOT NULL,
    `full_at` datetime,
    `updated_at` datetime,
    PRIMARY KEY (`connection_id`)
);

CREATE TABLE `directory_anchors` (
    `connection_id` text,
    `anchor` text,
    `kind` text NOT NULL,
    `target_id` text NOT NULL,
    `dn` text,
    `dn_hash` text NOT NULL,
    `hash` text NOT NULL,
    PRIMARY KEY (`connection_id`,`anchor`)
);
CREATE INDEX `idx_diranchor_target` ON `directory_anchors`(`target_id`);
CREATE INDEX `idx_diranchor_dn` ON `directory_anchors`(`connection_id`,`dn_hash`);

CREATE TABLE `directory_runs` (
    `id` integer PRIMARY KEY AUTOINCREMENT,
    `connection_id` text NOT NULL,
    `team_id` text NOT NULL,
    `mode` text NOT NULL,
    `dry_run` numeric NOT NULL,
    `started_at` datetime NOT NULL,
    `duration_ms` integer NOT NULL,
    `counts` text,
    `error` text
);
CREATE INDEX `idx_dirrun_team` ON `directory_runs`(`team_id`);
CREATE INDEX `idx_dirrun_conn` ON `directory_runs`(`connection_id`);

CREATE TABLE `sso_configs` (
    `team_id` text,
    `id_p_metadata_xml` text,
    `id_p_metadata_url` text NOT NULL DEFAULT "",
    `id_p_entity_id` text NOT NULL DEFAULT "",
    `metadata_refreshed_at` datetime,
    `metadata_error` text NOT NULL DEFAULT "",
    `metadata_error_at` datetime,
    `trusted_certs` text,
    `domains` text,
    `attribute_preset` text NOT NULL DEFAULT "generic",
    `attributes` text,
    `jit` numeric NOT NULL DEFAULT false,
    `allow_id_p_initiated` numeric NOT NULL DEFAULT false,
    `enforce_sso` numeric NOT NULL DEFAULT false,
    `allow_sha1` numeric NOT NULL DEFAULT false,
    `clock_skew_millis` integer NOT NULL DEFAULT 0,
    `version` integer NOT NULL,
    `updated_at` datetime,
    PRIMARY KEY (`team_id`)
);

CREATE TABLE `sso_keys` (
    `id` text,
    `team_id` text NOT NULL,
    `private_key_pem` text,
    `cert_pem` text,
    `created_at` datetime,
    PRIMARY KEY (`id`)
);
CREATE INDEX `idx_sso_keys_team` ON `sso_keys`(`team_id`);

CREATE TABLE `sso_requests` (
    `relay_state` text,
    `team_id` text NOT NULL,
    `request_id` text NOT NULL,
    `return_to` text NOT NULL DEFAULT "",
    `test_by` text NOT NULL DEFAULT "",
    `expires_at` datetime NOT NULL,
    PRIMARY KEY (`relay_state`)
);
CREATE INDEX `idx_sso_requests_expires` ON `sso_requests`(`expires_at`);

CREATE TABLE `sso_assertions` (
    `team_id` text,
    `assertion_id` text,
    `expires_at` datetime NOT NULL,
    PRIMARY KEY (`team_id`,`assertion_id`)
);
CREATE INDEX `idx_sso_assertions_expires` ON `sso_assertions`(`expires_at`);

CREATE TABLE `sso_sessions` (
    `hash` text,
    `team_id` text NOT NULL,
    `user_id` text NOT NULL,
    `created_at` datetime NOT NULL,
    `expires_at` datetime NOT NULL,
    PRIMARY KEY (`hash`)
);
CREATE INDEX `idx_sso_sessions_expires` ON `sso_sessions`(`expires_at`);
CREATE INDEX `idx_sso_sessions_user` ON `sso_sessions`(`user_id`);
CREATE INDEX idx_users_policy ON users (team_id, id, admin_role, type, source, email_domain);
