package gormdb

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"

	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

// BulkInsertUsers seeds n users into a team for benchmarks, in batches and
// without classification or audit (the way a restore would), so 100,000
// users take seconds. gen returns each user's email, source and type.
func BulkInsertUsers(ctx context.Context, s *Store, teamID string, n int, gen func(i int) (string, db.Source, db.UserType)) error {
	const batch = 1000
	now := s.nowUTC()
	rows := make([]userRow, 0, batch)
	for i := 0; i < n; i++ {
		email, src, typ := gen(i)
		u := db.User{ID: newID(), TeamID: teamID, Email: email, UserName: email, FirstName: "Bench", LastName: "User",
			Status: db.StatusActive, Type: typ, Source: src, Version: 1, CreatedAt: now, UpdatedAt: now}
		r := s.userRowFrom(u)
		rows = append(rows, r)
		if len(rows) == batch || i == n-1 {
			if err := s.conn(ctx).Create(&rows).Error; err != nil {
				return translate(err)
			}
			rows = rows[:0]
		}
	}
	return nil
}

// Settle brings the planner statistics up to date after a bulk load, as
// autovacuum (PostgreSQL) or a periodic ANALYZE would on a live database.
func Settle(ctx context.Context, s *Store) error {
	switch s.dialect {
	case Postgres:
		return s.conn(ctx).Exec("VACUUM ANALYZE users").Error
	case MySQL:
		return s.conn(ctx).Exec("ANALYZE TABLE users").Error
	}
	return s.conn(ctx).Exec("ANALYZE").Error
}

// Redact and DSNSecrets expose the error scrubbing of Open to tests.
var (
	Redact     = redact
	DSNSecrets = dsnSecrets
)

// Statements counts the SQL statements a store runs and the rows its queries
// return to Go, so a test can bound work by counts instead of by time.
type Statements struct {
	mu         sync.Mutex
	on         bool
	Statements int
	RowsRead   int64
	SQL        []string // the statements' SQL (with placeholders), in order
}

// Matching counts the counted statements whose SQL contains every part.
func (c *Statements) Matching(parts ...string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
next:
	for _, q := range c.SQL {
		for _, p := range parts {
			if !strings.Contains(q, p) {
				continue next
			}
		}
		n++
	}
	return n
}

// CountStatements installs a counter on s (once per store); it counts only
// between Start and Stop.
func CountStatements(s *Store) *Statements {
	c := &Statements{}
	count := func(read bool) func(*gorm.DB) {
		return func(tx *gorm.DB) {
			c.mu.Lock()
			defer c.mu.Unlock()
			if !c.on {
				return
			}
			c.Statements++
			c.SQL = append(c.SQL, tx.Statement.SQL.String())
			if read {
				c.RowsRead += tx.Statement.RowsAffected
			}
		}
	}
	cb := s.db.Callback()
	cb.Query().After("gorm:query").Register("test:count", count(true))
	cb.Row().After("gorm:row").Register("test:count", count(false))
	cb.Raw().After("gorm:raw").Register("test:count", count(false))
	cb.Create().After("gorm:create").Register("test:count", count(false))
	cb.Update().After("gorm:update").Register("test:count", count(false))
	cb.Delete().After("gorm:delete").Register("test:count", count(false))
	return c
}

// Start resets the counts and starts counting.
func (c *Statements) Start() {
	c.mu.Lock()
	c.on, c.Statements, c.RowsRead, c.SQL = true, 0, 0, nil
	c.mu.Unlock()
}

// Stop stops counting.
func (c *Statements) Stop() { c.mu.Lock(); c.on = false; c.mu.Unlock() }

// EventTypesStored lists the distinct event types in the store's outbox.
func (s *Store) EventTypesStored(ctx context.Context) ([]string, error) {
	var out []string
	err := s.conn(ctx).Model(&eventRow{}).Distinct("type").Order("type").Pluck("type", &out).Error
	return out, err
}

// NullResourceEvents lists the types of the outbox events whose payload
// has "resource": null (issue 14 #4: none may).
func (s *Store) NullResourceEvents(ctx context.Context) ([]string, error) {
	var rows []eventRow
	if err := s.conn(ctx).Where("payload LIKE ?", `%"resource":null%`).Find(&rows).Error; err != nil {
		return nil, err
	}
	var out []string
	for _, r := range rows {
		var p struct {
			Resource json.RawMessage `json:"resource"`
		}
		if err := json.Unmarshal([]byte(r.Payload), &p); err != nil || len(p.Resource) == 0 || string(p.Resource) == "null" {
			out = append(out, r.Type)
		}
	}
	return out, nil
}

// RawDB is the store's gorm handle, for tests that inspect rows.
func RawDB(s *Store) *gorm.DB { return s.db }

// Analyze refreshes PostgreSQL's planner statistics the way autovacuum would
// after a bulk load (SQLite's and MariaDB's plans here need none), so
// a benchmark that seeds 10,000 rows and queries at once measures the plan a
// live database uses rather than one for an empty table.
func Analyze(ctx context.Context, s *Store) error {
	switch s.dialect {
	case Postgres:
		return s.conn(ctx).Exec("ANALYZE").Error
	}
	return nil
}

// ReadBackView is the resource an event of (kind, id) gets when the writer
// does not hand its view over: read from the row in a transaction, the way
// writeAudits did for every event before issue 15.
func (s *Store) ReadBackView(ctx context.Context, teamID, kind, id string) (any, error) {
	var v any
	err := s.tx(ctx, func(tx *gorm.DB) error {
		views, err := s.resourceViews(tx, []auditRow{{TeamID: teamID, TargetKind: kind, TargetID: id}})
		v = views[resourceKey{teamID, kind, id}]
		return err
	})
	return v, err
}

// FoldUserCount folds a team's user_count_deltas rows (see userCount).
func FoldUserCount(ctx context.Context, s *Store, teamID string) error {
	return s.foldUserCount(ctx, teamID)
}

// TextArrayRoundTrip sends vals to PostgreSQL as inStrings' text[] argument
// and returns those the condition inStrings builds matches, in order.
func TextArrayRoundTrip(ctx context.Context, s *Store, vals []string) ([]string, error) {
	in, arg := inStrings(s.db, "x", vals)
	var out []string
	err := s.conn(ctx).Raw("SELECT x FROM unnest(CAST(? AS text[])) WITH ORDINALITY AS t(x, n) WHERE "+in+" ORDER BY n",
		textArray(vals), arg).Scan(&out).Error
	return out, translate(err)
}

// PlanCacheModeInMemberChange runs one member change (adding add) in a
// transaction it rolls back, and returns plan_cache_mode as the rest of that
// transaction sees it.
func PlanCacheModeInMemberChange(ctx context.Context, s *Store, teamID, groupID string, add []string) (string, error) {
	var mode string
	errRollback := errors.New("rollback")
	err := s.tx(ctx, func(tx *gorm.DB) error {
		w := &writer{s: s, tx: tx, teamID: teamID}
		if _, _, _, err := w.modifyMembers(groupID, add, nil, db.Actor{Kind: db.ActorOperator, ID: "t", Name: "t"}); err != nil {
			return err
		}
		if err := tx.Raw("SHOW plan_cache_mode").Scan(&mode).Error; err != nil {
			return err
		}
		return errRollback
	})
	if errors.Is(err, errRollback) {
		err = nil
	}
	return mode, err
}
