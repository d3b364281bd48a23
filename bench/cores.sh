#!/bin/bash
# SPDX-License-Identifier: MIT
# What busy cores do to one durable commit on this machine, with no other disk
# activity: bare durable SQLite commits (WAL, FULL), each after 1 s of idle time
# as a door decision's is, with no core busy, with one core busy and with every
# core busy (CPU-only spinners at nice 19). Blocks of 10 alternate so that the
# three conditions share the disk's drift. It is why vaultd holds PIN-change
# hashing while a door decision is being committed (controller/kdf.c). On the
# build machine (2 vCPUs, virtual disk), over six runs of such blocks by hand,
# 7 of 460 commits with every core busy took over 2 ms (3-4 ms), 0 of 160 with
# one core busy and 1 of 560 with none; single runs of 60 vary (README).
set -u
B=${B:-build}
N=${BENCH_CORES_N:-60}
BL="$B/bench/bench-ledger"
[ -x "$BL" ] || { echo "$BL not built"; exit 1; }
T=$(mktemp -d)
SPIN=
trap 'kill $SPIN 2>/dev/null; rm -rf "$T"' EXIT
spin() { # N: start N CPU-only spinners at nice 19
	local i
	for ((i = 0; i < $1; i++)); do
		nice -n 19 sh -c 'while :; do :; done' &
		SPIN="$SPIN $!"
	done
	sleep 0.5
}
unspin() { kill $SPIN 2>/dev/null; wait $SPIN 2>/dev/null; SPIN=; }
cores=$(nproc)
for f in idle one all; do : >"$T/$f"; done
for _ in $(seq $(((N + 9) / 10))); do
	"$BL" 10 1000 raw >>"$T/idle"
	spin 1; "$BL" 10 1000 raw >>"$T/one"; unspin
	spin "$cores"; "$BL" 10 1000 raw >>"$T/all"; unspin
done
pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int(NR*p/100+0.999); if(i<1)i=1; printf "%d", a[i]}'; }
row() { # LABEL FILE
	local slow
	slow=$(awk '$1 > 2000' "$2" | wc -l)
	echo "| $1 | $(wc -l <"$2") | $(pct 50 <"$2") | $(pct 99 <"$2") | $(pct 100 <"$2") | $slow |"
}
echo "| bare durable commit after 1 s idle ($cores cores) | commits | p50 µs | p99 µs | max µs | > 2 ms |"
echo "|---|---|---|---|---|---|"
row "no core busy" "$T/idle"
row "one core busy (nice 19 spinner)" "$T/one"
row "every core busy ($cores nice 19 spinners)" "$T/all"
