//go:build cgo

package gormdbtest

import _ "github.com/mattn/go-sqlite3" // the driver gormdb uses with cgo

const sqliteDriverName = "sqlite3"
