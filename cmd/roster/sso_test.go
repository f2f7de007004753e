package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/xml"
	"html"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"
	"github.com/crewjam/saml/logger"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/cmd/roster/internal/adminapi/apitest"
	"github.com/roster-dev/roster/sso"
)

// testIdP is crewjam's in-process IdP, serving metadata by URL like a
// real IdP (the samlify suite in sso/ covers a third-party stack).
type testIdP struct {
	idp  *saml.IdentityProvider
	srv  *httptest.Server
	sps  map[string]*saml.EntityDescriptor
	user *saml.Session
}

func (i *testIdP) GetSession(http.ResponseWriter, *http.Request, *saml.IdpAuthnRequest) *saml.Session {
	return i.user
}

func (i *testIdP) GetServiceProvider(_ *http.Request, id string) (*saml.EntityDescriptor, error) {
	if ed, ok := i.sps[id]; ok {
		return ed, nil
	}
	return nil, os.ErrNotExist
}

func newTestIdP(t *testing.T) *testIdP {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "idp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	cert, _ := x509.ParseCertificate(der)
	i := &testIdP{sps: map[string]*saml.EntityDescriptor{}}
	mux := http.NewServeMux()
	i.srv = httptest.NewServer(mux)
	t.Cleanup(i.srv.Close)
	base, _ := url.Parse(i.srv.URL)
	i.idp = &saml.IdentityProvider{Key: k, Signer: k, Certificate: cert, Logger: logger.DefaultLogger,
		MetadataURL: *base.JoinPath("metadata"), SSOURL: *base.JoinPath("sso"),
		SignatureMethod: dsig.RSASHA256SignatureMethod, SessionProvider: i, ServiceProviderProvider: i}
	mux.HandleFunc("/sso", i.idp.ServeSSO)
	mux.HandleFunc("/metadata", i.idp.ServeMetadata)
	return i
}

var samlFormValue = regexp.MustCompile(`name="(SAMLResponse|RelayState)" value="([^"]*)"`)

// learnSP has the IdP read an SP's metadata from url.
func (i *testIdP) learnSP(t *testing.T, url string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("SP metadata: %v %v", res, err)
	}
	var md saml.EntityDescriptor
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if err := xml.Unmarshal(b, &md); err != nil {
		t.Fatal(err)
	}
	i.sps[md.EntityID] = &md
}

// signInDana makes dana@acme.test the IdP's signed-in user.
func (i *testIdP) signInDana() {
	i.user = &saml.Session{ID: "s", NameID: "dana@acme.test", UserEmail: "dana@acme.test", UserGivenName: "Dana", UserSurname: "Diaz",
		CreateTime: time.Now(), ExpireTime: time.Now().Add(time.Hour)}
}

// ssoLogin starts an SP-initiated sign-in at login with browser and has the
// test IdP answer it: the form (SAMLResponse, RelayState) to post to the ACS.
func ssoLogin(t *testing.T, browser *http.Client, login string) url.Values {
	t.Helper()
	res, err := browser.Get(login)
	if err != nil || res.StatusCode != http.StatusFound {
		t.Fatalf("login: %v %v", res, err)
	}
	res.Body.Close()
	res, err = http.Get(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	form := url.Values{}
	for _, m := range samlFormValue.FindAllStringSubmatch(string(page), -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	if form.Get("SAMLResponse") == "" {
		t.Fatalf("IdP answered %d: %s", res.StatusCode, page)
	}
	return form
}

// startSSOServer runs `roster serve` on a loopback port with ROSTER_BASE_URL
// set to it, sharing c's database.
func startSSOServer(t *testing.T, c *cli) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	startSSOServerOn(t, c, ln, base)
	return base
}

// startSSOServerOn runs `roster serve` on ln with ROSTER_BASE_URL base (a
// replica tells the IdP the one public URL, whichever replica it is).
func startSSOServerOn(t *testing.T, c *cli, ln net.Listener, base string) {
	c.env["ROSTER_BASE_URL"] = base
	ctx, cancel := context.WithCancel(context.Background())
	e := &env{Stdout: io.Discard, Stderr: io.Discard, Now: time.Now, Getenv: func(k string) string {
		if k == "ROSTER_DATABASE" {
			return c.dsn
		}
		return c.env[k]
	}}
	e.Log = buildLogger(io.Discard, "text", "error")
	e.wrapHandler = func(h http.Handler) http.Handler { return apitest.Handler(t, contract(t), h) }
	cfg, err := e.Config()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, e, cfg, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
		e.store.Close()
	})
	for i := 0; i < 100; i++ {
		if resp, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSSOEndToEnd is the held-out scenario's shape: two teams configured
// through the CLI contract, a sign-in through /sso/{team}/login and the
// ACS, the user provisioned, and a replay and a cross-team post refused.
func TestSSOEndToEnd(t *testing.T) {
	c := newCLI(t)
	idp := newTestIdP(t)
	base := startSSOServer(t, c)
	teamA := c.team("Acme", "pat@acme.test")
	teamB := c.team("Bravo", "bo@bravo.test")

	var v sso.View
	c.ok(&v, "sso", "set", "--team", teamA, "--idp-metadata", idp.srv.URL+"/metadata", "--domains", "acme.test,acme.example", "--jit", "--allow-idp-initiated", "-o", "json")
	if v.IdP.EntityID != idp.srv.URL+"/metadata" || !v.JIT || !v.AllowIdPInitiated || len(v.Domains) != 2 || v.SP.ACSURL != base+"/sso/"+teamA+"/acs" {
		t.Fatalf("sso set = %+v", v)
	}
	mdFile := filepath.Join(t.TempDir(), "idp.xml")
	res, _ := http.Get(idp.srv.URL + "/metadata")
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	os.WriteFile(mdFile, b, 0o600)
	var vb sso.View
	c.ok(&vb, "sso", "set", "--team", teamB, "--idp-metadata", mdFile, "--jit", "-o", "json")
	if vb.AllowIdPInitiated || vb.IdP.MetadataURL != "" || !vb.JIT {
		t.Errorf("team B: %+v", vb)
	}
	v = sso.View{}
	c.ok(&v, "sso", "show", "--team", teamA, "-o", "json")
	if v.IdP.MetadataURL != idp.srv.URL+"/metadata" || v.Version != 1 {
		t.Errorf("sso show = %+v", v)
	}
	c.ok(nil, "users", "add", "--team", teamA, "--email", "sam@acme.test", "--first-name", "Sam", "--last-name", "Ng", "-o", "json")
	c.fails("R-ADM-7", "sso", "set", "--team", teamA, "--jit=false", "--as", "sam@acme.test")
	c.fails("R-ADM-7", "sso", "show", "--team", teamA, "--as", "sam@acme.test")
	c.fails("metadata", "sso", "set", "--team", teamA, "--idp-metadata", "file:///etc/passwd")

	// key rotation with overlap, then retiring the old key, through the CLI
	var rot sso.View
	c.ok(&rot, "sso", "rotate-key", "--team", teamB, "-o", "json")
	if len(rot.SP.Keys) != 2 {
		t.Fatalf("after rotate-key: %d SP keys, want 2 (old and new, overlapping)", len(rot.SP.Keys))
	}
	var ret sso.View
	c.ok(&ret, "sso", "retire-key", "--team", teamB, "--key", rot.SP.Keys[0].ID, "-o", "json")
	if len(ret.SP.Keys) != 1 {
		t.Fatalf("after retire-key: %d SP keys, want 1", len(ret.SP.Keys))
	}
	c.fails("--key is required", "sso", "retire-key", "--team", teamB)
	c.fails("--domain is required", "sso", "verify-domain", "--team", teamB)
	c.fails("R-ADM-7", "sso", "rotate-key", "--team", teamA, "--as", "sam@acme.test")

	// the IdP learns both SPs from their metadata endpoints
	for _, team := range []string{teamA, teamB} {
		idp.learnSP(t, base+"/sso/"+team+"/metadata")
	}
	idp.signInDana()

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := ssoLogin(t, browser, base+"/sso/"+teamA+"/login")
	res, err := browser.PostForm(base+"/sso/"+teamA+"/acs", form)
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("ACS: %v %v", res.StatusCode, err)
	}
	res.Body.Close()
	res, _ = browser.Get(base + "/api/v1/me")
	var me sso.MeResponse
	if err := jsonDecodeBody(res, &me); err != nil || me.User.Email != "dana@acme.test" || me.Team.ID != teamA || me.User.Source != "sso" {
		t.Fatalf("me = %+v %v", me, err)
	}
	var users []adminapi.UserView
	c.ok(&users, "users", "list", "--team", teamA, "-o", "json")
	found := false
	for _, u := range users {
		if u.Email == "dana@acme.test" && u.Source == "sso" && u.FirstName == "Dana" {
			found = true
		}
	}
	if !found {
		t.Errorf("JIT user not listed: %+v", users)
	}
	// replay and cross-team posts are refused with a generic page
	for _, target := range []string{teamA, teamB} {
		res, err := http.PostForm(base+"/sso/"+target+"/acs", form)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden || strings.Contains(string(body), "InResponseTo") {
			t.Errorf("post to %s: %d %s", target, res.StatusCode, body)
		}
	}
	c.ok(&users, "users", "list", "--team", teamB, "-o", "json")
	for _, u := range users {
		if u.Email == "dana@acme.test" {
			t.Errorf("user provisioned in team B")
		}
	}
}

// R-ADM-7 through the admin API: the primary admin and SSO admins may
// manage SSO, a secondary admin may not.
func TestSSOAdminAPIRoles(t *testing.T) {
	c := newCLI(t)
	idp := newTestIdP(t)
	base := startSSOServer(t, c)
	team := c.team("Acme", "pat@acme.test")
	for _, u := range []string{"sso@acme.test", "second@acme.test"} {
		c.ok(nil, "users", "add", "--team", team, "--email", u, "--first-name", "A", "--last-name", "B", "-o", "json")
	}
	c.ok(nil, "admin", "set", "--team", team, "--email", "sso@acme.test", "--role", "sso", "--as", "pat@acme.test", "-o", "json")
	c.ok(nil, "admin", "set", "--team", team, "--email", "second@acme.test", "--role", "secondary", "--as", "pat@acme.test", "-o", "json")
	body := `{"idp_metadata_url":"` + idp.srv.URL + `/metadata","jit":true}`
	for _, tc := range []struct {
		admin  string
		status int
	}{{"second@acme.test", http.StatusForbidden}, {"sso@acme.test", http.StatusOK}, {"pat@acme.test", http.StatusOK}} {
		tok := adminToken(t, c, team, tc.admin)
		if r := call(t, "PUT", base+"/api/v1/teams/"+team+"/sso", tok, body); r.status != tc.status {
			t.Errorf("%s PUT sso: %d %v, want %d", tc.admin, r.status, r.body, tc.status)
		}
		if r := call(t, "GET", base+"/api/v1/teams/"+team+"/sso", tok, ""); r.status != tc.status {
			t.Errorf("%s GET sso: %d, want %d", tc.admin, r.status, tc.status)
		}
	}
	tok := adminToken(t, c, team, "sso@acme.test")
	if r := call(t, "PATCH", base+"/api/v1/teams/"+team+"/sso", tok, `{"clock_skew_seconds": 9999}`); r.status != http.StatusBadRequest || r.code() != "clock_skew_invalid" {
		t.Errorf("bad skew: %d %v", r.status, r.body)
	}
	if r := call(t, "POST", base+"/api/v1/teams/"+team+"/sso/test", tok, ""); r.status != http.StatusOK || !strings.HasPrefix(r.body["redirect_url"].(string), idp.srv.URL+"/sso?") {
		t.Errorf("test mode: %d %v", r.status, r.body)
	}
	var audit []adminapi.AuditView
	c.ok(&audit, "audit", "--team", team, "-o", "json")
	n := 0
	for _, a := range audit {
		if strings.HasPrefix(a.Action, "sso.") {
			n++
		}
	}
	if n < 2 {
		t.Errorf("sso changes not audited: %+v", audit)
	}
}

func jsonDecodeBody(res *http.Response, v any) error {
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	return jsonUnmarshal(b, v)
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
