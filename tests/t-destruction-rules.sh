# SPDX-License-Identifier: MIT
# The destruction rules no other test reaches, end to end: vaultd as a real
# process, the witnesses' badges read through libnfc + libfreefare from a PN532
# emulator (the shredder reader), the storage shelf and the throat reader
# served by shelf-sim over Modbus TCP, the motor through the GPIO sim.
#  - DESTRUCTION_TIMEOUT: the station's window ([custody] witness_window_s,
#    armed at `destroy start` and again at destruction.witnessed) runs out
#    before the throat reads the medium: destruction.aborted, before and after
#    the witnesses, the medium never destroyed;
#  - DESTRUCTION_STILL_READ: shredded, but the throat reader still reads the
#    tag when the quiet window ends: destruction.failed, not destroyed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-door.sh"
command -v socat >/dev/null || skip_all "socat is missing"
[ "$(id -u)" = 0 ] || skip_all "a second Unix user (setpriv) is needed for separation of duties"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) is missing"
today=$(TZ=Asia/Shanghai date +%F)
year=${today%%-*}
WINDOW=2 # [custody] witness_window_s: the station's window, small
"$B/shelf-sim" --tcp 0 --tcp-slaves 1:1,2:1 --control "$T/shelf.ctl" --scan-ms 10 --appear 1 \
	--vanish 1 >"$T/sim.out" 2>"$T/sim.err" &
SIMPID=$!
trap 'vt_stop; emu_stop_all; kill $SIMPID 2>/dev/null; [ "${KEEP:-}" ] || rm -rf "$T"' EXIT
for _ in $(seq 100); do grep -q '^ready$' "$T/sim.out" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's/^tcp_port=//p' "$T/sim.out")
[ -n "$port" ] || { echo "not ok 1 - shelf-sim did not start"; exit 1; }
# station_window_s stays long: it is the handover's badge window, not the
# station's wait for the throat read.
vt_init "[reader]" "shredder = pn532_uart:$T/shredder-pty" \
	"[bus.station]" "kind = tcp" "host = 127.0.0.1" "port = $port" \
	"shelves = 1:SH-1, 2:shredder-throat" "response_timeout_ms = 100" "poll_interval_ms = 20" \
	"[custody]" "throat = shredder-throat" "witness_window_s = $WINDOW" "quiet_window_s = 1" \
	"motor_grace_ms = 500" "station_window_s = 60" "removal_window_s = 60" \
	"inventory_settle_s = 1" "[gpio]" "debounce_ms = 5"
emu_start shredder && emu_start enrol || { echo "not ok 1 - emulators"; exit 1; }
ok "vaultd starts with the shredder reader, a shelf and the throat over Modbus TCP" vt_start
for _ in $(seq 50); do [ -S "$T/gpio.sock" ] && break; sleep 0.05; done
chmod 666 "$T/vaultd.sock" # the orderer connects as Unix user nobody

V() { "$VAULTCTL" "$@" >/dev/null; }
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
sim() { printf '%s\n' "$1" | socat -t 2 - "UNIX-CONNECT:$T/shelf.ctl" >/dev/null; }
status() { vt_sql "SELECT status FROM medium WHERE id='$1'"; }
state() { vt_sql "SELECT state FROM destruction_order WHERE id='$1'"; }
# Field $2 of the latest entry of kind $1 about order $3.
oj() { vt_sql "SELECT json_extract(payload,'$2') FROM ledger WHERE kind='$1' AND json_extract(payload,'$.order')='$3' ORDER BY seq DESC LIMIT 1"; }
oseq() { vt_sql "SELECT ifnull(max(seq),0) FROM ledger WHERE kind='$1' AND json_extract(payload,'$.order')='$2'"; }
n_order() { vt_sql "SELECT count(*) FROM ledger WHERE kind='$1' AND json_extract(payload,'$.order')='$2'"; }
badge() { present shredder "$1"; sleep 0.4; unpresent shredder; }
seen_on() { # SHELF TAG: wait until vaultd stored the tag's arrival there
	for _ in $(seq 100); do
		[ "$(vt_sql "SELECT count(*) FROM sensor_event WHERE source='$1' AND kind='tag.arrived' AND instr(data,'$2')>0")" -gt 0 ] && return 0
		sleep 0.05
	done
	return 1
}
gone_from() { # SHELF TAG: wait until vaultd stored the tag's departure from there
	for _ in $(seq 100); do
		[ "$(vt_sql "SELECT count(*) FROM sensor_event WHERE source='$1' AND kind='tag.departed' AND instr(data,'$2')>0")" -gt 0 ] && return 0
		sleep 0.05
	done
	return 1
}
# The severity `vaultctl alert list` gives ledger entry $1 ("" if not listed).
severity() {
	"$VAULTCTL" alert list >"$T/alerts.json" 2>>"$T/ok.log"
	vt_sql "SELECT json_extract(value,'$.severity') FROM json_each(readfile('$T/alerts.json'),'$.alerts') WHERE json_extract(value,'$.seq')=$1"
}

V unit add --id U1 --name "Survey Institute" --first-time no
for p in W1:custodian W2:custodian SV:supervisor; do
	V person add --id "${p%%:*}" --name "Person ${p%%:*}" --role "${p#*:}" --unit U1
	V cert add --id "CERT-${p%%:*}" --person "${p%%:*}" --issued "$((year - 1))-01-10"
	V training add --id "TR-${p%%:*}" --person "${p%%:*}" --date "$today"
done
V person update --id SV --unix-user nobody
# The admin runs the shredder: certified by the supervisor (nobody records
# their own certificate or training).
as_nobody "$VAULTCTL" cert add --id CERT-admin --person admin --issued "$((year - 1))-01-10" >/dev/null
as_nobody "$VAULTCTL" training add --id TR-admin --person admin --date "$today" >/dev/null
enrol W1 04D10000000001 && enrol W2 04D10000000002 || echo "# enrol failed: $(tail -1 "$T/enrol.log")"
is "two witnesses' badges were personalised and registered" 2 "$(vt_sql "SELECT count(*) FROM badge")"
for i in 1 2 3; do
	V medium add --id M$i --tag "E2$(printf %022d "$i")" --title "Sheet $i" \
		--classification secret --home-shelf SH-1
	sim "place 1 1 E2$(printf %022d "$i")"
	as_nobody "$VAULTCTL" destroy-order add --id O$i --medium M$i >/dev/null
	V destroy-order approve --id O$i
done
ok "the three media are read on SH-1" seen_on SH-1 E2$(printf %022d 3)
is "three orders approved by someone other than their orderer" 3 \
	"$(vt_sql "SELECT count(*) FROM destruction_order WHERE state='approved' AND orderer='SV' AND approver='admin'")"
sleep 1.5 # past the custody module's settle after the start

# 1. DESTRUCTION_TIMEOUT before the witnesses: the station is armed, nobody
# badges, the medium stays on its shelf.
T1=E2$(printf %022d 1)
ok "destroy start O1" V destroy start --order O1
is "M1 is at-destruction" at-destruction "$(status M1)"
a=$(n_kind destruction.aborted DESTRUCTION_TIMEOUT)
sleep 1
is "no abort before witness_window_s has run out" "$a" "$(n_kind destruction.aborted DESTRUCTION_TIMEOUT)"
ok "nobody badges within witness_window_s: destruction.aborted DESTRUCTION_TIMEOUT" \
	wait_more destruction.aborted "$a" DESTRUCTION_TIMEOUT
is "the abort is about O1 and M1, why timeout" "O1|M1|timeout" \
	"$(vt_sql "SELECT json_extract(payload,'$.order')||'|'||medium||'|'||json_extract(payload,'$.why') FROM ledger WHERE kind='destruction.aborted' ORDER BY seq DESC LIMIT 1")"
st=$(oseq destruction.started O1) ab=$(oseq destruction.aborted O1)
is "it came witness_window_s after the start (not before, not much later)" 1 \
	"$(vt_sql "SELECT (SELECT ts_utc FROM ledger WHERE seq=$ab) - (SELECT ts_utc FROM ledger WHERE seq=$st) BETWEEN $((WINDOW * 1000000)) AND $(((WINDOW + 3) * 1000000))")"
is "no witnesses in the entry" '[]' "$(oj destruction.aborted '$.witnesses' O1)"
is "the entry says where it was last read, and the status that gives" "SH-1|in-vault" \
	"$(oj destruction.aborted '$.last_read' O1)|$(oj destruction.aborted '$.medium_status' O1)"
is "M1 is back in-vault (read on its shelf), not destroyed" in-vault "$(status M1)"
is "the order stays approved for another attempt" approved "$(state O1)"
is "nothing confirmed, no certificate entry" 0 "$(n_order destruction.confirmed O1)"
contains "the station is idle again" '"stage":"idle"' "$("$VAULTCTL" destroy status)"
is "vaultctl alert list shows the abort as an alarm" alarm "$(severity "$ab")"

# 2. DESTRUCTION_TIMEOUT after the witnesses: the medium is carried off its
# shelf, the witnesses badge, and it never reaches the throat.
T2=E2$(printf %022d 2)
ok "destroy start O2" V destroy start --order O2
sim "remove 1 $T2"
ok "M2 leaves SH-1" gone_from SH-1 "$T2"
w=$(n_kind destruction.witnessed)
badge 04D10000000001; badge 04D10000000002
ok "two witnesses: destruction.witnessed" wait_more destruction.witnessed "$w"
a=$(n_kind destruction.aborted DESTRUCTION_TIMEOUT)
ok "no throat read within witness_window_s of it: destruction.aborted DESTRUCTION_TIMEOUT" \
	wait_more destruction.aborted "$a" DESTRUCTION_TIMEOUT
wi=$(oseq destruction.witnessed O2) ab=$(oseq destruction.aborted O2)
is "the window counted from destruction.witnessed" 1 \
	"$(vt_sql "SELECT (SELECT ts_utc FROM ledger WHERE seq=$ab) - (SELECT ts_utc FROM ledger WHERE seq=$wi) BETWEEN $((WINDOW * 1000000)) AND $(((WINDOW + 3) * 1000000))")"
is "the abort names both witnesses" '["W1","W2"]' "$(oj destruction.aborted '$.witnesses' O2)"
is "and the code" DESTRUCTION_TIMEOUT "$(oj destruction.aborted '$.code' O2)"
is "read nowhere since it left its shelf: missing, not in-vault on trust" "|missing|missing" \
	"$(oj destruction.aborted '$.last_read' O2)|$(oj destruction.aborted '$.medium_status' O2)|$(status M2)"
is "the order stays approved; nothing shredded or confirmed" "approved 0 0" \
	"$(state O2) $(n_order destruction.shredded O2) $(n_order destruction.confirmed O2)"
out=$("$VAULTCTL" destroy certificate --order O2 2>&1); rc=$?
is "no certificate for O2 (exit 1)" 1 "$rc"
f=$(n_kind medium.found)
sim "place 1 1 $T2"
ok "read on SH-1 again: medium.found" wait_more medium.found "$f"
is "M2 back in-vault" in-vault "$(status M2)"

# 3. DESTRUCTION_STILL_READ: witnessed, the throat reads it with the motor
# running (shredded), and the tag is still in the throat reader's field when
# the quiet window ends.
T3=E2$(printf %022d 3)
ok "destroy start O3" V destroy start --order O3
w=$(n_kind destruction.witnessed)
badge 04D10000000001; badge 04D10000000002
ok "two witnesses: destruction.witnessed" wait_more destruction.witnessed "$w"
gpio "set shredder_motor 1" >/dev/null; sleep 0.2
s=$(n_kind destruction.shredded)
sim "remove 1 $T3"; sim "place 2 1 $T3"
ok "the throat read while the motor runs: destruction.shredded" wait_more destruction.shredded "$s"
f=$(n_kind destruction.failed DESTRUCTION_STILL_READ)
ok "the tag stays in the throat through the quiet window: destruction.failed DESTRUCTION_STILL_READ" \
	wait_more destruction.failed "$f" DESTRUCTION_STILL_READ
is "the alarm is about O3 and M3" "O3|M3" \
	"$(vt_sql "SELECT json_extract(payload,'$.order')||'|'||medium FROM ledger WHERE kind='destruction.failed' ORDER BY seq DESC LIMIT 1")"
sh=$(oseq destruction.shredded O3) fa=$(oseq destruction.failed O3)
is "it came when the quiet window ended, not before" 1 \
	"$(vt_sql "SELECT (SELECT ts_utc FROM ledger WHERE seq=$fa) - (SELECT ts_utc FROM ledger WHERE seq=$sh) BETWEEN 1000000 AND 4000000")"
is "no DESTRUCTION_READ_AGAIN: the tag never left the throat" 0 "$(n_kind destruction.failed DESTRUCTION_READ_AGAIN)"
tid=$(vt_sql "SELECT max(id) FROM sensor_event WHERE source='shredder-throat' AND kind='tag.arrived' AND instr(data,'$T3')>0")
contains "the alarm cites the throat read" ",$tid," \
	",$(vt_sql "SELECT cites FROM ledger WHERE seq=$fa"),"
is "it says the throat still reads it: at-destruction" "shredder-throat|at-destruction" \
	"$(oj destruction.failed '$.last_read' O3)|$(oj destruction.failed '$.medium_status' O3)"
is "M3 is not destroyed: at-destruction, where the throat reads it" at-destruction "$(status M3)"
is "the order is not done, nothing confirmed" "approved 0" "$(state O3) $(n_order destruction.confirmed O3)"
out=$("$VAULTCTL" destroy certificate --order O3 2>&1); rc=$?
is "no certificate for O3 (exit 1)" 1 "$rc"
is "vaultctl alert list shows it as an alarm" alarm "$(severity "$fa")"
contains "the station is idle again" '"stage":"idle"' "$("$VAULTCTL" destroy status)"
sim "remove 2 $T3"; gpio "set shredder_motor 0" >/dev/null
sleep 1.5
is "its later departure from the throat confirms nothing" "0 at-destruction" \
	"$(n_order destruction.confirmed O3) $(status M3)"

is "no medium is destroyed" 0 "$(vt_sql "SELECT count(*) FROM medium WHERE status='destroyed'")"
ok "the ledger verifies" "$VAULTCTL" verify
vt_done
