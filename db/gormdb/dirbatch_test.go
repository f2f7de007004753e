package gormdb_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
	"github.com/roster-dev/roster/directory"
)

// TestDirectoryBatchEventsCarryTheStoredView: the user.created events of a
// directory batch carry views built from the rows the writer inserted, not
// read back (batchUserViews); they must equal what reading the users back
// gives, expected type (domain policy, approved and not) and timestamps
// included, on every dialect.
func TestDirectoryBatchEventsCarryTheStoredView(t *testing.T) {
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			s := gormdbtest.Open(t, d, gormdb.Config{PlanDirectory: directory.Plan})
			ctx := context.Background()
			c := directoryTeam(t, s, "corp.test")
			if _, err := s.SetPolicy(ctx, c.TeamID, db.Policy{Mode: db.PolicyDomain, Domains: []string{"corp.test"}}, db.Actor{Kind: db.ActorOperator}); err != nil {
				t.Fatal(err)
			}
			evs, err := s.ListEvents(ctx, c.TeamID, 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			after := evs[len(evs)-1].ID
			var batch db.DirectoryBatch
			for i, dom := range []string{"corp.test", "partner.test", "corp.test", "gmail.com"} {
				id := fmt.Sprintf("u%d", i)
				batch.Users = append(batch.Users, db.DirectoryUser{Anchor: id, DN: "uid=" + id + ",dc=x", Email: id + "@" + dom,
					UserName: id, FirstName: "F", LastName: "L", Hash: id})
			}
			res, err := s.ApplyDirectoryBatch(ctx, c, batch, db.Actor{Kind: db.ActorDirectory, ID: c.ID})
			if err != nil || res.Counts.Created != 4 {
				t.Fatalf("apply: %+v %v", res.Counts, err)
			}
			evs, err = s.ListEvents(ctx, c.TeamID, after, 1000)
			if err != nil {
				t.Fatal(err)
			}
			created := 0
			for _, e := range evs {
				if e.Type != "user.created" {
					continue
				}
				created++
				var p struct{ Resource json.RawMessage }
				if err := json.Unmarshal([]byte(e.Payload), &p); err != nil {
					t.Fatal(err)
				}
				v, err := s.ReadBackView(ctx, c.TeamID, "user", e.TargetID)
				if err != nil {
					t.Fatal(err)
				}
				want, _ := json.Marshal(v)
				if string(p.Resource) != string(want) {
					t.Errorf("event resource\n %s\nread back\n %s", p.Resource, want)
				}
			}
			if created != 4 {
				t.Fatalf("%d user.created events, want 4", created)
			}
		})
	}
}
