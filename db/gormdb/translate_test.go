package gormdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/roster-dev/roster/db"
)

// TestTranslateLostConnectionIsUnavailable is issue 9 #9: each driver's
// ways of saying "the database is not there now" become ErrUnavailable (a
// 503 with Retry-After), not an internal error (500) or, in token checks, a
// 401. Several used to pass through untranslated.
func TestTranslateLostConnectionIsUnavailable(t *testing.T) {
	// a real pgx connect error: port 1 on loopback refuses at once
	_, connectErr := pgconn.Connect(context.Background(), "postgres://x@127.0.0.1:1/x?connect_timeout=5")
	var ce *pgconn.ConnectError
	if !errors.As(connectErr, &ce) {
		t.Fatalf("connect to a closed port: %T %v, want *pgconn.ConnectError", connectErr, connectErr)
	}
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"pgx connect refused", fmt.Errorf("query: %w", connectErr), db.ErrUnavailable},
		{"pgx unexpected EOF mid-query", fmt.Errorf("failed to receive message: %w", io.ErrUnexpectedEOF), db.ErrUnavailable},
		{"pgx conn closed", errors.New("conn closed"), db.ErrUnavailable},
		{"pg admin shutdown 57P01", &pgconn.PgError{Code: "57P01"}, db.ErrUnavailable},
		{"pg cannot connect now 57P03", &pgconn.PgError{Code: "57P03"}, db.ErrUnavailable},
		{"pg connection failure 08006", &pgconn.PgError{Code: "08006"}, db.ErrUnavailable},
		{"pg too many connections 53300", &pgconn.PgError{Code: "53300"}, db.ErrUnavailable},
		{"net read reset", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, db.ErrUnavailable},
		{"broken pipe", fmt.Errorf("write: %w", syscall.EPIPE), db.ErrUnavailable},
		{"mysql invalid connection", mysql.ErrInvalidConn, db.ErrUnavailable},
		{"mysql too many connections 1040", &mysql.MySQLError{Number: 1040}, db.ErrUnavailable},
		{"mysql server shutdown 1053", &mysql.MySQLError{Number: 1053}, db.ErrUnavailable},
		{"sqlite busy", errors.New("database is locked"), db.ErrUnavailable},
		{"sqlite locked table", errors.New("database table is locked: users"), db.ErrUnavailable},
		{"pg unique violation stays a conflict", &pgconn.PgError{Code: "23505"}, db.ErrConflict},
		{"pg serialization stays stale", &pgconn.PgError{Code: "40001"}, db.ErrStale},
		{"pg bad UTF-8 22021 is invalid", &pgconn.PgError{Code: "22021"}, db.ErrInvalid},
		{"mysql incorrect string 1366 is invalid", &mysql.MySQLError{Number: 1366}, db.ErrInvalid},
		{"pg syntax error stays internal", &pgconn.PgError{Code: "42601"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := translate(tc.err)
			if tc.want == nil {
				for _, s := range []error{db.ErrUnavailable, db.ErrInvalid, db.ErrConflict, db.ErrStale} {
					if errors.Is(got, s) {
						t.Fatalf("translate(%v) = %v, want an internal error", tc.err, got)
					}
				}
				return
			}
			if !errors.Is(got, tc.want) {
				t.Fatalf("translate(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
