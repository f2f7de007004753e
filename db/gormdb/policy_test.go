package gormdb_test

import (
	"testing"

	"github.com/roster-dev/roster/db/dbtest"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
)

// TestPolicyStore runs the role-policy conformance suite on every dialect
// whose server is configured (SQLite always).
func TestPolicyStore(t *testing.T) {
	for _, d := range []gormdb.Dialect{gormdb.SQLite, gormdb.Postgres, gormdb.MySQL} {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			dbtest.PolicySuite(t, gormdbtest.Open(t, d, gormdb.Config{}))
		})
	}
}
