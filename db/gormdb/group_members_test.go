package gormdb_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
)

// issue 9 #16a: the guide claimed every member change costs O(changed).
// What holds, counted in statements and in rows returned to Go: a PATCH
// add/remove reads nothing that grows with the group; a replace (PUT, or a
// replace op) reads the current member ids once, so its reads are bounded by
// the members sent plus the members removed, and it writes only the diff.
func TestGroupMemberChangeCostByCounts(t *testing.T) {
	ctx := context.Background()
	actor := db.Actor{Kind: db.ActorSCIMToken, ID: "tok", Name: "tok"}
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			s := gormdbtest.Open(t, d, gormdb.Config{})
			counter := gormdb.CountStatements(s)
			team, _, err := s.CreateTeam(ctx, db.NewTeam{Name: "members", PrimaryEmail: "owner@members.test",
				PrimaryFirstName: "O", PrimaryLastName: "W"}, actor)
			if err != nil {
				t.Fatal(err)
			}
			const big = 1500
			if err := gormdb.BulkInsertUsers(ctx, s, team.ID, big+10, func(i int) (string, db.Source, db.UserType) {
				return fmt.Sprintf("m%d@members.test", i), db.SourceSCIM, db.TypeStandard
			}); err != nil {
				t.Fatal(err)
			}
			us, _, err := s.SearchUsers(ctx, team.ID, db.Query{Limit: big + 20})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, u := range us {
				if u.AdminRole == "" {
					ids = append(ids, u.ID)
				}
			}
			spare := ids[big : big+10] // never members at the start
			type cost struct {
				statements int
				rows       int64
			}
			measure := func(groupID string, add, remove []string, replace *[]string) cost {
				t.Helper()
				counter.Start()
				_, err := s.PatchGroup(ctx, team.ID, groupID, 0, actor, nil, add, remove, replace)
				counter.Stop()
				if err != nil {
					t.Fatal(err)
				}
				return cost{counter.Statements, counter.RowsRead}
			}
			newGroup := func(name string, members []string) string {
				t.Helper()
				g, err := s.CreateGroup(ctx, team.ID, db.NewGroup{DisplayName: name, Source: db.SourceSCIM}, actor)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s.PatchGroup(ctx, team.ID, g.ID, 0, actor, nil, members, nil, nil); err != nil {
					t.Fatal(err)
				}
				return g.ID
			}
			small, large := newGroup("small", ids[:5]), newGroup("large", ids[:big])

			// Add and remove: the same counts whatever the group's size.
			for i, op := range []struct {
				name        string
				add, remove []string
			}{
				{"add one", spare[:1], nil},
				{"add three", spare[1:4], nil},
				{"remove one", nil, ids[2:3]},
				{"add and remove", spare[4:5], ids[3:4]},
			} {
				s, l := measure(small, op.add, op.remove, nil), measure(large, op.add, op.remove, nil)
				if s != l {
					t.Errorf("%d %s: group of 5 cost %+v, group of %d cost %+v", i, op.name, s, big, l)
				}
			}
			// Replace: reads bounded by members sent + members removed.
			for _, tc := range []struct {
				name string
				want []string
			}{
				{"same members", nil},
				{"remove one", ids[5:big]},
				{"add one", append(append([]string{}, ids[5:big]...), spare[5])},
				{"remove all", []string{}},
			} {
				ms, err := s.ListMembers(ctx, team.ID, large, db.Page{Limit: 10 * big})
				if err != nil {
					t.Fatal(err)
				}
				want := tc.want
				if want == nil {
					for _, m := range ms {
						want = append(want, m.UserID)
					}
				}
				keep := map[string]bool{}
				for _, id := range want {
					keep[id] = true
				}
				removed := 0
				for _, m := range ms {
					if !keep[m.UserID] {
						removed++
					}
				}
				c := measure(large, nil, nil, &want)
				if limit := int64(len(want)+removed) + 5; c.rows > limit || c.rows == 0 {
					t.Errorf("replace, %s: read %d rows, want 1 to %d (sent %d, removed %d)", tc.name, c.rows, limit, len(want), removed)
				}
			}
		})
	}
}

// A group-membership change in a team without product mappings reads the
// mapping tables once (one EXISTS probe in the writer's transaction, so it
// holds across replicas), not twice; with a mapping the grants still follow
// the membership (R-MEM-5's mapped products).
func TestGroupChangeWithoutMappingsProbesOnce(t *testing.T) {
	ctx := context.Background()
	actor := db.Actor{Kind: db.ActorSCIMToken, ID: "tok", Name: "tok"}
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			s, counter, team := countedTeam(t, d, "probe")
			u, err := s.CreateUser(ctx, team.ID, db.NewUser{Email: "a@probe.test", FirstName: "A", LastName: "B", Source: db.SourceSCIM}, actor)
			if err != nil {
				t.Fatal(err)
			}
			g, err := s.CreateGroup(ctx, team.ID, db.NewGroup{DisplayName: "eng", Source: db.SourceSCIM}, actor)
			if err != nil {
				t.Fatal(err)
			}
			counter.Start()
			if _, err := s.PatchGroup(ctx, team.ID, g.ID, 0, actor, nil, []string{u.ID}, nil, nil); err != nil {
				t.Fatal(err)
			}
			counter.Stop()
			mappingReads := counter.Matching("product_mappings") + counter.Matching("project_access") - counter.Matching("product_mappings", "project_access")
			t.Logf("group +1 member, no mappings: %d statements, %d reading the mapping tables", counter.Statements, mappingReads)
			if mappingReads != 1 {
				t.Errorf("%d statements read product_mappings/project_access, want 1 (the probe)", mappingReads)
			}
		})
	}
}

// countedTeam opens a store on d with a statement counter and creates a team
// to count in.
func countedTeam(t *testing.T, d gormdb.Dialect, name string) (*gormdb.Store, *gormdb.Statements, db.Team) {
	t.Helper()
	s := gormdbtest.Open(t, d, gormdb.Config{})
	counter := gormdb.CountStatements(s)
	team, _, err := s.CreateTeam(context.Background(), db.NewTeam{Name: name, PrimaryEmail: "owner@" + name + ".example",
		PrimaryFirstName: "O", PrimaryLastName: "W"}, db.Actor{Kind: db.ActorOperator, ID: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return s, counter, team
}
