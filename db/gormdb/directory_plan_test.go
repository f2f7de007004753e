package gormdb_test

import (
	"context"
	"strings"
	"testing"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
)

// TestApplyDirectoryBatchWithoutPlanner: a store composed without a
// directory planner refuses a batch with an error naming the missing
// configuration, and writes nothing (issue 10 #2).
func TestApplyDirectoryBatchWithoutPlanner(t *testing.T) {
	s := gormdbtest.Open(t, gormdb.SQLite, gormdb.Config{})
	ctx := context.Background()
	op := db.Actor{Kind: db.ActorOperator}
	team, _, err := s.CreateTeam(ctx, db.NewTeam{Name: "t", PrimaryEmail: "owner@corp.example", PrimaryFirstName: "O", PrimaryLastName: "W"}, op)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateDirectoryConnection(ctx, db.DirectoryConnection{TeamID: team.ID, Kind: db.DirectoryOpenLDAP, URL: "ldaps://x",
		BindDN: "x", PasswordRef: "env:X", BaseDN: "dc=x"}, op)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.ApplyDirectoryBatch(ctx, c, db.DirectoryBatch{Users: []db.DirectoryUser{{Anchor: "a", DN: "uid=a,dc=x", Email: "a@corp.example", Hash: "h"}}},
		db.Actor{Kind: db.ActorDirectory, ID: c.ID})
	if err == nil || !strings.Contains(err.Error(), "PlanDirectory") {
		t.Fatalf("ApplyDirectoryBatch without a planner: err = %v, want one naming Config.PlanDirectory", err)
	}
	if n, err := s.CountDirectoryAnchors(ctx, c.ID, ""); err != nil || n != 0 {
		t.Fatalf("anchors after a refused batch = %d, %v; want 0", n, err)
	}
}
