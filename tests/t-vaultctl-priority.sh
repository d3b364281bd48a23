# SPDX-License-Identifier: MIT
# vaultctl's offline verbs (log, ledgers, reports, exports, verify) read the
# database directly and lower themselves first — nice 19, best-effort I/O level
# 7 — so a large export never takes a core or the disk from vaultd's door
# decisions (README, Benchmarks). Seen from outside, as an operator would: the
# running export's nice value in /proc and its I/O class from ionice. The
# export is held mid-write on a pipe nobody reads yet, then drained.
. "$(dirname "$0")/lib.sh"
command -v ionice >/dev/null || skip_all "ionice (util-linux) is missing"
vt_init
ok "vaultd starts" vt_start
"$VAULTCTL" unit add --id U1 --name "Survey Bureau" >/dev/null
for i in $(seq 150); do
	"$VAULTCTL" person add --id "P$i" --name "Surveyor number $i of the bureau" \
		--role staff --unit U1 >/dev/null || break
done
is "150 persons added (a ledger larger than a pipe's buffer)" 150 \
	"$(vt_sql "SELECT count(*) FROM person WHERE id LIKE 'P%'")"
mkfifo "$T/out"
(exec "$VAULTCTL" log --format json >"$T/out") &
pid=$!
exec 3<"$T/out" # the reader end is open, nothing reads: the export blocks
for _ in $(seq 100); do
	[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = S ] && break
	sleep 0.05
done
is "the export is running (blocked writing)" "vaultctl S" \
	"$(cat "/proc/$pid/comm" 2>/dev/null) $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)"
is "at nice 19" 19 "$(awk '{print $19}' "/proc/$pid/stat" 2>/dev/null)"
is "at the lowest best-effort I/O priority" "best-effort: prio 7" "$(ionice -p "$pid" 2>&1)"
n=$(wc -c <&3)
exec 3<&-
wait "$pid"
is "drained, it completes (exit 0)" 0 "$?"
ok "with the whole log (more than 64 KiB)" test "$n" -gt 65536
is "vaultd itself keeps the nice value it was started with" \
	"$(awk '{print $19}' "/proc/$$/stat")" "$(awk '{print $19}' "/proc/$VAULTD_PID/stat")"
vt_done
