package main

import (
	"log/slog"

	"github.com/roster-dev/roster/db/gormdb"
)

// storeConfig is where cmd/roster composes the store with the feature
// packages' pure functions (the role policy's classifier).
func storeConfig(cfg *Config, log *slog.Logger, skipMigrate bool) gormdb.Config {
	return gormdb.Config{DSN: cfg.Database, Logger: log, SkipMigrate: skipMigrate}
}
