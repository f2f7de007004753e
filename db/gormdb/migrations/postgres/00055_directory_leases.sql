-- Directory sync leases (issue 14 #5): used on SQLite, which has no advisory
-- lock; PostgreSQL keeps pg_try_advisory_lock. The table exists on every
-- database so the schema history is the same.
-- +goose Up
CREATE TABLE directory_leases (
    connection_id character varying(36) NOT NULL,
    holder character varying(36) NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    PRIMARY KEY (connection_id)
);

-- +goose Down
DROP TABLE directory_leases;
