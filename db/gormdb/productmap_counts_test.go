package gormdb_test

import (
	"context"
	"testing"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
)

// A group-membership change in a team without product mappings reads the
// mapping tables once (one EXISTS probe in the writer's transaction, so it
// holds across replicas), not twice; with a mapping the grants still follow
// the membership (R-MEM-5's mapped products).
func TestGroupChangeWithoutMappingsProbesOnce(t *testing.T) {
	ctx := context.Background()
	actor := db.Actor{Kind: db.ActorSCIMToken, ID: "tok", Name: "tok"}
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			s := gormdbtest.Open(t, d, gormdb.Config{})
			counter := gormdb.CountStatements(s)
			team, _, err := s.CreateTeam(ctx, db.NewTeam{Name: "probe", PrimaryEmail: "owner@probe.test", PrimaryFirstName: "O", PrimaryLastName: "W"}, actor)
			if err != nil {
				t.Fatal(err)
			}
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
