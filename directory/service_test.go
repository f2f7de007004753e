package directory

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
	"github.com/roster-dev/roster/directory/directorytest"
)

// TestServiceTwoReplicas proves that two replicas (two stores, as two
// `roster serve` have) sharing a database never run the same connection at
// once — PostgreSQL's advisory lock, MariaDB's GET_LOCK, SQLite's lease row
// in directory_leases — and do not run it twice in one interval; then that
// two schedulers racing for a due connection run it once between them.
func TestServiceTwoReplicas(t *testing.T) {
	srv := directorytest.StartSlapd(t)
	srv.Seed(t, 300)
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) { testServiceTwoReplicas(t, srv, gormdbtest.DSN(t, d)) })
	}
}

func testServiceTwoReplicas(t *testing.T, srv *directorytest.Slapd, dsn string) {
	ctx := context.Background()
	var replicas [2]*gormdb.Store
	for i := range replicas {
		s, err := gormdb.Open(ctx, gormdb.Config{DSN: dsn, PlanDirectory: Plan})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		replicas[i] = s
	}
	team, _, err := replicas[0].CreateTeam(ctx, db.NewTeam{Name: "Acme", PrimaryEmail: "owner@example.org", PrimaryFirstName: "O", PrimaryLastName: "W"}, db.Actor{Kind: db.ActorOperator})
	if err != nil {
		t.Fatal(err)
	}
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("syncpw"), 0o600)
	c := slapdConn(srv)
	c.TeamID, c.PasswordRef, c.Enabled = team.ID, "file:"+pw, true
	if _, err := replicas[0].CreateDirectoryConnection(ctx, c, db.Actor{Kind: db.ActorOperator}); err != nil {
		t.Fatal(err)
	}

	entered, release := make(chan struct{}), make(chan struct{})
	first := &Service{Syncer: &Syncer{Store: replicas[0], PageSize: 100, afterPage: func(n int) {
		if n == 1 {
			close(entered)
			<-release // hold the connection mid-run
		}
	}}}
	second := &Service{Syncer: &Syncer{Store: replicas[1], PageSize: 100}}
	done := make(chan int)
	go func() { done <- first.RunDue(ctx) }()
	<-entered
	if n := second.RunDue(ctx); n != 0 {
		t.Fatalf("the second replica ran a connection the first one holds (%d runs)", n)
	}
	close(release)
	if n := <-done; n != 1 {
		t.Fatalf("the first replica ran %d connections, want 1", n)
	}
	if n := second.RunDue(ctx); n != 0 {
		t.Fatalf("the second replica ran the connection again within its interval (%d)", n)
	}
	runs, err := replicas[1].ListDirectoryRuns(ctx, team.ID, "", 10)
	if err != nil || len(runs) != 1 || runs[0].Error != "" || runs[0].Counts.Created != 304 {
		t.Fatalf("runs: %+v %v", runs, err)
	}

	// The race: the interval has passed (both clocks an hour on), and two
	// schedulers look for due connections at the same moment, many times.
	later := func() time.Time { return time.Now().Add(time.Hour) }
	for round := range 5 {
		a := &Service{Syncer: &Syncer{Store: replicas[0], PageSize: 100, Now: later}}
		b := &Service{Syncer: &Syncer{Store: replicas[1], PageSize: 100, Now: later}}
		start := make(chan struct{})
		results := make(chan int, 2)
		for _, s := range []*Service{a, b} {
			go func() { <-start; results <- s.RunDue(ctx) }()
		}
		close(start)
		if n := <-results + <-results; n != 1 {
			t.Fatalf("round %d: the racing schedulers ran the due connection %d times, want 1", round, n)
		}
		later = func() time.Time { return time.Now().Add(time.Duration(round+2) * time.Hour) }
	}
}
