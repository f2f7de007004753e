#!/usr/bin/env bash
# Run every Go fuzz target (func FuzzXxx in a _test.go file) in the module for
# FUZZTIME each (default 20s), one at a time: `go test -fuzz` takes one target
# per run. Each target's seed corpus lives in its package's testdata/fuzz/FuzzXxx/
# and runs as a plain test in `make test` too. A crasher is written to
# testdata/fuzz/FuzzXxx/ by go test and fails this script.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME="${FUZZTIME:-20s}"
# package dir + target name, from the test sources (sorted: a stable order).
targets=$(grep -rHoE --include='*_test.go' '^func (Fuzz[A-Za-z0-9_]+)\(' . \
  | sed -E 's#^\./([^:]*)/[^/:]*:func (Fuzz[A-Za-z0-9_]+)\(#\1 \2#' | sort -u)
if [ -z "$targets" ]; then echo "no fuzz targets"; exit 1; fi
n=0
while read -r dir name; do
  [ -n "$dir" ] || continue
  echo "== fuzz ./$dir $name ($FUZZTIME)"
  go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "./$dir"
  n=$((n+1))
done <<< "$targets"
echo "fuzzed $n targets for $FUZZTIME each"
