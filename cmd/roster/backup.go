package main

import (
	"context"
	"path/filepath"

	"github.com/spf13/pflag"
)

// cmdBackup copies a SQLite database, online, to a new file (issue 14 #7).
// PostgreSQL and MariaDB are backed up with pg_dump / mariadb-dump
// (docs/deployment.md); roster backup refuses them with backup_unsupported.
func cmdBackup(fs *pflag.FlagSet) runFunc {
	to := fs.String("to", "", "the backup file to create (must not exist)")
	return func(ctx context.Context, e *env, args []string) error {
		if *to == "" {
			return usagef("--to FILE is required")
		}
		path, err := filepath.Abs(*to)
		if err != nil {
			return usagef("--to: %v", err)
		}
		s, err := e.Store(ctx)
		if err != nil {
			return err
		}
		if err := s.BackupSQLite(ctx, path); err != nil {
			return err
		}
		return e.confirm(map[string]string{"backup": path}, "backed up the database to %s", path)
	}
}
