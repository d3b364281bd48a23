# SPDX-License-Identifier: MIT
# The box's own health (controller/health.c): free space on the database's
# file system (storage.low / .critical / .ok, at start, each level once, read
# back across restarts, listed as alerts) and wall-clock jumps while vaultd
# runs and across a restart (vaultd under libfaketime, its wall clock moved
# through a timestamp file while the monotonic clock stays real). Bad [clock]
# and [storage] values stop vaultd with file:line.
. "$(dirname "$0")/lib.sh"
q() { "$VAULTCTL" "$@" >>"$T/ctl.log" 2>&1; }
n_kind() { vt_sql "SELECT count(*) FROM ledger WHERE kind='$1'"; }
wait_kind() { # wait_kind KIND N: until there are more than N entries of KIND
	for _ in $(seq 100); do [ "$(n_kind "$1")" -gt "$2" ] && return 0; sleep 0.05; done; return 1
}
# The newest entry of a kind: FIELD|FIELD|... of its payload.
P() {
	local k=$1 e="''" f; shift
	for f; do e="$e||'|'||coalesce(json_extract(payload,'\$.$f'),'')"; done
	vt_sql "SELECT substr($e, 2) FROM ledger WHERE kind='$k' ORDER BY seq DESC LIMIT 1"
}
# A round trip through vaultd: its first checks run on the loop's first turn,
# before it answers.
settle() { q alert list; }

# ---- bad values: vaultd refuses to start, naming file:line -------------------
bad() { # bad WHAT SECTION KEY VALUE
	vt_config "[$2]" "$3 = $4"
	local line out rc
	line=$(grep -n "^$3 = $4\$" "$T/vault.ini" | cut -d: -f1)
	out=$("$VAULTD" -c "$T/vault.ini" 2>&1); rc=$?
	is "$1: vaultd refuses to start (exit 2)" 2 "$rc"
	contains "$1: it names file:line, the key and what is wrong" \
		"$T/vault.ini:$line: [$2] $3: $5" "$out"
}
bad "[clock] check_s = 0" clock check_s 0 "out of range"
bad "[clock] jump_s = abc" clock jump_s abc "not an integer"
bad "[storage] check_s = 0" storage check_s 0 "out of range"
bad "[storage] warn_free_mb = -1" storage warn_free_mb -1 "out of range"

# ---- storage -------------------------------------------------------------------
free_mb=$(df -Pm "$T" | awk 'NR == 2 { print $4 }')
above=$((free_mb + 100000)) # a threshold far above the free space
storage() { # storage WARN ALARM [extra lines]: the config for the next start
	local w=$1 a=$2; shift 2
	vt_config "[storage]" "warn_free_mb = $w" "alarm_free_mb = $a" "$@"
}
storage "$above" 0
"$VAULTCTL" init --admin-user "$(id -un)" >/dev/null
ok "vaultd starts with warn_free_mb above the free space" vt_start
ok "storage.low is ledgered at start" wait_kind storage.low 0
IFS='|' read -r code thr path fmb <<<"$(P storage.low code threshold_mb path free_mb)"
is "with the code, the threshold and the database's directory" "STORAGE_LOW|$above|$T" \
	"$code|$thr|$path"
ok "and the free space (near df's figure, under the threshold)" \
	test "$fmb" -lt "$thr" -a $((fmb - free_mb)) -lt 2048 -a $((free_mb - fmb)) -lt 2048
contains "the text says what it means" "below the warning threshold" "$(P storage.low text)"
contains "vaultctl alert list lists it, as a warning" '"kind":"storage.low","severity":"warning"' \
	"$("$VAULTCTL" alert list)"
settle
is "once: a later check at the same level ledgers nothing" 1 "$(n_kind storage.low)"
vt_stop
vt_start
settle
is "a restart with the same thresholds does not ledger it again" 1 "$(n_kind storage.low)"
vt_stop

storage "$above" "$above"
vt_start
ok "alarm_free_mb above the free space: storage.critical at start" wait_kind storage.critical 0
is "with its code and threshold" "STORAGE_CRITICAL|$above" "$(P storage.critical code threshold_mb)"
contains "listed by vaultctl alert list as an alarm" '"kind":"storage.critical","severity":"alarm"' \
	"$("$VAULTCTL" alert list)"
vt_stop
vt_start
settle
is "a restart at the critical level ledgers nothing more" "1|1" \
	"$(n_kind storage.low)|$(n_kind storage.critical)"
vt_stop

storage 1 0
vt_start
ok "normal thresholds again: storage.ok" wait_kind storage.ok 0
is "storage.ok names the warning threshold" "STORAGE_OK|1|$T" "$(P storage.ok code threshold_mb path)"
is "storage.ok is no alert" 0 "$("$VAULTCTL" alert list | grep -c '"kind":"storage.ok"')"
vt_stop
vt_start
settle
is "and is not ledgered again after a restart" "1|1|1" \
	"$(n_kind storage.low)|$(n_kind storage.critical)|$(n_kind storage.ok)"
vt_stop

# ---- storage while vaultd runs ----------------------------------------------------
# The free space vaultd reads is set through tests/preload-statvfs.c (statvfs
# still goes to the kernel; the test says how many MiB are available, or makes
# it fail), checked every second.
echo 2000 >"$T/free"
storage 1000 500 "check_s = 1"
LD_PRELOAD=$B/tests/statvfs.so VT_STATVFS=$T/free vt_start
settle
before=$(vt_count)
is "2000 MB free against 1000 / 500: nothing more (the level is still ok)" "$before" "$(vt_count)"
free_to() { echo "$1" >"$T/free"; }
free_to 900
ok "900 MB free while running: storage.low" wait_kind storage.low 1
is "with what was read and the threshold" "STORAGE_LOW|900|1000" "$(P storage.low code free_mb threshold_mb)"
free_to 400
ok "400 MB: storage.critical" wait_kind storage.critical 1
is "with the alarm threshold" "STORAGE_CRITICAL|400|500" "$(P storage.critical code free_mb threshold_mb)"
free_to 520
sleep 2.5
is "520 MB, above 500 by less than a sixteenth: still critical, nothing ledgered" \
	"2|2|1" "$(n_kind storage.low)|$(n_kind storage.critical)|$(n_kind storage.ok)"
free_to 540
ok "540 MB (a sixteenth above): storage.low" wait_kind storage.low 2
free_to 1050
sleep 2.5
is "1050 MB, within a sixteenth above 1000: still low" 1 "$(n_kind storage.ok)"
free_to 1100
ok "1100 MB: storage.ok" wait_kind storage.ok 1
n=$(vt_count)
free_to fail
ok "free space that cannot be read: storage.unknown" wait_kind storage.unknown 0
is "with the code, what failed and the path" "STORAGE_UNKNOWN|Input/output error|$T" \
	"$(P storage.unknown code error path)"
contains "listed by vaultctl alert list as a warning" '"kind":"storage.unknown","severity":"warning"' \
	"$("$VAULTCTL" alert list)"
sleep 2.5
is "once for the streak: later failing checks ledger nothing" "$((n + 1))|1" \
	"$(vt_count)|$(grep -c 'free space of .* unknown: statvfs' "$T/vaultd.log")"
free_to 1100
ok "read again: the level found is ledgered, though it is ok as before" wait_kind storage.ok 2
is "storage.ok with what was read" "STORAGE_OK|1100" "$(P storage.ok code free_mb)"
ok "the log says it is known again" grep -q "free space of .* known again" "$T/vaultd.log"
vt_stop
free_to fail
LD_PRELOAD=$B/tests/statvfs.so VT_STATVFS=$T/free vt_start
ok "failing at start: storage.unknown" wait_kind storage.unknown 1
vt_stop
LD_PRELOAD=$B/tests/statvfs.so VT_STATVFS=$T/free vt_start
settle
sleep 1.5
is "a restart while it still fails ledgers nothing more" 2 "$(n_kind storage.unknown)"
free_to 300
ok "then 300 MB: storage.critical straight from unknown" wait_kind storage.critical 1
vt_stop
storage 1 0

# ---- clock -------------------------------------------------------------------------
ft=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -1)
NCLOCK=16
if grep -qa __asan_init "$VAULTD"; then
	skip "libfaketime cannot wrap the clock of an ASan build (both intercept clock_gettime)" $NCLOCK
elif [ -z "$ft" ]; then
	skip "libfaketime is missing: clock jumps are not tested" $NCLOCK
else
	storage 1 0 "[clock]" "check_s = 1" "jump_s = 60"
	# vaultd's wall clock is the real one plus the offset in this file, read
	# at every call; its monotonic clock (timers, the comparison) stays real.
	echo "+0" >"$T/ft.rc"
	ft_start() {
		LD_PRELOAD=$ft FAKETIME_TIMESTAMP_FILE="$T/ft.rc" FAKETIME_NO_CACHE=1 \
			FAKETIME_DONT_FAKE_MONOTONIC=1 vt_start
	}
	wait_jumps() { # until there are N clock.jump entries, checked every second
		for _ in $(seq 60); do [ "$(n_kind clock.jump)" -ge "$1" ] && return 0; sleep 0.1; done; return 1
	}
	near() { test "$1" -ge $(($2 - 5)) -a "$1" -le $(($2 + 5)); }
	iso_s() { date -u -d "$1" +%s; }
	ft_start
	settle
	sleep 3.5
	is "no jump: no clock.jump over several checks (check_s = 1)" 0 "$(n_kind clock.jump)"
	echo "+2h" >"$T/ft.rc"
	ok "the wall clock set 2 h forward while vaultd runs: clock.jump" wait_jumps 1
	IFS='|' read -r code dir delta from to <<<"$(P clock.jump code direction delta_s from_utc to_utc)"
	is "forward, with the code" "CLOCK_JUMP|forward" "$code|$dir"
	ok "delta_s is about +7200 ($delta)" near "$delta" 7200
	ok "to_utc - from_utc is about 2 h ($from -> $to)" near $(($(iso_s "$to") - $(iso_s "$from"))) 7200
	ok "from_utc is the real time of the jump ($from)" near "$(iso_s "$from")" "$(date +%s)"
	contains "the alarm is listed by vaultctl alert list" '"kind":"clock.jump","severity":"alarm"' \
		"$("$VAULTCTL" alert list)"
	sleep 2.5
	is "one jump, one entry (later checks see no new jump)" 1 "$(n_kind clock.jump)"
	grep -q "the wall clock jumped 72[0-9][0-9] s forward" "$T/vaultd.log"
	is "the jump is logged as a warning" 0 "$?"
	echo "+0" >"$T/ft.rc"
	ok "set back 2 h: clock.jump backward" wait_jumps 2
	IFS='|' read -r dir delta <<<"$(P clock.jump direction delta_s)"
	ok "backward, delta_s about -7200 ($dir $delta)" eval "[ $dir = backward ] && near $delta -7200"
	vt_stop

	# Entries dated 2 h ahead are in the ledger, but the backward jump after
	# them explains them: a restart on the real time is no jump.
	ft_start
	settle
	sleep 1.5
	is "a restart after the ledgered backward jump: no new clock.jump" 2 "$(n_kind clock.jump)"
	vt_stop
	# The last entry (vaultd.stop), not the older ones dated 2 h ahead.
	last=$(vt_sql "SELECT seq||'|'||ts_utc FROM ledger ORDER BY seq DESC LIMIT 1")
	echo "-2h" >"$T/ft.rc"
	ft_start
	ok "restarted with the clock 2 h behind the last entry: clock.jump at start" wait_jumps 3
	IFS='|' read -r dir delta at_start entry from <<<"$(P clock.jump direction delta_s at_start entry from_utc)"
	ok "backward at start, delta_s about -7200 ($dir $delta $at_start)" \
		eval "[ $dir = backward ] && [ $at_start = 1 ] && near $delta -7200"
	is "it names the last entry before the restart and its time as from_utc" \
		"${last%|*}|$(date -u -d "@$((${last#*|} / 1000000))" +%FT%TZ)" "$entry|$from"
	vt_stop
	ft_start
	settle
	sleep 1.5
	is "restarted again, still 2 h behind: the step was ledgered already" 3 "$(n_kind clock.jump)"
	vt_stop
fi
ok "vaultctl verify passes over all of it" "$VAULTCTL" verify
vt_done
