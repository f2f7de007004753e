//go:build !cgo

package gormdbtest

import _ "github.com/glebarez/go-sqlite" // the driver gormdb uses without cgo

const sqliteDriverName = "sqlite"
