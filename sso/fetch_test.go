package sso_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
	"github.com/roster-dev/roster/sso"
)

// metadataServer serves whatever body/status is set, for refresh tests.
type metadataServer struct {
	mu     sync.Mutex
	body   string
	status int
	srv    *httptest.Server
}

func newMetadataServer(t *testing.T, body string) *metadataServer {
	m := &metadataServer{body: body, status: http.StatusOK}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		defer m.mu.Unlock()
		w.WriteHeader(m.status)
		w.Write([]byte(m.body))
	}))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *metadataServer) set(status int, body string) {
	m.mu.Lock()
	m.status, m.body = status, body
	m.mu.Unlock()
}

func TestMetadataURLRefresh(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	f := newForge(t, "https://idp.acme.example", 0)
	next := newForge(t, "https://idp.acme.example", 1)
	ms := newMetadataServer(t, f.Metadata())
	team, _ := e.team("Acme", "", sso.Settings{})
	u := ms.srv.URL + "/md"
	if _, err := e.svc.Update(ctx, team.ID, e.op, sso.Settings{MetadataURL: &u, JIT: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	// the IdP publishes a rollover: both certificates
	ms.set(http.StatusOK, f.Metadata(f.CertDER, next.CertDER))
	if err := e.svc.Refresh(ctx, team.ID); err != nil {
		t.Fatal(err)
	}
	v, _ := e.svc.Show(ctx, team.ID, e.op)
	if len(v.TrustedCerts) != 2 || v.IdP.RefreshError != "" {
		t.Fatalf("after refresh: %d certs, error %q", len(v.TrustedCerts), v.IdP.RefreshError)
	}
	// a failing refresh keeps the last good metadata and says so
	for _, bad := range []struct {
		status int
		body   string
	}{{http.StatusInternalServerError, "oops"}, {http.StatusOK, "<not metadata/>"}, {http.StatusOK, strings.Repeat("x", 2<<20)}} {
		ms.set(bad.status, bad.body)
		if err := e.svc.Refresh(ctx, team.ID); err == nil {
			t.Errorf("refresh with %d %.20q succeeded", bad.status, bad.body)
		}
		v, _ := e.svc.Show(ctx, team.ID, e.op)
		if v.IdP.RefreshError == "" || len(v.TrustedCerts) != 2 || len(v.Warnings) == 0 {
			t.Errorf("after a failed refresh: error %q, %d certs, warnings %v", v.IdP.RefreshError, len(v.TrustedCerts), v.Warnings)
		}
		// sign-in still works with the last good metadata
		c := e.browser()
		_, reqID, relay := e.login(c, team.ID)
		if res := e.post(c, team.ID, next.Build(t, e.okResp(next, team.ID, reqID, "jane@acme.example")), relay); res.StatusCode != http.StatusSeeOther {
			t.Errorf("sign-in after a failed refresh: %d", res.StatusCode)
		}
	}
	if n := e.svc.RefreshAll(ctx); n != 1 {
		t.Errorf("RefreshAll failures = %d, want 1", n)
	}
	ms.set(http.StatusOK, next.Metadata())
	if err := e.svc.Refresh(ctx, team.ID); err != nil {
		t.Fatal(err)
	}
	v, _ = e.svc.Show(ctx, team.ID, e.op)
	if v.IdP.RefreshError != "" || len(v.TrustedCerts) != 1 {
		t.Errorf("after recovery: %q, %d certs", v.IdP.RefreshError, len(v.TrustedCerts))
	}
}

func TestMetadataFetchLimits(t *testing.T) {
	f := newForge(t, "https://idp.acme.example", 0)
	ok := newMetadataServer(t, f.Metadata())
	huge := newMetadataServer(t, strings.Repeat("<x/>", 100_000))
	block := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(block); slow.Close() })
	store := gormdbtest.New(t, gormdb.Config{})
	base, _ := url.Parse("https://roster.example")
	mk := func(o sso.FetchOptions) *sso.Service {
		s, err := sso.New(sso.Options{Store: store, BaseURL: base, Now: clock.Now, Fetch: o})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	team, _, err := store.CreateTeam(context.Background(), db.NewTeam{Name: "T", PrimaryEmail: "p@t.example", PrimaryFirstName: "P", PrimaryLastName: "T"}, db.Actor{Kind: db.ActorOperator})
	if err != nil {
		t.Fatal(err)
	}
	op := db.Actor{Kind: db.ActorOperator, ID: "t"}
	for _, tc := range []struct {
		name string
		o    sso.FetchOptions
		url  string
		ok   bool
	}{
		{"loopback allowed by default", sso.FetchOptions{}, ok.srv.URL, true},
		{"loopback allowed with the private block and AllowLoopback", sso.FetchOptions{BlockPrivate: true, AllowLoopback: true}, ok.srv.URL, true},
		{"loopback blocked", sso.FetchOptions{BlockPrivate: true}, ok.srv.URL, false},
		{"private address blocked", sso.FetchOptions{BlockPrivate: true, AllowLoopback: true}, "http://10.255.255.1:9/md", false},
		{"oversized", sso.FetchOptions{MaxBytes: 64 << 10}, huge.srv.URL, false},
		{"slow", sso.FetchOptions{Timeout: 300 * time.Millisecond}, slow.URL, false},
		{"file scheme", sso.FetchOptions{}, "file:///etc/passwd", false},
		{"javascript scheme", sso.FetchOptions{}, "javascript:alert(1)", false},
		{"credentials in URL", sso.FetchOptions{}, strings.Replace(ok.srv.URL, "http://", "http://u:p@", 1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := tc.url
			_, err := mk(tc.o).Update(context.Background(), team.ID, op, sso.Settings{MetadataURL: &u})
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && (!errors.Is(err, db.ErrInvalid) || db.CodeOf(err) != "idp_metadata_fetch_failed") {
				t.Errorf("error %v (code %s), want idp_metadata_fetch_failed", err, db.CodeOf(err))
			}
		})
	}
}

func TestMetadataUploadValidation(t *testing.T) {
	e := newEnv(t, nil, nil)
	f := newForge(t, "https://idp.acme.example", 0)
	team, _ := e.team("Acme", "", sso.Settings{})
	other := newForge(t, "https://idp.other.example", 1)
	entities := `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">` +
		strings.TrimPrefix(f.Metadata(), `<?xml version="1.0"?>`) + strings.TrimPrefix(other.Metadata(), `<?xml version="1.0"?>`) + `</md:EntitiesDescriptor>`
	single := `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">` + strings.TrimPrefix(f.Metadata(), `<?xml version="1.0"?>`) + `</md:EntitiesDescriptor>`
	for _, tc := range []struct {
		name, xml string
		ok        bool
	}{
		{"entity descriptor", f.Metadata(), true},
		{"entities descriptor with one IdP", single, true},
		{"two IdPs", entities, false},
		{"empty", "", false},
		{"XXE", `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>` + strings.TrimPrefix(f.Metadata(), `<?xml version="1.0"?>`), false},
		{"no signing certificate", strings.Replace(f.Metadata(), `use="signing"`, `use="encryption"`, 1), false},
		{"javascript SSO location", strings.Replace(f.Metadata(), f.SSOURL, "javascript:alert(1)", 1), false},
		{"not XML", "hello", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := tc.xml
			_, err := e.svc.Update(context.Background(), team.ID, e.op, sso.Settings{MetadataXML: &x})
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, db.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}
