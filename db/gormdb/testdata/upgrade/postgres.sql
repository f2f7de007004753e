
CREATE TABLE public.accounts (
    id character varying(36) NOT NULL,
    name character varying(255) NOT NULL,
    created_at timestamp with time zone
);

CREATE TABLE public.admin_persons (
    email_lower character varying(254) NOT NULL,
    account_id character varying(36) NOT NULL
);

CREATE TABLE public.audit_log (
    id bigint NOT NULL,
    team_id character varying(36) NOT NULL,
    at timestamp with time zone NOT NULL,
    actor_kind character varying(16) NOT NULL,
    actor_id character varying(64) NOT NULL,
    actor_name character varying(255) NOT NULL,
    action character varying(64) NOT NULL,
    target_kind character varying(32) NOT NULL,
    target_id character varying(64) NOT NULL,
    details text
);

CREATE SEQUENCE public.audit_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.audit_log_id_seq OWNED BY public.audit_log.id;

CREATE TABLE public.contracts (
    id character varying(36) NOT NULL,
    account_id character varying(36) NOT NULL,
    name character varying(255) NOT NULL,
    contract_manager character varying(254) NOT NULL,
    software_coordinator character varying(254) NOT NULL,
    created_at timestamp with time zone
);

CREATE TABLE public.directory_anchors (
    connection_id character varying(36) NOT NULL,
    anchor character varying(64) NOT NULL,
    kind character varying(8) NOT NULL,
    target_id character varying(36) NOT NULL,
    dn text,
    dn_hash character varying(64) NOT NULL,
    hash character varying(64) NOT NULL
);

CREATE TABLE public.directory_connections (
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
    updated_at timestamp with time zone
);

CREATE TABLE public.directory_cursors (
    connection_id character varying(36) NOT NULL,
    cookie bytea,
    scope_hash character varying(64) NOT NULL,
    full_at timestamp with time zone,
    updated_at timestamp with time zone
);

CREATE TABLE public.directory_runs (
    id bigint NOT NULL,
    connection_id character varying(36) NOT NULL,
    team_id character varying(36) NOT NULL,
    mode character varying(8) NOT NULL,
    dry_run boolean NOT NULL,
    started_at timestamp with time zone NOT NULL,
    duration_ms bigint NOT NULL,
    counts text,
    error text
);

CREATE SEQUENCE public.directory_runs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.directory_runs_id_seq OWNED BY public.directory_runs.id;

CREATE TABLE public.group_members (
    group_id character varying(36) NOT NULL,
    user_id character varying(36) NOT NULL,
    team_id character varying(36) NOT NULL
);

CREATE TABLE public.groups (
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
    updated_at timestamp with time zone
);

CREATE TABLE public.schema_migrations (
    id character varying(100) NOT NULL,
    applied_at timestamp with time zone
);

CREATE TABLE public.settings (
    name character varying(100) NOT NULL,
    value character varying(2000) NOT NULL,
    updated_at timestamp with time zone
);

CREATE TABLE public.sso_assertions (
    team_id character varying(36) NOT NULL,
    assertion_id character varying(255) NOT NULL,
    expires_at timestamp with time zone NOT NULL
);

CREATE TABLE public.sso_configs (
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
    updated_at timestamp with time zone
);

CREATE TABLE public.sso_keys (
    id character varying(36) NOT NULL,
    team_id character varying(36) NOT NULL,
    private_key_pem text,
    cert_pem text,
    created_at timestamp with time zone
);

CREATE TABLE public.sso_requests (
    relay_state character varying(64) NOT NULL,
    team_id character varying(36) NOT NULL,
    request_id character varying(128) NOT NULL,
    return_to character varying(2048) DEFAULT ''::character varying NOT NULL,
    test_by character varying(36) DEFAULT ''::character varying NOT NULL,
    expires_at timestamp with time zone NOT NULL
);

CREATE TABLE public.sso_sessions (
    hash character varying(64) NOT NULL,
    team_id character varying(36) NOT NULL,
    user_id character varying(36) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL
);

CREATE TABLE public.team_domains (
    team_id character varying(36) NOT NULL,
    domain character varying(253) NOT NULL
);

CREATE TABLE public.teams (
    id character varying(36) NOT NULL,
    account_id character varying(36) NOT NULL,
    name character varying(255) NOT NULL,
    primary_user_id character varying(36) NOT NULL,
    policy_mode character varying(16) DEFAULT 'default'::character varying NOT NULL,
    created_at timestamp with time zone
);

CREATE TABLE public.tokens (
    id character varying(36) NOT NULL,
    team_id character varying(36) NOT NULL,
    kind character varying(16) NOT NULL,
    user_id character varying(36) DEFAULT ''::character varying NOT NULL,
    prefix character varying(16) NOT NULL,
    hash character varying(64) NOT NULL,
    created_at timestamp with time zone,
    last_used_at timestamp with time zone,
    revoked_at timestamp with time zone
);

CREATE TABLE public.user_emails (
    user_id character varying(36) NOT NULL,
    "position" bigint NOT NULL,
    team_id character varying(36) NOT NULL,
    value_lower character varying(254) NOT NULL,
    type_lower character varying(32) DEFAULT ''::character varying NOT NULL,
    value character varying(254) NOT NULL,
    type character varying(32) DEFAULT ''::character varying NOT NULL,
    is_primary boolean DEFAULT false NOT NULL
);

CREATE TABLE public.users (
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
    updated_at timestamp with time zone
);

ALTER TABLE ONLY public.audit_log ALTER COLUMN id SET DEFAULT nextval('public.audit_log_id_seq'::regclass);

ALTER TABLE ONLY public.directory_runs ALTER COLUMN id SET DEFAULT nextval('public.directory_runs_id_seq'::regclass);

INSERT INTO public.accounts VALUES ('947b3a92-d5ab-4c3d-907d-dd5a0397b9bf', 'Fixture Account', '2026-12-01 20:02:37.53+00');

INSERT INTO public.admin_persons VALUES ('primary.admin@acme.test', '947b3a92-d5ab-4c3d-907d-dd5a0397b9bf');

INSERT INTO public.audit_log VALUES (1, '728b533d-5527-4782-b8a9-f13f6805637b', '2026-12-01 20:02:37.542+00', 'operator', 'fixture', 'fixture', 'team.create', 'team', '728b533d-5527-4782-b8a9-f13f6805637b', '{"name":"Fixture Team","primary_admin":"Primary.Admin@Acme.test"}');
INSERT INTO public.audit_log VALUES (2, '728b533d-5527-4782-b8a9-f13f6805637b', '2026-12-01 20:02:37.546+00', 'operator', 'fixture', 'fixture', 'user.create', 'user', '1bcdf308-611d-4ad5-b1ac-c66dfd7a6d36', '{"email":"Alice@Acme.test","source":"scim","type":"standard"}');
INSERT INTO public.audit_log VALUES (3, '728b533d-5527-4782-b8a9-f13f6805637b', '2026-12-01 20:02:37.548+00', 'operator', 'fixture', 'fixture', 'user.create', 'user', '53a62cf0-dc69-4369-bec3-721f90ab69f3', '{"email":"bob@acme.test","source":"scim","type":"standard"}');
INSERT INTO public.audit_log VALUES (4, '728b533d-5527-4782-b8a9-f13f6805637b', '2026-12-01 20:02:37.551+00', 'operator', 'fixture', 'fixture', 'user.create', 'user', 'c17782bb-b434-450d-b271-16d7f47fb0a2', '{"email":"carol@partner.test","source":"admin","type":"standard"}');
INSERT INTO public.audit_log VALUES (5, '728b533d-5527-4782-b8a9-f13f6805637b', '2026-12-01 20:02:37.556+00', 'operator', 'fixture', 'fixture', 'group.create', 'group', '299787cf-c5c0-49e1-80ee-87a76e23df62', '{"displayName":"Engineering","members":2}');
INSERT INTO public.audit_log VALUES (6, '728b533d-5527-4782-b8a9-f13f6805637b', '2026-12-01 20:02:37.559+00', 'operator', 'fixture', 'fixture', 'group.create', 'group', '844951f9-2c55-4e7d-83da-3dd085fb776e', '{"displayName":"Sales","members":1}');
INSERT INTO public.audit_log VALUES (7, '728b533d-5527-4782-b8a9-f13f6805637b', '2026-12-01 20:02:37.563+00', 'operator', 'fixture', 'fixture', 'group.members', 'group', '299787cf-c5c0-49e1-80ee-87a76e23df62', '{"added":1,"removed":0}');
INSERT INTO public.audit_log VALUES (8, '728b533d-5527-4782-b8a9-f13f6805637b', '2026-12-01 20:02:37.565+00', 'operator', 'fixture', 'fixture', 'token.create', 'token', '3f098548-3a85-4e64-91af-ae0e997b2139', '{"kind":"scim","prefix":"rst_fix"}');
INSERT INTO public.audit_log VALUES (9, '728b533d-5527-4782-b8a9-f13f6805637b', '2026-12-01 20:02:37.569+00', 'operator', 'fixture', 'fixture', 'policy.set', 'policy', '728b533d-5527-4782-b8a9-f13f6805637b', '{"added":["acme.test"],"domains":["acme.test"],"mode":"domain","previous_domains":[],"previous_mode":"default","removed":[]}');
INSERT INTO public.audit_log VALUES (10, '728b533d-5527-4782-b8a9-f13f6805637b', '2026-12-01 20:02:37.571+00', 'operator', 'fixture', 'fixture', 'policy.domains', 'policy', '728b533d-5527-4782-b8a9-f13f6805637b', '{"added":["acme-corp.test"],"domains":["acme-corp.test","acme.test"],"mode":"domain","previous_domains":["acme.test"],"previous_mode":"domain","removed":[]}');
INSERT INTO public.audit_log VALUES (11, '728b533d-5527-4782-b8a9-f13f6805637b', '2026-12-01 20:02:37.574+00', 'operator', 'fixture', 'fixture', 'sso.configure', 'sso', '728b533d-5527-4782-b8a9-f13f6805637b', '{"by":"fixture"}');
INSERT INTO public.audit_log VALUES (12, '728b533d-5527-4782-b8a9-f13f6805637b', '2026-12-01 20:02:37.578+00', 'operator', 'fixture', 'fixture', 'sso.key.add', 'sso_key', 'key-1', '');
INSERT INTO public.audit_log VALUES (13, '728b533d-5527-4782-b8a9-f13f6805637b', '2026-12-01 20:02:37.582+00', 'operator', 'fixture', 'fixture', 'directory.create', 'directory', '9a6b7de0-e9d3-4f70-9882-45eb695892ca', '{"baseDN":"dc=acme,dc=test","kind":"openldap","url":"ldaps://ldap.acme.test:636"}');
INSERT INTO public.audit_log VALUES (14, '728b533d-5527-4782-b8a9-f13f6805637b', '2026-12-01 20:02:37.586+00', 'operator', 'fixture', 'fixture', 'user.create', 'user', '7686bd13-1205-4bcc-b0ed-3bb84525ee3d', '{"email":"dave@acme.test","source":"directory","type":"standard"}');
INSERT INTO public.audit_log VALUES (15, '728b533d-5527-4782-b8a9-f13f6805637b', '2026-12-01 20:02:37.59+00', 'operator', 'fixture', 'fixture', 'group.create', 'group', '4a37e577-31d9-45c6-bf8d-ef3ebb325477', '{"displayName":"Ops","dn":"cn=Ops,ou=Groups,dc=acme,dc=test"}');
INSERT INTO public.audit_log VALUES (16, '728b533d-5527-4782-b8a9-f13f6805637b', '2026-12-01 20:02:37.593+00', 'operator', 'fixture', 'fixture', 'group.members', 'group', '4a37e577-31d9-45c6-bf8d-ef3ebb325477', '{"added":1,"removed":0}');
INSERT INTO public.audit_log VALUES (17, '728b533d-5527-4782-b8a9-f13f6805637b', '2026-11-30 12:00:00+00', 'operator', 'fixture', 'fixture', 'fixture.note', 'team', '728b533d-5527-4782-b8a9-f13f6805637b', '{"note":"Mixed Case"}');

INSERT INTO public.contracts VALUES ('91eddc73-bf04-45ca-b31b-a389df47f56b', '947b3a92-d5ab-4c3d-907d-dd5a0397b9bf', 'Fixture Contract', 'Primary.Admin@Acme.test', 'alice@acme.test', '2026-12-01 20:02:37.598+00');

INSERT INTO public.directory_anchors VALUES ('9a6b7de0-e9d3-4f70-9882-45eb695892ca', 'uuid-DAVE', 'user', '7686bd13-1205-4bcc-b0ed-3bb84525ee3d', 'uid=dave,ou=People,dc=acme,dc=test', '39faa9cd0f9b7c5793ed156262585f7001d5bee84e4b86124b785e1f526ca27c', 'h1');
INSERT INTO public.directory_anchors VALUES ('9a6b7de0-e9d3-4f70-9882-45eb695892ca', 'uuid-ops', 'group', '4a37e577-31d9-45c6-bf8d-ef3ebb325477', 'cn=Ops,ou=Groups,dc=acme,dc=test', 'c1811e5c3026ef445691a5b71c9bf4967e217f5cc04527c64326dabe7c750584', 'g1');

INSERT INTO public.directory_connections VALUES ('9a6b7de0-e9d3-4f70-9882-45eb695892ca', '728b533d-5527-4782-b8a9-f13f6805637b', 'openldap', 'ldaps://ldap.acme.test:636', false, 'cn=Roster,dc=acme,dc=test', 'env:LDAP_PW', 'dc=acme,dc=test', '', '', '{"email":"mail"}', '', '', 900, 0, true, '2026-12-01 20:02:37.58+00', '2026-12-01 20:02:37.58+00');

INSERT INTO public.directory_cursors VALUES ('9a6b7de0-e9d3-4f70-9882-45eb695892ca', '\x636f6f6b69652d31', 'scope', '2026-11-30 12:00:00+00', '2026-12-01 20:02:37.594+00');

INSERT INTO public.directory_runs VALUES (1, '9a6b7de0-e9d3-4f70-9882-45eb695892ca', '728b533d-5527-4782-b8a9-f13f6805637b', 'full', false, '2026-11-30 12:00:00+00', 2000, '{"created":1,"updated":0,"deactivated":0,"deleted":0,"unchanged":0,"skipped":0,"conflicts":0,"groups_created":0,"groups_updated":0,"groups_deleted":0,"members_added":0,"members_removed":0}', '');

INSERT INTO public.group_members VALUES ('299787cf-c5c0-49e1-80ee-87a76e23df62', '1bcdf308-611d-4ad5-b1ac-c66dfd7a6d36', '728b533d-5527-4782-b8a9-f13f6805637b');
INSERT INTO public.group_members VALUES ('299787cf-c5c0-49e1-80ee-87a76e23df62', '53a62cf0-dc69-4369-bec3-721f90ab69f3', '728b533d-5527-4782-b8a9-f13f6805637b');
INSERT INTO public.group_members VALUES ('844951f9-2c55-4e7d-83da-3dd085fb776e', 'c17782bb-b434-450d-b271-16d7f47fb0a2', '728b533d-5527-4782-b8a9-f13f6805637b');
INSERT INTO public.group_members VALUES ('299787cf-c5c0-49e1-80ee-87a76e23df62', 'c17782bb-b434-450d-b271-16d7f47fb0a2', '728b533d-5527-4782-b8a9-f13f6805637b');
INSERT INTO public.group_members VALUES ('4a37e577-31d9-45c6-bf8d-ef3ebb325477', '7686bd13-1205-4bcc-b0ed-3bb84525ee3d', '728b533d-5527-4782-b8a9-f13f6805637b');

INSERT INTO public.groups VALUES ('844951f9-2c55-4e7d-83da-3dd085fb776e', '728b533d-5527-4782-b8a9-f13f6805637b', 'Sales', 'sales', 'grp-1', 'admin', NULL, 1, 1, '2026-12-01 20:02:37.558+00', '2026-12-01 20:02:37.558+00');
INSERT INTO public.groups VALUES ('299787cf-c5c0-49e1-80ee-87a76e23df62', '728b533d-5527-4782-b8a9-f13f6805637b', 'Engineering', 'engineering', 'GRP-1', 'scim', NULL, 3, 2, '2026-12-01 20:02:37.552+00', '2026-12-01 20:02:37.562+00');
INSERT INTO public.groups VALUES ('4a37e577-31d9-45c6-bf8d-ef3ebb325477', '728b533d-5527-4782-b8a9-f13f6805637b', 'Ops', 'ops', '', 'directory', NULL, 1, 2, '2026-12-01 20:02:37.589+00', '2026-12-01 20:02:37.592+00');

INSERT INTO public.schema_migrations VALUES ('0001_core', '2026-12-01 20:02:37.43996+00');
INSERT INTO public.schema_migrations VALUES ('0002_settings', '2026-12-01 20:02:37.445466+00');
INSERT INTO public.schema_migrations VALUES ('0100_scim_user_emails', '2026-12-01 20:02:37.457761+00');
INSERT INTO public.schema_migrations VALUES ('0101_scim_sort_indexes', '2026-12-01 20:02:37.468963+00');
INSERT INTO public.schema_migrations VALUES ('0102_user_emails_backfill', '2026-12-01 20:02:37.471017+00');
INSERT INTO public.schema_migrations VALUES ('0103_primary_admin_emails_backfill', '2026-12-01 20:02:37.473071+00');
INSERT INTO public.schema_migrations VALUES ('0200_directory', '2026-12-01 20:02:37.498884+00');
INSERT INTO public.schema_migrations VALUES ('0300_sso', '2026-12-01 20:02:37.52607+00');
INSERT INTO public.schema_migrations VALUES ('0400_policy', '2026-12-01 20:02:37.529984+00');

INSERT INTO public.settings VALUES ('base_url', 'https://roster.acme.test', '2026-12-01 20:02:37.6+00');

INSERT INTO public.sso_configs VALUES ('728b533d-5527-4782-b8a9-f13f6805637b', '', 'https://idp.acme.test/metadata', 'https://idp.acme.test/', NULL, '', NULL, '[{"PEM":"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n","Fingerprint":"ab12","Subject":"CN=idp","NotAfter":"2027-11-30T12:00:00Z","FromMetadata":false}]', '[{"Name":"acme.test","Token":"roster-verify=abc","VerifiedAt":"2026-11-30T12:00:00Z"}]', 'entra', '{}', true, false, false, false, 90000, 1, '2026-12-01 20:02:37.574+00');

INSERT INTO public.sso_keys VALUES ('key-1', '728b533d-5527-4782-b8a9-f13f6805637b', '-----BEGIN PRIVATE KEY-----
fixture
', '-----BEGIN CERTIFICATE-----
fixture
', '2026-12-01 20:02:37.575+00');

INSERT INTO public.sso_sessions VALUES ('d6440983c454c2e5999fdb66bbe9cf5f89a8f5847d6c9578ef14afd26eee122c', '728b533d-5527-4782-b8a9-f13f6805637b', '1bcdf308-611d-4ad5-b1ac-c66dfd7a6d36', '2026-11-30 12:00:00+00', '2036-11-30 12:00:00+00');

INSERT INTO public.team_domains VALUES ('728b533d-5527-4782-b8a9-f13f6805637b', 'acme.test');
INSERT INTO public.team_domains VALUES ('728b533d-5527-4782-b8a9-f13f6805637b', 'acme-corp.test');

INSERT INTO public.teams VALUES ('728b533d-5527-4782-b8a9-f13f6805637b', '947b3a92-d5ab-4c3d-907d-dd5a0397b9bf', 'Fixture Team', '0a69290c-bf30-458e-8530-f50bcc9ee222', 'domain', '2026-12-01 20:02:37.53+00');

INSERT INTO public.tokens VALUES ('3f098548-3a85-4e64-91af-ae0e997b2139', '728b533d-5527-4782-b8a9-f13f6805637b', 'scim', '', 'rst_fix', '3ab50429a999204cf5ea57b2fe4f89dca3c3f8ded57249c1fc6bd02850a2df4c', '2026-12-01 20:02:37.564+00', NULL, NULL);

INSERT INTO public.user_emails VALUES ('0a69290c-bf30-458e-8530-f50bcc9ee222', 0, '728b533d-5527-4782-b8a9-f13f6805637b', 'primary.admin@acme.test', 'work', 'Primary.Admin@Acme.test', 'work', true);
INSERT INTO public.user_emails VALUES ('c17782bb-b434-450d-b271-16d7f47fb0a2', 0, '728b533d-5527-4782-b8a9-f13f6805637b', 'carol@partner.test', 'work', 'carol@partner.test', 'work', true);
INSERT INTO public.user_emails VALUES ('7686bd13-1205-4bcc-b0ed-3bb84525ee3d', 0, '728b533d-5527-4782-b8a9-f13f6805637b', 'dave@acme.test', 'work', 'dave@acme.test', 'work', true);

INSERT INTO public.users VALUES ('0a69290c-bf30-458e-8530-f50bcc9ee222', '728b533d-5527-4782-b8a9-f13f6805637b', 'Primary.Admin@Acme.test', 'primary.admin@acme.test', 'acme.test', 'Primary.Admin@Acme.test', 'primary.admin@acme.test', 'Pat', 'Primary', 'active', 'standard', 'admin', 'primary', '', NULL, 1, '2026-12-01 20:02:37.53+00', '2026-12-01 20:02:37.53+00');
INSERT INTO public.users VALUES ('1bcdf308-611d-4ad5-b1ac-c66dfd7a6d36', '728b533d-5527-4782-b8a9-f13f6805637b', 'Alice@Acme.test', 'alice@acme.test', 'acme.test', 'Alice', 'alice', 'Alice', 'Ant', 'active', 'standard', 'scim', '', 'EXT-a', '\x7b227469746c65223a22426f7373227d', 1, '2026-12-01 20:02:37.545+00', '2026-12-01 20:02:37.545+00');
INSERT INTO public.users VALUES ('53a62cf0-dc69-4369-bec3-721f90ab69f3', '728b533d-5527-4782-b8a9-f13f6805637b', 'bob@acme.test', 'bob@acme.test', 'acme.test', 'bob', 'bob', 'Bob', 'Bee', 'active', 'standard', 'scim', '', 'ext-A', NULL, 1, '2026-12-01 20:02:37.547+00', '2026-12-01 20:02:37.547+00');
INSERT INTO public.users VALUES ('c17782bb-b434-450d-b271-16d7f47fb0a2', '728b533d-5527-4782-b8a9-f13f6805637b', 'carol@partner.test', 'carol@partner.test', 'partner.test', 'carol@partner.test', 'carol@partner.test', 'Carol', 'Cat', 'inactive', 'standard', 'admin', '', '', NULL, 1, '2026-12-01 20:02:37.55+00', '2026-12-01 20:02:37.55+00');
INSERT INTO public.users VALUES ('7686bd13-1205-4bcc-b0ed-3bb84525ee3d', '728b533d-5527-4782-b8a9-f13f6805637b', 'dave@acme.test', 'dave@acme.test', 'acme.test', 'dave', 'dave', 'Dave', 'Dog', 'active', 'standard', 'directory', '', '', NULL, 1, '2026-12-01 20:02:37.586+00', '2026-12-01 20:02:37.586+00');

SELECT pg_catalog.setval('public.audit_log_id_seq', 17, true);

SELECT pg_catalog.setval('public.directory_runs_id_seq', 1, true);

ALTER TABLE ONLY public.accounts
    ADD CONSTRAINT accounts_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.admin_persons
    ADD CONSTRAINT admin_persons_pkey PRIMARY KEY (email_lower);

ALTER TABLE ONLY public.audit_log
    ADD CONSTRAINT audit_log_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.contracts
    ADD CONSTRAINT contracts_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.directory_anchors
    ADD CONSTRAINT directory_anchors_pkey PRIMARY KEY (connection_id, anchor);

ALTER TABLE ONLY public.directory_connections
    ADD CONSTRAINT directory_connections_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.directory_cursors
    ADD CONSTRAINT directory_cursors_pkey PRIMARY KEY (connection_id);

ALTER TABLE ONLY public.directory_runs
    ADD CONSTRAINT directory_runs_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.group_members
    ADD CONSTRAINT group_members_pkey PRIMARY KEY (group_id, user_id);

ALTER TABLE ONLY public.groups
    ADD CONSTRAINT groups_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.settings
    ADD CONSTRAINT settings_pkey PRIMARY KEY (name);

ALTER TABLE ONLY public.sso_assertions
    ADD CONSTRAINT sso_assertions_pkey PRIMARY KEY (team_id, assertion_id);

ALTER TABLE ONLY public.sso_configs
    ADD CONSTRAINT sso_configs_pkey PRIMARY KEY (team_id);

ALTER TABLE ONLY public.sso_keys
    ADD CONSTRAINT sso_keys_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.sso_requests
    ADD CONSTRAINT sso_requests_pkey PRIMARY KEY (relay_state);

ALTER TABLE ONLY public.sso_sessions
    ADD CONSTRAINT sso_sessions_pkey PRIMARY KEY (hash);

ALTER TABLE ONLY public.team_domains
    ADD CONSTRAINT team_domains_pkey PRIMARY KEY (team_id, domain);

ALTER TABLE ONLY public.teams
    ADD CONSTRAINT teams_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.tokens
    ADD CONSTRAINT tokens_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.user_emails
    ADD CONSTRAINT user_emails_pkey PRIMARY KEY (user_id, "position");

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);

CREATE INDEX idx_audit_team ON public.audit_log USING btree (team_id);

CREATE INDEX idx_contracts_account ON public.contracts USING btree (account_id);

CREATE INDEX idx_diranchor_dn ON public.directory_anchors USING btree (connection_id, dn_hash);

CREATE INDEX idx_diranchor_target ON public.directory_anchors USING btree (target_id);

CREATE INDEX idx_dirconn_team ON public.directory_connections USING btree (team_id);

CREATE INDEX idx_dirrun_conn ON public.directory_runs USING btree (connection_id);

CREATE INDEX idx_dirrun_team ON public.directory_runs USING btree (team_id);

CREATE INDEX idx_groups_team_external ON public.groups USING btree (team_id, external_id);

CREATE INDEX idx_groups_team_id ON public.groups USING btree (team_id, id);

CREATE UNIQUE INDEX idx_groups_team_name ON public.groups USING btree (team_id, display_name_lower);

CREATE INDEX idx_members_user ON public.group_members USING btree (user_id);

CREATE INDEX idx_sso_assertions_expires ON public.sso_assertions USING btree (expires_at);

CREATE INDEX idx_sso_keys_team ON public.sso_keys USING btree (team_id);

CREATE INDEX idx_sso_requests_expires ON public.sso_requests USING btree (expires_at);

CREATE INDEX idx_sso_sessions_expires ON public.sso_sessions USING btree (expires_at);

CREATE INDEX idx_sso_sessions_user ON public.sso_sessions USING btree (user_id);

CREATE INDEX idx_teams_account ON public.teams USING btree (account_id);

CREATE UNIQUE INDEX idx_tokens_hash ON public.tokens USING btree (hash);

CREATE INDEX idx_tokens_team ON public.tokens USING btree (team_id);

CREATE INDEX idx_user_emails_lookup ON public.user_emails USING btree (team_id, value_lower);

CREATE INDEX idx_users_email ON public.users USING btree (email_lower);

CREATE INDEX idx_users_policy ON public.users USING btree (team_id, id, admin_role, type, source, email_domain);

CREATE INDEX idx_users_team_created ON public.users USING btree (team_id, created_at);

CREATE INDEX idx_users_team_domain ON public.users USING btree (team_id, email_domain);

CREATE UNIQUE INDEX idx_users_team_email ON public.users USING btree (team_id, email_lower);

CREATE INDEX idx_users_team_external ON public.users USING btree (team_id, external_id);

CREATE INDEX idx_users_team_id ON public.users USING btree (team_id, id);

CREATE UNIQUE INDEX idx_users_team_username ON public.users USING btree (team_id, user_name_lower);

