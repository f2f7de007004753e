package gormdb_test

import (
	"context"
	"testing"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
)

func TestSmoke(t *testing.T) {
	for _, d := range []gormdb.Dialect{gormdb.SQLite, gormdb.Postgres, gormdb.MySQL} {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			s := gormdbtest.Open(t, d, gormdb.Config{})
			ctx := context.Background()
			op := db.Actor{Kind: db.ActorOperator, ID: "cli"}
			team, prim, err := s.CreateTeam(ctx, db.NewTeam{Name: "T", PrimaryEmail: "p@x.test", PrimaryFirstName: "P", PrimaryLastName: "Q"}, op)
			if err != nil {
				t.Fatal(err)
			}
			u, err := s.CreateUser(ctx, team.ID, db.NewUser{Email: "A@x.test", FirstName: "a", LastName: "b", Source: db.SourceAdmin}, op)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateUser(ctx, team.ID, db.NewUser{Email: "a@X.test", FirstName: "a", LastName: "b", Source: db.SourceAdmin}, op); db.CodeOf(err) != "email_taken" {
				t.Fatalf("dup: %v", err)
			}
			g, err := s.CreateGroup(ctx, team.ID, db.NewGroup{DisplayName: "g", Members: []string{u.ID, prim.ID}}, op)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.SetAdminRole(ctx, team.ID, prim.ID, u.ID, db.RoleSecondary, op); err != nil {
				t.Fatal(err)
			}
			if err := s.SetAdminRole(ctx, team.ID, prim.ID, u.ID, db.RolePrimary, op); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteUser(ctx, team.ID, prim.ID, op); err != nil {
				t.Fatal(err)
			}
			g, _ = s.GetGroup(ctx, team.ID, g.ID)
			if g.MemberCount != 1 {
				t.Fatalf("count %d", g.MemberCount)
			}
			a, err := s.ListAudit(ctx, team.ID, db.AuditQuery{})
			if err != nil || len(a) < 5 {
				t.Fatalf("audit %v %d", err, len(a))
			}
		})
	}
}
