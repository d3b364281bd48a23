# SPDX-License-Identifier: MIT
# The inventory rules no other test reaches, end to end: vaultd as a real
# process, shelves served by shelf-sim over Modbus TCP (libmodbus), the
# witnesses' badges read through libnfc + libfreefare from a PN532 emulator,
# the shredder motor through the GPIO sim.
#  - INVENTORY_RUNNING: `inventory run` while a sweep runs is refused, ledgered;
#  - INVENTORY_NOT_EXPECTED: a medium at-destruction read on a shelf;
#  - INVENTORY_GONE_SEEN: a medium recorded destroyed, and one handed over,
#    read on a shelf: alarms, and neither comes back to life;
#  - INVENTORY_FOUND: a medium recorded missing (destruction.interrupted at a
#    restart) that the sweep reads on its home shelf.
# SH-2 sits on a bus of its own polled every 0.9 s: a sweep waits for two fresh
# polls of every storage shelf, so it runs for a second or two, long enough to ask for
# a second one.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-door.sh"
command -v socat >/dev/null || skip_all "socat is missing"
[ "$(id -u)" = 0 ] || skip_all "other Unix users (setpriv) are needed for separation of duties"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) is missing"
today=$(TZ=Asia/Shanghai date +%F)
year=${today%%-*}
"$B/shelf-sim" --tcp 0 --tcp-slaves 1:1,2:1,3:1,4:1 --control "$T/shelf.ctl" --scan-ms 10 \
	--appear 1 --vanish 1 >"$T/sim.out" 2>"$T/sim.err" &
SIMPID=$!
trap 'vt_stop; emu_stop_all; kill $SIMPID 2>/dev/null; [ "${KEEP:-}" ] || rm -rf "$T"' EXIT
for _ in $(seq 100); do grep -q '^ready$' "$T/sim.out" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's/^tcp_port=//p' "$T/sim.out")
[ -n "$port" ] || { echo "not ok 1 - shelf-sim did not start"; exit 1; }
vt_init "[reader]" "shredder = pn532_uart:$T/shredder-pty" \
	"[bus.station]" "kind = tcp" "host = 127.0.0.1" "port = $port" \
	"shelves = 1:SH-1, 3:shredder-throat, 4:kiosk-pad" "response_timeout_ms = 100" \
	"poll_interval_ms = 20" \
	"[bus.slow]" "kind = tcp" "host = 127.0.0.1" "port = $port" "shelves = 2:SH-2" \
	"response_timeout_ms = 100" "poll_interval_ms = 900" \
	"[custody]" "throat = shredder-throat" "pad = kiosk-pad" "witness_window_s = 60" \
	"quiet_window_s = 3" "motor_grace_ms = 500" "station_window_s = 60" \
	"removal_window_s = 60" "inventory_settle_s = 8" "[gpio]" "debounce_ms = 5"
emu_start shredder && emu_start enrol || { echo "not ok 1 - emulators"; exit 1; }
ok "vaultd starts with two buses, the shredder reader and the GPIO sim" vt_start
for _ in $(seq 50); do [ -S "$T/gpio.sock" ] && break; sleep 0.05; done
chmod 666 "$T/vaultd.sock" # other Unix users connect

V() { "$VAULTCTL" "$@" >/dev/null; }
as() { # USER vaultctl-args...: root is the admin
	local u=$1; shift
	if [ "$u" = root ]; then "$VAULTCTL" "$@"; else
		setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups "$VAULTCTL" "$@"; fi
}
sim() { printf '%s\n' "$1" | socat -t 2 - "UNIX-CONNECT:$T/shelf.ctl" >/dev/null; }
status() { vt_sql "SELECT status FROM medium WHERE id='$1'"; }
state() { vt_sql "SELECT state FROM destruction_order WHERE id='$1'"; }
badge() { present shredder "$1"; sleep 0.4; unpresent shredder; }
sev() { vt_sql "SELECT ifnull(max(id),0) FROM sensor_event WHERE source='$1' AND kind='tag.$2' AND instr(data,'$3')>0"; }
put_wait() { # SLAVE SHELF TAG: placed, and its arrival stored by vaultd
	local n; n=$(sev "$2" arrived "$3")
	sim "place $1 1 $3"
	for _ in $(seq 100); do [ "$(sev "$2" arrived "$3")" -gt "$n" ] && return 0; sleep 0.05; done
	return 1
}
take_wait() { # SLAVE SHELF TAG: taken off, and its departure stored
	local n; n=$(sev "$2" departed "$3")
	sim "remove $1 $3"
	for _ in $(seq 100); do [ "$(sev "$2" departed "$3")" -gt "$n" ] && return 0; sleep 0.05; done
	return 1
}
n_rec() { vt_sql "SELECT count(*) FROM ledger WHERE kind='inventory.reconciled'"; }
last_rec() { vt_sql "SELECT ifnull(max(seq),0) FROM ledger WHERE kind='inventory.reconciled'"; }
running() { "$VAULTCTL" inventory status 2>/dev/null | grep -q '"running":true'; }
wait_running() { for _ in $(seq 100); do running && return 0; sleep 0.02; done; return 1; }
# The inventory alarm of kind $1 about medium $2 from sweep $3: medium|code|inventory|seen_shelf.
alarm_of() {
	vt_sql "SELECT medium||'|'||json_extract(payload,'$.code')||'|'||json_extract(payload,'$.inventory')||'|'||ifnull(json_extract(payload,'$.seen_shelf'),'') FROM ledger WHERE kind='$1' AND medium='$2' AND json_extract(payload,'$.inventory')=$3"
}
# The report of sweep $1: the entry in list $2 about medium $3, as status|code|seen_shelf.
in_report() {
	vt_sql "SELECT json_extract(e.value,'$.status')||'|'||ifnull(json_extract(e.value,'$.code'),'')||'|'||ifnull(json_extract(e.value,'$.seen_shelf'),'') FROM ledger l, json_each(json_extract(l.payload,'$.report'),'$.$2') e WHERE l.seq=$1 AND json_extract(e.value,'$.medium')='$3'"
}

V unit add --id U1 --name "Survey Institute" --first-time no
for p in W1:custodian:daemon W2:custodian: SV:supervisor:nobody; do
	set -- ${p//:/ }
	V person add --id "$1" --name "Person $1" --role "$2" --unit U1 ${3:+--unix-user $3}
	V cert add --id "CERT-$1" --person "$1" --issued "$((year - 1))-01-10"
	V training add --id "TR-$1" --person "$1" --date "$today"
done
# The admin runs the shredder: certified by the supervisor.
as nobody cert add --id CERT-admin --person admin --issued "$((year - 1))-01-10" >/dev/null
as nobody training add --id TR-admin --person admin --date "$today" >/dev/null
enrol W1 04D10000000001 && enrol W2 04D10000000002 || echo "# enrol failed: $(tail -1 "$T/enrol.log")"
is "two witnesses' badges were personalised and registered" 2 "$(vt_sql "SELECT count(*) FROM badge")"
TG=E2000000000000000000
for i in 1 2 3 4 5; do
	V medium add --id M$i --tag "${TG}000$i" --title "Sheet $i" --classification secret --home-shelf SH-1
	sim "place 1 1 ${TG}000$i"
	as nobody destroy-order add --id O$i --medium M$i >/dev/null
	V destroy-order approve --id O$i
done
seen5() { [ "$(sev SH-1 arrived "${TG}0005")" -gt 0 ]; }
wait_seen5() { for _ in $(seq 100); do seen5 && return 0; sleep 0.05; done; return 1; }
ok "the five media are read on SH-1" wait_seen5
is "five destruction orders approved" 5 "$(vt_sql "SELECT count(*) FROM destruction_order WHERE state='approved'")"

# 1. INVENTORY_RUNNING: a second sweep asked for while one runs.
n=$(n_rec)
"$VAULTCTL" inventory run >"$T/run1.out" 2>&1 &
RUN1=$!
ok "a sweep is running (inventory status)" wait_running
refused "inventory run while a sweep runs" INVENTORY_RUNNING root inventory run
contains "the refusal says which sweep runs" "started action" "$LAST_OUT"
is "the refusal names the caller" admin "$(last_actors admin.refused)"
wait "$RUN1"
is "the first sweep replies when done (exit 0)" 0 "$?"
is "one sweep reconciled, not two" $((n + 1)) "$(n_rec)"
contains "its reply names its entry" "\"seq\":$(last_rec)" "$(cat "$T/run1.out")"
is "SH-2 (slow bus) was read afresh by it" '["SH-1","SH-2"]' \
	"$(vt_sql "SELECT json_extract(payload,'$.shelves.read') FROM ledger WHERE seq=$(last_rec)")"
is "the refused request started nothing: no sweep runs" 1 "$(running; echo $?)"
out=$("$VAULTCTL" inventory run 2>&1); rc=$?
is "once it is done, inventory run is accepted again" "0 $((n + 2))" "$rc $(n_rec)"

# 2. M2 destroyed at the shredder, M3 handed over to a facility.
T2=${TG}0002 T3=${TG}0003
V destroy start --order O2
w=$(n_kind destruction.witnessed)
badge 04D10000000001; badge 04D10000000002
ok "O2: two witnesses" wait_more destruction.witnessed "$w"
gpio "set shredder_motor 1" >/dev/null; sleep 0.2
take_wait 1 SH-1 "$T2"; sim "place 3 1 $T2"
c=$(n_kind destruction.confirmed)
ok "O2: shredded with the motor running" wait_more destruction.shredded 0
sim "remove 3 $T2"; sleep 0.2; gpio "set shredder_motor 0" >/dev/null
ok "O2: destruction.confirmed after the quiet window" wait_more destruction.confirmed "$c"
is "M2 is destroyed" destroyed "$(status M2)"
take_wait 1 SH-1 "$T3"
ok "M3 on the kiosk pad" put_wait 4 kiosk-pad "$T3"
present shredder 04D10000000002; sleep 0.4
out=$(as daemon destroy handover --order O3 --facility "City Shredding Co." --certificate CSC-1 2>&1)
is "M3 handed over by W1 with W2's badge at the shredder (exit 0)" 0 "$?"
unpresent shredder
take_wait 4 kiosk-pad "$T3"
is "M3 is handed-over" handed-over "$(status M3)"

# 3. M1 at-destruction (destroy start, it stays on its shelf), and the
# destroyed M2 and handed-over M3 turn up on SH-1: one sweep.
ok "destroy start O1: M1 at-destruction" V destroy start --order O1
is "M1 at-destruction" at-destruction "$(status M1)"
op=$(n_kind medium.off_path)
put_wait 1 SH-1 "$T2"; put_wait 1 SH-1 "$T3"
out=$("$VAULTCTL" inventory run 2>&1); rc=$?
is "the sweep runs (exit 0)" 0 "$rc"
seq=$(last_rec)
is "counts: M4 M5 present, 3 unexpected" '{"present":2,"missing":0,"misplaced":0,"unexpected":3,"unverified":0}' \
	"$(vt_sql "SELECT json_extract(payload,'$.counts') FROM ledger WHERE seq=$seq")"
is "the report lists M1 as unexpected: at-destruction, INVENTORY_NOT_EXPECTED, on SH-1" \
	"at-destruction|INVENTORY_NOT_EXPECTED|SH-1" "$(in_report "$seq" unexpected M1)"
is "inventory.unexpected INVENTORY_NOT_EXPECTED for M1, citing the sweep" \
	"M1|INVENTORY_NOT_EXPECTED|$seq|SH-1" "$(alarm_of inventory.unexpected M1 "$seq")"
is "the alarm cites M1's read on SH-1" "$(sev SH-1 arrived "${TG}0001")" \
	"$(vt_sql "SELECT cites FROM ledger WHERE kind='inventory.unexpected' AND medium='M1'")"
is "M1 stays at-destruction: the sweep does not end the destruction" at-destruction "$(status M1)"
is "the report lists destroyed M2 with INVENTORY_GONE_SEEN" "destroyed|INVENTORY_GONE_SEEN|SH-1" \
	"$(in_report "$seq" unexpected M2)"
is "inventory.unexpected INVENTORY_GONE_SEEN for M2" "M2|INVENTORY_GONE_SEEN|$seq|SH-1" \
	"$(alarm_of inventory.unexpected M2 "$seq")"
is "and for handed-over M3" "M3|INVENTORY_GONE_SEEN|$seq|SH-1" "$(alarm_of inventory.unexpected M3 "$seq")"
is "M2 stays destroyed, M3 handed-over (the record is not rewritten by a read)" \
	"destroyed handed-over" "$(status M2) $(status M3)"
is "custody also raised medium.off_path for each of them" $((op + 2)) "$(n_kind medium.off_path)"
is "the alarms are alarms to vaultctl alert list" "alarm alarm alarm" \
	"$("$VAULTCTL" alert list | grep -o '"seq":[0-9]*[^}]*"kind":"inventory.unexpected"[^}]*' | grep -o '"severity":"[a-z]*"' | cut -d'"' -f4 | xargs)"
a=$(n_kind destruction.aborted DESTRUCTION_CANCELLED)
ok "O1 aborted" V destroy abort --order O1
is "M1 back in-vault (read on SH-1)" in-vault "$(status M1)"
take_wait 1 SH-1 "$T2"; take_wait 1 SH-1 "$T3"

# 4. INVENTORY_FOUND. M4 is shredded (the throat read with the motor running)
# and vaultd is killed in the quiet window; meanwhile M4 turns up on its home
# shelf SH-1 again. At the restart the destruction is interrupted and M4
# recorded missing; the sweep reads it at home.
T4=${TG}0004
V destroy start --order O4
w=$(n_kind destruction.witnessed)
badge 04D10000000001; badge 04D10000000002
ok "O4: two witnesses" wait_more destruction.witnessed "$w"
gpio "set shredder_motor 1" >/dev/null; sleep 0.2
s=$(n_kind destruction.shredded)
take_wait 1 SH-1 "$T4"; sim "place 3 1 $T4"
ok "O4: shredded" wait_more destruction.shredded "$s"
before=$(sev SH-1 arrived "$T4")
kill -9 "$VAULTD_PID"; wait "$VAULTD_PID" 2>/dev/null; VAULTD_PID=
sim "remove 3 $T4"; sim "place 1 1 $T4"
i=$(n_kind destruction.interrupted)
ok "vaultd restarts after SIGKILL" vt_start
ok "O4 ends as destruction.interrupted" wait_more destruction.interrupted "$i" DESTRUCTION_INTERRUPTED
is "which records M4 missing" missing \
	"$(vt_sql "SELECT json_extract(payload,'$.medium_status') FROM ledger WHERE kind='destruction.interrupted' ORDER BY seq DESC LIMIT 1")"
back() { [ "$(sev SH-1 arrived "$T4")" -gt "$before" ]; }
wait_back() { for _ in $(seq 100); do back && return 0; sleep 0.05; done; return 1; }
ok "the restarted vaultd reads M4 on SH-1" wait_back
sleep 0.5
# The shelves start before the modules and the loop handles their reads
# before its timers: the read normally lands while M4 is still at-destruction
# (custody leaves it to the destruction module), before the recovery makes it
# missing, and only the sweep can find it. Should the recovery come first,
# custody's medium.found puts it back instead and the sweep has nothing to find.
found=$(vt_sql "SELECT count(*) FROM ledger WHERE kind='medium.found' AND medium='M4'")
was=$(status M4)
out=$("$VAULTCTL" inventory run 2>&1)
seq=$(last_rec)
is "the sweep reads M4 at home: present" "M4" "$(vt_sql "SELECT json_extract(e.value,'$.medium') FROM ledger l, json_each(json_extract(l.payload,'$.report'),'$.present') e WHERE l.seq=$seq AND json_extract(e.value,'$.medium')='M4'")"
if [ "$found" = 0 ] && [ "$was" = missing ]; then
	is "the report lists M4 present with its recorded status, missing" "missing||SH-1" \
		"$(in_report "$seq" present M4)"
	is "inventory.found INVENTORY_FOUND for M4, citing the sweep" "M4|INVENTORY_FOUND|$seq|SH-1" \
		"$(alarm_of inventory.found M4 "$seq")"
	is "the entry cites M4's read on SH-1" "$(sev SH-1 arrived "$T4")" \
		"$(vt_sql "SELECT cites FROM ledger WHERE kind='inventory.found' AND medium='M4'")"
	is "and sets M4 in-vault" "in-vault|$(vt_sql "SELECT seq FROM ledger WHERE kind='inventory.found' AND medium='M4'")" \
		"$(vt_sql "SELECT status||'|'||seq FROM medium WHERE id='M4'")"
else
	skip "the recovery ran before the shelves' first read: custody found M4 (medium.found $found, status $was)" 4
fi
is "M4 is in-vault again, found once" "in-vault 1" \
	"$(status M4) $(vt_sql "SELECT count(*) FROM ledger WHERE kind IN ('medium.found','inventory.found') AND medium='M4'")"
out=$("$VAULTCTL" inventory run 2>&1)
is "a further sweep finds nothing more" 0 "$(vt_sql "SELECT count(*) FROM ledger WHERE kind='inventory.found' AND json_extract(payload,'$.inventory')=$(last_rec)")"

ok "the ledger verifies" "$VAULTCTL" verify
vt_done
