-- Members (issue 11 #1): a team user's company, job role and account access
-- level live beside the user row, one row per user that has been given any;
-- a user without a row has no company or role and the level "member".
-- Companies are a team-level list, kept by the members that name them.
-- +goose Up
CREATE TABLE `member_profiles` (
    `user_id` text NOT NULL,
    `team_id` text NOT NULL,
    `company` text NOT NULL DEFAULT '',
    `company_lower` text NOT NULL DEFAULT '',
    `job_role` text NOT NULL DEFAULT '',
    `job_role_lower` text NOT NULL DEFAULT '',
    `access_level` text NOT NULL DEFAULT 'member',
    `updated_at` datetime,
    PRIMARY KEY (`user_id`)
);
CREATE INDEX `idx_member_profiles_team_company` ON `member_profiles`(`team_id`,`company_lower`,`user_id`);
CREATE TABLE `team_companies` (
    `team_id` text NOT NULL,
    `name_lower` text NOT NULL,
    `name` text NOT NULL,
    PRIMARY KEY (`team_id`,`name_lower`)
);
