package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/roster-dev/roster/db/gormdb"
)

// rosterProcess is `roster serve` running as a child process.
type rosterProcess struct {
	cmd *exec.Cmd
	url string
}

// startRosterProcess runs bin serve on dsn at a free 127.0.0.1 port and
// waits (bounded) for /healthz.
func startRosterProcess(t *testing.T, bin, dsn string) *rosterProcess {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang guard only
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, bin, "serve", "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "ROSTER_DATABASE="+dsn, "ROSTER_LOG_FORMAT=text", "ROSTER_LOG_LEVEL=info", "ROSTER_BASE_URL=http://127.0.0.1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil && !sent {
				addr <- m[1]
				sent = true
			}
		}
		if !sent {
			close(addr)
		}
	}()
	var a string
	select {
	case a = <-addr:
	case <-ctx.Done():
	}
	if a == "" {
		t.Fatal("roster serve did not log its address")
	}
	p := &rosterProcess{cmd: cmd, url: "http://" + a}
	for i := 0; i < 200; i++ {
		if resp, err := http.Get(p.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatal("roster serve never became ready")
	return nil
}

// TestKill9MidLoadSQLite is the second half of issue 9's fault suite:
// `roster serve` on a SQLite file is killed with SIGKILL while SCIM creates
// run, then restarted on the same file. The database opens cleanly and
// passes an integrity check; every acknowledged create is there; no create
// is half-applied (a user without its email index row or audit entry).
func TestKill9MidLoadSQLite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the roster binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "roster")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	dsn := filepath.Join(dir, "roster.db")
	c := &cli{t: t, dsn: dsn, env: map[string]string{}}
	c.ok(nil, "migrate")
	team := c.team("Acme", "pat@acme.test")
	var tok map[string]string
	c.ok(&tok, "token", "create", "--team", team, "-o", "json")

	p := startRosterProcess(t, bin, dsn)
	const workers, perWorker, killAfter = 4, 50, 60 // bounded counts, never timed
	var mu sync.Mutex
	var acked []string
	var acks atomic.Int64
	var killOnce sync.Once
	kill := func() {
		killOnce.Do(func() {
			p.cmd.Process.Signal(syscall.SIGKILL)
			t.Logf("SIGKILL after %d acknowledged creates", acks.Load())
		})
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				name := fmt.Sprintf("k-%d-%d@acme.test", w, i)
				body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + name + `","name":{"givenName":"K","familyName":"L"},"emails":[{"value":"` + name + `","type":"work","primary":true}]}`
				code, _, _ := faultSend(p.url+"/scim/v2/Users", tok["token"], "application/scim+json", body)
				if code == 0 {
					return // the server is gone
				}
				if code == http.StatusCreated {
					mu.Lock()
					acked = append(acked, name)
					mu.Unlock()
					if acks.Add(1) >= killAfter {
						kill()
					}
				}
			}
		}()
	}
	wg.Wait()
	kill()
	p.cmd.Wait()
	if len(acked) < killAfter {
		t.Fatalf("only %d creates acknowledged before the kill, want %d", len(acked), killAfter)
	}

	// Restart on the same file: it must open (and migrate) cleanly and serve.
	p2 := startRosterProcess(t, bin, dsn)
	if code, _, body := faultSend(p2.url+"/scim/v2/Users?count=1", tok["token"], "", ""); code != 200 {
		t.Fatalf("after the restart: %d %s", code, body)
	}
	p2.cmd.Process.Signal(syscall.SIGTERM)
	p2.cmd.Wait()

	conn := openSQLiteFile(t, dsn)
	var integrity string
	if err := conn.QueryRow("PRAGMA integrity_check").Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("integrity_check = %q, %v", integrity, err)
	}
	for _, q := range []struct{ what, sql string }{
		// SCIM-created users (the team's primary admin, made by CreateTeam,
		// has neither an email index row nor a user-targeted audit entry).
		{"SCIM users without an email index row", `SELECT COUNT(*) FROM users u WHERE u.source = 'scim' AND NOT EXISTS (SELECT 1 FROM user_emails e WHERE e.user_id = u.id)`},
		{"email index rows without a user", `SELECT COUNT(*) FROM user_emails e WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = e.user_id)`},
		{"SCIM users without an audit entry", `SELECT COUNT(*) FROM users u WHERE u.source = 'scim' AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.target_id = u.id)`},
	} {
		var n int
		if err := conn.QueryRow(q.sql).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q.what, err)
		}
		if n != 0 {
			t.Errorf("%d %s (a half-applied create)", n, q.what)
		}
	}
	rows, err := conn.Query(`SELECT user_name FROM users WHERE team_id = ? AND source = 'scim'`, team)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var have []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		have = append(have, n)
	}
	for _, name := range acked {
		if !slices.Contains(have, name) {
			t.Errorf("acknowledged create %s lost in the kill", name)
		}
	}
	t.Logf("%d acknowledged, %d SCIM users after the restart", len(acked), len(have))
}

// openSQLiteFile opens the file with whichever SQLite driver is compiled in.
func openSQLiteFile(t *testing.T, path string) *sql.DB {
	t.Helper()
	name := "sqlite3"
	if gormdb.SQLiteDriver != "mattn/go-sqlite3 (cgo)" {
		name = "sqlite"
	}
	conn, err := sql.Open(name, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
