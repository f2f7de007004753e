-- The members list sorted by company (R-MEM-6): users.company_lower is a
-- copy of the member's lowercased company ('' without a profile), kept by the
-- store in the same transaction as the profile, so (team_id, company_lower,
-- id) serves the keyset page directly instead of sorting the whole team.
-- Safe to re-run (MariaDB commits DDL as it goes).
-- +goose Up
ALTER TABLE `users` ADD COLUMN IF NOT EXISTS `company_lower` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '';
UPDATE `users` u JOIN `member_profiles` mp ON mp.user_id = u.id SET u.company_lower = mp.company_lower;
CREATE INDEX IF NOT EXISTS `idx_users_team_company` ON `users` (`team_id`, `company_lower`, `id`);
