package dbtest

import (
	"testing"

	"github.com/roster-dev/roster/db"
)

// testUnavailable closes its store, so it runs last (see suites).
func testUnavailable(t *testing.T, s db.Store) {
	team, admin := NewTeam(t, s, "")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// A lost database is ErrUnavailable (a 503), never an untranslated driver error.
	checks := map[string]error{
		"ping":     s.Ping(ctx),
		"get team": func() error { _, err := s.GetTeam(ctx, team.ID); return err }(),
		"get user": func() error { _, err := s.GetUser(ctx, team.ID, admin.ID); return err }(),
		"create user": func() error {
			_, err := s.CreateUser(ctx, team.ID, db.NewUser{Email: Email("u", "x.test"), FirstName: "U", LastName: "X", Source: db.SourceAdmin}, Operator)
			return err
		}(),
		"list audit": func() error { _, err := s.ListAudit(ctx, team.ID, db.AuditQuery{}); return err }(),
	}
	for name, err := range checks {
		WantErr(t, err, db.ErrUnavailable, "")
		if db.IsClientError(err) {
			t.Errorf("%s: a lost database reported as a client error: %v", name, err)
		}
	}
}
