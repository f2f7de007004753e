-- Console second factor (issue 13): authenticator-app (TOTP, RFC 6238)
-- enrolments and their recovery codes. sealed is the secret encrypted by
-- the console with AES-256-GCM (console.secret_key), never the secret;
-- recovery codes are stored as SHA-256 hashes. last_step makes every code
-- single-use across replicas.
-- +goose Up
CREATE TABLE console_totp (
    team_id character varying(36) NOT NULL,
    user_id character varying(36) NOT NULL,
    sealed bytea NOT NULL,
    confirmed_at timestamp with time zone,
    last_step bigint NOT NULL DEFAULT 0,
    created_at timestamp with time zone NOT NULL,
    PRIMARY KEY (team_id, user_id)
);

CREATE TABLE console_recovery_codes (
    team_id character varying(36) NOT NULL,
    user_id character varying(36) NOT NULL,
    hash character varying(64) NOT NULL,
    used_at timestamp with time zone,
    PRIMARY KEY (team_id, user_id, hash)
);

-- +goose Down
DROP TABLE console_recovery_codes;
DROP TABLE console_totp;
