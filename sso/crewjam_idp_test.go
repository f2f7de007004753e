package sso_test

import (
	"context"
	"crypto/x509"
	"encoding/xml"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/crewjam/saml"
	"github.com/crewjam/saml/logger"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/sso"
)

// crewjamIdP is crewjam's in-process IdP: the always-on baseline when Node
// is absent. It encrypts assertions (Roster's SP metadata has an encryption
// key) and signs with RSA-SHA256.
type crewjamIdP struct {
	idp  *saml.IdentityProvider
	srv  *httptest.Server
	sps  map[string]*saml.EntityDescriptor
	user *saml.Session
}

func (c *crewjamIdP) GetSession(w http.ResponseWriter, r *http.Request, req *saml.IdpAuthnRequest) *saml.Session {
	return c.user
}

func (c *crewjamIdP) GetServiceProvider(r *http.Request, id string) (*saml.EntityDescriptor, error) {
	if ed, ok := c.sps[id]; ok {
		return ed, nil
	}
	return nil, os.ErrNotExist
}

func newCrewjamIdP(t *testing.T) *crewjamIdP {
	c := &crewjamIdP{sps: map[string]*saml.EntityDescriptor{}}
	mux := http.NewServeMux()
	c.srv = httptest.NewServer(mux)
	t.Cleanup(c.srv.Close)
	base, _ := url.Parse(c.srv.URL)
	k := testKey(1)
	cert, _ := x509.ParseCertificate(selfSigned(t, k, "crewjam IdP", time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0)))
	c.idp = &saml.IdentityProvider{Key: k, Signer: k, Certificate: cert, Logger: logger.DefaultLogger,
		MetadataURL: *base.JoinPath("metadata"), SSOURL: *base.JoinPath("sso"),
		SignatureMethod: dsig.RSASHA256SignatureMethod, SessionProvider: c, ServiceProviderProvider: c}
	mux.HandleFunc("/sso", c.idp.ServeSSO)
	mux.HandleFunc("/metadata", c.idp.ServeMetadata)
	return c
}

var formValue = regexp.MustCompile(`name="(SAMLResponse|RelayState)" value="([^"]*)"`)

// follow takes the SP's redirect to the IdP and returns the form it posts back.
func (c *crewjamIdP) follow(t *testing.T, loc *url.URL) (string, string) {
	res, err := http.Get(loc.String())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("crewjam IdP: %d %s", res.StatusCode, b)
	}
	v := map[string]string{}
	for _, m := range formValue.FindAllStringSubmatch(string(b), -1) {
		v[m[1]] = html.UnescapeString(m[2])
	}
	return v["SAMLResponse"], v["RelayState"]
}

func TestCrewjamIdPBaseline(t *testing.T) {
	clock.Set(time.Now().UTC())
	idp := newCrewjamIdP(t)
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	team, _ := e.team("Acme", "", sso.Settings{})
	mdURL := idp.srv.URL + "/metadata"
	if _, err := e.svc.Update(ctx, team.ID, e.op, sso.Settings{MetadataURL: &mdURL, JIT: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	res, _ := http.Get(e.url(team.ID, "metadata"))
	var md saml.EntityDescriptor
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if err := xml.Unmarshal(b, &md); err != nil {
		t.Fatal(err)
	}
	idp.sps[md.EntityID] = &md
	idp.user = &saml.Session{ID: "s1", NameID: "carol@acme.example", NameIDFormat: string(saml.EmailAddressNameIDFormat),
		UserEmail: "carol@acme.example", UserGivenName: "Carol", UserSurname: "Crew", CreateTime: clock.Now(), ExpireTime: clock.Now().Add(time.Hour)}

	c := e.browser()
	loc, _, _ := e.login(c, team.ID)
	samlResponse, relay := idp.follow(t, loc)
	if r := e.post(c, team.ID, samlResponse, relay); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("ACS: %d\n%s", r.StatusCode, e.logs)
	}
	me, _ := e.me(c)
	if me.User.Email != "carol@acme.example" || me.User.FirstName != "Carol" || me.User.LastName != "Crew" || me.User.Source != "sso" {
		t.Errorf("me = %+v", me)
	}
	// the same post again is a replay
	if r := e.post(e.browser(), team.ID, samlResponse, relay); r.StatusCode != http.StatusForbidden {
		t.Errorf("replay: %d", r.StatusCode)
	}
	// after an SP key rotation, an IdP still holding the old SP metadata
	// encrypts to the old key: the overlap keeps it working
	if _, err := e.svc.RotateKey(ctx, team.ID, e.op); err != nil {
		t.Fatal(err)
	}
	c = e.browser()
	loc, _, _ = e.login(c, team.ID)
	samlResponse, relay = idp.follow(t, loc)
	if r := e.post(c, team.ID, samlResponse, relay); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("ACS with an assertion encrypted to the previous SP key: %d\n%s", r.StatusCode, e.logs)
	}
	if _, err := e.store.FindUser(ctx, team.ID, db.UserKey{Email: "carol@acme.example"}); err != nil {
		t.Error(err)
	}
}
