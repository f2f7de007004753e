-- Baseline: the schema of the release before issue 10 (made then by gorm
-- AutoMigrate under the legacy schema_migrations ids 0001_core .. 0400_policy),
-- written out so it never changes again. A database made by that release
-- has it already: Migrate records this version as applied without running it.
-- No Down section: rolling the baseline back would drop every table.
-- +goose Up

CREATE TABLE accounts (
    id character varying(36) NOT NULL,
    name character varying(255) NOT NULL,
    created_at timestamp with time zone,
    PRIMARY KEY (id)
);

CREATE TABLE admin_persons (
    email_lower character varying(254) NOT NULL,
    account_id character varying(36) NOT NULL,
    PRIMARY KEY (email_lower)
);

CREATE TABLE audit_log (
    id bigserial NOT NULL,
    team_id character varying(36) NOT NULL,
    at timestamp with time zone NOT NULL,
    actor_kind character varying(16) NOT NULL,
    actor_id character varying(64) NOT NULL,
    actor_name character varying(255) NOT NULL,
    action character varying(64) NOT NULL,
    target_kind character varying(32) NOT NULL,
    target_id character varying(64) NOT NULL,
    details text,
    PRIMARY KEY (id)
);

CREATE TABLE contracts (
    id character varying(36) NOT NULL,
    account_id character varying(36) NOT NULL,
    name character varying(255) NOT NULL,
    contract_manager character varying(254) NOT NULL,
    software_coordinator character varying(254) NOT NULL,
    created_at timestamp with time zone,
    PRIMARY KEY (id)
);

CREATE TABLE directory_anchors (
    connection_id character varying(36) NOT NULL,
    anchor character varying(64) NOT NULL,
    kind character varying(8) NOT NULL,
    target_id character varying(36) NOT NULL,
    dn text,
    dn_hash character varying(64) NOT NULL,
    hash character varying(64) NOT NULL,
    PRIMARY KEY (connection_id, anchor)
);

CREATE TABLE directory_connections (
    id character varying(36) NOT NULL,
    team_id character varying(36) NOT NULL,
    kind character varying(16) NOT NULL,
    url character varying(512) NOT NULL,
    start_tls boolean NOT NULL,
    bind_dn character varying(1024) NOT NULL,
    password_ref text NOT NULL,
    base_dn character varying(1024) NOT NULL,
    user_filter text,
    group_filter text,
    mapping text,
    capem text,
    tls_pin character varying(64) DEFAULT ''::character varying NOT NULL,
    interval_sec bigint NOT NULL,
    delete_limit bigint DEFAULT 0 NOT NULL,
    enabled boolean NOT NULL,
    created_at timestamp with time zone,
    updated_at timestamp with time zone,
    PRIMARY KEY (id)
);

CREATE TABLE directory_cursors (
    connection_id character varying(36) NOT NULL,
    cookie bytea,
    scope_hash character varying(64) NOT NULL,
    full_at timestamp with time zone,
    updated_at timestamp with time zone,
    PRIMARY KEY (connection_id)
);

CREATE TABLE directory_runs (
    id bigserial NOT NULL,
    connection_id character varying(36) NOT NULL,
    team_id character varying(36) NOT NULL,
    mode character varying(8) NOT NULL,
    dry_run boolean NOT NULL,
    started_at timestamp with time zone NOT NULL,
    duration_ms bigint NOT NULL,
    counts text,
    error text,
    PRIMARY KEY (id)
);

CREATE TABLE group_members (
    group_id character varying(36) NOT NULL,
    user_id character varying(36) NOT NULL,
    team_id character varying(36) NOT NULL,
    PRIMARY KEY (group_id, user_id)
);

CREATE TABLE groups (
    id character varying(36) NOT NULL,
    team_id character varying(36) NOT NULL,
    display_name character varying(255) NOT NULL,
    display_name_lower character varying(255) NOT NULL,
    external_id character varying(255) DEFAULT ''::character varying NOT NULL,
    source character varying(16) NOT NULL,
    attributes bytea,
    member_count bigint DEFAULT 0 NOT NULL,
    version bigint NOT NULL,
    created_at timestamp with time zone,
    updated_at timestamp with time zone,
    PRIMARY KEY (id)
);

CREATE TABLE settings (
    name character varying(100) NOT NULL,
    value character varying(2000) NOT NULL,
    updated_at timestamp with time zone,
    PRIMARY KEY (name)
);

CREATE TABLE sso_assertions (
    team_id character varying(36) NOT NULL,
    assertion_id character varying(255) NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    PRIMARY KEY (team_id, assertion_id)
);

CREATE TABLE sso_configs (
    team_id character varying(36) NOT NULL,
    id_p_metadata_xml text,
    id_p_metadata_url character varying(2048) DEFAULT ''::character varying NOT NULL,
    id_p_entity_id character varying(1024) DEFAULT ''::character varying NOT NULL,
    metadata_refreshed_at timestamp with time zone,
    metadata_error character varying(1024) DEFAULT ''::character varying NOT NULL,
    metadata_error_at timestamp with time zone,
    trusted_certs text,
    domains text,
    attribute_preset character varying(16) DEFAULT 'generic'::character varying NOT NULL,
    attributes text,
    jit boolean DEFAULT false NOT NULL,
    allow_id_p_initiated boolean DEFAULT false NOT NULL,
    enforce_sso boolean DEFAULT false NOT NULL,
    allow_sha1 boolean DEFAULT false NOT NULL,
    clock_skew_millis bigint DEFAULT 0 NOT NULL,
    version bigint NOT NULL,
    updated_at timestamp with time zone,
    PRIMARY KEY (team_id)
);

CREATE TABLE sso_keys (
    id character varying(36) NOT NULL,
    team_id character varying(36) NOT NULL,
    private_key_pem text,
    cert_pem text,
    created_at timestamp with time zone,
    PRIMARY KEY (id)
);

CREATE TABLE sso_requests (
    relay_state character varying(64) NOT NULL,
    team_id character varying(36) NOT NULL,
    request_id character varying(128) NOT NULL,
    return_to character varying(2048) DEFAULT ''::character varying NOT NULL,
    test_by character varying(36) DEFAULT ''::character varying NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    PRIMARY KEY (relay_state)
);

CREATE TABLE sso_sessions (
    hash character varying(64) NOT NULL,
    team_id character varying(36) NOT NULL,
    user_id character varying(36) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    PRIMARY KEY (hash)
);

CREATE TABLE team_domains (
    team_id character varying(36) NOT NULL,
    domain character varying(253) NOT NULL,
    PRIMARY KEY (team_id, domain)
);

CREATE TABLE teams (
    id character varying(36) NOT NULL,
    account_id character varying(36) NOT NULL,
    name character varying(255) NOT NULL,
    primary_user_id character varying(36) NOT NULL,
    policy_mode character varying(16) DEFAULT 'default'::character varying NOT NULL,
    created_at timestamp with time zone,
    PRIMARY KEY (id)
);

CREATE TABLE tokens (
    id character varying(36) NOT NULL,
    team_id character varying(36) NOT NULL,
    kind character varying(16) NOT NULL,
    user_id character varying(36) DEFAULT ''::character varying NOT NULL,
    prefix character varying(16) NOT NULL,
    hash character varying(64) NOT NULL,
    created_at timestamp with time zone,
    last_used_at timestamp with time zone,
    revoked_at timestamp with time zone,
    PRIMARY KEY (id)
);

CREATE TABLE user_emails (
    user_id character varying(36) NOT NULL,
    "position" bigint NOT NULL,
    team_id character varying(36) NOT NULL,
    value_lower character varying(254) NOT NULL,
    type_lower character varying(32) DEFAULT ''::character varying NOT NULL,
    value character varying(254) NOT NULL,
    type character varying(32) DEFAULT ''::character varying NOT NULL,
    is_primary boolean DEFAULT false NOT NULL,
    PRIMARY KEY (user_id, "position")
);

CREATE TABLE users (
    id character varying(36) NOT NULL,
    team_id character varying(36) NOT NULL,
    email character varying(254) NOT NULL,
    email_lower character varying(254) NOT NULL,
    email_domain character varying(253) NOT NULL,
    user_name character varying(255) NOT NULL,
    user_name_lower character varying(255) NOT NULL,
    first_name character varying(255) NOT NULL,
    last_name character varying(255) NOT NULL,
    status character varying(16) NOT NULL,
    type character varying(16) NOT NULL,
    source character varying(16) NOT NULL,
    admin_role character varying(16) DEFAULT ''::character varying NOT NULL,
    external_id character varying(255) DEFAULT ''::character varying NOT NULL,
    attributes bytea,
    version bigint NOT NULL,
    created_at timestamp with time zone,
    updated_at timestamp with time zone,
    PRIMARY KEY (id)
);

CREATE INDEX idx_audit_team ON audit_log (team_id);
CREATE INDEX idx_contracts_account ON contracts (account_id);
CREATE INDEX idx_diranchor_dn ON directory_anchors (connection_id, dn_hash);
CREATE INDEX idx_diranchor_target ON directory_anchors (target_id);
CREATE INDEX idx_dirconn_team ON directory_connections (team_id);
CREATE INDEX idx_dirrun_conn ON directory_runs (connection_id);
CREATE INDEX idx_dirrun_team ON directory_runs (team_id);
CREATE INDEX idx_groups_team_external ON groups (team_id, external_id);
CREATE INDEX idx_groups_team_id ON groups (team_id, id);
CREATE UNIQUE INDEX idx_groups_team_name ON groups (team_id, display_name_lower);
CREATE INDEX idx_members_user ON group_members (user_id);
CREATE INDEX idx_sso_assertions_expires ON sso_assertions (expires_at);
CREATE INDEX idx_sso_keys_team ON sso_keys (team_id);
CREATE INDEX idx_sso_requests_expires ON sso_requests (expires_at);
CREATE INDEX idx_sso_sessions_expires ON sso_sessions (expires_at);
CREATE INDEX idx_sso_sessions_user ON sso_sessions (user_id);
CREATE INDEX idx_teams_account ON teams (account_id);
CREATE UNIQUE INDEX idx_tokens_hash ON tokens (hash);
CREATE INDEX idx_tokens_team ON tokens (team_id);
CREATE INDEX idx_user_emails_lookup ON user_emails (team_id, value_lower);
CREATE INDEX idx_users_email ON users (email_lower);
CREATE INDEX idx_users_policy ON users (team_id, id, admin_role, type, source, email_domain);
CREATE INDEX idx_users_team_created ON users (team_id, created_at);
CREATE INDEX idx_users_team_domain ON users (team_id, email_domain);
CREATE UNIQUE INDEX idx_users_team_email ON users (team_id, email_lower);
CREATE INDEX idx_users_team_external ON users (team_id, external_id);
CREATE INDEX idx_users_team_id ON users (team_id, id);
CREATE UNIQUE INDEX idx_users_team_username ON users (team_id, user_name_lower);
