#!/bin/sh
# Installs the samlify test IdP's pinned npm packages (package-lock.json)
# for sso's end-to-end tests. Idempotent and quiet: does nothing when the
# locked versions are already installed. Needs node >= 18 and npm.
set -eu
cd "$(dirname "$0")"
if ! command -v npm >/dev/null 2>&1; then
	echo "sso/testdata/idp/install.sh: npm not found (apt-get install -y nodejs npm)" >&2
	exit 1
fi
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ] &&
	grep -q '"version": "2.13.1"' node_modules/samlify/package.json 2>/dev/null; then
	exit 0
fi
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null
