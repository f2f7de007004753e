#!/usr/bin/env bash
# Bulk-load BULK=N users (uid=bulkNNN, with mail) and a group "bulk" holding
# them all into a throwaway slapd started by start-slapd.sh, offline with
# slapadd (seconds instead of the minutes ldapadd takes through the overlays),
# then start it again. For benchmarks; seed-slapd.sh is the online path.
set -euo pipefail
SLAPD_DIR="${SLAPD_DIR:-${TMPDIR:-/tmp}/roster-dirs/slapd}"
SLAPD_PORT="${SLAPD_PORT:-13389}"
SLAPD_LDAPS_PORT="${SLAPD_LDAPS_PORT:-13390}"
BASE_DN="${BASE_DN:-dc=example,dc=org}"
BULK="${BULK:-100000}"
t0=$(date +%s.%N)
pid=$(cat "$SLAPD_DIR/slapd.pid")
kill -TERM "$pid"
for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
L="$SLAPD_DIR/bulk.ldif"
awk -v n="$BULK" -v base="$BASE_DN" 'BEGIN {
  w = length(n "")
  for (i = 1; i <= n; i++) {
    id = sprintf("%0" w "d", i)
    printf "dn: uid=bulk%s,ou=people,%s\nobjectClass: inetOrgPerson\nuid: bulk%s\ncn: Bulk User %s\nsn: User%s\nmail: bulk%s@example.org\n\n", id, base, id, id, id, id
  }
  printf "dn: cn=bulk,ou=groups,%s\nobjectClass: groupOfNames\ncn: bulk\n", base
  for (i = 1; i <= n; i++) printf "member: uid=bulk%0" w "d,ou=people,%s\n", i, base
  printf "\n"
}' > "$L"
/usr/sbin/slapadd -q -w -b "$BASE_DN" -F "$SLAPD_DIR/slapd.d" -l "$L" >"$SLAPD_DIR/slapadd-bulk.log" 2>&1 \
  || { tail -20 "$SLAPD_DIR/slapadd-bulk.log" >&2; exit 1; }
SOCK_URL="ldapi://$(echo "$SLAPD_DIR/ldapi" | sed 's#/#%2F#g')"
/usr/sbin/slapd -F "$SLAPD_DIR/slapd.d" -h "ldap://127.0.0.1:${SLAPD_PORT}/ ldaps://127.0.0.1:${SLAPD_LDAPS_PORT}/ ${SOCK_URL}"
for i in $(seq 1 100); do
  ldapsearch -x -LLL -H "ldap://127.0.0.1:${SLAPD_PORT}" -b "$BASE_DN" -s base dn >/dev/null 2>&1 && break
  sleep 0.1
done
printf 'bulk-loaded %s users offline in %.1fs\n' "$BULK" "$(echo "$(date +%s.%N) - $t0" | bc)"
