package directory

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	ldap "github.com/go-ldap/ldap/v3"

	"github.com/roster-dev/roster/db"
)

// ErrTLS marks a TLS, certificate or pin failure. It is never retried and
// never answered by falling back to plaintext.
var ErrTLS = errors.New("directory TLS verification failed")

// PinError is a certificate whose SHA-256 differs from the configured pin.
type PinError struct{ Got string }

func (e *PinError) Error() string { return "certificate pin mismatch: server leaf sha256 is " + e.Got }

// NormalizePin turns "AB:CD:..." or "abcd..." into 64 lower-case hex digits.
func NormalizePin(pin string) (string, error) {
	p := strings.ToLower(strings.NewReplacer(":", "", " ", "").Replace(strings.TrimSpace(pin)))
	if b, err := hex.DecodeString(p); err != nil || len(b) != sha256.Size {
		return "", db.Errorf(db.ErrInvalid, "tls_pin_invalid", "the TLS pin must be the SHA-256 of the server certificate (64 hex digits)")
	}
	return p, nil
}

// TLSConfig builds the client TLS configuration of a connection: a CA
// bundle, or a SHA-256 pin of the leaf certificate (checked in
// VerifyConnection, which runs even though chain verification is skipped).
func TLSConfig(c db.DirectoryConnection, host string) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	switch {
	case c.TLSPin != "":
		want, err := NormalizePin(c.TLSPin)
		if err != nil {
			return nil, err
		}
		cfg.InsecureSkipVerify = true // replaced by the pin check below
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return &PinError{Got: "none"}
			}
			got := sha256.Sum256(cs.PeerCertificates[0].Raw)
			if hex.EncodeToString(got[:]) != want {
				return &PinError{Got: hex.EncodeToString(got[:])}
			}
			return nil
		}
	case c.CAPEM != "":
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(c.CAPEM)) {
			return nil, db.Errorf(db.ErrInvalid, "ca_invalid", "the CA file holds no PEM certificate")
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// CheckURL enforces TLS: ldaps://, or ldap:// with StartTLS; nothing else.
func CheckURL(raw string, startTLS bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, db.Errorf(db.ErrInvalid, "url_invalid", "directory URL %q is not ldap://host:port or ldaps://host:port", raw)
	}
	switch u.Scheme {
	case "ldaps":
		if startTLS {
			return nil, db.Errorf(db.ErrInvalid, "starttls_ldaps", "StartTLS is for ldap:// URLs; ldaps:// is already TLS")
		}
	case "ldap":
		if !startTLS {
			return nil, db.Errorf(db.ErrInvalid, "plaintext_refused", "ldap:// without StartTLS would send the bind password in plaintext; use --start-tls or ldaps://")
		}
	default:
		return nil, db.Errorf(db.ErrInvalid, "url_invalid", "directory URL scheme must be ldap or ldaps")
	}
	return u, nil
}

// ResolvePassword reads a password reference: file:/path, env:NAME, or
// enc:<base64> decrypted with key (AES-256-GCM).
func ResolvePassword(ref string, key []byte, getenv func(string) string) (string, error) {
	switch {
	case strings.HasPrefix(ref, "file:"):
		b, err := os.ReadFile(strings.TrimPrefix(ref, "file:"))
		if err != nil {
			return "", fmt.Errorf("read bind password file: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	case strings.HasPrefix(ref, "env:"):
		name := strings.TrimPrefix(ref, "env:")
		v := getenv(name)
		if v == "" {
			return "", fmt.Errorf("bind password environment variable %s is empty", name)
		}
		return v, nil
	case strings.HasPrefix(ref, "enc:"):
		return DecryptSecret(key, strings.TrimPrefix(ref, "enc:"))
	}
	return "", errors.New("bind password reference must be a file:, env: or enc: reference")
}

// directoryAD binds sealed bind passwords to this use.
var directoryAD = []byte("roster-directory")

var errDirectoryKey = errors.New("the directory secret key must be 32 bytes (64 hex digits)")

// EncryptSecret seals plaintext with AES-256-GCM (db.Seal) for storage as "enc:" + result.
func EncryptSecret(key []byte, plaintext string) (string, error) {
	b, err := db.Seal(key, []byte(plaintext), directoryAD)
	if errors.Is(err, db.ErrKeySize) {
		return "", errDirectoryKey
	}
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// DecryptSecret opens a value made by EncryptSecret.
func DecryptSecret(key []byte, sealed string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return "", errors.New("the encrypted bind password is malformed")
	}
	pt, ok, err := db.Unseal(key, b, directoryAD)
	switch {
	case errors.Is(err, db.ErrKeySize):
		return "", errDirectoryKey
	case err != nil:
		return "", err
	case !ok:
		return "", errors.New("the encrypted bind password does not open with the configured key")
	}
	return string(pt), nil
}

func isTLSError(err error) bool {
	var pe *PinError
	var ve *tls.CertificateVerificationError
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	var ce x509.CertificateInvalidError
	return errors.As(err, &pe) || errors.As(err, &ve) || errors.As(err, &ue) || errors.As(err, &he) || errors.As(err, &ce) ||
		strings.Contains(err.Error(), "tls:") || strings.Contains(err.Error(), "x509:")
}

// dial connects with TLS (ldaps:// or StartTLS) and binds. Network errors
// while dialing are retried with capped exponential backoff; TLS and bind
// failures are not.
func (s *Syncer) dial(ctx context.Context, c db.DirectoryConnection) (*ldap.Conn, error) {
	u, err := CheckURL(c.URL, c.StartTLS)
	if err != nil {
		return nil, err
	}
	tc, err := TLSConfig(c, u.Hostname())
	if err != nil {
		return nil, err
	}
	pw, err := ResolvePassword(c.PasswordRef, s.SecretKey, s.getenv)
	if err != nil {
		return nil, err
	}
	backoff := 200 * time.Millisecond
	var conn *ldap.Conn
	for attempt := 1; ; attempt++ {
		d := &net.Dialer{Timeout: 10 * time.Second}
		conn, err = ldap.DialURL(c.URL, ldap.DialWithDialer(d), ldap.DialWithTLSConfig(tc))
		if err == nil && c.StartTLS {
			if err = conn.StartTLS(tc); err != nil {
				conn.Close()
				return nil, fmt.Errorf("%w: starttls: %v", ErrTLS, err)
			}
		}
		if err == nil {
			break
		}
		if isTLSError(err) {
			return nil, fmt.Errorf("%w: %v", ErrTLS, err)
		}
		if !ldap.IsErrorWithCode(err, ldap.ErrorNetwork) || attempt >= s.dialAttempts() {
			return nil, fmt.Errorf("connect to %s: %w", c.URL, err)
		}
		s.log().Warn("directory dial failed; retrying", "connection", c.ID, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(backoff):
		}
		if backoff *= 2; backoff > 5*time.Second {
			backoff = 5 * time.Second
		}
	}
	conn.SetTimeout(60 * time.Second)
	if err := conn.Bind(c.BindDN, pw); err != nil {
		conn.Close()
		if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
			return nil, fmt.Errorf("bind as %s: invalid credentials", c.BindDN)
		}
		return nil, fmt.Errorf("bind as %s: %w", c.BindDN, err)
	}
	return conn, nil
}
