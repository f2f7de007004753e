package dbtest

import (
	"context"
	"errors"
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
