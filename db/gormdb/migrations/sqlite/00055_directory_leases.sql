-- Directory sync leases (issue 14 #5): on SQLite, where there is no
-- advisory lock, a connection's sync runs where this row's lease is held, so
-- two `roster serve` on one database file never run it at once.
-- PostgreSQL and MariaDB keep their advisory locks and do not use the table.
-- +goose Up
CREATE TABLE `directory_leases` (
    `connection_id` text NOT NULL,
    `holder` text NOT NULL,
    `expires_at` datetime NOT NULL,
    PRIMARY KEY (`connection_id`)
);

-- +goose Down
DROP TABLE `directory_leases`;
