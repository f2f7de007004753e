// Package gormdbtest opens real, throwaway gormdb stores for tests: a fresh
// SQLite file always, and a fresh PostgreSQL or MariaDB database when
// ROSTER_TEST_POSTGRES or ROSTER_TEST_MYSQL names a server (CI sets both).
package gormdbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql" // to create and drop test databases
	_ "github.com/jackc/pgx/v5/stdlib" // to create and drop test databases

	"github.com/roster-dev/roster/db/gormdb"
)

// Env names the environment variables holding server DSNs, by dialect.
var Env = map[gormdb.Dialect]string{
	gormdb.Postgres: "ROSTER_TEST_POSTGRES", // e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
	gormdb.MySQL:    "ROSTER_TEST_MYSQL",    // e.g. mysql://root@127.0.0.1:3306/test
}

// Dialects lists SQLite and every server dialect whose DSN is set.
func Dialects() []gormdb.Dialect {
	out := []gormdb.Dialect{gormdb.SQLite}
	for _, d := range []gormdb.Dialect{gormdb.Postgres, gormdb.MySQL} {
		if os.Getenv(Env[d]) != "" {
			out = append(out, d)
		}
	}
	return out
}

// New opens a fresh migrated SQLite store in t.TempDir().
func New(t testing.TB, cfg gormdb.Config) *gormdb.Store {
	t.Helper()
	return Open(t, gormdb.SQLite, cfg)
}

// DSN returns a DSN for a fresh, empty database of dialect d, dropped when
// the test ends. It skips the test if the dialect's server is not configured.
func DSN(t testing.TB, d gormdb.Dialect) string {
	t.Helper()
	if d == gormdb.SQLite {
		return filepath.Join(t.TempDir(), "roster.db")
	}
	base := os.Getenv(Env[d])
	if base == "" {
		t.Skipf("%s not set", Env[d])
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "roster_t_" + hex.EncodeToString(b)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", Env[d], err)
	}
	var admin *sql.DB
	switch d {
	case gormdb.Postgres:
		admin, err = sql.Open("pgx", base)
	case gormdb.MySQL:
		_, raw, perr := gormdb.ParseDSN(base)
		if perr != nil {
			t.Fatal(perr)
		}
		admin, err = sql.Open("mysql", raw)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		t.Fatalf("create test database on %s: %v", d, err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if d == gormdb.Postgres {
			admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
			return
		}
		admin.Exec("DROP DATABASE IF EXISTS " + name)
	})
	u.Path = "/" + name
	return u.String()
}

// Open opens a fresh migrated store of dialect d (skipping if unconfigured).
func Open(t testing.TB, d gormdb.Dialect, cfg gormdb.Config) *gormdb.Store {
	t.Helper()
	cfg.DSN = DSN(t, d)
	s, err := gormdb.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open %s store: %v", d, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Name is a short name for subtests: "sqlite", "postgres", "mysql".
func Name(d gormdb.Dialect) string { return strings.ToLower(string(d)) }

var _ = fmt.Sprint
