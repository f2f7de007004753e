package gormdb_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
	"github.com/roster-dev/roster/directory"
)

// BenchmarkApplyDirectoryBatch measures creating directory users in batches
// of 1,000 and of 5,000 (one transaction each), the write path of a full
// sync (directory.Syncer.BatchSize).
func BenchmarkApplyDirectoryBatch(b *testing.B) {
	for _, d := range gormdbtest.Dialects() {
		for _, size := range []int{1000, 5000} {
			b.Run(fmt.Sprintf("%s/batch=%d", gormdbtest.Name(d), size), func(b *testing.B) {
				s := gormdbtest.Open(b, d, gormdb.Config{PlanDirectory: directory.Plan})
				ctx := context.Background()
				c := directoryTeam(b, s, "bench.test")
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					batch := db.DirectoryBatch{}
					for j := 0; j < size; j++ {
						id := fmt.Sprintf("u%d-%d", i, j)
						batch.Users = append(batch.Users, db.DirectoryUser{Anchor: id, DN: "uid=" + id + ",dc=x", Email: id + "@bench.test",
							UserName: id, FirstName: "F", LastName: "L", Hash: id})
					}
					if _, err := s.ApplyDirectoryBatch(ctx, c, batch, db.Actor{Kind: db.ActorDirectory, ID: c.ID}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "users/s")
			})
		}
	}
}

// directoryTeam is a new team of s (primary admin at domain) with an
// OpenLDAP connection.
func directoryTeam(t testing.TB, s *gormdb.Store, domain string) db.DirectoryConnection {
	t.Helper()
	ctx, op := context.Background(), db.Actor{Kind: db.ActorOperator}
	team, _, err := s.CreateTeam(ctx, db.NewTeam{Name: "dir " + domain, PrimaryEmail: "owner@" + domain, PrimaryFirstName: "O", PrimaryLastName: "W"}, op)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateDirectoryConnection(ctx, db.DirectoryConnection{TeamID: team.ID, Kind: db.DirectoryOpenLDAP, URL: "ldaps://x",
		BindDN: "x", PasswordRef: "env:X", BaseDN: "dc=x"}, op)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
