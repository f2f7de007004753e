package gormdb_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
)

// TestOpenErrorsRedactPassword: a database URL's password never appears in
// the text of an error from Open, whether the URL is malformed, the server
// refuses the connection, or the driver echoes the DSN. issue 9 #3.
func TestOpenErrorsRedactPassword(t *testing.T) {
	const secret = "S3cr3t-pw_9f2"
	esc := url.QueryEscape(secret)
	for _, tc := range []struct {
		name string
		dsn  string
		want error // the sentinel the error must still wrap
	}{
		{"postgres refused", "postgres://roster:" + secret + "@127.0.0.1:1/roster?sslmode=disable&connect_timeout=5", db.ErrUnavailable},
		{"postgresql refused", "postgresql://roster:" + secret + "@127.0.0.1:1/roster?sslmode=disable&connect_timeout=5", db.ErrUnavailable},
		{"mysql refused", "mysql://roster:" + secret + "@127.0.0.1:1/roster?timeout=5s", db.ErrUnavailable},
		{"mariadb refused", "mariadb://roster:" + secret + "@127.0.0.1:1/roster?timeout=5s", db.ErrUnavailable},
		{"postgres malformed escape", "postgres://roster:" + secret + "%zz@127.0.0.1:1/roster", db.ErrInvalid},
		{"mysql malformed escape", "mysql://roster:" + secret + "%zz@127.0.0.1:1/roster", db.ErrInvalid},
		{"postgres bad port", "postgres://roster:" + secret + "@127.0.0.1:notaport/roster", db.ErrInvalid},
		{"postgres bad driver option", "postgres://roster:" + secret + "@127.0.0.1:1/roster?sslmode=bogus", nil},
		{"mysql bad driver option", "mysql://roster:" + secret + "@127.0.0.1:1/roster?timeout=notaduration", nil},
		{"postgres keyword DSN refused", "postgres://roster:" + esc + "@127.0.0.1:1/roster?sslmode=disable", db.ErrUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // hang guard only
			defer cancel()
			s, err := gormdb.Open(ctx, gormdb.Config{DSN: tc.dsn})
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded against a closed port")
			}
			for _, text := range []string{err.Error(), messageOf(err)} {
				if strings.Contains(text, secret) {
					t.Errorf("the password appears in the error: %s", text)
				}
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %v does not wrap %v", err, tc.want)
			}
		})
	}
}

func messageOf(err error) string {
	var de *db.Error
	if errors.As(err, &de) {
		return de.Message
	}
	return ""
}

// TestRedactDSN: the form of a DSN that logs and config dumps may show.
func TestRedactDSN(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://u:pw@h:5432/d?sslmode=disable", "postgres://u:xxxxx@h:5432/d?sslmode=disable"},
		{"mysql://root@127.0.0.1:3306/test", "mysql://root@127.0.0.1:3306/test"},
		{"mysql://u:p%zzw@h/d", "mysql://u:xxxxx@h/d"},
		{"roster.db", "roster.db"},
		{"sqlite:/var/lib/roster.db", "sqlite:/var/lib/roster.db"},
		{"postgres://u:pw@h/db@x", "postgres://u:xxxxx@h/db@x"},
	} {
		if got := gormdb.RedactDSN(tc.in); got != tc.want {
			t.Errorf("RedactDSN(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestRedactScrubsDriverEcho: a driver error (or a domain error's message)
// that repeats the DSN is scrubbed, in every spelling of the password, and
// still wraps its sentinel. issue 9 #3.
func TestRedactScrubsDriverEcho(t *testing.T) {
	dsn := "postgres://roster:p%40ss%2Fw0rd@db.internal:5432/roster"
	secrets := gormdb.DSNSecrets(dsn)
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"echoed DSN", fmt.Errorf("%w: cannot connect to %s", db.ErrUnavailable, dsn), db.ErrUnavailable},
		{"decoded password", fmt.Errorf("%w: auth failed for password p@ss/w0rd", db.ErrUnavailable), db.ErrUnavailable},
		{"domain message", db.Errorf(db.ErrInvalid, "database_invalid", "bad %s", dsn), db.ErrInvalid},
		{"cancelled", fmt.Errorf("%w: %s", context.Canceled, dsn), context.Canceled},
	} {
		err := gormdb.Redact(tc.err, secrets)
		for _, text := range []string{err.Error(), messageOf(err)} {
			for _, sec := range []string{"p%40ss%2Fw0rd", "p@ss/w0rd"} {
				if strings.Contains(text, sec) {
					t.Errorf("%s: password %q still in %q", tc.name, sec, text)
				}
			}
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v no longer wraps %v", tc.name, err, tc.want)
		}
		for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
			if strings.Contains(e.Error(), "w0rd") {
				t.Errorf("%s: the unredacted text is reachable through Unwrap: %v", tc.name, e)
			}
		}
	}
	// A very short password is scrubbed where a DSN holds it, not in every word.
	short := gormdb.Redact(fmt.Errorf("%w: dial postgres://u:ab@h/d: refused", db.ErrUnavailable), gormdb.DSNSecrets("postgres://u:ab@h/d"))
	if got := short.Error(); strings.Contains(got, ":ab@") || !strings.Contains(got, "database unavailable") {
		t.Errorf("short password: %q", got)
	}
	if err := gormdb.Redact(db.ErrNotFound, secrets); err != db.ErrNotFound {
		t.Errorf("an error without the password changed: %v", err)
	}
}
