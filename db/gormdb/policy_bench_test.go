package gormdb_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
)

// benchUsers is the team size the role-policy targets are stated for.
const benchUsers = 100_000

// benchUser spreads 100,000 users over the cases the policy distinguishes:
// most are employees (corp.example, SCIM, standard); 10 % are partners added
// by a collaboration product (external); 5 % are contractors provisioned as
// standard (exceptions under a corp.example domain policy); 2 % are
// employees a product added as external (exceptions the other way).
func benchUser(i int) (string, db.Source, db.UserType) {
	switch {
	case i%20 == 0:
		return fmt.Sprintf("contractor%06d@contractor.example", i), db.SourceSCIM, db.TypeStandard
	case i%10 == 1:
		return fmt.Sprintf("partner%06d@partner%d.example", i, i%7), db.SourceProduct, db.TypeExternal
	case i%50 == 3:
		return fmt.Sprintf("employee%06d@corp.example", i), db.SourceProduct, db.TypeExternal
	}
	return fmt.Sprintf("employee%06d@corp.example", i), db.SourceSCIM, db.TypeStandard
}

// BenchmarkPolicy100k measures, at 100,000 users in one team, a policy
// change (it touches no user row), the first page of exceptions, a dry run,
// the exception counts and a full CSV export (rows/s, peak heap and peak RSS).
// Run with `make bench-policy` (sets ROSTER_TEST_POSTGRES; SQLite always).
func BenchmarkPolicy100k(b *testing.B) {
	for _, d := range gormdbtest.Dialects() {
		b.Run(gormdbtest.Name(d), func(b *testing.B) {
			ctx := context.Background()
			s := gormdbtest.Open(b, d, gormdb.Config{})
			op := db.Actor{Kind: db.ActorOperator, ID: "bench"}
			team, _, err := s.CreateTeam(ctx, db.NewTeam{Name: "Bench", PrimaryEmail: "owner@corp.example", PrimaryFirstName: "O", PrimaryLastName: "W"}, op)
			if err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			if err := gormdb.BulkInsertUsers(ctx, s, team.ID, benchUsers, benchUser); err != nil {
				b.Fatal(err)
			}
			if err := gormdb.Settle(ctx, s); err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: seeded %d users in %v", d, benchUsers, time.Since(start).Round(time.Millisecond))

			b.Run("PolicyChange", func(b *testing.B) {
				policies := []db.Policy{
					{Mode: db.PolicyDomain, Domains: []string{"corp.example"}},
					{Mode: db.PolicyDomain, Domains: []string{"corp.example", "partner1.example"}},
					{Mode: db.PolicyDefault},
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := s.SetPolicy(ctx, team.ID, policies[i%len(policies)], op); err != nil {
						b.Fatal(err)
					}
				}
			})
			if _, err := s.SetPolicy(ctx, team.ID, db.Policy{Mode: db.PolicyDomain, Domains: []string{"corp.example"}}, op); err != nil {
				b.Fatal(err)
			}
			for _, typ := range []db.UserType{"", db.TypeExternal} {
				name := "ExceptionsFirstPage"
				if typ != "" {
					name += "_" + string(typ)
				}
				b.Run(name, func(b *testing.B) {
					b.ReportAllocs()
					for i := 0; i < b.N; i++ {
						es, err := s.ListExceptions(ctx, team.ID, db.ExceptionQuery{Type: typ, Limit: 100})
						if err != nil || len(es) != 100 {
							b.Fatalf("first page: %d, %v", len(es), err)
						}
					}
				})
			}
			b.Run("CountExceptions", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					c, err := s.CountExceptions(ctx, team.ID)
					if err != nil || c.Total != 7000 {
						b.Fatalf("count: %+v, %v", c, err)
					}
				}
			})
			b.Run("DryRun", func(b *testing.B) {
				p := db.Policy{Mode: db.PolicyDomain, Domains: []string{"corp.example", "contractor.example"}}
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					if _, err := s.PreviewPolicy(ctx, team.ID, p, db.Page{Limit: 100}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("ExportCSV", func(b *testing.B) {
				b.ReportAllocs()
				var rows int
				var peakHeap uint64
				var elapsed, cpu time.Duration
				resetPeakRSS()
				for i := 0; i < b.N; i++ {
					runtime.GC()
					var base runtime.MemStats
					runtime.ReadMemStats(&base)
					stop := sampleHeap(&peakHeap, base.HeapInuse)
					t0, c0 := time.Now(), cpuTime()
					n, err := exportCSV(ctx, s, team.ID, io.Discard)
					elapsed += time.Since(t0)
					cpu += cpuTime() - c0
					stop()
					if err != nil || n != benchUsers+1 {
						b.Fatalf("export: %d rows, %v", n, err)
					}
					rows += n
				}
				b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
				// the machine is shared: rows per second of this process's CPU
				// (Go, cgo SQLite and GC; not the PostgreSQL server's) is the
				// figure that does not depend on how busy the other cores are
				b.ReportMetric(float64(rows)/cpu.Seconds(), "rows/cpu-s")
				b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MB")
				if rss := peakRSS(); rss > 0 {
					b.ReportMetric(float64(rss)/(1<<10), "peak-rss-MB")
				}
			})
		})
	}
}

// exportCSV is the CLI's CSV export (cmd/roster writeUsageReport) reduced to
// what costs: the store's cursor, a csv.Writer and a buffered writer.
func exportCSV(ctx context.Context, s db.PolicyStore, teamID string, w io.Writer) (int, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	rec := make([]string, 11)
	n := 0
	err := s.UsageReport(ctx, teamID, func(r db.UsageRow) error {
		rec[0], rec[1], rec[2], rec[3], rec[4] = r.Email, r.FirstName, r.LastName, string(r.Status), string(r.Type)
		rec[5], rec[6], rec[7], rec[8] = strconv.FormatBool(r.External), string(r.Source), string(r.AdminRole), strconv.FormatBool(r.Exception)
		rec[9], rec[10] = r.CreatedAt.Format(time.RFC3339), r.UserID
		n++
		return cw.Write(rec)
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	if err == nil {
		err = bw.Flush()
	}
	return n, err
}

// sampleHeap records the peak of HeapInuse above base every 2 ms until stopped.
func sampleHeap(peak *uint64, base uint64) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > base && m.HeapInuse-base > *peak {
				*peak = m.HeapInuse - base
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetPeakRSS resets the kernel's peak-RSS counter (Linux), so peakRSS
// reports the export, not the seeding before it.
func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS returns VmHWM in KiB (0 if unknown).
func peakRSS() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			n, _ := strconv.Atoi(strings.Fields(l)[1])
			return n
		}
	}
	return 0
}
