package gormdb_test

import (
	"context"
	"net/url"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/dbtest"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
	"github.com/roster-dev/roster/directory"
	"github.com/roster-dev/roster/sso"
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
				// As cmd/roster does: the sso service gives the store its
				// renderer of the SSO view for sso events' resource.
				if _, err := sso.New(sso.Options{Store: s, BaseURL: &url.URL{Scheme: "https", Host: "roster.example"}}); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() {
					types, err := s.EventTypesStored(context.Background())
					if err != nil {
						return // the unavailable suite closes its store
					}
					// issue 14 #4: every event carries its resource.
					nulls, err := s.NullResourceEvents(context.Background())
					if err != nil {
						t.Errorf("read events: %v", err)
					}
					for _, ty := range nulls {
						t.Errorf("a %s event has a null resource", ty)
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
			// Every type is made, so the null-resource check above covers
			// every type (issue 14 #4), except these, named with the
			// test that makes them and the target kind whose view they carry.
			elsewhere := map[string]string{"invitation.renewed": "TestRenewInvitation (store clock); targets a user"}
			for _, ty := range db.EventTypes {
				if _, ok := elsewhere[ty]; !seen[ty] && !ok && !t.Failed() {
					t.Errorf("the suite makes no %s event", ty)
				}
			}
		})
	}
}
