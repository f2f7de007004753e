package gormdbtest

import (
	"database/sql"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/roster-dev/roster/db/gormdb"
)

// Bookkeeping tables left out of Snapshot and Schema: goose's, and the
// legacy one a database made by the release before goose keeps.
var bookkeeping = map[string]bool{"goose_db_version": true, "schema_migrations": true}

// RawDB opens dsn (a Roster DSN) with the plain database/sql driver, on one
// connection so session statements in a loaded dump apply to the rest.
func RawDB(t testing.TB, dsn string) (*sql.DB, gormdb.Dialect) {
	t.Helper()
	d, raw, err := gormdb.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	driver := map[gormdb.Dialect]string{gormdb.SQLite: sqliteDriverName, gormdb.Postgres: "pgx", gormdb.MySQL: "mysql"}[d]
	conn, err := sql.Open(driver, raw)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetMaxOpenConns(1)
	t.Cleanup(func() { conn.Close() })
	return conn, d
}

// LoadSQL runs the SQL dump in file on conn, one statement at a time (a
// statement ends with a line ending in ";").
func LoadSQL(t testing.TB, conn *sql.DB, file string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var stmt strings.Builder
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if stmt.Len() == 0 && (strings.TrimSpace(line) == "" || strings.HasPrefix(line, "--")) {
			continue
		}
		stmt.WriteString(line)
		if strings.HasSuffix(strings.TrimRight(line, "\n"), ";") {
			if _, err := conn.Exec(stmt.String()); err != nil {
				t.Fatalf("load %s: %v\n%s", file, err, stmt.String())
			}
			stmt.Reset()
		}
	}
}

// Tables lists the database's tables but the bookkeeping ones, sorted.
func Tables(t testing.TB, conn *sql.DB, d gormdb.Dialect) []string {
	t.Helper()
	q := map[gormdb.Dialect]string{
		gormdb.SQLite:   `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`,
		gormdb.Postgres: `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`,
		gormdb.MySQL:    `SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()`,
	}[d]
	var out []string
	for _, r := range query(t, conn, q) {
		if !bookkeeping[r[0]] {
			out = append(out, r[0])
		}
	}
	sort.Strings(out)
	return out
}

// Snapshot returns every row of every table (but the bookkeeping ones),
// each row rendered as text, sorted, by table.
func Snapshot(t testing.TB, conn *sql.DB, d gormdb.Dialect) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, tb := range Tables(t, conn, d) {
		q := `SELECT * FROM "` + tb + `"`
		if d == gormdb.MySQL {
			q = "SELECT * FROM `" + tb + "`"
		}
		rows := []string{}
		for _, r := range query(t, conn, q) {
			rows = append(rows, strings.Join(r, " | "))
		}
		sort.Strings(rows)
		out[tb] = rows
	}
	return out
}

// Schema describes the database's tables, columns and indexes (but the
// bookkeeping tables) as sorted lines, so two databases compare equal iff
// their schemas are the same whatever SQL text created them.
func Schema(t testing.TB, conn *sql.DB, d gormdb.Dialect) []string {
	t.Helper()
	var out []string
	add := func(prefix string, rows [][]string) {
		for _, r := range rows {
			if !bookkeeping[r[0]] {
				out = append(out, prefix+" "+strings.Join(r, " "))
			}
		}
	}
	switch d {
	case gormdb.SQLite:
		for _, tb := range Tables(t, conn, d) {
			for _, r := range query(t, conn, `SELECT name, type, "notnull", COALESCE(dflt_value, 'NULL'), pk FROM pragma_table_info('`+tb+`')`) {
				out = append(out, "column "+tb+" "+strings.Join(r, " "))
			}
			for _, ix := range query(t, conn, `SELECT name, "unique", origin FROM pragma_index_list('`+tb+`')`) {
				var cols []string
				for _, c := range query(t, conn, `SELECT name FROM pragma_index_info('`+ix[0]+`') ORDER BY seqno`) {
					cols = append(cols, c[0])
				}
				out = append(out, "index "+tb+" "+strings.Join(ix, " ")+" ("+strings.Join(cols, ",")+")")
			}
		}
	case gormdb.Postgres:
		add("column", query(t, conn, `SELECT table_name, column_name, data_type, COALESCE(character_maximum_length, 0), is_nullable,
			COALESCE(column_default, 'NULL') FROM information_schema.columns WHERE table_schema = current_schema()`))
		add("index", query(t, conn, `SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()`))
	case gormdb.MySQL:
		add("table", query(t, conn, `SELECT TABLE_NAME, ENGINE, TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()`))
		add("column", query(t, conn, `SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COALESCE(COLUMN_DEFAULT, 'NULL'),
			COALESCE(COLLATION_NAME, ''), EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()`))
		add("index", query(t, conn, `SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME
			FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()`))
	}
	sort.Strings(out)
	return out
}

// NonBinaryTextColumns lists MariaDB/MySQL text columns (but the
// bookkeeping tables') whose collation is not binary, as table.column collation.
func NonBinaryTextColumns(t testing.TB, conn *sql.DB) []string {
	t.Helper()
	var out []string
	for _, r := range query(t, conn, `SELECT TABLE_NAME, COLUMN_NAME, COLLATION_NAME FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = DATABASE() AND COLLATION_NAME IS NOT NULL AND COLLATION_NAME NOT LIKE '%\_bin'`) {
		if !bookkeeping[r[0]] {
			out = append(out, r[0]+"."+r[1]+" "+r[2])
		}
	}
	sort.Strings(out)
	return out
}

func query(t testing.TB, conn *sql.DB, q string) [][]string {
	t.Helper()
	rows, err := conn.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		r := make([]string, len(cols))
		for i, v := range vals {
			switch v := v.(type) {
			case nil:
				r[i] = "NULL"
			case []byte:
				r[i] = string(v)
			default:
				r[i] = fmt.Sprint(v)
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
