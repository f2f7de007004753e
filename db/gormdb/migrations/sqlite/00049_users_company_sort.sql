-- The members list sorted by company (R-MEM-6): users.company_lower is a
-- copy of the member's lowercased company ('' without a profile), kept by the
-- store in the same transaction as the profile, so (team_id, company_lower,
-- id) serves the keyset page directly instead of sorting the whole team.
-- +goose Up
ALTER TABLE users ADD COLUMN company_lower text NOT NULL DEFAULT '';
UPDATE users SET company_lower = COALESCE((SELECT mp.company_lower FROM member_profiles mp WHERE mp.user_id = users.id), '');
CREATE INDEX idx_users_team_company ON users (team_id, company_lower, id);
