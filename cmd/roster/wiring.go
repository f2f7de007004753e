package main

import (
	"log/slog"

	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/rolepolicy"
)

// storeConfig is where cmd/roster composes the store with the feature
// packages' pure functions: the role policy classifies every new user inside
// the store's transaction, and email domains are stored in the policy's
// normalised (IDN to ASCII) form so exceptions can be computed in SQL.
func storeConfig(cfg *Config, log *slog.Logger, skipMigrate bool) gormdb.Config {
	return gormdb.Config{DSN: cfg.Database, Logger: log, SkipMigrate: skipMigrate,
		Classify: rolepolicy.Classify, NormalizeDomain: rolepolicy.EmailDomain}
}
