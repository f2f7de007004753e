package sso_test

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crewjam/saml"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
	"github.com/roster-dev/roster/sso"
)

// testClock is the one clock of the package's tests: the service and
// crewjam's process-wide saml.TimeNow read it, so time moves only when a
// test moves it (no sleeping).
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

var clock = &testClock{t: time.Now().UTC().Truncate(time.Second)}

func TestMain(m *testing.M) {
	saml.TimeNow = clock.Now
	os.Exit(m.Run())
}

// env is a running Roster with the SSO service on a real SQLite store.
type env struct {
	t     testing.TB
	srv   *httptest.Server
	store *gormdb.Store
	svc   *sso.Service
	op    db.Actor
	logs  *bytes.Buffer
}

type txtMap map[string][]string

func (m txtMap) LookupTXT(_ context.Context, name string) ([]string, error) {
	if v, ok := m[name]; ok {
		return v, nil
	}
	return nil, &netError{name}
}

type netError struct{ name string }

func (e *netError) Error() string { return "no such host " + e.name }

func newEnv(t testing.TB, store *gormdb.Store, resolver sso.TXTResolver) *env {
	t.Helper()
	if store == nil {
		store = gormdbtest.New(t, gormdb.Config{})
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	base, _ := url.Parse(srv.URL)
	logs := &bytes.Buffer{}
	svc, err := sso.New(sso.Options{Store: store, BaseURL: base, Now: clock.Now, Resolver: resolver,
		Log: slog.New(slog.NewTextHandler(&lockedWriter{w: logs}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	svc.Register(mux)
	return &env{t: t, srv: srv, store: store, svc: svc, op: db.Actor{Kind: db.ActorOperator, ID: "test"}, logs: logs}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// team creates a team and configures SSO with the given metadata.
func (e *env) team(name, metadata string, set sso.Settings) (db.Team, db.User) {
	e.t.Helper()
	team, prim, err := e.store.CreateTeam(context.Background(), db.NewTeam{Name: name, PrimaryEmail: "owner@" + strings.ToLower(name) + ".example",
		PrimaryFirstName: "Owner", PrimaryLastName: name}, e.op)
	if err != nil {
		e.t.Fatal(err)
	}
	if metadata != "" {
		set.MetadataXML = &metadata
		if _, err := e.svc.Update(context.Background(), team.ID, e.op, set); err != nil {
			e.t.Fatalf("configure SSO: %v", err)
		}
	}
	return team, prim
}

func (e *env) url(team, endpoint string) string { return e.srv.URL + "/sso/" + team + "/" + endpoint }

// browser is an HTTP client with a cookie jar that does not follow redirects.
func (e *env) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// login starts an SP-initiated sign-in and returns the IdP redirect URL, the
// AuthnRequest ID and the RelayState.
func (e *env) login(c *http.Client, team string) (*url.URL, string, string) {
	e.t.Helper()
	res, err := c.Get(e.url(team, "login") + "?return_to=/console/users")
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		e.t.Fatalf("login: status %d", res.StatusCode)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	req := inflateRequest(e.t, loc.Query().Get("SAMLRequest"))
	var ar saml.AuthnRequest
	if err := xml.Unmarshal(req, &ar); err != nil {
		e.t.Fatalf("AuthnRequest: %v", err)
	}
	return loc, ar.ID, loc.Query().Get("RelayState")
}

func inflateRequest(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(flate.NewReader(bytes.NewReader(b)))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// post sends a SAMLResponse to a team's ACS.
func (e *env) post(c *http.Client, team, samlResponse, relay string) *http.Response {
	e.t.Helper()
	res, err := c.PostForm(e.url(team, "acs"), url.Values{"SAMLResponse": {samlResponse}, "RelayState": {relay}})
	if err != nil {
		e.t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(body))
	return res
}

func (e *env) me(c *http.Client) (sso.MeResponse, int) {
	e.t.Helper()
	res, err := c.Get(e.srv.URL + "/api/v1/me")
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var m sso.MeResponse
	if res.StatusCode == http.StatusOK {
		if err := jsonDecode(res.Body, &m); err != nil {
			e.t.Fatal(err)
		}
	}
	return m, res.StatusCode
}

// verifyRedirectSignature checks the HTTP-Redirect binding signature of an
// AuthnRequest URL (SAML Bindings §3.4.4.1) with the SP certificate.
func verifyRedirectSignature(t testing.TB, loc *url.URL, cert *x509.Certificate) error {
	t.Helper()
	var signed []string
	for _, p := range strings.Split(loc.RawQuery, "&") {
		k, _, _ := strings.Cut(p, "=")
		if k == "SAMLRequest" || k == "RelayState" || k == "SigAlg" {
			signed = append(signed, p)
		}
	}
	sig, err := base64.StdEncoding.DecodeString(loc.Query().Get("Signature"))
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(strings.Join(signed, "&")))
	return rsa.VerifyPKCS1v15(cert.PublicKey.(*rsa.PublicKey), crypto.SHA256, sum[:], sig)
}

// spCert reads the team's signing certificate from its SP metadata.
func (e *env) spCert(team string) *x509.Certificate {
	e.t.Helper()
	res, err := http.Get(e.url(team, "metadata"))
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var md saml.EntityDescriptor
	b, _ := io.ReadAll(res.Body)
	if err := xml.Unmarshal(b, &md); err != nil {
		e.t.Fatalf("SP metadata: %v", err)
	}
	for _, kd := range md.SPSSODescriptors[0].KeyDescriptors {
		if kd.Use == "signing" {
			der, _ := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(kd.KeyInfo.X509Data.X509Certificates[0].Data), ""))
			c, err := x509.ParseCertificate(der)
			if err != nil {
				e.t.Fatal(err)
			}
			return c
		}
	}
	e.t.Fatal("no signing certificate in SP metadata")
	return nil
}

func urlParse(s string) (*url.URL, error) { return url.Parse(s) }
