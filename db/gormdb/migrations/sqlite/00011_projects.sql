-- Products, projects and product access (issue 11 #5, R-MEM-4): a team's
-- product catalogue is data (one product the base, seed 002's Docs); a project
-- belongs to a team; a project member is a team user with a level and
-- per-product access. Teams that exist already get seed 002's catalogue, as
-- CreateTeam gives every new team.
-- +goose Up
CREATE TABLE `products` (
    `team_id` text NOT NULL,
    `product_key` text NOT NULL,
    `name` text NOT NULL,
    `is_base` integer NOT NULL DEFAULT 0,
    `created_at` datetime,
    PRIMARY KEY (`team_id`,`product_key`)
);
CREATE TABLE `projects` (
    `id` text NOT NULL,
    `team_id` text NOT NULL,
    `name` text NOT NULL,
    `name_lower` text NOT NULL,
    `created_at` datetime,
    PRIMARY KEY (`id`)
);
CREATE UNIQUE INDEX `idx_projects_team_name` ON `projects`(`team_id`,`name_lower`);
CREATE TABLE `project_members` (
    `project_id` text NOT NULL,
    `user_id` text NOT NULL,
    `team_id` text NOT NULL,
    `level` text NOT NULL,
    `created_at` datetime,
    PRIMARY KEY (`project_id`,`user_id`)
);
CREATE INDEX `idx_project_members_user` ON `project_members`(`user_id`);
CREATE TABLE `project_access` (
    `project_id` text NOT NULL,
    `user_id` text NOT NULL,
    `product_key` text NOT NULL,
    `team_id` text NOT NULL,
    PRIMARY KEY (`project_id`,`user_id`,`product_key`)
);
CREATE INDEX `idx_project_access_user` ON `project_access`(`user_id`);
CREATE INDEX `idx_project_access_product` ON `project_access`(`team_id`,`product_key`);
INSERT INTO products (team_id, product_key, name, is_base, created_at) SELECT id, 'docs', 'Docs', 1, created_at FROM teams;
INSERT INTO products (team_id, product_key, name, is_base, created_at) SELECT id, 'build', 'Build', 0, created_at FROM teams;
INSERT INTO products (team_id, product_key, name, is_base, created_at) SELECT id, 'cost', 'Cost', 0, created_at FROM teams;
INSERT INTO products (team_id, product_key, name, is_base, created_at) SELECT id, 'insight', 'Insight', 0, created_at FROM teams;
INSERT INTO products (team_id, product_key, name, is_base, created_at) SELECT id, 'design-collaboration', 'Design Collaboration', 0, created_at FROM teams;
INSERT INTO products (team_id, product_key, name, is_base, created_at) SELECT id, 'model-coordination', 'Model Coordination', 0, created_at FROM teams;
INSERT INTO products (team_id, product_key, name, is_base, created_at) SELECT id, 'takeoff', 'Takeoff', 0, created_at FROM teams;
