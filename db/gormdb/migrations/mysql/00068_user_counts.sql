-- The number of users of each team, kept by triggers in the transaction of
-- every insert and delete of a user (issue 15): SCIM answers every list page
-- with totalResults, and COUNT(*) over a team of 1,000,000 users cost tens
-- of milliseconds per page. Each change adds a row (+1 or -1) instead of
-- updating one counter row, so concurrent creates in one team never wait on
-- each other; the store folds a team's rows into one when they pile up
-- (gormdb userCount). The sum is exact after any write, whatever path made it.
-- +goose Up
CREATE TABLE `user_count_deltas` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `team_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `delta` bigint NOT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_user_count_deltas_team` (`team_id`, `delta`)
);
INSERT INTO user_count_deltas (team_id, delta) SELECT team_id, COUNT(*) FROM users GROUP BY team_id;
CREATE TRIGGER users_count_insert AFTER INSERT ON users FOR EACH ROW
    INSERT INTO user_count_deltas (team_id, delta) VALUES (NEW.team_id, 1);
CREATE TRIGGER users_count_delete AFTER DELETE ON users FOR EACH ROW
    INSERT INTO user_count_deltas (team_id, delta) VALUES (OLD.team_id, -1);
-- +goose StatementBegin
CREATE TRIGGER users_count_move AFTER UPDATE ON users FOR EACH ROW
BEGIN
    IF NEW.team_id <> OLD.team_id THEN
        INSERT INTO user_count_deltas (team_id, delta) VALUES (OLD.team_id, -1), (NEW.team_id, 1);
    END IF;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER users_count_move;
DROP TRIGGER users_count_delete;
DROP TRIGGER users_count_insert;
DROP TABLE user_count_deltas;
