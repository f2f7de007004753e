package dbtest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/db"
)

func testSSO(t *testing.T, s db.Store) {
	ss, ok := s.(db.SSOStore)
	if !ok {
		missing(t, "it does not implement db.SSOStore")
	}
	t.Run("Config", func(t *testing.T) { testSSOConfig(t, s, ss) })
	t.Run("Keys", func(t *testing.T) { testSSOKeys(t, s, ss) })
	t.Run("RequestsSingleUse", func(t *testing.T) { testSSORequests(t, s, ss) })
	t.Run("ReplayCache", func(t *testing.T) { testSSOReplay(t, s, ss) })
	t.Run("Sessions", func(t *testing.T) { testSSOSessions(t, s, ss) })
	t.Run("Stamp", func(t *testing.T) { testSSOStamp(t, s, ss) })
	t.Run("SignInOneTransaction", func(t *testing.T) { testSSOSignIn(t, s, ss) })
	t.Run("SignInConcurrentJIT", func(t *testing.T) { testSSOSignInConcurrentJIT(t, s, ss) })
}

var ssoNow = time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)

func testSSOConfig(t *testing.T, s db.Store, ss db.SSOStore) {
	ctx := context.Background()
	team, prim := NewTeam(t, s, "")
	other, _ := NewTeam(t, s, "")
	if _, err := ss.GetSSOConfig(ctx, team.ID); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("get before put: %v", err)
	}
	verified := ssoNow.Add(-time.Hour)
	c := db.SSOConfig{TeamID: team.ID, IdPMetadataXML: "<md/>", IdPMetadataURL: "https://idp.example/md", IdPEntityID: "https://idp.example",
		MetadataRefreshedAt: &verified, TrustedCerts: []db.SSOCert{{PEM: "pem", Fingerprint: "ab", Subject: "CN=x", NotAfter: ssoNow, FromMetadata: true}},
		Domains:         []db.SSODomain{{Name: "acme.test", Token: "tok", VerifiedAt: &verified}, {Name: "acme.example", Token: "t2"}},
		AttributePreset: "entra", Attributes: db.SSOAttributeMap{Email: "mail"}, JIT: true, AllowIdPInitiated: true,
		EnforceSSO: true, AllowSHA1: true, ClockSkew: 90 * time.Second}
	admin := db.Actor{Kind: db.ActorAdmin, ID: prim.ID, Name: prim.Email}
	got, err := ss.PutSSOConfig(ctx, c, 0, admin, "sso.create", map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 1 {
		t.Errorf("version = %d, want 1", got.Version)
	}
	read, err := ss.GetSSOConfig(ctx, team.ID)
	if err != nil {
		t.Fatal(err)
	}
	c.Version, c.UpdatedAt = read.Version, read.UpdatedAt
	if diff := cmp.Diff(c, read); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
	// compare-and-swap
	if _, err := ss.PutSSOConfig(ctx, read, 7, admin, "sso.update", nil); !errors.Is(err, db.ErrStale) {
		t.Errorf("stale version: %v", err)
	}
	read.JIT = false
	upd, err := ss.PutSSOConfig(ctx, read, read.Version, admin, "sso.update", nil)
	if err != nil || upd.Version != 2 || upd.JIT {
		t.Fatalf("update: %+v %v", upd, err)
	}
	// tenant isolation: the other team has none
	if _, err := ss.GetSSOConfig(ctx, other.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("other team sees a configuration: %v", err)
	}
	// audited with the admin
	es, _ := s.ListAudit(ctx, team.ID, db.AuditQuery{Limit: 5})
	if len(es) < 2 || es[0].Action != "sso.update" || es[0].Actor.ID != prim.ID || es[1].Action != "sso.create" {
		t.Errorf("audit = %+v", es)
	}
	all, err := ss.ListSSOConfigs(ctx)
	if err != nil || len(all) < 1 {
		t.Errorf("list: %d %v", len(all), err)
	}
	if _, err := ss.PutSSOConfig(ctx, db.SSOConfig{TeamID: "no-such-team"}, 0, admin, "sso.create", nil); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("put for an unknown team: %v", err)
	}
	// The sso service's other actions on the same write path (each event
	// carries the SSO view; TestConformance checks none is null).
	for _, action := range []string{"sso.domain.verify", "sso.metadata.refresh"} {
		if upd, err = ss.PutSSOConfig(ctx, upd, upd.Version, admin, action, nil); err != nil {
			t.Fatalf("%s: %v", action, err)
		}
	}
	if err := ss.DeleteSSOConfig(ctx, team.ID, admin); err != nil {
		t.Fatal(err)
	}
	if err := ss.DeleteSSOConfig(ctx, team.ID, admin); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
}

func testSSOKeys(t *testing.T, s db.Store, ss db.SSOStore) {
	ctx := context.Background()
	team, _ := NewTeam(t, s, "")
	other, _ := NewTeam(t, s, "")
	k1 := db.SSOKey{ID: "k1-" + team.ID[:8], TeamID: team.ID, PrivateKeyPEM: "priv1", CertPEM: "cert1", CreatedAt: ssoNow}
	k2 := db.SSOKey{ID: "k2-" + team.ID[:8], TeamID: team.ID, PrivateKeyPEM: "priv2", CertPEM: "cert2", CreatedAt: ssoNow.Add(time.Minute)}
	for _, k := range []db.SSOKey{k1, k2} {
		if err := ss.AddSSOKey(ctx, k, Operator); err != nil {
			t.Fatal(err)
		}
	}
	ks, err := ss.SSOKeys(ctx, team.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]db.SSOKey{k2, k1}, ks); diff != "" {
		t.Errorf("keys newest first (-want +got):\n%s", diff)
	}
	// a key added at the same instant still sorts as the newest
	k3 := db.SSOKey{ID: "k0-" + team.ID[:8], TeamID: team.ID, PrivateKeyPEM: "priv3", CertPEM: "cert3", CreatedAt: k2.CreatedAt}
	if err := ss.AddSSOKey(ctx, k3, Operator); err != nil {
		t.Fatal(err)
	}
	if ks, _ := ss.SSOKeys(ctx, team.ID); len(ks) != 3 || ks[0].ID != k3.ID {
		t.Errorf("a key added at the same instant is not the newest: %+v", ks)
	}
	if err := ss.DeleteSSOKey(ctx, team.ID, k3.ID, Operator); err != nil {
		t.Fatal(err)
	}
	if ks, _ := ss.SSOKeys(ctx, other.ID); len(ks) != 0 {
		t.Errorf("other team sees keys: %d", len(ks))
	}
	if err := ss.DeleteSSOKey(ctx, other.ID, k1.ID, Operator); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("delete through another team: %v", err)
	}
	if err := ss.DeleteSSOKey(ctx, team.ID, k1.ID, Operator); err != nil {
		t.Fatal(err)
	}
	if err := ss.DeleteSSOKey(ctx, team.ID, k2.ID, Operator); !errors.Is(err, db.ErrRule) {
		t.Errorf("delete the last key: %v", err)
	}
}

func testSSORequests(t *testing.T, s db.Store, ss db.SSOStore) {
	ctx := context.Background()
	team, _ := NewTeam(t, s, "")
	other, _ := NewTeam(t, s, "")
	r := db.SSORequest{RelayState: "rs-" + team.ID, TeamID: team.ID, RequestID: "id-1", ReturnTo: "/x", TestBy: "u1", ExpiresAt: ssoNow.Add(time.Minute)}
	if err := ss.PutSSORequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	if _, err := ss.TakeSSORequest(ctx, other.ID, r.RelayState, ssoNow); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("taken through another team: %v", err)
	}
	// many concurrent takes: exactly one wins
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := ss.TakeSSORequest(ctx, team.ID, r.RelayState, ssoNow)
			if err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
				if diff := cmp.Diff(r, got); diff != "" {
					t.Errorf("taken (-want +got):\n%s", diff)
				}
			} else if !errors.Is(err, db.ErrNotFound) && !errors.Is(err, db.ErrStale) {
				t.Errorf("take: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d concurrent takes won, want exactly 1", wins)
	}
	exp := db.SSORequest{RelayState: "exp-" + team.ID, TeamID: team.ID, RequestID: "id-2", ExpiresAt: ssoNow}
	if err := ss.PutSSORequest(ctx, exp); err != nil {
		t.Fatal(err)
	}
	if _, err := ss.TakeSSORequest(ctx, team.ID, exp.RelayState, ssoNow); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("expired request taken: %v", err)
	}
}

func testSSOReplay(t *testing.T, s db.Store, ss db.SSOStore) {
	ctx := context.Background()
	team, _ := NewTeam(t, s, "")
	other, _ := NewTeam(t, s, "")
	if err := ss.MarkSSOAssertion(ctx, team.ID, "_a1", ssoNow.Add(time.Hour), ssoNow); err != nil {
		t.Fatal(err)
	}
	if err := ss.MarkSSOAssertion(ctx, team.ID, "_a1", ssoNow.Add(time.Hour), ssoNow); !errors.Is(err, db.ErrConflict) {
		t.Errorf("replay: %v, want a conflict", err)
	}
	if err := ss.MarkSSOAssertion(ctx, other.ID, "_a1", ssoNow.Add(time.Hour), ssoNow); err != nil {
		t.Errorf("the same ID in another team: %v", err)
	}
	// once expired, the ID may be seen again (nothing could accept it meanwhile)
	if err := ss.MarkSSOAssertion(ctx, team.ID, "_a1", ssoNow.Add(3*time.Hour), ssoNow.Add(2*time.Hour)); err != nil {
		t.Errorf("after expiry: %v", err)
	}
	if err := ss.MarkSSOAssertion(ctx, team.ID, "", ssoNow, ssoNow); !errors.Is(err, db.ErrInvalid) {
		t.Errorf("empty id: %v", err)
	}
	// concurrent marks of one ID: exactly one wins
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := ss.MarkSSOAssertion(ctx, team.ID, "_race", ssoNow.Add(time.Hour), ssoNow); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d concurrent marks won, want exactly 1", wins)
	}
	if err := ss.PurgeSSO(ctx, ssoNow.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := ss.MarkSSOAssertion(ctx, team.ID, "_race", ssoNow.Add(25*time.Hour), ssoNow.Add(24*time.Hour)); err != nil {
		t.Errorf("after purge: %v", err)
	}
}

func testSSOSessions(t *testing.T, s db.Store, ss db.SSOStore) {
	ctx := context.Background()
	team, prim := NewTeam(t, s, "")
	h := []byte("0123456789abcdef0123456789abcdef")
	se := db.SSOSession{Hash: h, TeamID: team.ID, UserID: prim.ID, CreatedAt: ssoNow, ExpiresAt: ssoNow.Add(time.Hour)}
	if err := ss.CreateSSOSession(ctx, se); err != nil {
		t.Fatal(err)
	}
	got, err := ss.GetSSOSession(ctx, h, ssoNow)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(se, got); diff != "" {
		t.Errorf("session (-want +got):\n%s", diff)
	}
	if _, err := ss.GetSSOSession(ctx, h, ssoNow.Add(time.Hour)); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("expired session: %v", err)
	}
	if err := ss.DeleteSSOSession(ctx, h); err != nil {
		t.Fatal(err)
	}
	if _, err := ss.GetSSOSession(ctx, h, ssoNow); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("deleted session: %v", err)
	}
}

func testSSOStamp(t *testing.T, s db.Store, ss db.SSOStore) {
	ctx := context.Background()
	team, _ := NewTeam(t, s, "")
	if _, err := ss.SSOStamp(ctx, team.ID); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("stamp before a configuration: %v, want not found", err)
	}
	c, err := ss.PutSSOConfig(ctx, db.SSOConfig{TeamID: team.ID, IdPMetadataXML: "<md/>", IdPEntityID: "https://idp.example"}, 0, Operator, "sso.update", nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := ss.SSOStamp(ctx, team.ID)
	if err != nil || st.Version != c.Version || len(st.KeyIDs) != 0 {
		t.Fatalf("stamp without keys = %+v, %v; want version %d and no keys", st, err, c.Version)
	}
	k1 := db.SSOKey{ID: "s1-" + team.ID[:8], TeamID: team.ID, PrivateKeyPEM: "p", CertPEM: "c", CreatedAt: ssoNow}
	k2 := db.SSOKey{ID: "s2-" + team.ID[:8], TeamID: team.ID, PrivateKeyPEM: "p", CertPEM: "c", CreatedAt: ssoNow.Add(time.Minute)}
	for _, k := range []db.SSOKey{k1, k2} {
		if err := ss.AddSSOKey(ctx, k, Operator); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ss.PutSSOConfig(ctx, c, c.Version, Operator, "sso.update", nil); err != nil {
		t.Fatal(err)
	}
	st, err = ss.SSOStamp(ctx, team.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(db.SSOStamp{Version: c.Version + 1, KeyIDs: []string{k2.ID, k1.ID}}, st); diff != "" {
		t.Errorf("stamp (-want +got):\n%s", diff)
	}
}

// testSSOSignIn: a sign-in's writes are one transaction (issue 15): the
// replay keys, the user (found, or created just in time through the
// writer) and the session commit together, or nothing does.
func testSSOSignIn(t *testing.T, s db.Store, ss db.SSOStore) {
	ctx := context.Background()
	team, prim := NewTeam(t, s, "")
	hash := func(n byte) []byte { return []byte("0123456789abcdef0123456789abcde" + string(rune('a'+n))) }
	signIn := func(n byte, email string, keys []string, match func(db.User, bool) (*db.NewUser, db.Actor, error)) (db.SSOSignedIn, error) {
		in := db.SSOSignIn{TeamID: team.ID, Email: email, Now: ssoNow, Match: match,
			Session: db.SSOSession{Hash: hash(n), CreatedAt: ssoNow, ExpiresAt: ssoNow.Add(time.Hour)}}
		for _, k := range keys {
			in.Used = append(in.Used, db.SSOUse{Key: k, ExpiresAt: ssoNow.Add(time.Hour)})
		}
		return ss.SignInSSO(ctx, in)
	}
	existing := func(u db.User, found bool) (*db.NewUser, db.Actor, error) {
		if !found {
			return nil, db.Actor{}, errors.New("not found")
		}
		return nil, db.Actor{}, nil
	}
	sessionOf := func(n byte) (db.SSOSession, bool) {
		se, err := ss.GetSSOSession(ctx, hash(n), ssoNow)
		return se, err == nil
	}

	// an existing user, found by email in any case
	got, err := signIn(0, strings.ToUpper(prim.Email), []string{"request:r0", "_a0"}, existing)
	if err != nil {
		t.Fatal(err)
	}
	if got.User.ID != prim.ID || got.Created {
		t.Errorf("signed in %+v, want the existing user %s, not created", got, prim.ID)
	}
	if se, ok := sessionOf(0); !ok || se.UserID != prim.ID || se.TeamID != team.ID {
		t.Errorf("session = %+v, %v; want one for %s", se, ok, prim.ID)
	}
	for _, k := range []string{"request:r0", "_a0"} {
		if err := ss.MarkSSOAssertion(ctx, team.ID, k, ssoNow.Add(time.Hour), ssoNow); !errors.Is(err, db.ErrConflict) {
			t.Errorf("replay key %s not recorded: %v", k, err)
		}
	}

	// a replayed key (here the second one) fails the sign-in: no session,
	// and the other key is not recorded either
	_, err = signIn(1, prim.Email, []string{"_fresh", "_a0"}, existing)
	var de *db.Error
	if !errors.Is(err, db.ErrConflict) || !errors.As(err, &de) || de.Code != "assertion_replayed" {
		t.Errorf("replay = %v, want assertion_replayed", err)
	}
	if _, ok := sessionOf(1); ok {
		t.Error("a replayed sign-in started a session")
	}
	if err := ss.MarkSSOAssertion(ctx, team.ID, "_fresh", ssoNow.Add(time.Hour), ssoNow); err != nil {
		t.Errorf("the failed sign-in's other key was committed: %v", err)
	}

	// Match refuses: its error comes back and nothing is written
	refusal := errors.New("refused by the rule")
	if _, err := signIn(2, prim.Email, []string{"_a2"}, func(db.User, bool) (*db.NewUser, db.Actor, error) {
		return nil, db.Actor{}, refusal
	}); !errors.Is(err, refusal) {
		t.Errorf("refusal = %v, want Match's error", err)
	}
	if _, ok := sessionOf(2); ok {
		t.Error("a refused sign-in started a session")
	}
	if err := ss.MarkSSOAssertion(ctx, team.ID, "_a2", ssoNow.Add(time.Hour), ssoNow); err != nil {
		t.Errorf("a refused sign-in recorded its key: %v", err)
	}

	// just in time: the user is created through the writer, with the actor
	email := Email("jit", "acme.test")
	jit := func(u db.User, found bool) (*db.NewUser, db.Actor, error) {
		if found {
			return nil, db.Actor{}, nil
		}
		return &db.NewUser{Email: email, FirstName: "Jit", LastName: "User", Source: db.SourceSSO}, db.Actor{Kind: db.ActorSSO, ID: "idp", Name: email}, nil
	}
	got, err = signIn(3, email, []string{"_a3"}, jit)
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.FindUser(ctx, team.ID, db.UserKey{Email: email})
	if err != nil || !got.Created || got.User.ID != u.ID || u.Source != db.SourceSSO || u.Status != db.StatusActive {
		t.Errorf("JIT sign-in = %+v; stored %+v, %v", got, u, err)
	}
	if se, ok := sessionOf(3); !ok || se.UserID != u.ID {
		t.Errorf("JIT session = %+v, %v", se, ok)
	}
	audit, err := s.ListAudit(ctx, team.ID, db.AuditQuery{Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	audited := false
	for _, a := range audit {
		audited = audited || (a.TargetID == u.ID && a.Actor.Kind == db.ActorSSO)
	}
	if !audited {
		t.Errorf("the JIT user's creation is not audited: %+v", audit)
	}
	// a second sign-in of the same person finds them
	if got, err := signIn(4, email, []string{"_a4"}, jit); err != nil || got.Created || got.User.ID != u.ID {
		t.Errorf("second sign-in = %+v, %v; want the user found", got, err)
	}
	// a JIT user that the writer refuses rolls everything back
	if _, err := signIn(5, Email("bad", "acme.test"), []string{"_a5"}, func(db.User, bool) (*db.NewUser, db.Actor, error) {
		return &db.NewUser{Email: Email("bad", "acme.test"), FirstName: strings.Repeat("x", 300), LastName: "L", Source: db.SourceSSO}, db.Actor{Kind: db.ActorSSO, ID: "idp"}, nil
	}); !db.IsClientError(err) {
		t.Errorf("a name over 255 characters = %v, want a client error", err)
	}
	if _, ok := sessionOf(5); ok {
		t.Error("a refused JIT sign-in started a session")
	}
	if err := ss.MarkSSOAssertion(ctx, team.ID, "_a5", ssoNow.Add(time.Hour), ssoNow); err != nil {
		t.Errorf("a refused JIT sign-in recorded its key: %v", err)
	}

	// a pending member's first sign-in makes them active (R-MEM-3)
	pe := Email("pending", "acme.test")
	p, err := s.CreateUser(ctx, team.ID, db.NewUser{Email: pe, FirstName: "P", LastName: "M", Status: db.StatusPending, Source: db.SourceAdmin}, Operator)
	if err != nil {
		t.Fatal(err)
	}
	got, err = signIn(6, pe, []string{"_a6"}, existing)
	if err != nil || got.User.ID != p.ID || got.User.Status != db.StatusActive {
		t.Errorf("pending member's sign-in = %+v, %v; want them active (R-MEM-3)", got, err)
	}
	if u, _ := s.GetUser(ctx, team.ID, p.ID); u.Status != db.StatusActive {
		t.Errorf("pending member stored as %s after signing in (R-MEM-3)", u.Status)
	}
}

// testSSOSignInConcurrentJIT: concurrent first sign-ins of one person
// create one user; a loser gets a conflict that is not a replay, or a
// deadlock (MariaDB), after which the sso package runs it again; never a
// second user.
func testSSOSignInConcurrentJIT(t *testing.T, s db.Store, ss db.SSOStore) {
	ctx := context.Background()
	team, _ := NewTeam(t, s, "")
	email := Email("race", "acme.test")
	var wg sync.WaitGroup
	var mu sync.Mutex
	created, conflicts, ok := 0, 0, 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := []byte("race-0123456789abcdef0123456789" + string(rune('a'+i)))
			got, err := ss.SignInSSO(ctx, db.SSOSignIn{TeamID: team.ID, Email: email, Now: ssoNow,
				Used:    []db.SSOUse{{Key: "_race" + string(rune('a'+i)), ExpiresAt: ssoNow.Add(time.Hour)}},
				Session: db.SSOSession{Hash: h, CreatedAt: ssoNow, ExpiresAt: ssoNow.Add(time.Hour)},
				Match: func(u db.User, found bool) (*db.NewUser, db.Actor, error) {
					if found {
						return nil, db.Actor{}, nil
					}
					return &db.NewUser{Email: email, FirstName: "R", LastName: "C", Source: db.SourceSSO}, db.Actor{Kind: db.ActorSSO, ID: "idp"}, nil
				}})
			mu.Lock()
			defer mu.Unlock()
			var de *db.Error
			switch {
			case err == nil:
				ok++
				if got.Created {
					created++
				}
			case errors.Is(err, db.ErrConflict) && !(errors.As(err, &de) && de.Code == "assertion_replayed"), errors.Is(err, db.ErrStale):
				conflicts++
			default:
				t.Errorf("concurrent JIT sign-in: %v", err)
			}
		}()
	}
	wg.Wait()
	if created != 1 || ok+conflicts != 8 {
		t.Errorf("%d created, %d signed in, %d conflicts; want exactly 1 created and every one answered", created, ok, conflicts)
	}
	users, err := s.ListUsers(ctx, team.ID, db.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, u := range users {
		if strings.EqualFold(u.Email, email) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d users with the raced email, want 1", n)
	}
}
