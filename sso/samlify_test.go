package sso_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/sso"
	"github.com/roster-dev/roster/sso/ssotest"
)

// samlifyIdP is the loopback third-party IdP of testdata/idp (samlify 2.13.1).
type samlifyIdP struct {
	t    testing.TB
	base string
	idp  *ssotest.Samlify
}

// startSamlify runs testdata/idp/idp.js (ssotest.StartSamlify).
func startSamlify(t testing.TB) *samlifyIdP {
	t.Helper()
	i := ssotest.StartSamlify(t)
	return &samlifyIdP{t: t, base: i.Base, idp: i}
}

// register gives the IdP a team's SP metadata, fetched from Roster.
func (s *samlifyIdP) register(e *env, team string) {
	s.t.Helper()
	res, err := http.Get(e.url(team, "metadata"))
	if err != nil {
		s.t.Fatal(err)
	}
	md, _ := io.ReadAll(res.Body)
	res.Body.Close()
	s.idp.Register(md)
}

type idpAnswer struct {
	SAMLResponse, RelayState, ACS, RequestID, SigAlg, Error string
}

// opts are samlify's per-response knobs (see idp.js).
type opts map[string]any

// answer follows the SP's redirect to the IdP, which verifies the signed
// AuthnRequest and answers with a response built per o.
func (s *samlifyIdP) answer(loginURL string, o opts) idpAnswer {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, loginURL, nil)
	b, _ := json.Marshal(o)
	req.Header.Set("X-Test-Options", string(b))
	return s.do(req)
}

func (s *samlifyIdP) initiate(spEntityID string, o opts) idpAnswer {
	s.t.Helper()
	o["sp"] = spEntityID
	b, _ := json.Marshal(o)
	req, _ := http.NewRequest(http.MethodPost, s.base+"/initiate", bytes.NewReader(b))
	return s.do(req)
}

func (s *samlifyIdP) do(req *http.Request) idpAnswer {
	s.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	var a idpAnswer
	if err := json.NewDecoder(res.Body).Decode(&a); err != nil || res.StatusCode != http.StatusOK {
		s.t.Fatalf("samlify IdP: status %d, %v %s", res.StatusCode, err, a.Error)
	}
	return a
}

// TestSamlifyIdP signs users in from a third-party SAML stack: two teams
// configured by metadata URL, SP- and IdP-initiated, signed responses,
// signed and encrypted assertions, and the attack cases.
func TestSamlifyIdP(t *testing.T) {
	idp := startSamlify(t)
	clock.Set(time.Now().UTC()) // samlify stamps real time
	e := newEnv(t, nil, nil)
	mdURL := idp.base + "/metadata"
	ctx := context.Background()
	mk := func(name string, set sso.Settings) db.Team {
		team, _ := e.team(name, "", sso.Settings{})
		set.MetadataURL = &mdURL
		v, err := e.svc.Update(ctx, team.ID, e.op, set)
		if err != nil {
			t.Fatalf("configure %s by metadata URL: %v", name, err)
		}
		if v.IdP.EntityID != mdURL || v.IdP.RefreshedAt == nil {
			t.Fatalf("IdP view = %+v", v.IdP)
		}
		idp.register(e, team.ID)
		return team
	}
	acme := mk("Acme", sso.Settings{JIT: ptr(true), Domains: &[]string{"acme.example"}})
	bravo := mk("Bravo", sso.Settings{JIT: ptr(true), AllowIdPInitiated: ptr(true)})
	user := func(email string) map[string]string {
		return map[string]string{"email": email, "firstName": "Sam", "lastName": "Lify"}
	}

	signIn := func(t *testing.T, team db.Team, o opts) (*http.Client, idpAnswer, *http.Response) {
		c := e.browser()
		loc, _, _ := e.login(c, team.ID)
		a := idp.answer(loc.String(), o)
		if a.ACS != e.url(team.ID, "acs") {
			t.Fatalf("samlify answers to %s, want %s", a.ACS, e.url(team.ID, "acs"))
		}
		return c, a, e.post(c, team.ID, a.SAMLResponse, a.RelayState)
	}

	t.Run("SP-initiated", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			o    opts
		}{
			{"signed assertion", opts{"sign": "assertion"}},
			{"signed response", opts{"sign": "response"}},
			{"both signed", opts{"sign": "both"}},
			{"encrypted signed assertion", opts{"sign": "assertion", "encrypt": true}},
			{"encrypted assertion in a signed response", opts{"sign": "response", "encrypt": true}},
			{"samlify default template, NameID only", opts{"defaultTemplate": true}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				email := strings.NewReplacer(" ", "-", ",", "").Replace(tc.name) + "@acme.example"
				tc.o["user"] = user(email)
				if tc.o["defaultTemplate"] == true {
					tc.o["user"] = map[string]string{"email": email}
				}
				c, a, res := signIn(t, acme, tc.o)
				if a.SigAlg != "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" {
					t.Errorf("SigAlg = %s", a.SigAlg)
				}
				if res.StatusCode != http.StatusSeeOther {
					t.Fatalf("ACS: %d\n%s", res.StatusCode, e.logs)
				}
				me, status := e.me(c)
				if status != http.StatusOK || me.User.Email != email || me.Team.ID != acme.ID {
					t.Fatalf("me = %d %+v", status, me)
				}
				u, err := e.store.FindUser(ctx, acme.ID, db.UserKey{Email: email})
				if tc.o["defaultTemplate"] == true {
					u.FirstName, u.LastName = "Sam", "Lify" // derived from the email instead (TestJITWithoutNameAttributes)
				}
				if err != nil || u.Source != db.SourceSSO || u.FirstName != "Sam" || u.LastName != "Lify" {
					t.Errorf("provisioned user = %+v %v", u, err)
				}
			})
		}
	})

	t.Run("IdP-initiated", func(t *testing.T) {
		c := e.browser()
		a := idp.initiate(e.url(bravo.ID, "metadata"), opts{"user": user("idp@bravo.example"), "relayState": "https://evil.test/"})
		res := e.post(c, bravo.ID, a.SAMLResponse, a.RelayState)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
			t.Fatalf("IdP-initiated to Bravo: %d %q\n%s", res.StatusCode, res.Header.Get("Location"), e.logs)
		}
		if me, _ := e.me(c); me.User.Email != "idp@bravo.example" {
			t.Errorf("me = %+v", me)
		}
		c = e.browser()
		a = idp.initiate(e.url(bravo.ID, "metadata"), opts{"user": map[string]string{"email": "plain@bravo.example"}, "defaultTemplate": true})
		if res := e.post(c, bravo.ID, a.SAMLResponse, a.RelayState); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("IdP-initiated with samlify's default template: %d\n%s", res.StatusCode, e.logs)
		}
		a = idp.initiate(e.url(acme.ID, "metadata"), opts{"user": user("idp@acme.example")})
		if res := e.post(e.browser(), acme.ID, a.SAMLResponse, ""); res.StatusCode != http.StatusForbidden {
			t.Errorf("IdP-initiated to Acme (off by default): %d", res.StatusCode)
		}
	})

	t.Run("replay", func(t *testing.T) {
		_, a, res := signIn(t, acme, opts{"user": user("replay@acme.example")})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("first: %d", res.StatusCode)
		}
		for _, rs := range []string{a.RelayState, ""} {
			if res := e.post(e.browser(), acme.ID, a.SAMLResponse, rs); res.StatusCode != http.StatusForbidden {
				t.Errorf("replay (RelayState %q): %d", rs, res.StatusCode)
			}
		}
		a = idp.initiate(e.url(bravo.ID, "metadata"), opts{"user": user("replay@bravo.example")})
		if res := e.post(e.browser(), bravo.ID, a.SAMLResponse, ""); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("IdP-initiated: %d", res.StatusCode)
		}
		if res := e.post(e.browser(), bravo.ID, a.SAMLResponse, ""); res.StatusCode != http.StatusForbidden {
			t.Errorf("IdP-initiated replay: %d", res.StatusCode)
		}
	})

	t.Run("attacks", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			o    opts
			team db.Team
			to   db.Team
		}{
			{"RSA-SHA1", opts{"sha1": true}, acme, acme},
			{"wrong audience", opts{"audience": "https://other.example/metadata"}, acme, acme},
			{"no AudienceRestriction", opts{"audience": nil}, acme, acme},
			{"no Conditions", opts{"noConditions": true}, acme, acme},
			{"IdP clock an hour behind", opts{"shiftSeconds": -3600}, acme, acme},
			{"IdP clock ten minutes ahead", opts{"shiftSeconds": 600}, acme, acme},
			{"missing InResponseTo on SP-initiated (IdP-initiated on)", opts{"inResponseTo": ""}, bravo, bravo},
			{"comment injection in NameID", opts{"user": map[string]string{"nameIDRaw": "jane@acme.example<!---->.evil.test", "firstName": "J", "lastName": "D"}}, acme, acme},
			{"email outside the domains", opts{"user": user("mallory@evil.example")}, acme, acme},
			{"Acme's response posted to Bravo's ACS", opts{}, acme, bravo},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if tc.o["user"] == nil {
					tc.o["user"] = user("attack@acme.example")
				}
				c := e.browser()
				loc, _, _ := e.login(c, tc.team.ID)
				a := idp.answer(loc.String(), tc.o)
				res := e.post(c, tc.to.ID, a.SAMLResponse, a.RelayState)
				if res.StatusCode != http.StatusForbidden {
					t.Fatalf("status %d, want 403", res.StatusCode)
				}
				for _, tm := range []db.Team{acme, bravo} {
					for _, email := range []string{"attack@acme.example", "jane@acme.example", "jane@acme.example.evil.test", "mallory@evil.example"} {
						if _, err := e.store.FindUser(ctx, tm.ID, db.UserKey{Email: email}); !errors.Is(err, db.ErrNotFound) {
							t.Errorf("%s provisioned in %s", email, tm.Name)
						}
					}
				}
			})
		}
	})
}
