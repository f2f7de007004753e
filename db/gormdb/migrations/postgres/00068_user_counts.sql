-- The number of users of each team, kept by triggers in the transaction of
-- every insert and delete of a user (issue 15): SCIM answers every list page
-- with totalResults, and COUNT(*) over a team of 1,000,000 users cost tens
-- of milliseconds per page. Each change adds a row (+1 or -1) instead of
-- updating one counter row, so concurrent creates in one team never wait on
-- each other; the store folds a team's rows into one when they pile up
-- (gormdb userCount). The sum is exact after any write, whatever path made it.
-- +goose Up
CREATE TABLE user_count_deltas (
    id bigserial PRIMARY KEY,
    team_id character varying(36) NOT NULL,
    delta bigint NOT NULL
);
CREATE INDEX idx_user_count_deltas_team ON user_count_deltas (team_id, delta);
INSERT INTO user_count_deltas (team_id, delta) SELECT team_id, COUNT(*) FROM users GROUP BY team_id;
-- +goose StatementBegin
CREATE FUNCTION users_count_delta() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO user_count_deltas (team_id, delta) VALUES (NEW.team_id, 1);
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO user_count_deltas (team_id, delta) VALUES (OLD.team_id, -1);
    ELSIF NEW.team_id <> OLD.team_id THEN
        INSERT INTO user_count_deltas (team_id, delta) VALUES (OLD.team_id, -1), (NEW.team_id, 1);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER users_count AFTER INSERT OR DELETE OR UPDATE OF team_id ON users
    FOR EACH ROW EXECUTE FUNCTION users_count_delta();

-- +goose Down
DROP TRIGGER users_count ON users;
DROP FUNCTION users_count_delta();
DROP TABLE user_count_deltas;
