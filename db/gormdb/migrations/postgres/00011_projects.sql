-- Products, projects and product access (issue 11 #5, R-MEM-4): a team's
-- product catalogue is data (one product the base, seed 002's Docs); a project
-- belongs to a team; a project member is a team user with a level and
-- per-product access. Teams that exist already get seed 002's catalogue, as
-- CreateTeam gives every new team.
-- +goose Up
CREATE TABLE products (
    team_id character varying(36) NOT NULL,
    product_key character varying(64) NOT NULL,
    name character varying(255) NOT NULL,
    is_base smallint NOT NULL DEFAULT 0,
    created_at timestamp with time zone,
    PRIMARY KEY (team_id, product_key)
);
CREATE TABLE projects (
    id character varying(36) NOT NULL,
    team_id character varying(36) NOT NULL,
    name character varying(255) NOT NULL,
    name_lower character varying(255) NOT NULL,
    created_at timestamp with time zone,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX idx_projects_team_name ON projects (team_id, name_lower);
CREATE TABLE project_members (
    project_id character varying(36) NOT NULL,
    user_id character varying(36) NOT NULL,
    team_id character varying(36) NOT NULL,
    level character varying(16) NOT NULL,
    created_at timestamp with time zone,
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX idx_project_members_user ON project_members (user_id);
CREATE TABLE project_access (
    project_id character varying(36) NOT NULL,
    user_id character varying(36) NOT NULL,
    product_key character varying(64) NOT NULL,
    team_id character varying(36) NOT NULL,
    PRIMARY KEY (project_id, user_id, product_key)
);
CREATE INDEX idx_project_access_user ON project_access (user_id);
CREATE INDEX idx_project_access_product ON project_access (team_id, product_key);
INSERT INTO products (team_id, product_key, name, is_base, created_at) SELECT id, 'docs', 'Docs', 1, created_at FROM teams;
INSERT INTO products (team_id, product_key, name, is_base, created_at) SELECT id, 'build', 'Build', 0, created_at FROM teams;
INSERT INTO products (team_id, product_key, name, is_base, created_at) SELECT id, 'cost', 'Cost', 0, created_at FROM teams;
INSERT INTO products (team_id, product_key, name, is_base, created_at) SELECT id, 'insight', 'Insight', 0, created_at FROM teams;
INSERT INTO products (team_id, product_key, name, is_base, created_at) SELECT id, 'design-collaboration', 'Design Collaboration', 0, created_at FROM teams;
INSERT INTO products (team_id, product_key, name, is_base, created_at) SELECT id, 'model-coordination', 'Model Coordination', 0, created_at FROM teams;
INSERT INTO products (team_id, product_key, name, is_base, created_at) SELECT id, 'takeoff', 'Takeoff', 0, created_at FROM teams;
