-- The admin console (issue 13): browser sessions (server-side, revocable,
-- idle and absolute timeouts) single-use login and password-reset links, and argon2id password hashes
-- for local sign-in. Only SHA-256
-- hashes of their secrets are stored (db/token.go). console_settings holds
-- a team's post-sign-in destinations.
-- +goose Up
CREATE TABLE console_sessions (
    hash character varying(64) NOT NULL,
    team_id character varying(36) NOT NULL,
    user_id character varying(36) NOT NULL,
    method character varying(16) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    last_seen_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    revoked_at timestamp with time zone,
    PRIMARY KEY (hash)
);
CREATE INDEX idx_console_sessions_user ON console_sessions (team_id, user_id);

CREATE TABLE console_links (
    hash character varying(64) NOT NULL,
    team_id character varying(36) NOT NULL,
    user_id character varying(36) NOT NULL,
    purpose character varying(16) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone,
    PRIMARY KEY (hash)
);

CREATE TABLE console_passwords (
    team_id character varying(36) NOT NULL,
    user_id character varying(36) NOT NULL,
    hash character varying(255) NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    PRIMARY KEY (team_id, user_id)
);

CREATE TABLE console_settings (
    team_id character varying(36) NOT NULL,
    admin_destination character varying(255) NOT NULL,
    user_destination character varying(255) NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    PRIMARY KEY (team_id)
);

-- +goose Down
DROP TABLE console_settings;
DROP TABLE console_passwords;
DROP TABLE console_links;
DROP TABLE console_sessions;
