//go:build cgo

package gormdb

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	glebarez "github.com/glebarez/sqlite"
	mattn "gorm.io/driver/sqlite"
	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

// BenchmarkSQLiteDriver compares the pure-Go driver (modernc, through
// glebarez/sqlite) with the cgo driver (mattn/go-sqlite3) on the store's own
// hot paths, with the same pragmas. It chose the driver; see README "Benchmarks".
func BenchmarkSQLiteDriver(b *testing.B) {
	drivers := map[string]func(path string) gorm.Dialector{
		"modernc": func(path string) gorm.Dialector {
			return glebarez.Open(withParams(path, "_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"))
		},
		"mattn": func(path string) gorm.Dialector {
			return mattn.Open(withParams(path, "_journal_mode=WAL&_busy_timeout=10000&_foreign_keys=1&_synchronous=NORMAL&_txlock=immediate"))
		},
	}
	for _, name := range []string{"modernc", "mattn"} {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			s, err := Open(ctx, Config{DSN: filepath.Join(b.TempDir(), "bench.db"), sqliteDialector: drivers[name]})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			op := db.Actor{Kind: db.ActorOperator, ID: "bench"}
			team, _, err := s.CreateTeam(ctx, db.NewTeam{Name: "bench", PrimaryEmail: "p@bench.test", PrimaryFirstName: "P", PrimaryLastName: "B"}, op)
			if err != nil {
				b.Fatal(err)
			}
			var n atomic.Int64
			create := func() (db.User, error) {
				i := n.Add(1)
				return s.CreateUser(ctx, team.ID, db.NewUser{Email: fmt.Sprintf("u%d@bench.test", i), FirstName: "U", LastName: "B", Source: db.SourceSCIM}, op)
			}
			var ids []string
			for i := 0; i < 2000; i++ {
				u, err := create()
				if err != nil {
					b.Fatal(err)
				}
				ids = append(ids, u.ID)
			}
			b.Run("CreateUser/parallel", func(b *testing.B) {
				b.SetParallelism(8)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := create(); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
			b.Run("GetUser/parallel", func(b *testing.B) {
				b.SetParallelism(8)
				var k atomic.Int64
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := s.GetUser(ctx, team.ID, ids[int(k.Add(1))%len(ids)]); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
			b.Run("FindUserByEmail/parallel", func(b *testing.B) {
				b.SetParallelism(8)
				var k atomic.Int64
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						e := fmt.Sprintf("u%d@bench.test", 1+int(k.Add(1))%len(ids))
						if _, err := s.FindUser(ctx, team.ID, db.UserKey{Email: e}); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
			b.Run("UpdateUser/parallel", func(b *testing.B) {
				b.SetParallelism(8)
				var k atomic.Int64
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						i := k.Add(1)
						_, err := s.UpdateUser(ctx, team.ID, ids[int(i)%len(ids)], 0, op, func(u *db.User) error {
							if u.Status == db.StatusActive {
								u.Status = db.StatusInactive
							} else {
								u.Status = db.StatusActive
							}
							return nil
						})
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		})
	}
}
