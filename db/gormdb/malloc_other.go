//go:build !cgo || !linux

package gormdb

import "errors"

// Without cgo on Linux there is no glibc malloc to tune: the pure-Go SQLite
// driver allocates from Go's heap.
const sqliteArenaMax = 0

func mallocArenaCap() int { return 0 }

func mallocArenas() int { return -1 }

func spawnMallocs(int) error { return errors.ErrUnsupported }
