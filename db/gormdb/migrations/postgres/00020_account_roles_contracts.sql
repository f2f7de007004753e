-- Issue 12: the account (subscription) ladder and classic user management
-- (see the sqlite file of the same number for the why).
-- +goose Up
CREATE TABLE account_members (
    account_id character varying(36) NOT NULL,
    email_lower character varying(254) NOT NULL,
    email character varying(254) NOT NULL,
    first_name character varying(255) NOT NULL DEFAULT '',
    last_name character varying(255) NOT NULL DEFAULT '',
    role character varying(32) NOT NULL DEFAULT '',
    status character varying(16) NOT NULL DEFAULT 'active',
    created_at timestamp with time zone,
    updated_at timestamp with time zone,
    PRIMARY KEY (account_id, email_lower)
);
CREATE INDEX idx_account_members_role ON account_members (account_id, role);

INSERT INTO account_members (account_id, email_lower, email, first_name, last_name, role, status, created_at, updated_at)
SELECT t.account_id, u.email_lower, u.email, u.first_name, u.last_name, 'owner', 'active', t.created_at, t.created_at
FROM teams t JOIN users u ON u.id = t.primary_user_id
WHERE t.id = (SELECT t2.id FROM teams t2 WHERE t2.account_id = t.account_id ORDER BY t2.created_at, t2.id LIMIT 1);

ALTER TABLE contracts ADD COLUMN number character varying(64) NOT NULL DEFAULT '';
ALTER TABLE contracts ADD COLUMN products text NOT NULL DEFAULT '';
ALTER TABLE contracts ADD COLUMN seats bigint NOT NULL DEFAULT 0;
UPDATE contracts SET number = id WHERE number = '';
CREATE UNIQUE INDEX idx_contracts_account_number ON contracts (account_id, number);

CREATE TABLE contract_users (
    contract_id character varying(36) NOT NULL,
    email_lower character varying(254) NOT NULL,
    account_id character varying(36) NOT NULL,
    email character varying(254) NOT NULL,
    added_at timestamp with time zone,
    PRIMARY KEY (contract_id, email_lower)
);
CREATE INDEX idx_contract_users_account ON contract_users (account_id, email_lower);
