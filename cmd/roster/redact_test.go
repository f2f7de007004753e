package main

import (
	"bytes"
	"errors"
	"fmt"
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

// TestStderrRedactsPasswordInLogs: whatever a driver error says, a log line
// or error line on stderr shows no database password, in the JSON and text
// log formats (which escape it differently). issue 9 #3.
func TestStderrRedactsPasswordInLogs(t *testing.T) {
	const secret = `p"w d\x-Secret42`
	for _, format := range []string{"json", "text"} {
		var buf bytes.Buffer
		w := newRedactingWriter(&buf, []string{secret})
		log := buildLogger(w, format, "debug")
		log.Error("admin api", "err", errors.New("dial postgres://roster:"+secret+"@db/roster: refused"))
		log.Info("password " + secret)
		fmt.Fprintln(w, "roster: "+secret)
		out := buf.String()
		if strings.Contains(out, "Secret42") {
			t.Errorf("%s: the password is on stderr:\n%s", format, out)
		}
		if strings.Count(out, "xxxxx") != 3 {
			t.Errorf("%s: want three redactions:\n%s", format, out)
		}
	}
}
