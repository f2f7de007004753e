package gormdb_test

import (
	"testing"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/dbtest"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
	"github.com/roster-dev/roster/directory"
)

// TestConformance runs the storage conformance suite on SQLite, and on
// PostgreSQL and MariaDB when ROSTER_TEST_POSTGRES / ROSTER_TEST_MYSQL are set.
func TestConformance(t *testing.T) {
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			dbtest.RunTests(t, func(t *testing.T) db.Store {
				return gormdbtest.Open(t, d, gormdb.Config{PlanDirectory: directory.Plan})
			})
		})
	}
}
