package gormdb_test

import (
	"context"
	"slices"
	"testing"

	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
)

// The text[] argument IN lists use on PostgreSQL (issue 15) carries every
// value exactly: quotes, backslashes, commas, braces, spaces, the word NULL,
// the empty string and non-ASCII text are elements, not syntax.
func TestTextArrayRoundTrip(t *testing.T) {
	if !slices.Contains(gormdbtest.Dialects(), gormdb.Postgres) {
		t.Skip("needs ROSTER_TEST_POSTGRES")
	}
	s := gormdbtest.Open(t, gormdb.Postgres, gormdb.Config{})
	vals := []string{"a", `"quoted"`, `back\slash`, `\"`, "comma,x", "{brace}", "", "NULL", "null", " spaced ", "ünï ✓", "x'y"}
	got, err := gormdb.TextArrayRoundTrip(context.Background(), s, vals)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, vals) {
		t.Fatalf("round trip:\n got %q\nwant %q", got, vals)
	}
	// Bad text is refused by the text guard, as in any other argument.
	if _, err := gormdb.TextArrayRoundTrip(context.Background(), s, []string{"ok", "nul\x00byte"}); err == nil {
		t.Fatal("a NUL byte in an element was accepted")
	}
}
