package gormdb

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMallocArenasCapped: the cgo build caps glibc's malloc arenas when the
// program loads, so threads that allocate at once (cgo runs each concurrent
// SQLite call on its own) share two arenas instead of holding one each.
// Measured at 1,000,000 users: peak RSS 393 MB uncapped, 190 MB capped
// (issue 15, README "Benchmarks").
func TestMallocArenasCapped(t *testing.T) {
	if mallocArenas() < 0 {
		t.Skip("not glibc with cgo: no malloc arenas to cap")
	}
	if os.Getenv("MALLOC_ARENA_MAX") != "" || strings.Contains(os.Getenv("GLIBC_TUNABLES"), "arena_max") {
		// The re-runs below: the operator's cap is glibc's, not Roster's.
		if got := mallocArenaCap(); got != 0 {
			t.Fatalf("with the operator's arena cap set, Roster's cap = %d, want 0 (the operator's wins)", got)
		}
		return
	}
	if got := mallocArenaCap(); got != sqliteArenaMax {
		t.Fatalf("arena cap in force = %d, want %d", got, sqliteArenaMax)
	}
	// Uncapped, sixteen threads allocating at once make up to sixteen
	// arenas on this 2-core machine (glibc allows eight per core).
	if err := spawnMallocs(16); err != nil {
		t.Fatal(err)
	}
	if n := mallocArenas(); n > sqliteArenaMax {
		t.Fatalf("%d malloc arenas after 16 allocating threads, want ≤ %d", n, sqliteArenaMax)
	}
	for _, env := range []string{"MALLOC_ARENA_MAX=4", "GLIBC_TUNABLES=glibc.malloc.arena_max=4"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMallocArenasCapped$", "-test.count=1")
		cmd.Env = append(os.Environ(), env)
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "PASS") {
			t.Fatalf("re-run with %s: %v\n%s", env, err, out)
		}
	}
}
