package main

import (
	"strings"
	"testing"
)

// TestCLINeverPrintsDatabasePassword: start-up failures of migrate, serve
// and ordinary commands against an unreachable database, or with a malformed
// URL, print no password on stderr or stdout. issue 9 #3.
func TestCLINeverPrintsDatabasePassword(t *testing.T) {
	const secret = "Pw-7c1e0b9d"
	for _, dsn := range []string{
		"postgres://roster:" + secret + "@127.0.0.1:1/roster?sslmode=disable&connect_timeout=5",
		"mysql://roster:" + secret + "@127.0.0.1:1/roster?timeout=5s",
		"postgres://roster:" + secret + "%zz@127.0.0.1:1/roster",
		"postgres://roster:" + secret + "@127.0.0.1:bad/roster",
	} {
		for _, args := range [][]string{
			{"migrate"},
			{"migrate", "--status"},
			{"serve", "--listen", "127.0.0.1:0"},
			{"users", "list", "--team", "t"},
			{"--database", dsn, "team", "list"},
		} {
			c := newCLI(t)
			c.dsn = dsn
			out, errs, code := c.run(args...)
			if code == 0 {
				t.Fatalf("roster %s with %s succeeded", strings.Join(args, " "), dsn)
			}
			if strings.Contains(out+errs, secret) {
				t.Errorf("roster %s: the database password is printed:\n%s%s", strings.Join(args, " "), out, errs)
			}
			if strings.TrimSpace(errs) == "" {
				t.Errorf("roster %s: no error on stderr", strings.Join(args, " "))
			}
		}
	}
}
