package gormdb_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
)

// The text[] argument IN lists use on PostgreSQL (issue 15) carries every
// value exactly: quotes, backslashes, commas, braces, spaces, the word NULL,
// the empty string and non-ASCII text are elements, not syntax.
func TestTextArrayRoundTrip(t *testing.T) {
	if !slices.Contains(gormdbtest.Dialects(), gormdb.Postgres) {
		t.Skip("needs ROSTER_TEST_POSTGRES")
	}
	s := gormdbtest.Open(t, gormdb.Postgres, gormdb.Config{})
	vals := []string{"a", `"quoted"`, `back\slash`, `\"`, "comma,x", "{brace}", "", "NULL", "null", " spaced ", "ünï ✓", "x'y"}
	got, err := gormdb.TextArrayRoundTrip(context.Background(), s, vals)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, vals) {
		t.Fatalf("round trip:\n got %q\nwant %q", got, vals)
	}
	// Bad text is refused by the text guard, as in any other argument.
	if _, err := gormdb.TextArrayRoundTrip(context.Background(), s, []string{"ok", "nul\x00byte"}); err == nil {
		t.Fatal("a NUL byte in an element was accepted")
	}
}

// A member change naming several users plans its statements for their
// values on PostgreSQL (SET LOCAL plan_cache_mode, issue 15); a one-user
// change keeps the generic plans, and the setting ends with the transaction.
func TestMemberChangePlansForValues(t *testing.T) {
	if !slices.Contains(gormdbtest.Dialects(), gormdb.Postgres) {
		t.Skip("needs ROSTER_TEST_POSTGRES")
	}
	ctx := context.Background()
	s := gormdbtest.Open(t, gormdb.Postgres, gormdb.Config{})
	op := db.Actor{Kind: db.ActorOperator, ID: "t", Name: "t"}
	team, _, err := s.CreateTeam(ctx, db.NewTeam{Name: "plans", PrimaryEmail: "owner@plans.test", PrimaryFirstName: "O", PrimaryLastName: "P"}, op)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 2 {
		u, err := s.CreateUser(ctx, team.ID, db.NewUser{Email: fmt.Sprintf("u%d@plans.test", i), FirstName: "U", LastName: "P", Source: db.SourceSCIM}, op)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	g, err := s.CreateGroup(ctx, team.ID, db.NewGroup{DisplayName: "g", Source: db.SourceSCIM}, op)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		add  []string
		want string
	}{{ids, "force_custom_plan"}, {ids[:1], "auto"}, {ids, "force_custom_plan"}} {
		got, err := gormdb.PlanCacheModeInMemberChange(ctx, s, team.ID, g.ID, c.add)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("adding %d members: plan_cache_mode %q, want %q", len(c.add), got, c.want)
		}
	}
}
