-- Directory sync leases (issue 14 #5): used on SQLite, which has no advisory
-- lock; MariaDB keeps GET_LOCK. The table exists on every database so the
-- schema history is the same. Text is case-exact (utf8mb4_bin).
-- +goose Up
CREATE TABLE `directory_leases` (
  `connection_id` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `holder` varchar(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `expires_at` datetime(3) NOT NULL,
  PRIMARY KEY (`connection_id`)
);

-- +goose Down
DROP TABLE `directory_leases`;
