package sso_test

import (
	"context"
	"fmt"
	"net/url"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
	"github.com/roster-dev/roster/sso"
)

// BenchmarkACS measures verified sign-ins through Service.ACS on a real
// SQLite store: signature check, Roster's assertion rules, the replay-cache
// insert, the user lookup (or JIT creation) and the session insert. The
// responses are signed before the timer starts. It runs on SQLite, and on
// PostgreSQL and MariaDB when ROSTER_TEST_POSTGRES / ROSTER_TEST_MYSQL are set.
func BenchmarkACS(b *testing.B) {
	clock.Set(time.Now().UTC())
	for _, d := range gormdbtest.Dialects() {
		b.Run(gormdbtest.Name(d), func(b *testing.B) { benchmarkACS(b, d) })
	}
}

func benchmarkACS(b *testing.B, d gormdb.Dialect) {
	for _, bc := range []struct {
		name    string
		spInit  bool
		newUser bool
		// clients > 0 runs the sign-ins from that many goroutines at once
		// (b.RunParallel): the server's throughput on every core, with the
		// group commit batching their writes. The sequential runs are the
		// issue's target figure.
		clients int
	}{
		{"idp-initiated/existing-user", false, false, 0},
		{"sp-initiated/existing-user", true, false, 0},
		{"sp-initiated/jit-new-user", true, true, 0},
		{"sp-initiated/existing-user-16-clients", true, false, 16},
		{"sp-initiated/jit-new-user-16-clients", true, true, 16},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := newEnv(b, gormdbtest.Open(b, d, gormdb.Config{}), nil)
			f := newForge(b, "https://idp.acme.example", 0)
			team, _ := e.team("Acme", f.Metadata(), sso.Settings{JIT: ptr(true), AllowIdPInitiated: ptr(true), Domains: &[]string{"acme.example"}})
			ctx := context.Background()
			if !bc.newUser {
				if _, err := e.store.CreateUser(ctx, team.ID, db.NewUser{Email: "jane@acme.example", FirstName: "J", LastName: "D", Source: db.SourceAdmin}, e.op); err != nil {
					b.Fatal(err)
				}
			}
			type post struct{ resp, relay, state string }
			posts := make([]post, b.N)
			for i := range posts {
				email := "jane@acme.example"
				if bc.newUser {
					email = fmt.Sprintf("u%d@acme.example", i)
				}
				reqID, relay, state := "", "", ""
				if bc.spInit {
					start, err := e.svc.StartLogin(ctx, team.ID, "/", "")
					if err != nil {
						b.Fatal(err)
					}
					u, _ := url.Parse(start.RedirectURL)
					relay, state = u.Query().Get("RelayState"), start.State
					reqID = between(string(inflateRequest(b, u.Query().Get("SAMLRequest"))), `ID="`, `"`)
				}
				posts[i] = post{f.Build(b, e.okResp(f, team.ID, reqID, email)), relay, state}
			}
			runtime.GC() // the setup's garbage is not the sign-ins' cost
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			if bc.clients > 0 {
				var next atomic.Int64
				b.SetParallelism((bc.clients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						p := posts[next.Add(1)-1]
						if _, err := e.svc.ACS(ctx, team.ID, p.resp, p.relay, p.state); err != nil {
							b.Error(err)
							return
						}
					}
				})
			} else {
				for i := 0; i < b.N; i++ {
					if _, err := e.svc.ACS(ctx, team.ID, posts[i].resp, posts[i].relay, posts[i].state); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signins/s")
			// CPU time (user + system, every goroutine: the group-commit
			// writer and the GC included) per sign-in: on a shared machine
			// ns/op is wall time and mostly measures the other builds.
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
