package gormdb_test

import (
	"context"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/dbtest"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
	"github.com/roster-dev/roster/directory"
)

// TestConformance runs the storage conformance suite on SQLite, and on
// PostgreSQL and MariaDB when ROSTER_TEST_POSTGRES / ROSTER_TEST_MYSQL are set.
// After each suite it reads the distinct event types the suite made: every
// one must be in db.EventTypes, the list the README documents.
func TestConformance(t *testing.T) {
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			var mu sync.Mutex
			seen := map[string]bool{}
			dbtest.RunTests(t, func(t *testing.T) db.Store {
				s := gormdbtest.Open(t, d, gormdb.Config{PlanDirectory: directory.Plan})
				t.Cleanup(func() {
					types, err := s.EventTypesStored(context.Background())
					if err != nil {
						return // the unavailable suite closes its store
					}
					mu.Lock()
					defer mu.Unlock()
					for _, ty := range types {
						seen[ty] = true
						if !slices.Contains(db.EventTypes, ty) {
							t.Errorf("event type %q is emitted but not in db.EventTypes (and the README)", ty)
						}
					}
				})
				return s
			})
			var got []string
			for ty := range seen {
				got = append(got, ty)
			}
			sort.Strings(got)
			t.Logf("event types made by the suite: %q", got)
		})
	}
}
