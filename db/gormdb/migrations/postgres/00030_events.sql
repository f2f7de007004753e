-- The transactional outbox (issue 14 #4): one row per audited change,
-- written in the transaction of its audit row, so no event is lost and
-- none is invented. Read in id order by GET /api/v1/teams/{team}/events.
-- +goose Up
CREATE TABLE events (
    id bigserial NOT NULL,
    team_id character varying(36) NOT NULL,
    at timestamp with time zone NOT NULL,
    type character varying(64) NOT NULL,
    audit_id bigint NOT NULL,
    target_kind character varying(32) NOT NULL,
    target_id character varying(64) NOT NULL,
    payload text NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX idx_events_team ON events (team_id, id);

-- +goose Down
DROP TABLE events;
