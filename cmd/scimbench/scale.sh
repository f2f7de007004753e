#!/usr/bin/env bash
# The scale benchmark of issue 15 (make bench-scale): for each team size in
# BENCH_SCALE and each database in BENCH_DBS, a fresh database, a team and a
# SCIM token made with the CLI, BENCH_N users written by `scimbench seed`
# (the store's batched writer: the rows a SCIM POST leaves), then
# `roster serve` and `scimbench scale` (GET, filter userName eq, PATCH, list
# pages by cursor at the first, middle and last page, the server's VmHWM).
# It ends with `scimbench scalereport`: p50 per size and the largest ÷
# smallest ratio against the 1.5× target, and peak RSS against 150 MB.
#   BENCH_SCALE="10000 100000 1000000" BENCH_DBS="sqlite postgres" make bench-scale
# PostgreSQL databases are created (and dropped at the end) on BENCH_PG.
set -euo pipefail
SCALE=${BENCH_SCALE:-"10000 100000"}
DBS=${BENCH_DBS:-"sqlite postgres"}
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
PORT=${BENCH_PORT:-18090}
DURATION=${BENCH_DURATION:-3s}
CONC=${BENCH_CONCURRENCY:-1,16}
OUT=${BENCH_OUT:-}
tmp=$(mktemp -d)
pid=""
pgdb=""
vac=""
cleanup() {
  [ -n "$vac" ] && kill "$vac" 2>/dev/null || true
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  [ -n "$pgdb" ] && psql -q "$PG" -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
go build -o "$tmp/roster" ./cmd/roster
go build -o "$tmp/scimbench" ./cmd/scimbench
results=${OUT:-$tmp/scale.json}
[ -z "$OUT" ] && rm -f "$results"  # BENCH_OUT accumulates runs across invocations
for d in $DBS; do
  for n in $SCALE; do
    case $d in
    sqlite) DB=$tmp/roster-$n.db ;;
    postgres)
      pgdb=roster_scale_$$_$n
      psql -q "$PG" -c "CREATE DATABASE $pgdb" >/dev/null
      DB=${PG/\/postgres\?//$pgdb?}
      ;;
    *) echo "unknown database $d" >&2; exit 2 ;;
    esac
    export ROSTER_DATABASE="$DB" ROSTER_SCIM_RATE_LIMIT=0 ROSTER_LOG_LEVEL=warn ROSTER_BASE_URL="http://127.0.0.1:$PORT"
    "$tmp/roster" migrate >/dev/null
    team=$("$tmp/roster" team create --name "scale-$n" --primary-admin "scale-$n@bench.example" \
      --first-name Bench --last-name Admin -o json | jq -r .id)
    token=$("$tmp/roster" token create --team "$team" -o json | jq -r .token)
    echo "== $d, N=$n: seeding" >&2
    "$tmp/scimbench" seed --db "$DB" --team "$team" --token "$token" --n "$n" --sample "$tmp/sample-$n.tsv" >&2
    if [ "$d" = postgres ]; then
      # As autovacuum would after a bulk load (the members benchmark does the same).
      psql -q "$DB" -c "VACUUM ANALYZE" >/dev/null
    fi
    vac=""
    if [ "$d" = postgres ] && [ "$(psql -Atc 'SHOW autovacuum' "$DB")" = off ]; then
      # This machine's PostgreSQL runs without autovacuum (a CI setting).
      # The first unfiltered counts fold the import's million delta rows
      # (one per user), and without a vacuum the count then reads a million
      # dead tuples (~35 ms a page). Stand in for autovacuum and autoanalyze
      # on that table.
      echo "== autovacuum is off: VACUUM ANALYZE user_count_deltas every 5 s during the load" >&2
      (while sleep 5; do psql -q "$DB" -c "VACUUM ANALYZE user_count_deltas" >/dev/null 2>&1; done) &
      vac=$!
    fi
    "$tmp/roster" serve --listen "127.0.0.1:$PORT" &
    pid=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
    echo "== $d, N=$n: load ($(cut -d' ' -f1-3 /proc/loadavg))" >&2
    "$tmp/scimbench" scale --url "http://127.0.0.1:$PORT/scim/v2" --token "$token" --users "$tmp/sample-$n.tsv" \
      --pid "$pid" --db "$d" --n "$n" --duration "$DURATION" --concurrency "$CONC" --json "$results"
    kill "$pid" && wait "$pid" 2>/dev/null || true
    pid=""
    if [ -n "$vac" ]; then kill "$vac"; wait "$vac" 2>/dev/null || true; vac=""; fi
    if [ "$d" = postgres ]; then
      psql -q "$PG" -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null
      pgdb=""
    else
      rm -f "$DB" "$DB-wal" "$DB-shm"
    fi
  done
done
echo "== scale: p50 per team size, largest ÷ smallest (issue 15: ≤ 1.5×, list by cursor flat, RSS ≤ 150 MB)"
"$tmp/scimbench" scalereport --json "$results"
