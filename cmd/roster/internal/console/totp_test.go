package console

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestHOTPAndTOTPVectors: RFC 6238 appendix B (SHA-1), the low six digits.
func TestHOTPAndTOTPVectors(t *testing.T) {
	secret := []byte("12345678901234567890")
	for _, tc := range []struct {
		unix int64
		want string
	}{{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"}, {1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"}} {
		if got := hotp(secret, totpStep(time.Unix(tc.unix, 0))); got != tc.want {
			t.Errorf("TOTP at %d = %s, want %s", tc.unix, got, tc.want)
		}
	}
	now := time.Unix(1111111111, 0)
	for _, tc := range []struct {
		at   time.Time
		ok   bool
		name string
	}{{now, true, "now"}, {now.Add(-30 * time.Second), true, "one step early"}, {now.Add(30 * time.Second), true, "one step late"},
		{now.Add(-61 * time.Second), false, "two steps early"}, {now.Add(90 * time.Second), false, "three steps late"}} {
		step, ok := checkTOTP(secret, hotp(secret, totpStep(tc.at)), now)
		if ok != tc.ok || ok && step != totpStep(tc.at) {
			t.Errorf("%s: checkTOTP = %d %v, want %v", tc.name, step, ok, tc.ok)
		}
	}
	if _, ok := checkTOTP(secret, "12345", now); ok {
		t.Error("a five-digit code was accepted")
	}
}

// TestSealBindsTheSecretToItsUser: the stored form is ciphertext, opens only
// with the key and for the same team and user.
func TestSealBindsTheSecretToItsUser(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	secret := []byte("12345678901234567890")
	sealed, err := seal(key, secret, "team", "user")
	if err != nil || bytes.Contains(sealed, secret) {
		t.Fatalf("seal = %x, %v", sealed, err)
	}
	if got, err := unseal(key, sealed, "team", "user"); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("unseal = %q, %v", got, err)
	}
	for _, tc := range []struct {
		name       string
		key        []byte
		team, user string
	}{{"another user", key, "team", "other"}, {"another team", key, "other", "user"}, {"another key", bytes.Repeat([]byte{8}, 32), "team", "user"}, {"no key", nil, "team", "user"}} {
		if _, err := unseal(tc.key, sealed, tc.team, tc.user); err == nil {
			t.Errorf("%s: unsealed", tc.name)
		}
	}
}

func TestOTPAuthURIAndRecoveryCodes(t *testing.T) {
	u, err := url.Parse(otpauthURI([]byte("12345678901234567890"), "Roster", "pat@acme.test"))
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" ||
		u.Query().Get("digits") != "6" || u.Query().Get("period") != "30" || u.Query().Get("issuer") != "Roster" || !strings.HasPrefix(u.Path, "/Roster:pat@acme.test") {
		t.Errorf("otpauth URI = %v (%v)", u, err)
	}
	seen := map[string]bool{}
	for range 100 {
		c := newRecoveryCode()
		if len(c) != 11 || c[5] != '-' || seen[c] {
			t.Fatalf("recovery code %q (dup %v)", c, seen[c])
		}
		seen[c] = true
		if normalRecoveryCode(" "+strings.ToLower(c)+" ") != strings.ReplaceAll(c, "-", "") {
			t.Errorf("normalRecoveryCode(%q)", c)
		}
	}
}
