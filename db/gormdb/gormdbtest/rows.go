package gormdbtest

import (
	"database/sql"
	"testing"
)

// SQLiteRowCounts returns the number of rows in every table of the SQLite
// database file at path, read over a second connection. Tests use it to
// prove that an operation writes nothing (or a bounded number of rows),
// whatever store method it would go through.
func SQLiteRowCounts(t testing.TB, path string) map[string]int64 {
	t.Helper()
	conn, err := sql.Open(sqliteDriverName, path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	out := make(map[string]int64, len(tables))
	for _, tb := range tables {
		var n int64
		if err := conn.QueryRow(`SELECT COUNT(*) FROM "` + tb + `"`).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", tb, err)
		}
		out[tb] = n
	}
	return out
}
