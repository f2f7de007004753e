package dbtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster/db"
)

// testConsole is the admin console's storage (issue 13): login links are
// for active admins only and single-use until they expire; sessions end at
// their absolute expiry, after the idle timeout, and when revoked; the
// post-sign-in destinations are console paths only.
func testConsole(t *testing.T, s db.Store) {
	cs, ok := s.(db.ConsoleStore)
	if !ok {
		missing(t, "it does not implement db.ConsoleStore")
	}
	t.Run("login_links", func(t *testing.T) { testConsoleLinks(t, s, cs) })
	t.Run("sessions", func(t *testing.T) { testConsoleSessions(t, s, cs) })
	t.Run("settings", func(t *testing.T) { testConsoleSettings(t, s, cs) })
	t.Run("passwords", func(t *testing.T) { testConsolePasswords(t, s, cs) })
}

func testConsoleLinks(t *testing.T, s db.Store, cs db.ConsoleStore) {
	ctx := context.Background()
	team, prim := NewTeam(t, s, "")
	now := time.Now().UTC().Truncate(time.Millisecond)
	link := func(userID string) db.LoginLink {
		_, h := db.NewTokenSecret()
		return db.LoginLink{Hash: h, TeamID: team.ID, UserID: userID, CreatedAt: now, ExpiresAt: now.Add(15 * time.Minute)}
	}
	// Only an active admin gets a link.
	plain := NewUser(t, s, team.ID, "plain", "acme.test", db.SourceAdmin)
	WantErr(t, cs.CreateLoginLink(ctx, link(plain.ID), Operator), db.ErrForbidden, "not_admin")
	sec := NewUser(t, s, team.ID, "sec", "acme.test", db.SourceAdmin)
	if err := s.SetAdminRole(ctx, team.ID, prim.ID, sec.ID, db.RoleSecondary, Operator); err != nil {
		t.Fatal(err)
	}
	inactive := db.StatusInactive
	if _, err := s.UpdateUser(ctx, team.ID, sec.ID, 0, Operator, func(u *db.User) error { u.Status = inactive; return nil }); err != nil {
		t.Fatal(err)
	}
	WantErr(t, cs.CreateLoginLink(ctx, link(sec.ID), Operator), db.ErrForbidden, "admin_inactive")
	WantErr(t, cs.CreateLoginLink(ctx, link("no-such-user"), Operator), db.ErrNotFound, "user_not_found")

	l := link(prim.ID)
	if err := cs.CreateLoginLink(ctx, l, Operator); err != nil {
		t.Fatal(err)
	}
	got, err := cs.UseLoginLink(ctx, l.Hash, db.LinkSignIn, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got.UserID != prim.ID || got.TeamID != team.ID {
		t.Errorf("used link = %+v, want user %s of team %s", got, prim.ID, team.ID)
	}
	// Single use: a replay is refused.
	_, err = cs.UseLoginLink(ctx, l.Hash, db.LinkSignIn, now.Add(2*time.Minute))
	WantErr(t, err, db.ErrNotFound, "login_link_invalid")
	// Expired: refused.
	late := link(prim.ID)
	if err := cs.CreateLoginLink(ctx, late, Operator); err != nil {
		t.Fatal(err)
	}
	_, err = cs.UseLoginLink(ctx, late.Hash, db.LinkSignIn, now.Add(15*time.Minute))
	WantErr(t, err, db.ErrNotFound, "login_link_invalid")
	_, err = cs.UseLoginLink(ctx, []byte("unknown-unknown-unknown-unknown!"), db.LinkSignIn, now)
	WantErr(t, err, db.ErrNotFound, "login_link_invalid")

	es, err := s.ListAudit(ctx, team.ID, db.AuditQuery{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, e := range es {
		counts[e.Action]++
	}
	if counts["console.login_link.create"] != 2 || counts["console.sign_in"] != 1 {
		t.Errorf("audit actions = %v, want 2 console.login_link.create and 1 console.sign_in", counts)
	}
}

func testConsoleSessions(t *testing.T, s db.Store, cs db.ConsoleStore) {
	ctx := context.Background()
	team, prim := NewTeam(t, s, "")
	now := time.Now().UTC().Truncate(time.Millisecond)
	idle := 30 * time.Minute
	newSession := func() db.ConsoleSession {
		_, h := db.NewTokenSecret()
		se := db.ConsoleSession{Hash: h, TeamID: team.ID, UserID: prim.ID, Method: "link", CreatedAt: now, ExpiresAt: now.Add(8 * time.Hour)}
		if err := cs.CreateConsoleSession(ctx, se); err != nil {
			t.Fatal(err)
		}
		return se
	}
	se := newSession()
	got, err := cs.TouchConsoleSession(ctx, se.Hash, now.Add(20*time.Minute), idle)
	if err != nil {
		t.Fatal(err)
	}
	if got.UserID != prim.ID || got.Method != "link" || !got.LastSeenAt.Equal(now.Add(20*time.Minute)) {
		t.Errorf("session = %+v", got)
	}
	// Touched at +20m, so +45m is within the idle timeout...
	if _, err := cs.TouchConsoleSession(ctx, se.Hash, now.Add(45*time.Minute), idle); err != nil {
		t.Errorf("active session refused: %v", err)
	}
	// ...and +76m (31 minutes idle) is not.
	_, err = cs.TouchConsoleSession(ctx, se.Hash, now.Add(76*time.Minute), idle)
	WantErr(t, err, db.ErrNotFound, "session_not_found")

	// Absolute timeout, however active.
	abs := newSession()
	_, err = cs.TouchConsoleSession(ctx, abs.Hash, now.Add(8*time.Hour), 24*time.Hour)
	WantErr(t, err, db.ErrNotFound, "session_not_found")

	// Revoked one by one, or all of a user's at once.
	one := newSession()
	if err := cs.RevokeConsoleSession(ctx, one.Hash, now); err != nil {
		t.Fatal(err)
	}
	_, err = cs.TouchConsoleSession(ctx, one.Hash, now.Add(time.Minute), idle)
	WantErr(t, err, db.ErrNotFound, "session_not_found")
	a, b := newSession(), newSession()
	n, err := cs.RevokeUserConsoleSessions(ctx, team.ID, prim.ID, now)
	if err != nil || n < 2 {
		t.Fatalf("RevokeUserConsoleSessions = %d, %v; want at least 2", n, err)
	}
	for _, x := range []db.ConsoleSession{a, b} {
		_, err = cs.TouchConsoleSession(ctx, x.Hash, now.Add(time.Minute), idle)
		WantErr(t, err, db.ErrNotFound, "session_not_found")
	}
}

func testConsoleSettings(t *testing.T, s db.Store, cs db.ConsoleStore) {
	ctx := context.Background()
	team, _ := NewTeam(t, s, "")
	got, err := cs.GetConsoleSettings(ctx, team.ID)
	if err != nil || got != (db.ConsoleSettings{TeamID: team.ID}) {
		t.Fatalf("unset settings = %+v, %v", got, err)
	}
	for _, bad := range []string{"https://evil.test/", "//evil.test/console/", "/console/../x", "/api/v1/x", "/console/x?y=1"} {
		err := cs.SetConsoleSettings(ctx, db.ConsoleSettings{TeamID: team.ID, UserDestination: bad}, Operator)
		WantErr(t, err, db.ErrInvalid, "destination_invalid")
	}
	want := db.ConsoleSettings{TeamID: team.ID, AdminDestination: "/console/policy", UserDestination: "/console/products"}
	if err := cs.SetConsoleSettings(ctx, want, Operator); err != nil {
		t.Fatal(err)
	}
	if got, err := cs.GetConsoleSettings(ctx, team.ID); err != nil || got != want {
		t.Errorf("settings = %+v, %v; want %+v", got, err, want)
	}
	err = cs.SetConsoleSettings(ctx, db.ConsoleSettings{TeamID: "no-such-team"}, Operator)
	WantErr(t, err, db.ErrNotFound, "")
}

func testConsolePasswords(t *testing.T, s db.Store, cs db.ConsoleStore) {
	ctx := context.Background()
	team, _ := NewTeam(t, s, "")
	u := NewUser(t, s, team.ID, "pw", "acme.test", db.SourceAdmin)
	_, err := cs.ConsolePassword(ctx, team.ID, u.ID)
	WantErr(t, err, db.ErrNotFound, "password_not_set")
	if err := cs.SetConsolePassword(ctx, team.ID, u.ID, "$argon2id$v=19$x", Operator); err != nil {
		t.Fatal(err)
	}
	if err := cs.SetConsolePassword(ctx, team.ID, u.ID, "$argon2id$v=19$y", Operator); err != nil {
		t.Fatal(err)
	}
	if h, err := cs.ConsolePassword(ctx, team.ID, u.ID); err != nil || h != "$argon2id$v=19$y" {
		t.Errorf("password = %q, %v", h, err)
	}
	WantErr(t, cs.SetConsolePassword(ctx, team.ID, "no-such-user", "x", Operator), db.ErrNotFound, "user_not_found")

	// A reset link is for any active user, and is not a sign-in link.
	now := time.Now().UTC().Truncate(time.Millisecond)
	_, h := db.NewTokenSecret()
	l := db.LoginLink{Hash: h, TeamID: team.ID, UserID: u.ID, Purpose: db.LinkReset, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := cs.CreateLoginLink(ctx, l, Operator); err != nil {
		t.Fatal(err)
	}
	_, err = cs.UseLoginLink(ctx, h, db.LinkSignIn, now)
	WantErr(t, err, db.ErrNotFound, "login_link_invalid")
	if got, err := cs.UseLoginLink(ctx, h, db.LinkReset, now); err != nil || got.UserID != u.ID {
		t.Fatalf("use reset link = %+v, %v", got, err)
	}
	for _, action := range []string{"console.lockout", "console.break_glass"} {
		if err := cs.AuditConsole(ctx, team.ID, Operator, action, u.ID, map[string]string{"reason": "test"}); err != nil {
			t.Fatal(err)
		}
	}
	WantErr(t, cs.AuditConsole(ctx, team.ID, Operator, "user.delete", u.ID, nil), db.ErrInvalid, "audit_action")
	es, _ := s.ListAudit(ctx, team.ID, db.AuditQuery{Limit: 20})
	seen := map[string]bool{}
	for _, e := range es {
		seen[e.Action] = true
		if strings.Contains(e.Details, "argon2id") {
			t.Errorf("audit entry %s holds the password hash: %s", e.Action, e.Details)
		}
	}
	for _, a := range []string{"console.password.set", "console.reset_link.create", "console.lockout"} {
		if !seen[a] {
			t.Errorf("no %s audit entry", a)
		}
	}
}
