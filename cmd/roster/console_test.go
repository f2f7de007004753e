package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/sso"
)

func noRedirects() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// TestConsoleLoginLinkFromTheCLI: `roster console login-link` prints a
// link that signs the admin in to the console that `roster serve` runs;
// the server's root sends a browser to the console (never a 404).
func TestConsoleLoginLinkFromTheCLI(t *testing.T) {
	c := newCLI(t)
	team := c.team("Acme", "pat@acme.test")
	s := startServer(t, c)
	var out map[string]string
	c.ok(&out, "console", "login-link", "--team", "Acme", "--email", "pat@acme.test", "-o", "json")
	u, err := url.Parse(out["url"])
	if err != nil || u.Path != "/console/link" || u.Query().Get("token") == "" {
		t.Fatalf("url = %q", out["url"])
	}
	b := noRedirects()
	res, err := b.PostForm(s.url+"/console/link", url.Values{"token": {u.Query().Get("token")}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console/users" {
		t.Fatalf("sign in: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, err = b.Get(s.url + "/console/users")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "pat@acme.test") {
		t.Fatalf("users page: %d", res.StatusCode)
	}
	res, err = b.Get(s.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/console/" {
		t.Errorf("GET / = %d to %q, want the console", res.StatusCode, res.Header.Get("Location"))
	}
	c.ok(nil, "users", "add", "--team", team, "--email", "sam@acme.test", "--first-name", "Sam", "--last-name", "Ng")
	c.fails("not an admin", "console", "login-link", "--team", team, "--email", "sam@acme.test")
	c.fails("no such user", "console", "login-link", "--team", team, "--email", "nobody@acme.test")
}

// TestConsoleSSOLanding: after an SSO sign-in an admin lands on the console
// and a user who is not an admin on "My products"; a team can choose the
// destinations.
func TestConsoleSSOLanding(t *testing.T) {
	c := newCLI(t)
	team := c.team("Acme", "pat@acme.test")
	c.ok(nil, "users", "add", "--team", team, "--email", "sam@acme.test", "--first-name", "Sam", "--last-name", "Ng")
	s := startServer(t, c)
	store := s.store()
	ctx := context.Background()
	session := func(email string) string {
		u, err := store.FindUser(ctx, team, db.UserKey{Email: email})
		if err != nil {
			t.Fatal(err)
		}
		secret, hash := db.NewTokenSecret()
		if err := store.CreateSSOSession(ctx, db.SSOSession{Hash: hash, TeamID: team, UserID: u.ID, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		return secret
	}
	land := func(cookie string) (*http.Client, string) {
		b := noRedirects()
		su, _ := url.Parse(s.url)
		b.Jar.SetCookies(su, []*http.Cookie{{Name: sso.SessionCookie, Value: cookie, Path: "/"}})
		res, err := b.Get(s.url + "/console/sso")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return b, res.Header.Get("Location")
	}
	if _, loc := land(session("pat@acme.test")); loc != "/console/users" {
		t.Errorf("admin lands on %q, want /console/users", loc)
	}
	b, loc := land(session("sam@acme.test"))
	if loc != "/console/products" {
		t.Fatalf("user lands on %q, want /console/products", loc)
	}
	res, err := b.Get(s.url + loc)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "My products") || !strings.Contains(string(body), "sam@acme.test") {
		t.Errorf("My products: %d %s", res.StatusCode, body)
	}
	// An SSO sign-in without a return path ends at /: the user still lands on My products.
	b2 := noRedirects()
	su, _ := url.Parse(s.url)
	b2.Jar.SetCookies(su, []*http.Cookie{{Name: sso.SessionCookie, Value: session("sam@acme.test"), Path: "/"}})
	for _, step := range []struct{ path, want string }{{"/", "/console/"}, {"/console/", "/console/products"}} {
		res, err := b2.Get(s.url + step.path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got := res.Header.Get("Location"); got != step.want {
			t.Errorf("GET %s with an SSO session: to %q, want %q", step.path, got, step.want)
		}
	}
	if err := store.SetConsoleSettings(ctx, db.ConsoleSettings{TeamID: team, AdminDestination: "/console/policy"}, db.Actor{Kind: db.ActorOperator, ID: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, loc := land(session("pat@acme.test")); loc != "/console/policy" {
		t.Errorf("admin lands on %q, want the team's /console/policy", loc)
	}
}
