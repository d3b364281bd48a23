#!/bin/sh
# SPDX-License-Identifier: MIT
# Install the Debian packages in tools/deps.list that are missing. Quiet when
# everything is present; needs root (or sudo) only when something is missing.
set -eu
here=$(dirname "$0")
missing=""
for p in $(grep -v '^#' "$here/deps.list"); do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
