//go:build cgo && linux

package gormdb

/*
#define ROSTER_ARENA_MAX 2
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#include <pthread.h>

// roster_arena_cap is the cap roster_cap_arenas set (0: none).
static int roster_arena_cap = 0;

// roster_cap_arenas runs when the program loads, before the Go runtime
// starts its threads, so no thread gets an arena of its own before the cap,
// as with MALLOC_ARENA_MAX; an operator's setting (that variable or
// glibc.malloc.arena_max in GLIBC_TUNABLES), which glibc reads itself, wins.
__attribute__((constructor)) static void roster_cap_arenas(void) {
	const char *t = getenv("GLIBC_TUNABLES");
	if (getenv("MALLOC_ARENA_MAX") != NULL || (t != NULL && strstr(t, "arena_max") != NULL)) return;
	if (mallopt(M_ARENA_MAX, ROSTER_ARENA_MAX) == 1) roster_arena_cap = ROSTER_ARENA_MAX;
}

static int roster_arena_max(void) { return roster_arena_cap; }

// roster_count_arenas reports how many malloc arenas glibc has, from
// malloc_info's XML (one <heap nr=...> element per arena).
static int roster_count_arenas(void) {
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL) return -1;
	malloc_info(0, f);
	fclose(f);
	int n = 0;
	for (char *p = buf; (p = strstr(p, "<heap nr=")) != NULL; p++) n++;
	free(buf);
	return n;
}

static void *roster_touch(void *arg) {
	void *p = malloc(4096);
	memset(p, 1, 4096);
	free(p);
	return NULL;
}

// roster_spawn_mallocs starts n threads at once that each allocate, as
// SQLite does on the threads cgo calls it from.
static int roster_spawn_mallocs(int n) {
	pthread_t t[64];
	if (n > 64) n = 64;
	for (int i = 0; i < n; i++) if (pthread_create(&t[i], NULL, roster_touch, NULL) != 0) return -1;
	for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
	return 0;
}
#else
static int roster_arena_max(void) { return 0; }
static int roster_count_arenas(void) { return -1; }
static int roster_spawn_mallocs(int n) { return -1; }
#endif
*/
import "C"

import "os"

// sqliteArenaMax (ROSTER_ARENA_MAX above) caps glibc's malloc arenas for
// the cgo SQLite driver. glibc gives every thread that calls malloc an arena
// of its own, up to 8 per core; cgo runs each concurrent SQLite call on its
// own OS thread, so after a burst of concurrent requests the process holds
// one arena per such thread, and each keeps pages SQLite freed. Measured at
// 1,000,000 users (issue 15, README "Benchmarks"): peak RSS 393 MB with
// glibc's default, 190 MB with two arenas, the cursor walk, GET and filter as
// fast or faster.
const sqliteArenaMax = C.ROSTER_ARENA_MAX

// mallocArenaCap is the arena cap Roster set when the program
// loaded: sqliteArenaMax, or 0 when the operator set one, glibc is not the
// C library, or the call failed.
func mallocArenaCap() int { return int(C.roster_arena_max()) }

// mallocArenas is how many arenas glibc holds now (-1 when unknown).
func mallocArenas() int { return int(C.roster_count_arenas()) }

// spawnMallocs allocates from n new threads at once (a test's probe).
func spawnMallocs(n int) error {
	if C.roster_spawn_mallocs(C.int(n)) != 0 {
		return os.ErrInvalid
	}
	return nil
}
