// Package ssotest starts the loopback samlify SAML identity provider of
// sso/testdata/idp (a SAML stack independent of crewjam/saml) for tests in
// any package: the sso suite and the console's browser suite. Tests skip
// when node or the npm packages (sso/testdata/idp/install.sh) are missing,
// and fail instead when ROSTER_REQUIRE_INTEGRATION is set.
package ssotest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// Samlify is a running samlify IdP; Base is its URL.
type Samlify struct {
	t    testing.TB
	Base string
}

// StartSamlify runs testdata/idp/idp.js with a fresh signing key on a free
// loopback port, stopped when the test ends.
func StartSamlify(t testing.TB) *Samlify {
	t.Helper()
	skip := t.Skip
	if os.Getenv("ROSTER_REQUIRE_INTEGRATION") != "" {
		skip = t.Fatal
	}
	node, err := exec.LookPath("node")
	if err != nil {
		skip("node not installed; the samlify suite needs node and sso/testdata/idp/install.sh")
	}
	_, self, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(self), "..", "testdata", "idp")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "samlify", "package.json")); err != nil {
		skip("samlify not installed; run sso/testdata/idp/install.sh")
	}
	tmp := t.TempDir()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "samlify test IdP"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	p8, _ := x509.MarshalPKCS8PrivateKey(k)
	os.WriteFile(filepath.Join(tmp, "idp.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}), 0o600)
	os.WriteFile(filepath.Join(tmp, "idp.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "idp.js"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "IDP_KEY="+filepath.Join(tmp, "idp.key"), "IDP_CERT="+filepath.Join(tmp, "idp.crt"), "IDP_PORT=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start samlify IdP: %v", err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	port := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var m struct{ Port int }
			if json.Unmarshal(sc.Bytes(), &m) == nil && m.Port > 0 {
				port <- m.Port
			}
		}
		close(port)
	}()
	select {
	case p, ok := <-port:
		if !ok {
			t.Fatalf("samlify IdP exited: %s", stderr.String())
		}
		return &Samlify{t: t, Base: fmt.Sprintf("http://127.0.0.1:%d", p)}
	case <-time.After(90 * time.Second): // a guard against a hung start, not a timing assertion
		t.Fatalf("samlify IdP did not start: %s", stderr.String())
	}
	return nil
}

// Metadata is the IdP's metadata XML (what a team imports).
func (s *Samlify) Metadata() []byte {
	s.t.Helper()
	res, err := http.Get(s.Base + "/metadata")
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return b
}

// Register gives the IdP an SP's metadata XML.
func (s *Samlify) Register(spMetadata []byte) {
	s.t.Helper()
	res, err := http.Post(s.Base+"/sp", "application/xml", bytes.NewReader(spMetadata))
	if err != nil {
		s.t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		s.t.Fatalf("register SP: %s", b)
	}
}
