package gormdb_test

import (
	"context"
	"errors"
	"testing"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
)

// TestSettings: serve records its base URL for the CLI (issue 9 #16c); a
// setting reads back, is replaced by a later write, and a missing one is
// ErrNotFound, on every dialect.
func TestSettings(t *testing.T) {
	ctx := context.Background()
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			s := gormdbtest.Open(t, d, gormdb.Config{})
			if _, err := s.Setting(ctx, "base_url"); !errors.Is(err, db.ErrNotFound) {
				t.Fatalf("missing setting: %v, want ErrNotFound", err)
			}
			for _, v := range []string{"https://a.example.com", "https://b.example.com"} {
				if err := s.PutSetting(ctx, "base_url", v); err != nil {
					t.Fatal(err)
				}
				if got, err := s.Setting(ctx, "base_url"); err != nil || got != v {
					t.Fatalf("Setting = %q, %v; want %q", got, err, v)
				}
			}
		})
	}
}
