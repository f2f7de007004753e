package console_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/cmd/roster/internal/console"
	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/mail"
)

// mailOutbox is the console's Mailer on the mail package's Outbox sender,
// as cmd/roster wires it when no SMTP server is configured.
type mailOutbox struct{ *mail.Outbox }

func (m mailOutbox) Send(ctx context.Context, to, subject, body string) error {
	return m.Outbox.Send(ctx, mail.Message{To: to, Subject: subject, Body: body})
}

// enforcedSSO is the SSO service's answer for a team with SSO enforced on
// acme.test (sso.Service is tested for it in TestDomainVerificationAndEnforcement):
// password sign-in only for the primary admin, as the break-glass.
type enforcedSSO struct{}

func (enforcedSSO) SessionUser(context.Context, string) (db.User, db.Team, error) {
	return db.User{}, db.Team{}, db.Errorf(db.ErrNotFound, "no_session", "no session")
}
func (enforcedSSO) PasswordSignInAllowed(_ context.Context, u db.User) (bool, error) {
	return u.AdminRole == db.RolePrimary, nil
}
func (enforcedSSO) BreakGlass(_ context.Context, u db.User) (bool, error) {
	return u.AdminRole == db.RolePrimary, nil
}

// breakGlassTeam adds the admins a break-glass notice goes to (active
// secondary and SSO admins) and those it must not (a deactivated admin, a
// user who is no admin).
func breakGlassTeam(e *env) {
	e.user("sec@acme.test", db.RoleSecondary)
	e.user("ssoadmin@acme.test", db.RoleSSO)
	gone := e.user("gone@acme.test", db.RoleSecondary)
	if _, err := e.store.UpdateUser(context.Background(), e.team.ID, gone.ID, 0, operator, func(u *db.User) error {
		u.Status = db.StatusInactive
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
	e.user("plain@acme.test", db.RoleNone)
}

func recipients(o *mail.Outbox) []string {
	var to []string
	for _, m := range o.Messages() {
		if strings.Contains(m.Subject, "break-glass") {
			to = append(to, m.To)
		}
	}
	slices.Sort(to)
	return to
}

func breakGlassAudits(t *testing.T, e *env, via string) int {
	t.Helper()
	es, err := e.store.ListAudit(context.Background(), e.team.ID, db.AuditQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range es {
		if x.Action == "console.break_glass" && x.TargetID == e.prim.ID && strings.Contains(x.Details, via) {
			n++
		}
	}
	return n
}

// TestBreakGlassNotifiesTheOtherAdmins (issue 13 #4): the primary admin's
// break-glass under enforced SSO, by password or by login link, is audited
// and emailed to every other active admin of the team, never to the
// primary admin, a deactivated admin or a user who is no admin.
func TestBreakGlassNotifiesTheOtherAdmins(t *testing.T) {
	want := []string{"sec@acme.test", "ssoadmin@acme.test"}
	t.Run("password", func(t *testing.T) {
		out := &mail.Outbox{}
		e := newEnvWith(t, gormdb.Config{}, func(e *env, _ *http.ServeMux, a *adminapi.Deps, c *console.Deps) {
			c.SSO, c.Mailer = enforcedSSO{}, mailOutbox{out}
		})
		breakGlassTeam(e)
		const pw = "correct horse battery"
		for _, u := range []string{"pat@acme.test", "sec@acme.test"} {
			x, _ := e.store.FindUser(context.Background(), e.team.ID, db.UserKey{Email: u})
			if err := e.store.SetConsolePassword(context.Background(), e.team.ID, x.ID, console.HashPassword(pw), operator); err != nil {
				t.Fatal(err)
			}
		}
		// A secondary admin under enforced SSO is refused and notifies nobody.
		res, _ := e.do(e.browser(), "POST", "/console/password", url.Values{"team": {e.team.ID}, "email": {"sec@acme.test"}, "password": {pw}})
		if res.StatusCode != http.StatusForbidden || len(recipients(out)) != 0 {
			t.Fatalf("secondary admin under enforced SSO: %d, mails to %v", res.StatusCode, recipients(out))
		}
		res, _ = e.do(e.browser(), "POST", "/console/password", url.Values{"team": {e.team.ID}, "email": {"pat@acme.test"}, "password": {pw}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("break-glass password sign-in: %d", res.StatusCode)
		}
		if got := recipients(out); !slices.Equal(got, want) {
			t.Errorf("break-glass notice went to %v, want %v", got, want)
		}
		if n := breakGlassAudits(t, e, "password"); n != 1 {
			t.Errorf("%d console.break_glass audit entries, want 1", n)
		}
		if m := out.Messages()[0]; !strings.Contains(m.Body, "pat@acme.test") || !strings.Contains(m.Body, "with a password") {
			t.Errorf("notice body = %q", m.Body)
		}
	})
	t.Run("login link", func(t *testing.T) {
		out := &mail.Outbox{}
		e := newEnv(t)
		breakGlassTeam(e)
		yes := func(ctx context.Context, u db.User) (bool, error) { return u.AdminRole == db.RolePrimary, nil }
		if _, err := (console.LinkIssuer{Store: e.store, BaseURL: e.srv.URL, BreakGlass: yes, Mailer: mailOutbox{out}}).Issue(context.Background(), e.prim, operator); err != nil {
			t.Fatal(err)
		}
		if got := recipients(out); !slices.Equal(got, want) {
			t.Errorf("break-glass notice went to %v, want %v", got, want)
		}
		if n := breakGlassAudits(t, e, "login_link"); n != 1 {
			t.Errorf("%d console.break_glass audit entries, want 1", n)
		}
		// An ordinary link (no break-glass) notifies nobody.
		sec, _ := e.store.FindUser(context.Background(), e.team.ID, db.UserKey{Email: "sec@acme.test"})
		if _, err := (console.LinkIssuer{Store: e.store, BaseURL: e.srv.URL, BreakGlass: yes, Mailer: mailOutbox{out}}).Issue(context.Background(), sec, operator); err != nil {
			t.Fatal(err)
		}
		if n := len(out.Messages()); n != 2 {
			t.Errorf("%d mails after an ordinary link, want still 2", n)
		}
	})
}

// TestPasswordThrottleHoldsAcrossReplicas: the failure counts live in the
// database, so failures spread over two console replicas on one store lock
// the account on both, and the lock ends for both after the window.
func TestPasswordThrottleHoldsAcrossReplicas(t *testing.T) {
	e := newEnv(t)
	const pw = "correct horse battery"
	if err := e.store.SetConsolePassword(context.Background(), e.team.ID, e.prim.ID, console.HashPassword(pw), operator); err != nil {
		t.Fatal(err)
	}
	// A second replica: its own console (and process state) on the same store.
	mux := http.NewServeMux()
	ops := adminapi.New(adminapi.Deps{Store: e.store, BaseURL: "http://roster.test", MaxBody: 1 << 20})
	console.New(console.Deps{Store: e.store, Ops: ops, Now: e.clock.Now}).Register(mux)
	replica := httptest.NewServer(mux)
	defer replica.Close()
	try := func(base, p string) int {
		res, err := e.browser().PostForm(base+"/console/password", url.Values{"team": {e.team.ID}, "email": {"pat@acme.test"}, "password": {p}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for i, base := range []string{e.srv.URL, replica.URL, e.srv.URL, replica.URL, e.srv.URL} {
		if got := try(base, "wrong password!"); got != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, got)
		}
	}
	for _, base := range []string{e.srv.URL, replica.URL} {
		if got := try(base, pw); got != http.StatusTooManyRequests {
			t.Errorf("right password on the locked account at %s: %d, want 429", base, got)
		}
	}
	e.clock.Add(16 * time.Minute)
	if got := try(replica.URL, pw); got != http.StatusSeeOther {
		t.Errorf("after the window: %d, want a sign-in", got)
	}
}
