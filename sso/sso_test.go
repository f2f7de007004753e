package sso_test

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
	"github.com/roster-dev/roster/sso"
)

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

func ptr[T any](v T) *T { return &v }

// okResp is a valid response for team to the request reqID (signed assertion).
func (e *env) okResp(f *forgeIdP, team, reqID, email string) resp {
	return resp{Destination: e.url(team, "acs"), Audience: e.url(team, "metadata"), InResponseTo: reqID,
		Email: email, First: "Jane", Last: "Doe", Now: clock.Now(), SignAssertion: true}
}

func TestSPInitiatedSignInProvisionsJITUser(t *testing.T) {
	e := newEnv(t, nil, nil)
	f := newForge(t, "https://idp.acme.example", 0)
	team, _ := e.team("Acme", f.Metadata(), sso.Settings{JIT: ptr(true), Domains: &[]string{"acme.example"}})
	c := e.browser()
	loc, reqID, relay := e.login(c, team.ID)

	if got := loc.Query().Get("SigAlg"); got != "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" {
		t.Errorf("SigAlg = %q, want RSA-SHA256", got)
	}
	if err := verifyRedirectSignature(t, loc, e.spCert(team.ID)); err != nil {
		t.Errorf("AuthnRequest redirect signature does not verify with the SP certificate: %v", err)
	}
	if !strings.HasPrefix(loc.String(), f.SSOURL+"?") {
		t.Errorf("redirect goes to %s, want the IdP SSO URL %s", loc, f.SSOURL)
	}
	if strings.ContainsAny(relay, "/:?&") || len(relay) < 30 {
		t.Errorf("RelayState %q is not an opaque random key", relay)
	}

	res := e.post(c, team.ID, f.Build(t, e.okResp(f, team.ID, reqID, "jane@acme.example")), relay)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console/users" {
		t.Fatalf("ACS: status %d location %q, want 303 to /console/users; logs:\n%s", res.StatusCode, res.Header.Get("Location"), e.logs)
	}
	var cookie *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == sso.SessionCookie {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie = %+v, want HttpOnly SameSite=Lax", cookie)
	}
	me, status := e.me(c)
	if status != http.StatusOK {
		t.Fatalf("/api/v1/me: %d", status)
	}
	if me.User.Email != "jane@acme.example" || me.Team.ID != team.ID || me.User.Source != "sso" || me.User.FirstName != "Jane" || me.User.LastName != "Doe" {
		t.Errorf("/api/v1/me = %+v", me)
	}
	u, err := e.store.FindUser(context.Background(), team.ID, db.UserKey{Email: "jane@acme.example"})
	if err != nil || u.Source != db.SourceSSO {
		t.Fatalf("JIT user: %+v %v", u, err)
	}
	audit, _ := e.store.ListAudit(context.Background(), team.ID, db.AuditQuery{})
	if audit[0].Action != "user.create" || audit[0].Actor.Kind != db.ActorSSO {
		t.Errorf("newest audit entry = %+v, want user.create by an sso actor", audit[0])
	}
	if _, status := e.me(e.browser()); status != http.StatusUnauthorized {
		t.Errorf("/api/v1/me without a session: %d, want 401", status)
	}
}

// TestSecureCookieOnHTTPS: a non-loopback base URL gets Secure cookies.
func TestReturnToStaysOnRoster(t *testing.T) {
	e := newEnv(t, nil, nil)
	f := newForge(t, "https://idp.acme.example", 0)
	team, _ := e.team("Acme", f.Metadata(), sso.Settings{JIT: ptr(true)})
	for _, target := range []string{"https://evil.test/", "//evil.test/x", "/\\evil.test", "javascript:alert(1)", "evil"} {
		c := e.browser()
		res, err := c.Get(e.url(team.ID, "login") + "?return_to=" + target)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		loc, _ := res.Location()
		req := inflateRequest(t, loc.Query().Get("SAMLRequest"))
		id := between(string(req), `ID="`, `"`)
		res = e.post(c, team.ID, f.Build(t, e.okResp(f, team.ID, id, "jane@acme.example")), loc.Query().Get("RelayState"))
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
			t.Errorf("return_to=%q: status %d location %q, want 303 to /", target, res.StatusCode, res.Header.Get("Location"))
		}
	}
}

func between(s, a, b string) string {
	_, rest, _ := strings.Cut(s, a)
	v, _, _ := strings.Cut(rest, b)
	return v
}

// TestAttacksRefused covers the attack table of the SAML notes: each case
// must be refused with a generic 403 page, provision nobody and log why.
func TestAttacksRefused(t *testing.T) {
	e := newEnv(t, nil, nil)
	f := newForge(t, "https://idp.acme.example", 0)
	other := newForge(t, "https://idp.acme.example", 1) // same entity ID, wrong key
	team, _ := e.team("Acme", f.Metadata(), sso.Settings{JIT: ptr(true), Domains: &[]string{"acme.example"}})
	teamB, _ := e.team("Bravo", newForge(t, "https://idp.bravo.example", 2).Metadata(), sso.Settings{JIT: ptr(true)})

	// Each case gets a fresh SP-initiated request (unless it says otherwise).
	cases := []struct {
		name, reason string
		mut          func(r *resp)
		signer       *forgeIdP
		raw          func(xml string) string
		toTeam       string
	}{
		{name: "signature stripped", reason: "invalid_response", mut: func(r *resp) { r.SignAssertion = false }},
		{name: "signed by an untrusted key", reason: "invalid_response", signer: other},
		{name: "attribute tampered after signing", reason: "invalid_response", mut: func(r *resp) {
			r.Mutate = func(d *etree.Document) {
				v := d.FindElement("//Attribute[@Name='email']/AttributeValue")
				v.SetText("ceo@acme.example")
			}
		}},
		{name: "NameID tampered after signing", reason: "invalid_response", mut: func(r *resp) {
			r.Mutate = func(d *etree.Document) { d.FindElement("//NameID").SetText("ceo@acme.example") }
		}},
		{name: "RSA-SHA1 signature refused by default", reason: "invalid_response", mut: func(r *resp) { r.SHA1 = true }},
		{name: "missing InResponseTo on an SP-initiated response", reason: "invalid_response", mut: func(r *resp) { r.InResponseTo = "" }},
		{name: "InResponseTo of another request", reason: "invalid_response", mut: func(r *resp) { r.InResponseTo = "_other" }},
		{name: "wrong audience", reason: "invalid_response", mut: func(r *resp) { r.Audience = "https://other-sp.example/metadata" }},
		{name: "no AudienceRestriction", reason: "invalid_response", mut: func(r *resp) { r.NoAudience = true }},
		{name: "expired an hour ago", reason: "invalid_response", mut: func(r *resp) {
			r.NotBefore, r.NotOnOrAfter = clock.Now().Add(-2*time.Hour), clock.Now().Add(-time.Hour)
		}},
		{name: "expired beyond the skew", reason: "invalid_assertion", mut: func(r *resp) { r.NotOnOrAfter = clock.Now().Add(-61 * time.Second) }},
		{name: "not yet valid, 10 minutes ahead", reason: "invalid_response", mut: func(r *resp) {
			r.NotBefore, r.NotOnOrAfter = clock.Now().Add(10*time.Minute), clock.Now().Add(20*time.Minute)
		}},
		{name: "not yet valid beyond the skew", reason: "invalid_assertion", mut: func(r *resp) { r.NotBefore = clock.Now().Add(90 * time.Second) }},
		{name: "wrong issuer", reason: "invalid_response", mut: func(r *resp) { r.Issuer = "https://evil.example" }},
		{name: "wrong destination", reason: "invalid_response", mut: func(r *resp) { r.Destination = "https://evil.example/acs" }},
		{name: "no Conditions (crewjam would panic)", reason: "invalid_response", mut: func(r *resp) { r.NoConditions = true }},
		{name: "email outside the connection's domains", reason: "invalid_assertion", mut: func(r *resp) {
			r.Email, r.NameID = "mallory@evil.example", "mallory@evil.example"
		}},
		{name: "comment injection in NameID", reason: "invalid_assertion", mut: func(r *resp) {
			r.Email = ""
			r.RawNameID = "jane@acme.example<!---->.evil.test"
		}},
		{name: "XXE DOCTYPE", reason: "malformed", mut: func(r *resp) {
			r.Prolog = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>`
		}},
		{name: "XSW: forged unsigned assertion before the signed one", reason: "malformed", raw: func(x string) string {
			return strings.Replace(x, "<saml:Assertion ", forgedAssertion(x)+"<saml:Assertion ", 1)
		}},
		{name: "XSW: forged unsigned assertion after the signed one", reason: "malformed", raw: func(x string) string {
			return strings.Replace(x, "</samlp:Response>", forgedAssertion(x)+"</samlp:Response>", 1)
		}},
		{name: "XSW: signed original hidden in ds:Object, forged one in its place", reason: "malformed", raw: func(x string) string {
			i, j := strings.Index(x, "<saml:Assertion "), strings.Index(x, "</saml:Assertion>")+len("</saml:Assertion>")
			orig := x[i:j]
			return x[:i] + strings.Replace(forgedAssertion(x), "</saml:Issuer>", "</saml:Issuer><ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:Object>"+orig+"</ds:Object></ds:Signature>", 1) + x[j:]
		}},
		{name: "XSW: signed response, forged assertion swapped in", reason: "invalid_response", mut: func(r *resp) {
			r.SignAssertion, r.SignResponse = false, true
			r.Mutate = func(d *etree.Document) { d.FindElement("//NameID").SetText("ceo@acme.example") }
		}},
		{name: "team A's response posted to team B's ACS", reason: "invalid_response", toTeam: teamB.ID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := e.browser()
			target := team.ID
			if tc.toTeam != "" {
				target = tc.toTeam
			}
			_, reqID, relay := e.login(c, target)
			r := e.okResp(f, team.ID, reqID, "jane@acme.example")
			if tc.mut != nil {
				tc.mut(&r)
			}
			signer := f
			if tc.signer != nil {
				signer = tc.signer
			}
			x := signer.BuildXML(t, r)
			if tc.raw != nil {
				x = tc.raw(x)
			}
			before := e.logs.Len()
			res := e.post(c, target, base64.StdEncoding.EncodeToString([]byte(x)), relay)
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusForbidden {
				t.Fatalf("status %d, want 403; body %s", res.StatusCode, body)
			}
			if !bytes.Contains(body, []byte("Sign-in failed")) || bytes.Contains(body, []byte("InResponseTo")) || bytes.Contains(body, []byte("signature")) {
				t.Errorf("the user-facing page must be plain and generic, got %s", body)
			}
			if log := e.logs.String()[before:]; !strings.Contains(log, "reason="+tc.reason) {
				t.Errorf("log lacks reason=%s:\n%s", tc.reason, log)
			}
			if _, status := e.me(c); status != http.StatusUnauthorized {
				t.Errorf("a session was started")
			}
			for _, email := range []string{"jane@acme.example", "ceo@acme.example", "mallory@evil.example", "jane@acme.example.evil.test"} {
				for _, tm := range []string{team.ID, teamB.ID} {
					if _, err := e.store.FindUser(context.Background(), tm, db.UserKey{Email: email}); err == nil {
						t.Errorf("user %s was provisioned in %s", email, tm)
					}
				}
			}
		})
	}
	// after all that, the service still signs people in
	c := e.browser()
	_, reqID, relay := e.login(c, team.ID)
	if res := e.post(c, team.ID, f.Build(t, e.okResp(f, team.ID, reqID, "jane@acme.example")), relay); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("valid sign-in after the attacks: %d\n%s", res.StatusCode, e.logs)
	}
}

// forgedAssertion copies the signed assertion of x without its signature,
// with a new ID and the identity changed to ceo@acme.example.
func forgedAssertion(x string) string {
	i, j := strings.Index(x, "<saml:Assertion "), strings.Index(x, "</saml:Assertion>")+len("</saml:Assertion>")
	a := x[i:j]
	if k := strings.Index(a, "<ds:Signature"); k >= 0 {
		a = a[:k] + a[strings.Index(a, "</ds:Signature>")+len("</ds:Signature>"):]
	}
	a = strings.ReplaceAll(a, "jane@acme.example", "ceo@acme.example")
	return strings.Replace(a, `ID="`, `ID="forged`, 1)
}

func TestSignaturePlacementsAccepted(t *testing.T) {
	e := newEnv(t, nil, nil)
	f := newForge(t, "https://idp.acme.example", 0)
	team, _ := e.team("Acme", f.Metadata(), sso.Settings{JIT: ptr(true), ClockSkewSeconds: ptr(60)})
	for _, tc := range []struct {
		name            string
		assertion, resp bool
		shift           time.Duration
	}{
		{"assertion signed", true, false, 0},
		{"response signed", false, true, 0},
		{"both signed", true, true, 0},
		{"IdP clock 50s ahead, within the skew", true, false, 50 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.browser()
			_, reqID, relay := e.login(c, team.ID)
			r := e.okResp(f, team.ID, reqID, "jane@acme.example")
			r.SignAssertion, r.SignResponse = tc.assertion, tc.resp
			if tc.shift != 0 {
				r.NotBefore = clock.Now().Add(tc.shift)
			}
			if res := e.post(c, team.ID, f.Build(t, r), relay); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("status %d\n%s", res.StatusCode, e.logs)
			}
		})
	}
}

func TestSHA1AllowedWhenTeamOptsIn(t *testing.T) {
	e := newEnv(t, nil, nil)
	f := newForge(t, "https://idp.acme.example", 0)
	team, _ := e.team("Acme", f.Metadata(), sso.Settings{JIT: ptr(true), AllowSHA1: ptr(true)})
	c := e.browser()
	_, reqID, relay := e.login(c, team.ID)
	r := e.okResp(f, team.ID, reqID, "jane@acme.example")
	r.SHA1 = true
	if res := e.post(c, team.ID, f.Build(t, r), relay); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("SHA-1 with allow_sha1: status %d\n%s", res.StatusCode, e.logs)
	}
}

func TestReplayRefused(t *testing.T) {
	e := newEnv(t, nil, nil)
	f := newForge(t, "https://idp.acme.example", 0)
	team, _ := e.team("Acme", f.Metadata(), sso.Settings{JIT: ptr(true), AllowIdPInitiated: ptr(true)})
	c := e.browser()
	_, reqID, relay := e.login(c, team.ID)
	body := f.Build(t, e.okResp(f, team.ID, reqID, "jane@acme.example"))
	if res := e.post(c, team.ID, body, relay); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("first post: %d", res.StatusCode)
	}
	// the same response again: with its RelayState, and without one (as if
	// unsolicited; IdP-initiated is on, yet InResponseTo names a request)
	for _, rs := range []string{relay, ""} {
		if res := e.post(e.browser(), team.ID, body, rs); res.StatusCode != http.StatusForbidden {
			t.Errorf("replay with RelayState %q: status %d, want 403", rs, res.StatusCode)
		}
	}
	// an unsolicited response replayed: the DB replay cache refuses it
	r := e.okResp(f, team.ID, "", "jane@acme.example")
	idp := f.Build(t, r)
	if res := e.post(e.browser(), team.ID, idp, ""); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("IdP-initiated: %d\n%s", res.StatusCode, e.logs)
	}
	before := e.logs.Len()
	if res := e.post(e.browser(), team.ID, idp, ""); res.StatusCode != http.StatusForbidden {
		t.Errorf("IdP-initiated replay: status %d, want 403", res.StatusCode)
	}
	if !strings.Contains(e.logs.String()[before:], "reason=replayed") {
		t.Errorf("replay not recognised as such:\n%s", e.logs.String()[before:])
	}
	// a second service on the same database (another replica) refuses it too
	e2 := newEnv(t, e.store, nil)
	_ = e2
	if err := e.store.MarkSSOAssertion(context.Background(), team.ID, between(string(mustB64(idp)), `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="`, `"`),
		clock.Now().Add(time.Hour), clock.Now()); !errors.Is(err, db.ErrConflict) {
		t.Errorf("the replay cache is not shared through the database: %v", err)
	}
}

func mustB64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestIdPInitiated(t *testing.T) {
	e := newEnv(t, nil, nil)
	f := newForge(t, "https://idp.acme.example", 0)
	off, _ := e.team("Off", f.Metadata(), sso.Settings{JIT: ptr(true)})
	on, _ := e.team("On", f.Metadata(), sso.Settings{JIT: ptr(true), AllowIdPInitiated: ptr(true)})

	if res := e.post(e.browser(), off.ID, f.Build(t, e.okResp(f, off.ID, "", "jane@acme.example")), ""); res.StatusCode != http.StatusForbidden {
		t.Errorf("IdP-initiated with the toggle off (the default): %d, want 403", res.StatusCode)
	}
	c := e.browser()
	res := e.post(c, on.ID, f.Build(t, e.okResp(f, on.ID, "", "jane@acme.example")), "https://evil.test/")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("IdP-initiated: %d to %q, want 303 to / (RelayState is never a URL)\n%s", res.StatusCode, res.Header.Get("Location"), e.logs)
	}
	if me, _ := e.me(c); me.User.Email != "jane@acme.example" {
		t.Errorf("me = %+v", me)
	}
	// InResponseTo is still required for SP-initiated responses with the toggle on
	c = e.browser()
	_, reqID, relay := e.login(c, on.ID)
	r := e.okResp(f, on.ID, reqID, "jane@acme.example")
	r.InResponseTo = ""
	if res := e.post(c, on.ID, f.Build(t, r), relay); res.StatusCode != http.StatusForbidden {
		t.Errorf("SP-initiated response without InResponseTo, IdP-initiated on: %d, want 403", res.StatusCode)
	}
}

func TestOversizedAndDeflatedInput(t *testing.T) {
	e := newEnv(t, nil, nil)
	f := newForge(t, "https://idp.acme.example", 0)
	team, _ := e.team("Acme", f.Metadata(), sso.Settings{JIT: ptr(true)})
	big := strings.Repeat("A", 2<<20)
	if res := e.post(e.browser(), team.ID, big, ""); res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB post: %d, want 413", res.StatusCode)
	}
	// a deflate bomb: 50 MiB of zeros compressed; the ACS never inflates
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write(make([]byte, 50<<20))
	w.Close()
	c := e.browser()
	_, _, relay := e.login(c, team.ID)
	if res := e.post(c, team.ID, base64.StdEncoding.EncodeToString(buf.Bytes()), relay); res.StatusCode != http.StatusForbidden {
		t.Errorf("deflate bomb: %d, want 403", res.StatusCode)
	}
	if res := e.post(c, team.ID, "not base64!", ""); res.StatusCode != http.StatusForbidden {
		t.Errorf("garbage: %d, want 403", res.StatusCode)
	}
}

// R-ADM-7: only the primary admin and SSO admins manage SSO.
func TestOnlyPrimaryAndSSOAdminsConfigure(t *testing.T) {
	e := newEnv(t, nil, nil)
	f := newForge(t, "https://idp.acme.example", 0)
	team, prim := e.team("Acme", "", sso.Settings{})
	ctx := context.Background()
	mk := func(email string, role db.Role) db.User {
		u, err := e.store.CreateUser(ctx, team.ID, db.NewUser{Email: email, FirstName: "A", LastName: "B", Source: db.SourceAdmin}, e.op)
		if err != nil {
			t.Fatal(err)
		}
		if role != db.RoleNone {
			if err := e.store.SetAdminRole(ctx, team.ID, prim.ID, u.ID, role, e.op); err != nil {
				t.Fatal(err)
			}
		}
		return u
	}
	ssoAdmin := mk("sso@acme.example", db.RoleSSO)
	secondary := mk("second@acme.example", db.RoleSecondary)
	plain := mk("user@acme.example", db.RoleNone)
	md := f.Metadata()
	for _, tc := range []struct {
		who  string
		user db.User
		ok   bool
	}{{"primary", prim, true}, {"sso admin", ssoAdmin, true}, {"secondary admin", secondary, false}, {"user", plain, false}} {
		by := db.Actor{Kind: db.ActorAdmin, ID: tc.user.ID, Name: tc.user.Email}
		_, err := e.svc.Update(ctx, team.ID, by, sso.Settings{MetadataXML: &md})
		if tc.ok != (err == nil) || (!tc.ok && !errors.Is(err, db.ErrForbidden)) {
			t.Errorf("%s: Update err = %v, want allowed=%v", tc.who, err, tc.ok)
		}
		if _, err := e.svc.Show(ctx, team.ID, by); tc.ok != (err == nil) {
			t.Errorf("%s: Show err = %v", tc.who, err)
		}
		if _, err := e.svc.StartTest(ctx, team.ID, by); tc.ok != (err == nil) {
			t.Errorf("%s: StartTest err = %v", tc.who, err)
		}
	}
	// an admin of another team cannot touch this one
	other, otherPrim := e.team("Other", "", sso.Settings{})
	_ = other
	if _, err := e.svc.Update(ctx, team.ID, db.Actor{Kind: db.ActorAdmin, ID: otherPrim.ID}, sso.Settings{JIT: ptr(true)}); !errors.Is(err, db.ErrForbidden) {
		t.Errorf("another team's primary admin: %v", err)
	}
	// every change is audited with the admin
	audit, _ := e.store.ListAudit(ctx, team.ID, db.AuditQuery{})
	found := false
	for _, a := range audit {
		if strings.HasPrefix(a.Action, "sso.") && a.Actor.ID == ssoAdmin.ID {
			found = true
		}
	}
	if !found {
		t.Errorf("no sso.* audit entry by the SSO admin: %+v", audit)
	}
}

func TestDomainVerificationAndEnforcement(t *testing.T) {
	txt := txtMap{}
	e := newEnv(t, nil, txt)
	f := newForge(t, "https://idp.acme.example", 0)
	team, prim := e.team("Acme", f.Metadata(), sso.Settings{Domains: &[]string{"Acme.Example", "acme.test"}})
	ctx := context.Background()
	v, err := e.svc.Show(ctx, team.ID, e.op)
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{v.Domains[0].Name, v.Domains[1].Name}; !cmp.Equal(got, []string{"acme.example", "acme.test"}) {
		t.Fatalf("domains = %v", got)
	}
	if _, err := e.svc.Update(ctx, team.ID, e.op, sso.Settings{EnforceSSO: ptr(true)}); !errors.Is(err, db.ErrRule) {
		t.Errorf("enforcing SSO with no verified domain: %v, want a rule error", err)
	}
	if _, err := e.svc.VerifyDomain(ctx, team.ID, "acme.example", e.op); !errors.Is(err, db.ErrRule) {
		t.Errorf("verify without a TXT record: %v", err)
	}
	txt[v.Domains[0].TXTName] = []string{"unrelated", "roster-verification=wrong"}
	if _, err := e.svc.VerifyDomain(ctx, team.ID, "acme.example", e.op); !errors.Is(err, db.ErrRule) {
		t.Errorf("verify with a wrong TXT record: %v", err)
	}
	txt[v.Domains[0].TXTName] = []string{"unrelated", v.Domains[0].TXTValue}
	v, err = e.svc.VerifyDomain(ctx, team.ID, "acme.example", e.op)
	if err != nil || !v.Domains[0].Verified || v.Domains[1].Verified {
		t.Fatalf("verify: %v %+v", err, v.Domains)
	}
	if _, err := e.svc.Update(ctx, team.ID, e.op, sso.Settings{EnforceSSO: ptr(true)}); err != nil {
		t.Fatalf("enforce: %v", err)
	}
	u, _ := e.store.CreateUser(ctx, team.ID, db.NewUser{Email: "bob@acme.example", FirstName: "B", LastName: "C", Source: db.SourceAdmin}, e.op)
	u2, _ := e.store.CreateUser(ctx, team.ID, db.NewUser{Email: "bob@acme.test", FirstName: "B", LastName: "C", Source: db.SourceAdmin}, e.op)
	prim.Email = "owner@acme.example" // the primary admin is in a verified domain too
	prim2 := prim
	prim2.Email = "owner@elsewhere.test" // a primary admin outside the enforced domains needs no break-glass
	for _, tc := range []struct {
		u          db.User
		want       bool
		breakGlass bool
	}{{u, false, false}, {u2, true, false}, {prim, true, true}, {prim2, true, false}} {
		if got, err := e.svc.PasswordSignInAllowed(ctx, tc.u); err != nil || got != tc.want {
			t.Errorf("PasswordSignInAllowed(%s, %s) = %v %v, want %v", tc.u.Email, tc.u.AdminRole, got, err, tc.want)
		}
		if got, err := e.svc.BreakGlass(ctx, tc.u); err != nil || got != tc.breakGlass {
			t.Errorf("BreakGlass(%s, %s) = %v %v, want %v", tc.u.Email, tc.u.AdminRole, got, err, tc.breakGlass)
		}
	}
}

func TestCertificateRolloverAndExpiryWarning(t *testing.T) {
	e := newEnv(t, nil, nil)
	oldIdP := newForge(t, "https://idp.acme.example", 0)
	newIdP := newForge(t, "https://idp.acme.example", 1)
	newIdP.CertDER = selfSigned(t, newIdP.Key, "new", clock.Now().Add(-time.Hour), clock.Now().Add(10*24*time.Hour))
	team, _ := e.team("Acme", oldIdP.Metadata(oldIdP.CertDER, newIdP.CertDER), sso.Settings{JIT: ptr(true)})
	for _, f := range []*forgeIdP{oldIdP, newIdP} {
		c := e.browser()
		_, reqID, relay := e.login(c, team.ID)
		if res := e.post(c, team.ID, f.Build(t, e.okResp(f, team.ID, reqID, "jane@acme.example")), relay); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-in with a trusted cert: %d\n%s", res.StatusCode, e.logs)
		}
	}
	v, _ := e.svc.Show(context.Background(), team.ID, e.op)
	if len(v.TrustedCerts) != 2 || len(v.Warnings) != 1 || !strings.Contains(v.Warnings[0], "expires on") {
		t.Errorf("trusted certs %+v, warnings %v: want 2 certs and one expiry warning", v.TrustedCerts, v.Warnings)
	}
	// remove the old certificate: it is no longer trusted
	if _, err := e.svc.Update(context.Background(), team.ID, e.op, sso.Settings{RemoveCerts: []string{v.TrustedCerts[0].Fingerprint}}); err != nil {
		t.Fatal(err)
	}
	c := e.browser()
	_, reqID, relay := e.login(c, team.ID)
	if res := e.post(c, team.ID, oldIdP.Build(t, e.okResp(oldIdP, team.ID, reqID, "jane@acme.example")), relay); res.StatusCode != http.StatusForbidden {
		t.Errorf("removed cert still trusted: %d", res.StatusCode)
	}
}

func TestSPKeyRotationOverlaps(t *testing.T) {
	e := newEnv(t, nil, nil)
	f := newForge(t, "https://idp.acme.example", 0)
	team, _ := e.team("Acme", f.Metadata(), sso.Settings{JIT: ptr(true)})
	ctx := context.Background()
	before := e.spCert(team.ID)
	v, err := e.svc.RotateKey(ctx, team.ID, e.op)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.SP.Keys) != 2 || !v.SP.Keys[0].Signing || v.SP.Keys[1].Signing {
		t.Fatalf("keys after rotation: %+v", v.SP.Keys)
	}
	after := e.spCert(team.ID)
	if before.Equal(after) {
		t.Errorf("the signing certificate did not change")
	}
	res, _ := http.Get(e.url(team.ID, "metadata"))
	md, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Contains(md, []byte(base64.StdEncoding.EncodeToString(before.Raw))) {
		t.Errorf("the old certificate is no longer published during the overlap")
	}
	c := e.browser()
	loc, _, _ := e.login(c, team.ID)
	if err := verifyRedirectSignature(t, loc, after); err != nil {
		t.Errorf("AuthnRequest not signed with the new key: %v", err)
	}
	if _, err := e.svc.RetireKey(ctx, team.ID, v.SP.Keys[1].ID, e.op); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RetireKey(ctx, team.ID, v.SP.Keys[0].ID, e.op); !errors.Is(err, db.ErrRule) {
		t.Errorf("retiring the last key: %v, want a rule error", err)
	}
}

func TestTestModeShowsAssertionWithoutProvisioning(t *testing.T) {
	e := newEnv(t, nil, nil)
	f := newForge(t, "https://idp.acme.example", 0)
	team, prim := e.team("Acme", f.Metadata(), sso.Settings{JIT: ptr(true)})
	ctx := context.Background()
	start, err := e.svc.StartTest(ctx, team.ID, db.Actor{Kind: db.ActorAdmin, ID: prim.ID})
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := urlParse(start.RedirectURL)
	reqID := between(string(inflateRequest(t, loc.Query().Get("SAMLRequest"))), `ID="`, `"`)
	c := e.browser()
	res := e.post(c, team.ID, f.Build(t, e.okResp(f, team.ID, reqID, "jane@acme.example")), loc.Query().Get("RelayState"))
	var out struct {
		Test     bool
		OK       bool
		Identity sso.Identity
		MapsTo   sso.TestMapping `json:"maps_to"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("test mode: %d %v", res.StatusCode, err)
	}
	if !out.Test || out.Identity.Email != "jane@acme.example" || out.Identity.Attributes["firstName"][0] != "Jane" || !out.MapsTo.WouldCreate || out.MapsTo.User != nil {
		t.Errorf("test result = %+v", out)
	}
	if _, err := e.store.FindUser(ctx, team.ID, db.UserKey{Email: "jane@acme.example"}); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("test mode provisioned the user: %v", err)
	}
	if _, status := e.me(c); status != http.StatusUnauthorized {
		t.Errorf("test mode started a session")
	}
	// a failing test shows the admin the precise reason
	start, _ = e.svc.StartTest(ctx, team.ID, db.Actor{Kind: db.ActorAdmin, ID: prim.ID})
	loc, _ = urlParse(start.RedirectURL)
	reqID = between(string(inflateRequest(t, loc.Query().Get("SAMLRequest"))), `ID="`, `"`)
	r := e.okResp(f, team.ID, reqID, "jane@acme.example")
	r.Audience = "https://wrong.example"
	res = e.post(c, team.ID, f.Build(t, r), loc.Query().Get("RelayState"))
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusForbidden || !bytes.Contains(body, []byte("AudienceRestriction")) {
		t.Errorf("failed test: %d %s", res.StatusCode, body)
	}
}

func TestJITWithoutNameAttributes(t *testing.T) {
	e := newEnv(t, nil, nil)
	f := newForge(t, "https://idp.acme.example", 0)
	team, _ := e.team("Acme", f.Metadata(), sso.Settings{JIT: ptr(true)})
	c := e.browser()
	_, reqID, relay := e.login(c, team.ID)
	r := e.okResp(f, team.ID, reqID, "")
	r.NameID, r.First, r.Last = "jane.van.doe@acme.example", "", ""
	if res := e.post(c, team.ID, f.Build(t, r), relay); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("NameID-only sign-in: %d\n%s", res.StatusCode, e.logs)
	}
	u, err := e.store.FindUser(context.Background(), team.ID, db.UserKey{Email: "jane.van.doe@acme.example"})
	if err != nil || u.FirstName != "Jane" || u.LastName != "Van doe" {
		t.Errorf("user = %+v %v", u, err)
	}
	// with JIT off, an unknown user is refused
	off, _ := e.team("Off", f.Metadata(), sso.Settings{})
	c = e.browser()
	_, reqID, relay = e.login(c, off.ID)
	if res := e.post(c, off.ID, f.Build(t, e.okResp(f, off.ID, reqID, "jane@acme.example")), relay); res.StatusCode != http.StatusForbidden {
		t.Errorf("JIT off, unknown user: %d", res.StatusCode)
	}
}

// TestSignInOnEveryDialect runs a sign-in, a replay and a cross-team post
// on each configured database (PostgreSQL and MariaDB when their DSNs are set).
func TestSignInOnEveryDialect(t *testing.T) {
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			e := newEnv(t, gormdbtest.Open(t, d, gormdb.Config{}), nil)
			f := newForge(t, "https://idp.acme.example", 0)
			team, _ := e.team("Acme", f.Metadata(), sso.Settings{JIT: ptr(true)})
			other, _ := e.team("Other", f.Metadata(), sso.Settings{JIT: ptr(true), AllowIdPInitiated: ptr(true)})
			c := e.browser()
			_, reqID, relay := e.login(c, team.ID)
			body := f.Build(t, e.okResp(f, team.ID, reqID, "jane@acme.example"))
			if res := e.post(c, team.ID, body, relay); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign-in: %d\n%s", res.StatusCode, e.logs)
			}
			if me, _ := e.me(c); me.User.Email != "jane@acme.example" {
				t.Errorf("me = %+v", me)
			}
			for _, tm := range []string{team.ID, other.ID} {
				if res := e.post(e.browser(), tm, body, relay); res.StatusCode != http.StatusForbidden {
					t.Errorf("replay to %s: %d", tm, res.StatusCode)
				}
			}
		})
	}
}

// R-POL-2, R-POL-3: a JIT user is classified by the store's role-policy
// classifier with source sso (cmd/roster wires rolepolicy's); here a
// classifier standing in for a domain policy of cba.net makes the abc.net
// user external (R-POL-10).
func TestJITUserClassifiedAsSSO(t *testing.T) {
	var got []db.Source
	classify := func(p db.Policy, email string, src db.Source, isAdmin bool) db.UserType {
		got = append(got, src)
		if db.EmailDomain(email) == "cba.net" {
			return db.TypeStandard
		}
		return db.TypeExternal
	}
	e := newEnv(t, gormdbtest.New(t, gormdb.Config{Classify: classify}), nil)
	f := newForge(t, "https://idp.abc.net", 0)
	team, _ := e.team("Abc", f.Metadata(), sso.Settings{JIT: ptr(true), Domains: &[]string{"abc.net"}})
	c := e.browser()
	_, reqID, relay := e.login(c, team.ID)
	if res := e.post(c, team.ID, f.Build(t, e.okResp(f, team.ID, reqID, "ann@abc.net")), relay); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", res.StatusCode)
	}
	u, err := e.store.FindUser(context.Background(), team.ID, db.UserKey{Email: "ann@abc.net"})
	if err != nil || u.Type != db.TypeExternal || u.Source != db.SourceSSO {
		t.Errorf("user = %+v %v, want an external sso user", u, err)
	}
	if len(got) == 0 || got[len(got)-1] != db.SourceSSO {
		t.Errorf("classifier saw sources %v, want the last to be sso", got)
	}
}

// TestTestModeResultIsAReadablePageForABrowser: a browser (Accept:
// text/html) sees the parsed assertion, or the reason it failed, as a page.
func TestTestModeResultIsAReadablePageForABrowser(t *testing.T) {
	e := newEnv(t, nil, nil)
	f := newForge(t, "https://idp.acme.example", 0)
	team, prim := e.team("Acme", f.Metadata(), sso.Settings{JIT: ptr(true)})
	ctx := context.Background()
	post := func(aud string) (int, string) {
		start, err := e.svc.StartTest(ctx, team.ID, db.Actor{Kind: db.ActorAdmin, ID: prim.ID})
		if err != nil {
			t.Fatal(err)
		}
		loc, _ := urlParse(start.RedirectURL)
		reqID := between(string(inflateRequest(t, loc.Query().Get("SAMLRequest"))), `ID="`, `"`)
		r := e.okResp(f, team.ID, reqID, "jane@acme.example")
		if aud != "" {
			r.Audience = aud
		}
		form := url.Values{"SAMLResponse": {f.Build(t, r)}, "RelayState": {loc.Query().Get("RelayState")}}
		req, _ := http.NewRequest("POST", e.url(team.ID, "acs"), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
		res, err := e.browser().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("content type %q", ct)
		}
		return res.StatusCode, string(b)
	}
	status, body := post("")
	if status != http.StatusOK || !strings.Contains(body, "SSO test sign-in succeeded") || !strings.Contains(body, "<dd>jane@acme.example</dd>") ||
		!strings.Contains(body, "<td>firstName</td><td>Jane</td>") {
		t.Errorf("success page: %d %s", status, body)
	}
	if !strings.Contains(body, "just-in-time provisioning would create one") {
		t.Errorf("success page does not say whom it maps to: %s", body)
	}
	// An existing user: the page names them and where they would land.
	if _, err := e.store.CreateUser(ctx, team.ID, db.NewUser{Email: "jane@acme.example", FirstName: "Jane", LastName: "Doe", Source: db.SourceAdmin}, e.op); err != nil {
		t.Fatal(err)
	}
	if _, body = post(""); !strings.Contains(body, "<dd>jane@acme.example (Jane Doe)</dd>") || !strings.Contains(body, "lands on My products") {
		t.Errorf("mapping to an existing user: %s", body)
	}
	// JIT off and nobody with the email: the refusal a real sign-in would get.
	if _, err := e.svc.Update(ctx, team.ID, e.op, sso.Settings{JIT: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.DeleteUser(ctx, team.ID, mustFind(t, e, team.ID, "jane@acme.example"), e.op); err != nil {
		t.Fatal(err)
	}
	if _, body = post(""); !strings.Contains(body, "would be refused: <strong>not_provisioned</strong>") {
		t.Errorf("mapping without JIT: %s", body)
	}
	status, body = post("https://wrong.example")
	if status != http.StatusForbidden || !strings.Contains(body, "SSO test sign-in failed") || !strings.Contains(body, "AudienceRestriction") {
		t.Errorf("failure page: %d %s", status, body)
	}
}

func mustFind(t *testing.T, e *env, teamID, email string) string {
	t.Helper()
	u, err := e.store.FindUser(context.Background(), teamID, db.UserKey{Email: email})
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}
