package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"io"
	"math/big"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster/sso"
)

// consoleClient signs an admin in to the console `roster serve` runs, by a
// login link from the CLI.
func consoleClient(t *testing.T, c *cli, base, team, email string) *http.Client {
	t.Helper()
	var out map[string]string
	c.ok(&out, "console", "login-link", "--team", team, "--email", email, "-o", "json")
	u, _ := url.Parse(out["url"])
	b := noRedirects()
	res, err := b.PostForm(base+"/console/link", url.Values{"token": {u.Query().Get("token")}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("console sign-in: %d", res.StatusCode)
	}
	return b
}

func consolePost(t *testing.T, b *http.Client, u string, form url.Values, files map[string]string) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range form {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for k, v := range files {
		fw, _ := mw.CreateFormFile(k, k+".txt")
		fw.Write([]byte(v))
	}
	mw.Close()
	req, _ := http.NewRequest("POST", u, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(out)
}

// certExpiringIn is a self-signed PEM certificate valid for d more.
func certExpiringIn(t *testing.T, cn string, d time.Duration) (string, string) {
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(d)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), hex.EncodeToString(sum[:])
}

// TestConsoleSSOGuidedSetup walks the SSO page of the console `roster
// serve` runs: IdP metadata by upload, domains with their TXT record and a
// Verify button, the attribute preset and switches (checked through the
// CLI), a certificate about to expire added with its warning and removed,
// the SP key rotated and the old one retired, enforce SSO refused until a
// domain is verified, and Test sign-in sent to the IdP; R-ADM-7 keeps a
// secondary admin out.
func TestConsoleSSOGuidedSetup(t *testing.T) {
	c := newCLI(t)
	idp := newTestIdP(t)
	base := startSSOServer(t, c)
	team := c.team("Acme", "pat@acme.test")
	b := consoleClient(t, c, base, team, "pat@acme.test")
	page := base + "/console/sso-setup"

	res, err := b.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "SSO is not configured yet") {
		t.Fatalf("empty SSO page: %d %s", res.StatusCode, body)
	}
	mres, _ := http.Get(idp.srv.URL + "/metadata")
	md, _ := io.ReadAll(mres.Body)
	mres.Body.Close()
	status, html := consolePost(t, b, page, url.Values{"domains": {"acme.test"}, "attribute_preset": {"entra"},
		"jit_present": {"1"}, "jit": {"on"}, "allow_idp_initiated_present": {"1"}, "enforce_sso_present": {"1"}},
		map[string]string{"idp_metadata_file": string(md)})
	if status != 200 || !strings.Contains(html, "The SSO settings were saved.") {
		t.Fatalf("save with an uploaded metadata file: %d %s", status, html)
	}
	var v sso.View
	c.ok(&v, "sso", "show", "--team", team, "-o", "json")
	if v.IdP.EntityID != idp.srv.URL+"/metadata" || v.AttributePreset != "entra" || !v.JIT || v.AllowIdPInitiated || len(v.Domains) != 1 {
		t.Fatalf("after the page's save: %+v", v)
	}
	for _, want := range []string{v.SP.EntityID, v.SP.ACSURL, `download="roster-sp-metadata.xml"`, v.Domains[0].TXTName, v.Domains[0].TXTValue,
		`action="/console/sso-setup/domains/acme.test/verify"`, "Connected to", "Rotate signing key"} {
		if !strings.Contains(html, want) {
			t.Errorf("the SSO page lacks %q", want)
		}
	}

	// Enforcing needs a verified domain: the SSO service's precise refusal.
	status, html = consolePost(t, b, page, url.Values{"enforce_sso_present": {"1"}, "enforce_sso": {"on"}}, nil)
	if status < 400 || status >= 500 || !strings.Contains(html, "verified") {
		t.Errorf("enforce without a verified domain: %d", status)
	}

	// A certificate for a rollover, 10 days from expiry: added with its warning, then removed.
	pemText, fp := certExpiringIn(t, "rollover-idp", 10*24*time.Hour)
	status, html = consolePost(t, b, page+"/certs", nil, map[string]string{"cert_file": pemText})
	if status != 200 || !strings.Contains(html, "The certificate was added.") || !strings.Contains(html, "rollover-idp") || !strings.Contains(html, "expires soon") {
		t.Fatalf("add certificate: %d %s", status, html)
	}
	status, html = consolePost(t, b, page+"/certs/"+fp+"/remove", nil, nil)
	if status != 200 || strings.Contains(html, "rollover-idp") {
		t.Errorf("remove certificate: %d", status)
	}
	if status, _ = consolePost(t, b, page+"/certs", url.Values{"cert_pem": {"not a certificate"}}, nil); status != http.StatusBadRequest {
		t.Errorf("a malformed certificate: %d, want 400", status)
	}

	// SP key rotation with overlap, then retiring the old key.
	old := v.SP.Keys[0].ID
	if status, _ = consolePost(t, b, page+"/keys", nil, nil); status != 200 {
		t.Fatalf("rotate: %d", status)
	}
	c.ok(&v, "sso", "show", "--team", team, "-o", "json")
	if len(v.SP.Keys) != 2 {
		t.Fatalf("after rotate: %d keys", len(v.SP.Keys))
	}
	if status, _ = consolePost(t, b, page+"/keys/"+old+"/retire", nil, nil); status != 200 {
		t.Fatalf("retire: %d", status)
	}
	v = sso.View{}
	c.ok(&v, "sso", "show", "--team", team, "-o", "json")
	if len(v.SP.Keys) != 1 || v.SP.Keys[0].ID == old {
		t.Errorf("after retire: %+v", v.SP.Keys)
	}

	// Test sign-in goes to the IdP (its readable result page is sso's test).
	status, _ = consolePost(t, b, page+"/test", nil, nil)
	if status != http.StatusSeeOther {
		t.Errorf("test sign-in: %d, want a redirect to the IdP", status)
	}

	// R-ADM-7: a secondary admin has no SSO page.
	c.ok(nil, "users", "add", "--team", team, "--email", "sec@acme.test", "--first-name", "S", "--last-name", "A")
	c.ok(nil, "admin", "set", "--team", team, "--email", "sec@acme.test", "--role", "secondary", "--as", "pat@acme.test")
	sec := consoleClient(t, c, base, team, "sec@acme.test")
	if status, html = consolePost(t, sec, page+"/keys", nil, nil); status != http.StatusForbidden || !strings.Contains(html, "R-ADM-7") {
		t.Errorf("secondary admin rotating the SSO key: %d", status)
	}
}
