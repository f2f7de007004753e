-- Console sign-in throttling in the database (issue 13): one row per failed
-- password, code or reset attempt, keyed by a SHA-256 of the throttle's
-- scope and the account or client address, so replicas share the counts.
-- +goose Up
CREATE TABLE console_throttle (
    id bigserial NOT NULL,
    key_hash character varying(64) NOT NULL,
    at timestamp with time zone NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX idx_console_throttle_key ON console_throttle (key_hash, at);

-- +goose Down
DROP TABLE console_throttle;
