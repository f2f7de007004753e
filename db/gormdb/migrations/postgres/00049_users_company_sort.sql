-- The members list sorted by company (R-MEM-6) on a team of 10,000 sorted
-- every member on each page: the sort key lived only in member_profiles,
-- behind a LEFT JOIN no index could order. users.company_lower is a copy of
-- the member's lowercased company ('' without a profile), kept by the store
-- in the same transaction as the profile, so (team_id, company_lower, id)
-- serves the keyset page directly.
-- +goose Up
ALTER TABLE users ADD COLUMN company_lower character varying(255) NOT NULL DEFAULT '';
UPDATE users SET company_lower = mp.company_lower FROM member_profiles mp WHERE mp.user_id = users.id;
CREATE INDEX idx_users_team_company ON users (team_id, company_lower, id);
