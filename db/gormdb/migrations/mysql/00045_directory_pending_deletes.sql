-- The console's Directory page (issue 13): a run the deletion threshold
-- stopped records how many removals it held back and the limit, so the
-- page can show the waiting run and let an admin confirm it.
-- +goose Up
ALTER TABLE `directory_runs` ADD COLUMN `pending_deletes` bigint NOT NULL DEFAULT 0;
ALTER TABLE `directory_runs` ADD COLUMN `delete_limit` bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE `directory_runs` DROP COLUMN `delete_limit`;
ALTER TABLE `directory_runs` DROP COLUMN `pending_deletes`;
