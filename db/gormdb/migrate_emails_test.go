package gormdb_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
)

// TestMigrationBackfillsPrimaryAdminEmails: databases written before the fix
// hold every team's primary admin without an email-index row; migration 0103
// adds it, so a SCIM emails filter finds the admin. issue 9 #12, R-ADM-1.
func TestMigrationBackfillsPrimaryAdminEmails(t *testing.T) {
	ctx := context.Background()
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			s := gormdbtest.Open(t, d, gormdb.Config{})
			email := "Primary.Backfill@Acme.test"
			team, admin, err := s.CreateTeam(ctx, db.NewTeam{Name: "backfill", PrimaryEmail: email,
				PrimaryFirstName: "P", PrimaryLastName: "A"}, db.Actor{Kind: db.ActorOperator, ID: "t", Name: "t"})
			if err != nil {
				t.Fatal(err)
			}
			if err := gormdb.UndoPrimaryAdminIndex(ctx, s); err != nil {
				t.Fatal(err)
			}
			ran, err := s.Migrate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"0103_primary_admin_emails_backfill"}, ran); diff != "" {
				t.Fatalf("migrations run (-want +got):\n%s", diff)
			}
			m, err := s.UserEmails(ctx, team.ID, []string{admin.ID})
			if err != nil {
				t.Fatal(err)
			}
			want := []db.UserEmail{{Value: email, Type: "work", Primary: true}}
			if diff := cmp.Diff(want, m[admin.ID]); diff != "" {
				t.Errorf("primary admin's email index after 0103 (-want +got):\n%s", diff)
			}
		})
	}
}
