package directory

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
	"github.com/roster-dev/roster/directory/directorytest"
)

// peakRSS reads VmHWM (the process's peak resident set) in MB.
func peakRSS() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

// cpuTime is the process's user+system CPU time so far: unlike the wall
// time it hardly depends on what else the machine runs (it leaves out the
// directory server and PostgreSQL, separate processes).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetPeakRSS restarts VmHWM from the current RSS (Linux clear_refs 5).
func resetPeakRSS() {
	debug.FreeOSMemory() // return the previous phase's heap first
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// TestDirectoryBench is `make bench-directory`, a measurement rather than a
// test (no timing assertions): ROSTER_BENCH_USERS=N seeds N users into a
// fresh slapd, then for SQLite (and PostgreSQL when ROSTER_TEST_POSTGRES is
// set) runs a full sync into an empty team and a delta of 10 changes,
// printing users/s, peak RSS and the delta's wall time.
func TestDirectoryBench(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ROSTER_BENCH_USERS"))
	if n <= 0 {
		t.Skip("set ROSTER_BENCH_USERS (make bench-directory)")
	}
	var srv *directorytest.Slapd
	if dir := os.Getenv("ROSTER_BENCH_SLAPD_DIR"); dir != "" {
		// a slapd started and seeded beforehand by testdata/scripts (seeding 100,000 takes long)
		srv = existingSlapd(t, dir)
	} else {
		srv = directorytest.StartSlapd(t)
		t0 := time.Now()
		srv.Seed(t, 0)
		// bulk users go in offline with slapadd: ldapadd through the overlays takes minutes
		directorytest.RunScript(t, "bulk-slapd-offline.sh", append(srv.Env, fmt.Sprintf("BULK=%d", n))...)
		fmt.Printf("seeded %d users into slapd in %s\n", n+4, time.Since(t0).Round(time.Second))
	}
	run := time.Now().UnixNano() % 1e6 // unique change values, so the bench can repeat on one server
	width := len(strconv.Itoa(n))
	dialects := gormdbtest.Dialects()
	fmt.Printf("| source | users | database | full sync | users/s | peak RSS | delta (10 changes) | CPU/user |\n|---|---|---|---|---|---|---|---|\n")
	for i, d := range dialects {
		if d == gormdb.MySQL || (os.Getenv("ROSTER_BENCH_DB") != "" && os.Getenv("ROSTER_BENCH_DB") != string(d)) {
			continue
		}
		f := newFixture(t, d, slapdConn(srv), "syncpw")
		f.syncer.PageSize = 1000
		if os.Getenv("ROSTER_BENCH_DEBUG") != "" {
			f.syncer.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
		resetPeakRSS()
		cpu0 := cpuTime()
		start := time.Now()
		rep, err := f.syncer.Run(context.Background(), f.conn, Options{})
		full := time.Since(start)
		cpu := cpuTime() - cpu0
		rss := peakRSS()
		if err != nil || rep.Created < n {
			t.Fatalf("full sync into %s: %v %+v", d, err, rep.DirectoryCounts)
		}
		// 10 changes: 5 mail changes, 2 deletions, 2 new users and one group
		// modification adding them to engineering (a group change makes the
		// delta read the groups again, including the big one)
		var ldif strings.Builder
		for j := 1; j <= 5; j++ {
			fmt.Fprintf(&ldif, "dn: uid=bulk%0*d,ou=people,%s\nchangetype: modify\nreplace: mail\nmail: changed%d-%d-%d@example.org\n\n", width, j+10*i, srv.BaseDN, run, i, j)
		}
		var added []string
		for j := 1; j <= 2; j++ {
			uid := fmt.Sprintf("new%d-%d-%d", run, i, j)
			added = append(added, "member: uid="+uid+",ou=people,"+srv.BaseDN)
			fmt.Fprintf(&ldif, "dn: uid=%s,ou=people,%s\nchangetype: add\nobjectClass: inetOrgPerson\nuid: %s\ncn: New User\nsn: User\nmail: %s@example.org\n\n",
				uid, srv.BaseDN, uid, uid)
			fmt.Fprintf(&ldif, "dn: uid=bulk%0*d,ou=people,%s\nchangetype: delete\n\n", width, n/2+int(run%int64(n/4))+j+10*i, srv.BaseDN)
		}
		fmt.Fprintf(&ldif, "dn: cn=engineering,ou=groups,%s\nchangetype: modify\nadd: member\n%s\n\n", srv.BaseDN, strings.Join(added, "\n"))
		srv.LDIF(t, ldif.String())
		start = time.Now()
		users := rep.Created
		rep, err = f.syncer.Run(context.Background(), f.conn, Options{})
		delta := time.Since(start)
		if err != nil || rep.Mode != "delta" || rep.Created != 2 || rep.Updated != 5 || rep.Deleted != 2 || rep.MembersAdded != 4 { // engineering and all-staff (nested)
			t.Fatalf("delta into %s: %v %+v", d, err, rep.DirectoryCounts)
		}
		fmt.Printf("| slapd | %d | %s | %s | %.0f | %.0f MB | %s | %.0f µs |\n", users, d, full.Round(time.Millisecond),
			float64(users)/full.Seconds(), rss, delta.Round(time.Millisecond), float64(cpu.Microseconds())/float64(users))
	}
}

// TestDirectoryBenchAD is the Samba AD row of `make bench-directory`:
// ROSTER_BENCH_AD_USERS=N (root, ROSTER_AD_TESTS=1) provisions Samba with N
// bulk users (over LDAP: slow), then measures a full sync and a DirSync delta
// of 10 changes into SQLite (and PostgreSQL when configured).
func TestDirectoryBenchAD(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ROSTER_BENCH_AD_USERS"))
	if n <= 0 {
		t.Skip("set ROSTER_BENCH_AD_USERS (make bench-directory)")
	}
	t0 := time.Now()
	srv := directorytest.StartSamba(t, n)
	fmt.Printf("provisioned Samba AD with %d bulk users in %s\n", n, time.Since(t0).Round(time.Second))
	width := len(strconv.Itoa(n))
	fmt.Printf("| source | users | database | full sync | users/s | peak RSS | delta (10 changes) | CPU/user |\n|---|---|---|---|---|---|---|---|\n")
	for i, d := range gormdbtest.Dialects() {
		if d == gormdb.MySQL {
			continue
		}
		c := db.DirectoryConnection{Kind: db.DirectoryAD, URL: "ldaps://127.0.0.1:636", CAPEM: srv.CAPEM,
			BindDN: "scim-sync@CORP.EXAMPLE.TEST", BaseDN: srv.BaseDN}
		f := newFixture(t, d, c, "Sync-Passw0rd!")
		f.syncer.PageSize = 1000
		resetPeakRSS()
		cpu0 := cpuTime()
		start := time.Now()
		rep, err := f.syncer.Run(context.Background(), f.conn, Options{})
		full := time.Since(start)
		cpu := cpuTime() - cpu0
		rss := peakRSS()
		if err != nil || rep.Created < n {
			t.Fatalf("full sync into %s: %v %+v", d, err, rep.DirectoryCounts)
		}
		users := rep.Created
		var ldif strings.Builder
		for j := 1; j <= 5; j++ {
			fmt.Fprintf(&ldif, "dn: CN=bulk%0*d,OU=Staff,%s\nchangetype: modify\nreplace: mail\nmail: changed%d-%d@corp.example.test\n\n", width, j+10*i, srv.BaseDN, i, j)
		}
		var added []string
		for j := 1; j <= 2; j++ {
			cn := fmt.Sprintf("new%d-%d", i, j)
			added = append(added, "member: CN="+cn+",OU=Staff,"+srv.BaseDN)
			fmt.Fprintf(&ldif, "dn: CN=%s,OU=Staff,%s\nchangetype: add\nobjectClass: user\nsAMAccountName: %s\nmail: %s@corp.example.test\ngivenName: New\nsn: User\n\n",
				cn, srv.BaseDN, cn, cn)
			fmt.Fprintf(&ldif, "dn: CN=bulk%0*d,OU=Staff,%s\nchangetype: delete\n\n", width, n-j-10*i, srv.BaseDN)
		}
		fmt.Fprintf(&ldif, "dn: CN=engineering,OU=Groups,%s\nchangetype: modify\nadd: member\n%s\n\n", srv.BaseDN, strings.Join(added, "\n"))
		srv.LDIF(t, ldif.String())
		start = time.Now()
		rep, err = f.syncer.Run(context.Background(), f.conn, Options{})
		delta := time.Since(start)
		if err != nil || rep.Mode != "delta" || rep.Created != 2 || rep.Updated != 5 || rep.Deleted != 2 || rep.MembersAdded != 4 {
			t.Fatalf("delta into %s: %v %+v", d, err, rep.DirectoryCounts)
		}
		fmt.Printf("| Samba AD | %d | %s | %s | %.0f | %.0f MB | %s | %.0f µs |\n", users, d, full.Round(time.Millisecond),
			float64(users)/full.Seconds(), rss, delta.Round(time.Millisecond), float64(cpu.Microseconds())/float64(users))
	}
}

func existingSlapd(t *testing.T, dir string) *directorytest.Slapd {
	port, _ := strconv.Atoi(os.Getenv("ROSTER_BENCH_SLAPD_PORT"))
	lport, _ := strconv.Atoi(os.Getenv("ROSTER_BENCH_SLAPD_LDAPS_PORT"))
	crt, err := os.ReadFile(dir + "/tls/server.crt")
	if err != nil {
		t.Fatal(err)
	}
	return &directorytest.Slapd{Dir: dir, Port: port, LDAPSPort: lport, BaseDN: "dc=example,dc=org",
		BindDN: "cn=scim-sync,ou=services,dc=example,dc=org", CAPEM: string(crt)}
}
