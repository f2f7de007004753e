package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/roster-dev/roster/db"
)

// The second factor of console password sign-in: TOTP (RFC 6238) with the
// parameters every authenticator app supports — HMAC-SHA1, 6 digits, 30
// second steps — accepting the step before and after the current one for
// clock drift. Standard library only.
const (
	totpPeriod = 30
	totpDigits = 6
	totpSkew   = 1 // steps either side of now
	// totpSecretBytes is the secret's size (160 bits, RFC 4226's recommendation).
	totpSecretBytes = 20
	// recoveryCodes is how many single-use recovery codes an enrolment gets.
	recoveryCodes = 10
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// hotp is RFC 4226's HOTP value of counter as totpDigits decimal digits.
func hotp(secret []byte, counter int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(counter))
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range totpDigits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", totpDigits, v%mod)
}

// totpStep is the RFC 6238 time step of t.
func totpStep(t time.Time) int64 { return t.Unix() / totpPeriod }

// checkTOTP finds the step, within totpSkew of now, whose code is code.
func checkTOTP(secret []byte, code string, now time.Time) (int64, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != totpDigits {
		return 0, false
	}
	cur := totpStep(now)
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		if hmac.Equal([]byte(hotp(secret, cur+d)), []byte(code)) {
			return cur + d, true
		}
	}
	return 0, false
}

// otpauthURI is the key URI authenticator apps import (Google's Key Uri
// Format, which every app follows).
func otpauthURI(secret []byte, issuer, account string) string {
	label := url.PathEscape(issuer) + ":" + url.PathEscape(account)
	q := url.Values{"secret": {b32.EncodeToString(secret)}, "issuer": {issuer}, "algorithm": {"SHA1"},
		"digits": {fmt.Sprint(totpDigits)}, "period": {fmt.Sprint(totpPeriod)}}
	return "otpauth://totp/" + label + "?" + q.Encode()
}

// newRecoveryCode is 10 base32 characters (50 bits) in two groups of five.
func newRecoveryCode() string {
	b := make([]byte, 7)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	s := b32.EncodeToString(b)[:10]
	return s[:5] + "-" + s[5:]
}

// normalRecoveryCode is how a typed recovery code is compared: upper case,
// without spaces or dashes.
func normalRecoveryCode(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(s)))
}

// seal encrypts a TOTP secret at rest: db.Seal (AES-256-GCM with the
// console key, the one sealing routine of stored secrets) with the team and
// user as additional data, so a sealed secret copied to another user's row
// does not open.
func seal(key, secret []byte, teamID, userID string) ([]byte, error) {
	return db.Seal(key, secret, []byte(teamID+"/"+userID))
}

// unseal opens what seal produced.
func unseal(key, sealed []byte, teamID, userID string) ([]byte, error) {
	p, ok, err := db.Unseal(key, sealed, []byte(teamID+"/"+userID))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errors.New("console: the sealed authenticator secret does not open with this key")
	}
	return p, nil
}
