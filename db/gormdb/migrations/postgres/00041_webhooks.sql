-- Webhooks (issue 14 #4): endpoints a team registers, one delivery row per
-- (event, endpoint) queued in the event's own transaction, and one row per
-- HTTP attempt. Dispatchers on every replica lease due deliveries with an
-- atomic conditional UPDATE (lease_owner, lease_until); the attempts
-- primary key (delivery_id, n) makes a second copy of one attempt impossible.
-- +goose Up
CREATE TABLE webhook_endpoints (
    id character varying(36) NOT NULL,
    team_id character varying(36) NOT NULL,
    url text NOT NULL,
    events text NOT NULL DEFAULT '',
    sealed_secret text NOT NULL,
    enabled boolean NOT NULL DEFAULT true,
    disabled_at timestamp with time zone,
    last_success_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX idx_webhook_endpoints_team ON webhook_endpoints (team_id);
CREATE TABLE webhook_deliveries (
    id character varying(36) NOT NULL,
    team_id character varying(36) NOT NULL,
    endpoint_id character varying(36) NOT NULL,
    event_id bigint NOT NULL,
    event_type character varying(64) NOT NULL,
    status character varying(16) NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamp with time zone NOT NULL,
    lease_owner character varying(64) NOT NULL DEFAULT '',
    lease_until timestamp with time zone,
    last_status integer NOT NULL DEFAULT 0,
    last_error character varying(255) NOT NULL DEFAULT '',
    replay_of character varying(36) NOT NULL DEFAULT '',
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX idx_webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX idx_webhook_deliveries_team ON webhook_deliveries (team_id, created_at);
CREATE INDEX idx_webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id);
CREATE TABLE webhook_attempts (
    delivery_id character varying(36) NOT NULL,
    n integer NOT NULL,
    at timestamp with time zone NOT NULL,
    owner character varying(64) NOT NULL,
    status integer NOT NULL,
    error character varying(255) NOT NULL DEFAULT '',
    duration_ms bigint NOT NULL,
    response_prefix text NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, n)
);

-- +goose Down
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
