#!/usr/bin/env bash
# SCIM throughput with one vs two `roster serve` replicas on one PostgreSQL (README "Scaling"):
# two replicas on 127.0.0.1:18081/18082 (loopback only, bounded: 2000 creates, 5 s per workload),
# scimbench against one, then one scimbench per replica at once (separate teams); sum the two.
#   BENCH_DB='postgres://postgres@127.0.0.1:5432/bench?sslmode=disable' scripts/bench-replicas.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
go build -o $tmp/roster ./cmd/roster
go build -o $tmp/scimbench ./cmd/scimbench
DB=${BENCH_DB:?set BENCH_DB to a postgres:// DSN of an empty database}
export ROSTER_DATABASE="$DB" ROSTER_SCIM_RATE_LIMIT=0 ROSTER_LOG_LEVEL=warn
$tmp/roster migrate >/dev/null
mk() { team=$($tmp/roster team create --name "b$1-$RANDOM" --primary-admin "b$1-$RANDOM@bench.example" --first-name B --last-name A -o json | jq -r .id); $tmp/roster token create --team "$team" -o json | jq -r .token; }
FLAGS="--n 2000 --concurrency 16 --duration 5s --group-size 1000"
ROSTER_BASE_URL=http://127.0.0.1:18081 $tmp/roster serve --listen 127.0.0.1:18081 & p1=$!
ROSTER_BASE_URL=http://127.0.0.1:18082 $tmp/roster serve --listen 127.0.0.1:18082 & p2=$!
trap 'kill $p1 $p2 2>/dev/null; echo "results in $tmp"' EXIT
sleep 3
echo "== uptime before: $(uptime)"
echo "== ONE replica"
$tmp/scimbench --url http://127.0.0.1:18081/scim/v2 --token "$(mk one)" $FLAGS > $tmp/one.txt 2>&1
echo "== uptime: $(uptime)"
echo "== TWO replicas (one scimbench per replica, at once, separate teams)"
t1=$(mk a); t2=$(mk b)
$tmp/scimbench --url http://127.0.0.1:18081/scim/v2 --token "$t1" $FLAGS > $tmp/two-a.txt 2>&1 & b1=$!
$tmp/scimbench --url http://127.0.0.1:18082/scim/v2 --token "$t2" $FLAGS > $tmp/two-b.txt 2>&1 & b2=$!
wait $b1 $b2
echo "== uptime after: $(uptime)"
