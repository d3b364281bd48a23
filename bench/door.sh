#!/bin/bash
# SPDX-License-Identifier: MIT
# Decision latency at the door through the real code path: PN532 emulator ->
# libnfc + libfreefare (AES auth) -> vaultd -> keypad PIN (GPIO sim) -> argon2id
# in a worker -> policy -> durable ledger commit -> lock output. vaultd measures
# from "PIN verified, result on the loop" to "lock driven" (the commit
# included); the PIN KDF is reported separately. Then the same under load: a
# silent shelf on the bus, a large export and PIN hashing running at once.
# Compared with one bare durable SQLite commit measured in the same run.
set -u
export VAULT_BUILD=$(cd "${B:-build}" && pwd) VAULT_SRC=$(pwd)
. tests/lib.sh
. tests/lib-door.sh
N=${BENCH_N:-100}
SIM=$B/shelf-sim
"$SIM" --rtu-link "$T/rtu" --slaves 1,2 --control "$T/shelf.ctl" --scan-ms 10 >"$T/sim.out" 2>&1 &
SIMPID=$!
trap 'vt_stop; emu_stop_all; kill $SIMPID 2>/dev/null; rm -rf "$T"' EXIT
emu_start door; emu_start enrol
for _ in $(seq 100); do [ -S "$T/shelf.ctl" ] && break; sleep 0.05; done
vt_init "[reader]" "door = pn532_uart:$T/door-pty" "[door]" "unlock_s = 1" \
	"[gpio]" "debounce_ms = 5" "[pin]" "argon2_ops = 2" "argon2_mem_kib = 16384" \
	"[bus.shelves]" "kind = rtu" "device = $T/rtu" "shelves = 1:SH-1, 2:SH-2" \
	"response_timeout_ms = 100" "poll_interval_ms = 20"
vt_start || { echo "vaultd did not start"; exit 1; }
for _ in $(seq 50); do [ -S "$T/gpio.sock" ] && break; sleep 0.05; done
today=$(TZ=Asia/Shanghai date +%F)
V() { "$VAULTCTL" "$@" >/dev/null; }
V unit add --id U1 --name Bench --first-time no
V schedule add --id W --role custodian --days 1-7 --start 00:00 --end 24:00
for p in C1 C2; do
	V person add --id $p --name "Custodian $p" --role custodian --unit U1
	V cert add --id CERT-$p --person $p --issued "$(( ${today%%-*} - 1 ))-01-01"
	V training add --id T-$p --person $p --date "$today"
	echo 1357 | "$VAULTCTL" pin set --id $p >/dev/null
done
enrol C1 04D10000000001 || { echo "enrolment failed"; exit 1; }
for i in $(seq 200); do V medium register --id M$i --tag E2$(printf '%022d' $i) --title "Sheet $i" \
	--classification secret --home-shelf SH-1; done

# Wait on the lock output through the GPIO sim, not on the database, so the
# harness takes no database locks while vaultd decides.
wait_lock() { # LEVEL
	local i
	for i in $(seq 300); do [ "$(lock_level)" = "$1" ] && return 0; sleep 0.01; done
	return 1
}
entries() { # N entries by C1; each unlock ends unused after unlock_s
	local i
	for i in $(seq "$1"); do
		wait_lock 0
		present door 04D10000000001; sleep 0.25; type_keys "1357#"
		wait_lock 1 || echo "entry $i was not granted" >&2
		emu door remove >/dev/null
	done
	wait_lock 0
}
stats() { "$VAULTCTL" door stats; }
pct() { # FIELD FROM(0-based) P: percentile of samples FROM.. of the door stats array
	stats | sed "s/.*\"$1\":\[\([0-9.,]*\)\].*/\1/" | tr ',' '\n' | tail -n +"$(($2 + 1))" |
		sort -n | awk -v p="$3" '{a[NR]=$1} END {i=int(NR*p/100+0.999); if(i<1)i=1; printf "%.0f", a[i]}'
}
entries 3 # warm-up
entries "$N"
u50=$(pct decision_us 3 50); u99=$(pct decision_us 3 99)
g50=$(pct ledger_us 3 50); g99=$(pct ledger_us 3 99)
k50=$(pct kdf_us 3 50); k99=$(pct kdf_us 3 99)

# Load: a silent shelf, a large export in a loop, PIN hashing in a loop.
# BENCH_LOAD picks a subset (to see which load costs what).
LOAD=${BENCH_LOAD:-shelf export pin}
L1= L2=
case " $LOAD " in *" shelf "*)
	printf 'silence 2 on\n' | socat -t 2 - "UNIX-CONNECT:$T/shelf.ctl" >/dev/null ;; esac
case " $LOAD " in *" export "*)
	( while :; do "$VAULTCTL" log --format json >/dev/null
		"$VAULTCTL" ledger custody --format csv >/dev/null 2>&1; done ) &
	L1=$! ;; esac
case " $LOAD " in *" pin "*)
	( while :; do echo 2468 | "$VAULTCTL" pin set --id C2 >/dev/null; done ) &
	L2=$! ;; esac
entries "$N"
for l in $L1 $L2; do kill "$l"; wait "$l"; done 2>/dev/null
l50=$(pct decision_us $((N + 3)) 50); l99=$(pct decision_us $((N + 3)) 99)
m50=$(pct ledger_us $((N + 3)) 50); m99=$(pct ledger_us $((N + 3)) 99)
pins=$(vt_sql "SELECT count(*) FROM ledger WHERE kind='registry.pin.set'")
faults=$(vt_sql "SELECT count(*) FROM ledger WHERE kind='shelf.fault'")

bare=$("$B/bench/bench-ledger" | grep 'bare durable')
b50=$(echo "$bare" | awk -F'|' '{gsub(/ /,"",$3); print $3}')
b99=$(echo "$bare" | awk -F'|' '{gsub(/ /,"",$4); print $4}')
# The same bare commit at a decision's cadence: each after 1 s of idle time.
cold=$("$B/bench/bench-ledger" "$N" 1000 | grep 'bare durable')
c50=$(echo "$cold" | awk -F'|' '{gsub(/ /,"",$3); print $3}')
c99=$(echo "$cold" | awk -F'|' '{gsub(/ /,"",$4); print $4}')
echo "| door decision, $N entries each (same run) | p50 µs | p99 µs | ratio p99 |"
echo "|---|---|---|---|"
echo "| bare durable SQLite commit (WAL, FULL) | $b50 | $b99 | 1.00 |"
echo "| bare durable SQLite commit, each after 1 s idle | $c50 | $c99 | $(awk -v a="$c99" -v b="$b99" 'BEGIN{printf "%.2f", a/b}') |"
echo "| PIN verified -> lock driven, ledger commit included | $u50 | $u99 | $(awk -v a="$u99" -v b="$b99" 'BEGIN{printf "%.2f", a/b}') × bare, $(awk -v a="$u99" -v b="$c99" 'BEGIN{printf "%.2f", a/b}') × bare after idle |"
echo "| … of which the entry.granted ledger commit | $g50 | $g99 | |"
echo "| the same with a silent shelf, exports and PIN hashing running | $l50 | $l99 | $(awk -v a="$l99" -v b="$u99" 'BEGIN{printf "%.2f", a/b}') × unloaded |"
echo "| … of which the entry.granted ledger commit | $m50 | $m99 | |"
echo "| PIN KDF alone (argon2id ops 2, 16 MiB, worker thread) | $k50 | $k99 | (not in the decision) |"
echo
echo "load during the second run ($LOAD): $pins PIN hashes, shelf faults ledgered: $faults"
