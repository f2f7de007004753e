// Package directorytest starts throwaway directories for integration tests:
// an OpenLDAP slapd (any user) and a Samba AD DC (root, ROSTER_AD_TESTS=1)
// on loopback, from the scripts in directory/testdata/scripts. Tests skip
// when the binaries are missing (install: directory/testdata/install.sh).
package directorytest

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The integration harness: throwaway slapd / Samba AD DC on loopback,
// started from testdata/scripts (install them with testdata/install.sh).

// FreePort returns a free TCP port on 127.0.0.1.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// RunScript runs one of testdata/scripts with extra environment and fails the test on error.
func RunScript(t testing.TB, name string, env ...string) string {
	t.Helper()
	_, self, _, _ := runtime.Caller(0)
	cmd := exec.Command("bash", filepath.Join(filepath.Dir(self), "..", "testdata", "scripts", name))
	// Samba's Python tools need Debian's python3, not a pyenv shim earlier in PATH.
	cmd.Env = append(os.Environ(), "PATH=/usr/sbin:/usr/bin:/sbin:/bin")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
	return string(out)
}

// Slapd is a running throwaway slapd.
type Slapd struct {
	Dir                 string
	Port, LDAPSPort     int
	BaseDN, BindDN, Pin string
	CAPEM               string
	Env                 []string
}

// StartTLSURL is the ldap:// URL (StartTLS required).
func (s *Slapd) StartTLSURL() string { return fmt.Sprintf("ldap://127.0.0.1:%d", s.Port) }

// LDAPSURL is the ldaps:// URL.
func (s *Slapd) LDAPSURL() string { return fmt.Sprintf("ldaps://127.0.0.1:%d", s.LDAPSPort) }

// Seed adds the standard people and groups (and BULK=n bulk users).
func (s *Slapd) Seed(t testing.TB, bulk int) {
	RunScript(t, "seed-slapd.sh", append(s.Env, fmt.Sprintf("BULK=%d", bulk))...)
}

// Mutate applies the standard delta (new, changed mail, rename+move, delete).
func (s *Slapd) Mutate(t testing.TB) { RunScript(t, "mutate-slapd.sh", s.Env...) }

// LDIF applies an ldapmodify change as the admin.
func (s *Slapd) LDIF(t testing.TB, ldif string) {
	t.Helper()
	cmd := exec.Command("ldapmodify", "-x", "-H", s.StartTLSURL(), "-D", "cn=admin,"+s.BaseDN, "-w", "adminpw")
	cmd.Stdin = strings.NewReader(ldif)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ldapmodify: %v\n%s", err, out)
	}
}

// Kill stops slapd at once (SIGKILL), as a crash would.
func (s *Slapd) Kill(t testing.TB) {
	b, err := os.ReadFile(filepath.Join(s.Dir, "slapd.pid"))
	if err != nil {
		t.Fatal(err)
	}
	exec.Command("kill", "-KILL", strings.TrimSpace(string(b))).Run()
}

// NeedSlapd skips the test when slapd and the LDAP tools are not installed.
func NeedSlapd(t testing.TB) {
	t.Helper()
	for _, b := range []string{"/usr/sbin/slapd", "/usr/sbin/slapadd", "/usr/bin/ldapadd", "/usr/bin/openssl"} {
		if _, err := os.Stat(b); err != nil {
			skip(t, "%s not installed (run directory/testdata/install.sh)", b)
		}
	}
}

// skip skips the test, or fails it when CI demands the integration suites
// (ROSTER_REQUIRE_INTEGRATION), so a missing directory never passes silently.
func skip(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("ROSTER_REQUIRE_INTEGRATION") != "" {
		t.Fatalf("ROSTER_REQUIRE_INTEGRATION is set but: "+format, args...)
	}
	t.Skipf(format, args...)
}

// StartSlapd starts a slapd on free loopback ports in t.TempDir().
func StartSlapd(t testing.TB) *Slapd {
	t.Helper()
	NeedSlapd(t)
	s := &Slapd{Dir: filepath.Join(t.TempDir(), "slapd"), Port: FreePort(t), LDAPSPort: FreePort(t),
		BaseDN: "dc=example,dc=org", BindDN: "cn=scim-sync,ou=services,dc=example,dc=org"}
	s.Env = []string{"SLAPD_DIR=" + s.Dir, fmt.Sprintf("SLAPD_PORT=%d", s.Port), fmt.Sprintf("SLAPD_LDAPS_PORT=%d", s.LDAPSPort)}
	RunScript(t, "start-slapd.sh", s.Env...)
	t.Cleanup(func() { RunScript(t, "stop-slapd.sh", s.Env...) })
	crt, err := os.ReadFile(filepath.Join(s.Dir, "tls", "server.crt"))
	if err != nil {
		t.Fatal(err)
	}
	s.CAPEM = string(crt)
	s.Pin = PinOf(t, crt)
	return s
}

// PinOf is the SHA-256 pin (hex) of a PEM certificate.
func PinOf(t testing.TB, pemBytes []byte) string {
	blk, _ := pem.Decode(pemBytes)
	if blk == nil {
		t.Fatal("no PEM certificate")
	}
	if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(blk.Bytes)
	return hex.EncodeToString(h[:])
}

// Samba is a running throwaway Samba AD DC (ports 389/636 on loopback).
type Samba struct {
	Dir, BaseDN, CAPEM, Pin string
	Env                     []string
}

// LDIF applies an ldapmodify change as the domain Administrator.
func (s *Samba) LDIF(t testing.TB, ldif string) {
	t.Helper()
	cmd := exec.Command("ldapmodify", "-x", "-H", "ldap://127.0.0.1:389", "-D", "Administrator@CORP.EXAMPLE.TEST", "-w", "Adm1nPassw0rd!")
	cmd.Stdin = strings.NewReader(ldif)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ldapmodify: %v\n%s", err, out)
	}
}

// Mutate applies the standard AD delta (new, renamed, disabled, moved, deleted).
func (s *Samba) Mutate(t testing.TB) { RunScript(t, "mutate-samba-ad.sh", s.Env...) }

// StartSamba provisions and starts Samba AD in t.TempDir(); it needs root
// and ROSTER_AD_TESTS=1 (it binds the standard AD ports on loopback).
func StartSamba(t testing.TB, bulk int) *Samba {
	t.Helper()
	if os.Getenv("ROSTER_AD_TESTS") != "1" {
		t.Skip("Samba AD tests need ROSTER_AD_TESTS=1 (and root)")
	}
	if os.Geteuid() != 0 {
		skip(t, "ROSTER_AD_TESTS=1 but not root")
	}
	if _, err := os.Stat("/usr/sbin/samba"); err != nil {
		skip(t, "samba not installed (run directory/testdata/install.sh)")
	}
	s := &Samba{Dir: filepath.Join(t.TempDir(), "samba"), BaseDN: "DC=corp,DC=example,DC=test"}
	s.Env = []string{"SAMBA_DIR=" + s.Dir}
	RunScript(t, "start-samba-ad.sh", append(s.Env, "REPROVISION=1")...)
	t.Cleanup(func() { RunScript(t, "stop-samba-ad.sh", append(s.Env, "WIPE=1")...) })
	RunScript(t, "seed-samba-ad.sh", append(s.Env, fmt.Sprintf("BULK=%d", bulk))...)
	ca, err := os.ReadFile(filepath.Join(s.Dir, "tls-custom", "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	s.CAPEM = string(ca)
	crt, err := os.ReadFile(filepath.Join(s.Dir, "tls-custom", "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	s.Pin = PinOf(t, crt)
	return s
}
