package gormdb_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
)

// FuzzRedactDSN: for any database string, RedactDSN, ParseDSN and the error
// scrubbing of Open never panic and never let the password through, and a
// scrubbed error keeps its sentinel. issue 9 #3.
func FuzzRedactDSN(f *testing.F) {
	for _, s := range []string{
		"postgres://roster:S3cr3t@127.0.0.1:5432/roster?sslmode=disable",
		"postgres://roster:S3cr3t%zz@127.0.0.1:1/roster",
		"postgres://roster:S3cr3t@127.0.0.1:notaport/roster",
		"mysql://root:p@ss@word@127.0.0.1:3306/test",
		"mariadb://u:p%40ss%2Fw0rd@db:3306/d?timeout=5s",
		"mysql://root@127.0.0.1:3306/test",
		"sqlite:/var/lib/roster.db",
		"roster.db",
		"postgres://:@/",
		"://:@",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dsn string) {
		red := gormdb.RedactDSN(dsn)
		// Redacting twice changes nothing.
		if again := gormdb.RedactDSN(red); again != red {
			t.Fatalf("RedactDSN is not idempotent: %q -> %q -> %q", dsn, red, again)
		}
		secrets := gormdb.DSNSecrets(dsn)
		// Only passwords that cannot occur by chance in fixed text are checked.
		var long []string
		for _, sec := range secrets {
			if len(sec) >= 8 && !strings.Contains("xxxxx", sec) {
				long = append(long, sec)
			}
		}
		for _, sec := range long {
			// The password's own occurrence is gone (others, say in the user
			// name, are not the password's).
			if n := strings.Count(dsn, sec); n > 0 && strings.Count(red, sec) >= n {
				t.Fatalf("RedactDSN(%q) = %q still holds password %q", dsn, red, sec)
			}
		}
		if _, _, err := gormdb.ParseDSN(dsn); err != nil {
			for _, sec := range long {
				if strings.Contains(err.Error(), sec) {
					t.Fatalf("ParseDSN(%q) error shows the password: %v", dsn, err)
				}
			}
		}
		err := gormdb.Redact(fmt.Errorf("%w: dial %s failed", db.ErrUnavailable, dsn), secrets)
		if !errors.Is(err, db.ErrUnavailable) {
			t.Fatalf("scrubbed error lost its sentinel: %v", err)
		}
		for _, sec := range long {
			if strings.Contains(err.Error(), sec) {
				t.Fatalf("scrubbed error shows the password %q: %v", sec, err)
			}
		}
	})
}
