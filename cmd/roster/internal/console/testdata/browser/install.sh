#!/bin/sh
# Installs what the console's browser suite needs: Debian's chromium (when
# apt-get is available and it is missing) and axe-core from the committed
# package-lock.json. Idempotent. Called by `make deps-integration`.
set -eu
cd "$(dirname "$0")"
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium >/dev/null
fi
if ! command -v npm >/dev/null 2>&1; then
	echo "console/testdata/browser/install.sh: npm not found (apt-get install -y nodejs npm)" >&2
	exit 1
fi
if [ -f node_modules/axe-core/axe.min.js ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
	exit 0
fi
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null
