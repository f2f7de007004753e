/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `accounts` (
  `id` varchar(36) NOT NULL,
  `name` varchar(255) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
/*!40101 SET character_set_client = @saved_cs_client */;
INSERT INTO `accounts` VALUES ('683cb38b-36e5-4477-a0c7-ea10904c4bb1','Fixture Account','2026-12-01 20:02:39.829');
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `admin_persons` (
  `email_lower` varchar(254) NOT NULL,
  `account_id` varchar(36) NOT NULL,
  PRIMARY KEY (`email_lower`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
/*!40101 SET character_set_client = @saved_cs_client */;
INSERT INTO `admin_persons` VALUES ('primary.admin@acme.test','683cb38b-36e5-4477-a0c7-ea10904c4bb1');
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `audit_log` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `team_id` varchar(36) NOT NULL,
  `at` datetime(3) NOT NULL,
  `actor_kind` varchar(16) NOT NULL,
  `actor_id` varchar(64) NOT NULL,
  `actor_name` varchar(255) NOT NULL,
  `action` varchar(64) NOT NULL,
  `target_kind` varchar(32) NOT NULL,
  `target_id` varchar(64) NOT NULL,
  `details` text DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_audit_team` (`team_id`)
) ENGINE=InnoDB AUTO_INCREMENT=18 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
/*!40101 SET character_set_client = @saved_cs_client */;
INSERT INTO `audit_log` VALUES (1,'58671508-c916-4aeb-b0fd-d089feb4ebb2','2026-12-01 20:02:39.836','operator','fixture','fixture','team.create','team','58671508-c916-4aeb-b0fd-d089feb4ebb2','{\"name\":\"Fixture Team\",\"primary_admin\":\"Primary.Admin@Acme.test\"}');
INSERT INTO `audit_log` VALUES (2,'58671508-c916-4aeb-b0fd-d089feb4ebb2','2026-12-01 20:02:39.839','operator','fixture','fixture','user.create','user','df0005b3-9ff1-4c37-8f9c-a04868e9a77f','{\"email\":\"Alice@Acme.test\",\"source\":\"scim\",\"type\":\"standard\"}');
INSERT INTO `audit_log` VALUES (3,'58671508-c916-4aeb-b0fd-d089feb4ebb2','2026-12-01 20:02:39.841','operator','fixture','fixture','user.create','user','35264b27-0a96-45b2-989e-ff0caf89be13','{\"email\":\"bob@acme.test\",\"source\":\"scim\",\"type\":\"standard\"}');
INSERT INTO `audit_log` VALUES (4,'58671508-c916-4aeb-b0fd-d089feb4ebb2','2026-12-01 20:02:39.843','operator','fixture','fixture','user.create','user','3b84ce74-050b-4870-8221-66edadb110b0','{\"email\":\"carol@partner.test\",\"source\":\"admin\",\"type\":\"standard\"}');
INSERT INTO `audit_log` VALUES (5,'58671508-c916-4aeb-b0fd-d089feb4ebb2','2026-12-01 20:02:39.846','operator','fixture','fixture','group.create','group','b02d89e8-9fba-413e-b050-268af4a561f0','{\"displayName\":\"Engineering\",\"members\":2}');
INSERT INTO `audit_log` VALUES (6,'58671508-c916-4aeb-b0fd-d089feb4ebb2','2026-12-01 20:02:39.851','operator','fixture','fixture','group.create','group','1fbee7b3-6250-4634-9778-40b1083e03c5','{\"displayName\":\"Sales\",\"members\":1}');
INSERT INTO `audit_log` VALUES (7,'58671508-c916-4aeb-b0fd-d089feb4ebb2','2026-12-01 20:02:39.854','operator','fixture','fixture','group.members','group','b02d89e8-9fba-413e-b050-268af4a561f0','{\"added\":1,\"removed\":0}');
INSERT INTO `audit_log` VALUES (8,'58671508-c916-4aeb-b0fd-d089feb4ebb2','2026-12-01 20:02:39.856','operator','fixture','fixture','token.create','token','20fb836d-6050-44b0-91f4-fb2a40f00163','{\"kind\":\"scim\",\"prefix\":\"rst_fix\"}');
INSERT INTO `audit_log` VALUES (9,'58671508-c916-4aeb-b0fd-d089feb4ebb2','2026-12-01 20:02:39.859','operator','fixture','fixture','policy.set','policy','58671508-c916-4aeb-b0fd-d089feb4ebb2','{\"added\":[\"acme.test\"],\"domains\":[\"acme.test\"],\"mode\":\"domain\",\"previous_domains\":[],\"previous_mode\":\"default\",\"removed\":[]}');
INSERT INTO `audit_log` VALUES (10,'58671508-c916-4aeb-b0fd-d089feb4ebb2','2026-12-01 20:02:39.862','operator','fixture','fixture','policy.domains','policy','58671508-c916-4aeb-b0fd-d089feb4ebb2','{\"added\":[\"acme-corp.test\"],\"domains\":[\"acme-corp.test\",\"acme.test\"],\"mode\":\"domain\",\"previous_domains\":[\"acme.test\"],\"previous_mode\":\"domain\",\"removed\":[]}');
INSERT INTO `audit_log` VALUES (11,'58671508-c916-4aeb-b0fd-d089feb4ebb2','2026-12-01 20:02:39.864','operator','fixture','fixture','sso.configure','sso','58671508-c916-4aeb-b0fd-d089feb4ebb2','{\"by\":\"fixture\"}');
INSERT INTO `audit_log` VALUES (12,'58671508-c916-4aeb-b0fd-d089feb4ebb2','2026-12-01 20:02:39.867','operator','fixture','fixture','sso.key.add','sso_key','key-1','');
INSERT INTO `audit_log` VALUES (13,'58671508-c916-4aeb-b0fd-d089feb4ebb2','2026-12-01 20:02:39.870','operator','fixture','fixture','directory.create','directory','210a4200-81de-4b19-b00e-2733b70dafb9','{\"baseDN\":\"dc=acme,dc=test\",\"kind\":\"openldap\",\"url\":\"ldaps://ldap.acme.test:636\"}');
INSERT INTO `audit_log` VALUES (14,'58671508-c916-4aeb-b0fd-d089feb4ebb2','2026-12-01 20:02:39.873','operator','fixture','fixture','user.create','user','70e78c1a-10f1-4f6c-9953-d2456323e179','{\"email\":\"dave@acme.test\",\"source\":\"directory\",\"type\":\"standard\"}');
INSERT INTO `audit_log` VALUES (15,'58671508-c916-4aeb-b0fd-d089feb4ebb2','2026-12-01 20:02:39.875','operator','fixture','fixture','group.create','group','7bdf964a-34ca-4d94-923a-7057a8edc721','{\"displayName\":\"Ops\",\"dn\":\"cn=Ops,ou=Groups,dc=acme,dc=test\"}');
INSERT INTO `audit_log` VALUES (16,'58671508-c916-4aeb-b0fd-d089feb4ebb2','2026-12-01 20:02:39.878','operator','fixture','fixture','group.members','group','7bdf964a-34ca-4d94-923a-7057a8edc721','{\"added\":1,\"removed\":0}');
INSERT INTO `audit_log` VALUES (17,'58671508-c916-4aeb-b0fd-d089feb4ebb2','2026-11-30 12:00:00.000','operator','fixture','fixture','fixture.note','team','58671508-c916-4aeb-b0fd-d089feb4ebb2','{\"note\":\"Mixed Case\"}');
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `contracts` (
  `id` varchar(36) NOT NULL,
  `account_id` varchar(36) NOT NULL,
  `name` varchar(255) NOT NULL,
  `contract_manager` varchar(254) NOT NULL,
  `software_coordinator` varchar(254) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_contracts_account` (`account_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
/*!40101 SET character_set_client = @saved_cs_client */;
INSERT INTO `contracts` VALUES ('06bd4cd5-0b5c-4fe0-931e-43b142ee2ea7','683cb38b-36e5-4477-a0c7-ea10904c4bb1','Fixture Contract','Primary.Admin@Acme.test','alice@acme.test','2026-12-01 20:02:39.887');
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `directory_anchors` (
  `connection_id` varchar(36) NOT NULL,
  `anchor` varchar(64) NOT NULL,
  `kind` varchar(8) NOT NULL,
  `target_id` varchar(36) NOT NULL,
  `dn` text DEFAULT NULL,
  `dn_hash` varchar(64) NOT NULL,
  `hash` varchar(64) NOT NULL,
  PRIMARY KEY (`connection_id`,`anchor`),
  KEY `idx_diranchor_dn` (`connection_id`,`dn_hash`),
  KEY `idx_diranchor_target` (`target_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;
INSERT INTO `directory_anchors` VALUES ('210a4200-81de-4b19-b00e-2733b70dafb9','uuid-DAVE','user','70e78c1a-10f1-4f6c-9953-d2456323e179','uid=dave,ou=People,dc=acme,dc=test','39faa9cd0f9b7c5793ed156262585f7001d5bee84e4b86124b785e1f526ca27c','h1');
INSERT INTO `directory_anchors` VALUES ('210a4200-81de-4b19-b00e-2733b70dafb9','uuid-ops','group','7bdf964a-34ca-4d94-923a-7057a8edc721','cn=Ops,ou=Groups,dc=acme,dc=test','c1811e5c3026ef445691a5b71c9bf4967e217f5cc04527c64326dabe7c750584','g1');
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `directory_connections` (
  `id` varchar(36) NOT NULL,
  `team_id` varchar(36) NOT NULL,
  `kind` varchar(16) NOT NULL,
  `url` varchar(512) NOT NULL,
  `start_tls` tinyint(1) NOT NULL,
  `bind_dn` varchar(1024) NOT NULL,
  `password_ref` text NOT NULL,
  `base_dn` varchar(1024) NOT NULL,
  `user_filter` text DEFAULT NULL,
  `group_filter` text DEFAULT NULL,
  `mapping` text DEFAULT NULL,
  `capem` text DEFAULT NULL,
  `tls_pin` varchar(64) NOT NULL DEFAULT '',
  `interval_sec` bigint(20) NOT NULL,
  `delete_limit` bigint(20) NOT NULL DEFAULT 0,
  `enabled` tinyint(1) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_dirconn_team` (`team_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;
INSERT INTO `directory_connections` VALUES ('210a4200-81de-4b19-b00e-2733b70dafb9','58671508-c916-4aeb-b0fd-d089feb4ebb2','openldap','ldaps://ldap.acme.test:636',0,'cn=Roster,dc=acme,dc=test','env:LDAP_PW','dc=acme,dc=test','','','{\"email\":\"mail\"}','','',900,0,1,'2026-12-01 20:02:39.869','2026-12-01 20:02:39.869');
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `directory_cursors` (
  `connection_id` varchar(36) NOT NULL,
  `cookie` longblob DEFAULT NULL,
  `scope_hash` varchar(64) NOT NULL,
  `full_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`connection_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;
INSERT INTO `directory_cursors` VALUES ('210a4200-81de-4b19-b00e-2733b70dafb9','cookie-1','scope','2026-11-30 12:00:00.000','2026-12-01 20:02:39.879');
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `directory_runs` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `connection_id` varchar(36) NOT NULL,
  `team_id` varchar(36) NOT NULL,
  `mode` varchar(8) NOT NULL,
  `dry_run` tinyint(1) NOT NULL,
  `started_at` datetime(3) NOT NULL,
  `duration_ms` bigint(20) NOT NULL,
  `counts` text DEFAULT NULL,
  `error` text DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_dirrun_conn` (`connection_id`),
  KEY `idx_dirrun_team` (`team_id`)
) ENGINE=InnoDB AUTO_INCREMENT=2 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;
INSERT INTO `directory_runs` VALUES (1,'210a4200-81de-4b19-b00e-2733b70dafb9','58671508-c916-4aeb-b0fd-d089feb4ebb2','full',0,'2026-11-30 12:00:00.000',2000,'{\"created\":1,\"updated\":0,\"deactivated\":0,\"deleted\":0,\"unchanged\":0,\"skipped\":0,\"conflicts\":0,\"groups_created\":0,\"groups_updated\":0,\"groups_deleted\":0,\"members_added\":0,\"members_removed\":0}','');
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `group_members` (
  `group_id` varchar(36) NOT NULL,
  `user_id` varchar(36) NOT NULL,
  `team_id` varchar(36) NOT NULL,
  PRIMARY KEY (`group_id`,`user_id`),
  KEY `idx_members_user` (`user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
/*!40101 SET character_set_client = @saved_cs_client */;
INSERT INTO `group_members` VALUES ('1fbee7b3-6250-4634-9778-40b1083e03c5','3b84ce74-050b-4870-8221-66edadb110b0','58671508-c916-4aeb-b0fd-d089feb4ebb2');
INSERT INTO `group_members` VALUES ('7bdf964a-34ca-4d94-923a-7057a8edc721','70e78c1a-10f1-4f6c-9953-d2456323e179','58671508-c916-4aeb-b0fd-d089feb4ebb2');
INSERT INTO `group_members` VALUES ('b02d89e8-9fba-413e-b050-268af4a561f0','35264b27-0a96-45b2-989e-ff0caf89be13','58671508-c916-4aeb-b0fd-d089feb4ebb2');
INSERT INTO `group_members` VALUES ('b02d89e8-9fba-413e-b050-268af4a561f0','3b84ce74-050b-4870-8221-66edadb110b0','58671508-c916-4aeb-b0fd-d089feb4ebb2');
INSERT INTO `group_members` VALUES ('b02d89e8-9fba-413e-b050-268af4a561f0','df0005b3-9ff1-4c37-8f9c-a04868e9a77f','58671508-c916-4aeb-b0fd-d089feb4ebb2');
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `groups` (
  `id` varchar(36) NOT NULL,
  `team_id` varchar(36) NOT NULL,
  `display_name` varchar(255) NOT NULL,
  `display_name_lower` varchar(255) NOT NULL,
  `external_id` varchar(255) NOT NULL DEFAULT '',
  `source` varchar(16) NOT NULL,
  `attributes` longblob DEFAULT NULL,
  `member_count` bigint(20) NOT NULL DEFAULT 0,
  `version` bigint(20) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_groups_team_name` (`team_id`,`display_name_lower`),
  KEY `idx_groups_team_external` (`team_id`,`external_id`),
  KEY `idx_groups_team_id` (`team_id`,`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
/*!40101 SET character_set_client = @saved_cs_client */;
INSERT INTO `groups` VALUES ('1fbee7b3-6250-4634-9778-40b1083e03c5','58671508-c916-4aeb-b0fd-d089feb4ebb2','Sales','sales','grp-1','admin',NULL,1,1,'2026-12-01 20:02:39.849','2026-12-01 20:02:39.849');
INSERT INTO `groups` VALUES ('7bdf964a-34ca-4d94-923a-7057a8edc721','58671508-c916-4aeb-b0fd-d089feb4ebb2','Ops','ops','','directory',NULL,1,2,'2026-12-01 20:02:39.875','2026-12-01 20:02:39.878');
INSERT INTO `groups` VALUES ('b02d89e8-9fba-413e-b050-268af4a561f0','58671508-c916-4aeb-b0fd-d089feb4ebb2','Engineering','engineering','GRP-1','scim',NULL,3,2,'2026-12-01 20:02:39.844','2026-12-01 20:02:39.853');
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `schema_migrations` (
  `id` varchar(100) NOT NULL,
  `applied_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;
INSERT INTO `schema_migrations` VALUES ('0001_core','2026-12-01 20:02:39.732');
INSERT INTO `schema_migrations` VALUES ('0002_settings','2026-12-01 20:02:39.736');
INSERT INTO `schema_migrations` VALUES ('0100_scim_user_emails','2026-12-01 20:02:39.742');
INSERT INTO `schema_migrations` VALUES ('0101_scim_sort_indexes','2026-12-01 20:02:39.762');
INSERT INTO `schema_migrations` VALUES ('0102_user_emails_backfill','2026-12-01 20:02:39.764');
INSERT INTO `schema_migrations` VALUES ('0103_primary_admin_emails_backfill','2026-12-01 20:02:39.765');
INSERT INTO `schema_migrations` VALUES ('0200_directory','2026-12-01 20:02:39.784');
INSERT INTO `schema_migrations` VALUES ('0300_sso','2026-12-01 20:02:39.821');
INSERT INTO `schema_migrations` VALUES ('0400_policy','2026-12-01 20:02:39.828');
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `settings` (
  `name` varchar(100) NOT NULL,
  `value` varchar(2000) NOT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
/*!40101 SET character_set_client = @saved_cs_client */;
INSERT INTO `settings` VALUES ('base_url','https://roster.acme.test','2026-12-01 20:02:39.897');
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `sso_assertions` (
  `team_id` varchar(36) NOT NULL,
  `assertion_id` varchar(255) NOT NULL,
  `expires_at` datetime(3) NOT NULL,
  PRIMARY KEY (`team_id`,`assertion_id`),
  KEY `idx_sso_assertions_expires` (`expires_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `sso_configs` (
  `team_id` varchar(36) NOT NULL,
  `id_p_metadata_xml` text DEFAULT NULL,
  `id_p_metadata_url` varchar(2048) NOT NULL DEFAULT '',
  `id_p_entity_id` varchar(1024) NOT NULL DEFAULT '',
  `metadata_refreshed_at` datetime(3) DEFAULT NULL,
  `metadata_error` varchar(1024) NOT NULL DEFAULT '',
  `metadata_error_at` datetime(3) DEFAULT NULL,
  `trusted_certs` text DEFAULT NULL,
  `domains` text DEFAULT NULL,
  `attribute_preset` varchar(16) NOT NULL DEFAULT 'generic',
  `attributes` text DEFAULT NULL,
  `jit` tinyint(1) NOT NULL DEFAULT 0,
  `allow_id_p_initiated` tinyint(1) NOT NULL DEFAULT 0,
  `enforce_sso` tinyint(1) NOT NULL DEFAULT 0,
  `allow_sha1` tinyint(1) NOT NULL DEFAULT 0,
  `clock_skew_millis` bigint(20) NOT NULL DEFAULT 0,
  `version` bigint(20) NOT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`team_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;
INSERT INTO `sso_configs` VALUES ('58671508-c916-4aeb-b0fd-d089feb4ebb2','','https://idp.acme.test/metadata','https://idp.acme.test/',NULL,'',NULL,'[{\"PEM\":\"-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n\",\"Fingerprint\":\"ab12\",\"Subject\":\"CN=idp\",\"NotAfter\":\"2027-11-30T12:00:00Z\",\"FromMetadata\":false}]','[{\"Name\":\"acme.test\",\"Token\":\"roster-verify=abc\",\"VerifiedAt\":\"2026-11-30T12:00:00Z\"}]','entra','{}',1,0,0,0,90000,1,'2026-12-01 20:02:39.864');
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `sso_keys` (
  `id` varchar(36) NOT NULL,
  `team_id` varchar(36) NOT NULL,
  `private_key_pem` text DEFAULT NULL,
  `cert_pem` text DEFAULT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_sso_keys_team` (`team_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;
INSERT INTO `sso_keys` VALUES ('key-1','58671508-c916-4aeb-b0fd-d089feb4ebb2','-----BEGIN PRIVATE KEY-----\nfixture\n-----END PRIVATE KEY-----\n','-----BEGIN CERTIFICATE-----\nfixture\n-----END CERTIFICATE-----\n','2026-12-01 20:02:39.865');
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `sso_requests` (
  `relay_state` varchar(64) NOT NULL,
  `team_id` varchar(36) NOT NULL,
  `request_id` varchar(128) NOT NULL,
  `return_to` varchar(2048) NOT NULL DEFAULT '',
  `test_by` varchar(36) NOT NULL DEFAULT '',
  `expires_at` datetime(3) NOT NULL,
  PRIMARY KEY (`relay_state`),
  KEY `idx_sso_requests_expires` (`expires_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `sso_sessions` (
  `hash` varchar(64) NOT NULL,
  `team_id` varchar(36) NOT NULL,
  `user_id` varchar(36) NOT NULL,
  `created_at` datetime(3) NOT NULL,
  `expires_at` datetime(3) NOT NULL,
  PRIMARY KEY (`hash`),
  KEY `idx_sso_sessions_user` (`user_id`),
  KEY `idx_sso_sessions_expires` (`expires_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;
INSERT INTO `sso_sessions` VALUES ('d6440983c454c2e5999fdb66bbe9cf5f89a8f5847d6c9578ef14afd26eee122c','58671508-c916-4aeb-b0fd-d089feb4ebb2','df0005b3-9ff1-4c37-8f9c-a04868e9a77f','2026-11-30 12:00:00.000','2036-11-30 12:00:00.000');
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `team_domains` (
  `team_id` varchar(36) NOT NULL,
  `domain` varchar(253) NOT NULL,
  PRIMARY KEY (`team_id`,`domain`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
/*!40101 SET character_set_client = @saved_cs_client */;
INSERT INTO `team_domains` VALUES ('58671508-c916-4aeb-b0fd-d089feb4ebb2','acme-corp.test');
INSERT INTO `team_domains` VALUES ('58671508-c916-4aeb-b0fd-d089feb4ebb2','acme.test');
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `teams` (
  `id` varchar(36) NOT NULL,
  `account_id` varchar(36) NOT NULL,
  `name` varchar(255) NOT NULL,
  `primary_user_id` varchar(36) NOT NULL,
  `policy_mode` varchar(16) NOT NULL DEFAULT 'default',
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_teams_account` (`account_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
/*!40101 SET character_set_client = @saved_cs_client */;
INSERT INTO `teams` VALUES ('58671508-c916-4aeb-b0fd-d089feb4ebb2','683cb38b-36e5-4477-a0c7-ea10904c4bb1','Fixture Team','9ca208ba-7975-4127-adde-e12768f4e9ca','domain','2026-12-01 20:02:39.829');
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `tokens` (
  `id` varchar(36) NOT NULL,
  `team_id` varchar(36) NOT NULL,
  `kind` varchar(16) NOT NULL,
  `user_id` varchar(36) NOT NULL DEFAULT '',
  `prefix` varchar(16) NOT NULL,
  `hash` varchar(64) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `last_used_at` datetime(3) DEFAULT NULL,
  `revoked_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_tokens_hash` (`hash`),
  KEY `idx_tokens_team` (`team_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
/*!40101 SET character_set_client = @saved_cs_client */;
INSERT INTO `tokens` VALUES ('20fb836d-6050-44b0-91f4-fb2a40f00163','58671508-c916-4aeb-b0fd-d089feb4ebb2','scim','','rst_fix','3ab50429a999204cf5ea57b2fe4f89dca3c3f8ded57249c1fc6bd02850a2df4c','2026-12-01 20:02:39.855',NULL,NULL);
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `user_emails` (
  `user_id` varchar(36) NOT NULL,
  `position` bigint(20) NOT NULL,
  `team_id` varchar(36) NOT NULL,
  `value_lower` varchar(254) NOT NULL,
  `type_lower` varchar(32) NOT NULL DEFAULT '',
  `value` varchar(254) NOT NULL,
  `type` varchar(32) NOT NULL DEFAULT '',
  `is_primary` tinyint(1) NOT NULL DEFAULT 0,
  PRIMARY KEY (`user_id`,`position`),
  KEY `idx_user_emails_lookup` (`team_id`,`value_lower`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;
INSERT INTO `user_emails` VALUES ('3b84ce74-050b-4870-8221-66edadb110b0',0,'58671508-c916-4aeb-b0fd-d089feb4ebb2','carol@partner.test','work','carol@partner.test','work',1);
INSERT INTO `user_emails` VALUES ('70e78c1a-10f1-4f6c-9953-d2456323e179',0,'58671508-c916-4aeb-b0fd-d089feb4ebb2','dave@acme.test','work','dave@acme.test','work',1);
INSERT INTO `user_emails` VALUES ('9ca208ba-7975-4127-adde-e12768f4e9ca',0,'58671508-c916-4aeb-b0fd-d089feb4ebb2','primary.admin@acme.test','work','Primary.Admin@Acme.test','work',1);
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `users` (
  `id` varchar(36) NOT NULL,
  `team_id` varchar(36) NOT NULL,
  `email` varchar(254) NOT NULL,
  `email_lower` varchar(254) NOT NULL,
  `email_domain` varchar(253) NOT NULL,
  `user_name` varchar(255) NOT NULL,
  `user_name_lower` varchar(255) NOT NULL,
  `first_name` varchar(255) NOT NULL,
  `last_name` varchar(255) NOT NULL,
  `status` varchar(16) NOT NULL,
  `type` varchar(16) NOT NULL,
  `source` varchar(16) NOT NULL,
  `admin_role` varchar(16) NOT NULL DEFAULT '',
  `external_id` varchar(255) NOT NULL DEFAULT '',
  `attributes` longblob DEFAULT NULL,
  `version` bigint(20) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_users_team_email` (`team_id`,`email_lower`),
  UNIQUE KEY `idx_users_team_username` (`team_id`,`user_name_lower`),
  KEY `idx_users_team_external` (`team_id`,`external_id`),
  KEY `idx_users_team_domain` (`team_id`,`email_domain`),
  KEY `idx_users_email` (`email_lower`),
  KEY `idx_users_team_id` (`team_id`,`id`),
  KEY `idx_users_team_created` (`team_id`,`created_at`),
  KEY `idx_users_policy` (`team_id`,`id`,`admin_role`,`type`,`source`,`email_domain`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
/*!40101 SET character_set_client = @saved_cs_client */;
INSERT INTO `users` VALUES ('35264b27-0a96-45b2-989e-ff0caf89be13','58671508-c916-4aeb-b0fd-d089feb4ebb2','bob@acme.test','bob@acme.test','acme.test','bob','bob','Bob','Bee','active','standard','scim','','ext-A',NULL,1,'2026-12-01 20:02:39.840','2026-12-01 20:02:39.840');
INSERT INTO `users` VALUES ('3b84ce74-050b-4870-8221-66edadb110b0','58671508-c916-4aeb-b0fd-d089feb4ebb2','carol@partner.test','carol@partner.test','partner.test','carol@partner.test','carol@partner.test','Carol','Cat','inactive','standard','admin','','',NULL,1,'2026-12-01 20:02:39.842','2026-12-01 20:02:39.842');
INSERT INTO `users` VALUES ('70e78c1a-10f1-4f6c-9953-d2456323e179','58671508-c916-4aeb-b0fd-d089feb4ebb2','dave@acme.test','dave@acme.test','acme.test','dave','dave','Dave','Dog','active','standard','directory','','',NULL,1,'2026-12-01 20:02:39.873','2026-12-01 20:02:39.873');
INSERT INTO `users` VALUES ('9ca208ba-7975-4127-adde-e12768f4e9ca','58671508-c916-4aeb-b0fd-d089feb4ebb2','Primary.Admin@Acme.test','primary.admin@acme.test','acme.test','Primary.Admin@Acme.test','primary.admin@acme.test','Pat','Primary','active','standard','admin','primary','',NULL,1,'2026-12-01 20:02:39.829','2026-12-01 20:02:39.829');
INSERT INTO `users` VALUES ('df0005b3-9ff1-4c37-8f9c-a04868e9a77f','58671508-c916-4aeb-b0fd-d089feb4ebb2','Alice@Acme.test','alice@acme.test','acme.test','Alice','alice','Alice','Ant','active','standard','scim','','EXT-a','{\"title\":\"Boss\"}',1,'2026-12-01 20:02:39.837','2026-12-01 20:02:39.837');
