package gormdb

import (
	"context"
	"database/sql"

	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

// The text guard is the store-level half of issue 9 #11: every statement's
// string arguments are checked with db.CheckText before they reach the
// driver, so a NUL or invalid UTF-8 is the same ErrInvalid "invalid_text" on
// SQLite (which would store it), PostgreSQL (which would fail with a 500-worthy
// driver error) and MariaDB. Transports check at their edge first; this is
// the net under them, on reads as well as writes.

// registerTextGuard wraps each statement's connection pool with the check,
// just before gorm's own callback builds and sends it.
func registerTextGuard(g *gorm.DB) error {
	wrap := func(tx *gorm.DB) {
		if _, ok := tx.Statement.ConnPool.(textGuard); !ok && tx.Statement.ConnPool != nil {
			tx.Statement.ConnPool = textGuard{tx.Statement.ConnPool}
		}
	}
	cb := g.Callback()
	for _, err := range []error{
		cb.Create().Before("gorm:create").Register("roster:text_guard", wrap),
		cb.Query().Before("gorm:query").Register("roster:text_guard", wrap),
		cb.Update().Before("gorm:update").Register("roster:text_guard", wrap),
		cb.Delete().Before("gorm:delete").Register("roster:text_guard", wrap),
		cb.Row().Before("gorm:row").Register("roster:text_guard", wrap),
		cb.Raw().Before("gorm:raw").Register("roster:text_guard", wrap),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// textGuard is a gorm.ConnPool that refuses bad text in a statement.
type textGuard struct{ gorm.ConnPool }

func checkArgs(query string, args []any) error {
	if err := db.CheckText("a value", query); err != nil {
		return err
	}
	for _, a := range args {
		var s string
		switch v := a.(type) {
		case string:
			s = v
		case *string:
			if v == nil {
				continue
			}
			s = *v
		case sql.NamedArg:
			if err := checkArgs("", []any{v.Value}); err != nil {
				return err
			}
			continue
		case textArray:
			for _, e := range v {
				if err := db.CheckText("a value", e); err != nil {
					return err
				}
			}
			continue
		default:
			continue
		}
		if err := db.CheckText("a value", s); err != nil {
			return err
		}
	}
	return nil
}

func (g textGuard) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := checkArgs(query, args); err != nil {
		return nil, err
	}
	return g.ConnPool.ExecContext(ctx, query, args...)
}

func (g textGuard) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := checkArgs(query, args); err != nil {
		return nil, err
	}
	return g.ConnPool.QueryContext(ctx, query, args...)
}

// QueryRowContext cannot return the error itself (*sql.Row has no public
// constructor), so a bad argument yields a row whose Scan fails with the
// cancelled context. The store reads single values with Scan, not Row, so
// this is only a backstop.
func (g textGuard) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if err := checkArgs(query, args); err != nil {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		return g.ConnPool.QueryRowContext(cctx, query, args...)
	}
	return g.ConnPool.QueryRowContext(ctx, query, args...)
}
