#!/usr/bin/env bash
# Run every Go fuzz target (func FuzzXxx in a _test.go file) in the module (not
# third_party, another module) for FUZZTIME each (default 20s), one at a time: `go test -fuzz` takes one target
# per run. Each target's seed corpus lives in its package's testdata/fuzz/FuzzXxx/
# and runs as a plain test in `make test` too. A crasher is written to
# testdata/fuzz/FuzzXxx/ by go test and fails this script.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME="${FUZZTIME:-20s}"
# package dir + target name, from the test sources (sorted: a stable order).
targets=$(grep -rHoE --include='*_test.go' --exclude-dir=third_party '^func (Fuzz[A-Za-z0-9_]+)\(' . \
  | sed -E 's#^\./([^:]*)/[^/:]*:func (Fuzz[A-Za-z0-9_]+)\(#\1 \2#' | sort -u)
if [ -z "$targets" ]; then echo "no fuzz targets"; exit 1; fi
n=0
while read -r dir name; do
  [ -n "$dir" ] || continue
  echo "== fuzz ./$dir $name ($FUZZTIME)"
  out=$(mktemp)
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "./$dir" 2>&1 | tee "$out"; then
    # go test -fuzz can end with "context deadline exceeded" when -fuzztime
    # runs out while a worker is still busy, with no failing input: that is
    # the fuzzing engine timing out, not a finding. A real finding always
    # writes its input ("Failing input written to ..."), and fails here.
    if grep -q 'context deadline exceeded' "$out" && ! grep -q 'Failing input written' "$out" && ! grep -q -- '--- FAIL: .*/' "$out"; then
      echo "warning: $name: the fuzzing engine timed out at the end of -fuzztime with no failing input; not a finding"
    else
      rm -f "$out"; exit 1
    fi
  fi
  rm -f "$out"
  n=$((n+1))
done <<< "$targets"
echo "fuzzed $n targets for $FUZZTIME each"
