#!/bin/bash
# SPDX-License-Identifier: MIT
# Run every benchmark program (bench/bench-*.c); each prints a Markdown table
# measured in one run. Not part of `make check`.
set -eu
B=${B:-build}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(df -h "$B" | tail -1 | awk '{print $1}')"
for b in "$B"/bench/bench-*; do
	[ -x "$b" ] || continue
	echo
	echo "## $(basename "$b")"
	"$b"
done
echo
echo "## door decision latency (bench/door.sh)"
B=$B bash bench/door.sh
echo
echo "## one durable commit beside busy cores (bench/cores.sh)"
B=$B bash bench/cores.sh
