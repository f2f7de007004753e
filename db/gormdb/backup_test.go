package gormdb_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
)

// BackupSQLite copies SQLite; PostgreSQL and MariaDB are refused with
// backup_unsupported (their tools are pg_dump and mariadb-dump).
func TestBackupSQLite(t *testing.T) {
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			s := gormdbtest.Open(t, d, gormdb.Config{})
			to := filepath.Join(t.TempDir(), "copy.db")
			err := s.BackupSQLite(context.Background(), to)
			if d != gormdb.SQLite {
				if !errors.Is(err, db.ErrInvalid) || db.CodeOf(err) != "backup_unsupported" {
					t.Fatalf("backup on %s: %v, want backup_unsupported", d, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := s.BackupSQLite(context.Background(), to); db.CodeOf(err) != "backup_exists" {
				t.Fatalf("second backup to the same file: %v", err)
			}
		})
	}
}
