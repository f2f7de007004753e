-- Members (issue 11 #1): a team user's company, job role and account access
-- level live beside the user row, one row per user that has been given any;
-- a user without a row has no company or role and the level "member".
-- Companies are a team-level list, kept by the members that name them.
-- +goose Up
CREATE TABLE member_profiles (
    user_id character varying(36) NOT NULL,
    team_id character varying(36) NOT NULL,
    company character varying(255) NOT NULL DEFAULT '',
    company_lower character varying(255) NOT NULL DEFAULT '',
    job_role character varying(255) NOT NULL DEFAULT '',
    job_role_lower character varying(255) NOT NULL DEFAULT '',
    access_level character varying(32) NOT NULL DEFAULT 'member',
    updated_at timestamp with time zone,
    PRIMARY KEY (user_id)
);
CREATE INDEX idx_member_profiles_team_company ON member_profiles (team_id, company_lower, user_id);
CREATE TABLE team_companies (
    team_id character varying(36) NOT NULL,
    name_lower character varying(255) NOT NULL,
    name character varying(255) NOT NULL,
    PRIMARY KEY (team_id, name_lower)
);
