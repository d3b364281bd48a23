#!/bin/bash
# SPDX-License-Identifier: MIT
# Install what tests/t-browser.sh needs when it is missing: Debian's chromium,
# node and npm (Debian's, only when there is no npm command at all: NodeSource's
# nodejs bundles its own), and playwright-core in tests/browser (npm ci from
# package-lock.json). Quiet when everything is present. Never fails: when a step
# cannot be done it says so in one line and exits 0, and the test skips.
here=$(cd "$(dirname "$0")/.." && pwd)
dir=$here/tests/browser
give_up() { echo "browser-deps: $*; tests/t-browser.sh will be skipped"; exit 0; }

missing=""
[ -x /usr/bin/chromium ] || missing="chromium"
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
if [ -n "$missing" ]; then
	echo "browser-deps: installing$missing"
	SUDO=""
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null 2>&1 || give_up "not root and no sudo to install$missing"
		SUDO="sudo -n"
	fi
	$SUDO apt-get update -qq >/dev/null 2>&1 || give_up "apt-get update failed"
	# shellcheck disable=SC2086 # one word a package
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
		$missing >/dev/null 2>&1 || give_up "apt-get install$missing failed"
fi

# npm records what it installed in node_modules/.package-lock.json: older than
# package-lock.json (or absent) means the lock changed since.
if [ ! -f "$dir/node_modules/playwright-core/package.json" ] ||
	[ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
	echo "browser-deps: npm ci in tests/browser (playwright-core)"
	log=$(mktemp)
	if ! npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error --prefer-offline \
		--fetch-retries=1 --fetch-retry-mintimeout=2000 --fetch-retry-maxtimeout=5000 >/dev/null 2>"$log"; then
		why=$(grep -m1 -i 'err' "$log")
		rm -f "$log"
		give_up "npm ci in tests/browser failed${why:+ ($why)}"
	fi
	rm -f "$log"
fi
exit 0
