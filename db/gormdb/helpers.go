package gormdb

import (
	"database/sql/driver"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

func newID() string { return uuid.NewString() }

// Text that is not UTF-8 is returned as is (strings.ToLower would replace the
// bad bytes with U+FFFD), so the store's text guard still rejects it.
func lower(s string) string {
	if !utf8.ValidString(s) {
		return s
	}
	return strings.ToLower(strings.TrimSpace(s))
}

// audit writes one audit entry inside tx.
func (s *Store) audit(tx *gorm.DB, teamID string, by db.Actor, action, kind, target string, details any) error {
	return s.auditViewed(tx, teamID, by, action, kind, target, details, nil)
}

// auditViewed is audit for a writer that holds the target's view as it now
// is in tx (view, nil: read it), so the event needs no read of the row it
// has just written.
func (s *Store) auditViewed(tx *gorm.DB, teamID string, by db.Actor, action, kind, target string, details, view any) error {
	d := ""
	if details != nil {
		b, err := json.Marshal(details)
		if err != nil {
			return err
		}
		d = string(b)
	}
	return s.writeAudits(tx, []auditRow{{TeamID: teamID, At: s.nowUTC(), ActorKind: string(by.Kind), ActorID: by.ID,
		ActorName: by.Name, Action: action, TargetKind: kind, TargetID: target, Details: d, view: view}})
}

// chunks splits ids so IN lists stay under every dialect's parameter limit.
func chunks(ids []string, n int) [][]string {
	var out [][]string
	for len(ids) > n {
		out = append(out, ids[:n])
		ids = ids[n:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}

func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func limitOf(p db.Page) int {
	if p.Limit <= 0 {
		return 100
	}
	if p.Limit > 10000 {
		return 10000
	}
	return p.Limit
}

// inStrings is the condition "col IN vals" and its one argument, for tx's
// dialect. On PostgreSQL it is col = ANY(?) with one text[] parameter
// (issue 15): one statement text whatever the number of values, so pgx's
// per-connection statement cache keeps one prepared statement for it, and
// a generic plan PostgreSQL switches to after five executions filters rows
// against one constant array, where IN ($2, …, $101) rebuilt the array of
// parameters for every row it looked at (50 ms instead of 4 for 100 ids on
// a 10,000-user team whose statistics were stale). Elsewhere gorm expands
// the slice to IN (?, ?, …), padded to a power of two (up to 1,024) by
// repeating the last value, which IN ignores: a handful of statement texts,
// where one per length let a client that pages with every count from 1 to
// 1,000 make each of these queries a thousand prepared statements per
// connection, which the store keeps (see limitOffset).
func inStrings(tx *gorm.DB, col string, vals []string) (string, any) {
	if tx.Dialector.Name() == "postgres" {
		return col + " = ANY(?)", textArray(vals)
	}
	return col + " IN ?", padPow2(vals)
}

// padPow2 is vals grown to the next power of two (at most 1,024, or vals'
// length if that is more) with copies of its last value.
func padPow2(vals []string) []string {
	n := 1
	for n < len(vals) && n < 1024 {
		n *= 2
	}
	if n <= len(vals) || len(vals) == 0 {
		return vals
	}
	return padTo(vals, n)
}

// padTo is vals (not empty) grown to n values with copies of its last one,
// for an IN list of a fixed number of placeholders.
func padTo[T any](vals []T, n int) []T {
	out := make([]T, max(n, len(vals)))
	copy(out, vals)
	for i := len(vals); i < n; i++ {
		out[i] = vals[len(vals)-1]
	}
	return out
}

// createInParts inserts rows with tx (which may carry clauses, such as an
// upsert's) in multi-row INSERTs of partLen rows. It runs inside the
// caller's transaction.
func createInParts[T any](tx *gorm.DB, rows []T, size int) error {
	if partLen(len(rows), size) == len(rows) {
		return tx.Create(&rows).Error // one INSERT (a single SCIM create)
	}
	db := tx.Session(&gorm.Session{}) // tx's clauses on every INSERT
	return inParts(len(rows), size, func(i, j int) error {
		part := rows[i:j]
		return db.Create(&part).Error
	})
}

// inParts calls insert for the consecutive ranges [i, j) of n rows that
// partLen cuts, stopping at the first error.
func inParts(n, size int, insert func(i, j int) error) error {
	for i := 0; i < n; {
		j := i + partLen(n-i, size)
		if err := insert(i, j); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// partLen is how many of left rows the next multi-row INSERT of at most
// size rows takes: size, then the largest power of two that fits, the last
// 16 or fewer rows in one. gorm's CreateInBatches wrote any rest in one
// INSERT of its own length, so every remainder from 1 to size-1 was a
// statement text of its own, each prepared and kept (see limitOffset): up
// to size statements of thousands of parameters per table, where these
// lengths make at most 16 plus a few.
func partLen(left, size int) int {
	if left >= size {
		return size
	}
	if left <= 16 {
		return left
	}
	n := 16
	for n*2 <= left {
		n *= 2
	}
	return n
}

// limitOffset is the " LIMIT ... OFFSET ..." of a page and args with its
// values appended (args itself is not changed). On SQLite and MariaDB both
// are placeholders: the store keeps every statement it prepares (gorm's
// PrepareStmt), so a literal offset made each page of a startIndex walk a
// new prepared statement, kept for good (on MariaDB also a server-side one,
// up to max_prepared_stmt_count). PostgreSQL is not behind that cache (pgx
// keeps its own bounded one) and plans a literal LIMIT for its value, so
// there they stay literals.
func (s *Store) limitOffset(args []any, limit, offset int) (string, []any) {
	if s.dialect == Postgres {
		return " LIMIT " + strconv.Itoa(limit) + " OFFSET " + strconv.Itoa(offset), args
	}
	return " LIMIT ? OFFSET ?", append(args[:len(args):len(args)], limit, offset)
}

// textArray is a PostgreSQL text[] argument, sent as an array literal (gorm
// passes a driver.Valuer as one argument instead of expanding it). The text
// guard checks its elements like any other text argument.
type textArray []string

func (a textArray) Value() (driver.Value, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for _, r := range v {
			if r == '"' || r == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String(), nil
}
