//go:build !cgo

package gormdb

import (
	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
)

// SQLiteDriver names the SQLite driver compiled in. Without cgo (no C
// compiler, CGO_ENABLED=0) Roster uses the pure-Go modernc.org/sqlite driver.
const SQLiteDriver = "modernc.org/sqlite (pure Go)"

// openSQLite sets the same pragmas as the cgo build.
func openSQLite(path string) gorm.Dialector {
	return sqlite.Open(withParams(path, "_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"))
}
