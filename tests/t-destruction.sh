# SPDX-License-Identifier: MIT
# Destruction at the shredder station end to end: vaultd as a real process,
# witnesses' badges read by libnfc + libfreefare from a PN532 emulator (the
# shredder reader), a storage shelf and the throat reader served by shelf-sim
# over Modbus TCP (libmodbus), the motor and bin-door sensors through the GPIO
# sim. Happy path with certificate, every alarm, handover (and who may run
# it), cancelling an order, a SIGKILL mid-destruction, the bin door's rules,
# and a site without a bin-door sensor.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-door.sh"
command -v socat >/dev/null || skip_all "socat is missing"
[ "$(id -u)" = 0 ] || skip_all "a second Unix user (setpriv) is needed for separation of duties"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) is missing"
today=$(TZ=Asia/Shanghai date +%F)
year=${today%%-*}
SIM=$B/shelf-sim
"$SIM" --tcp 0 --tcp-slaves 1:1,2:1,3:1 --control "$T/shelf.ctl" --scan-ms 10 --appear 1 --vanish 1 \
	>"$T/sim.out" 2>"$T/sim.err" &
SIMPID=$!
trap 'vt_stop; emu_stop_all; kill $SIMPID 2>/dev/null; [ "${KEEP:-}" ] || rm -rf "$T"' EXIT
for _ in $(seq 100); do grep -q '^ready$' "$T/sim.out" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's/^tcp_port=//p' "$T/sim.out")
[ -n "$port" ] || { echo "not ok 1 - shelf-sim did not start"; exit 1; }
vt_init "[reader]" "shredder = pn532_uart:$T/shredder-pty" \
	"[bus.station]" "kind = tcp" "host = 127.0.0.1" "port = $port" \
	"shelves = 1:SH-1, 2:shredder-throat, 3:kiosk-pad" "response_timeout_ms = 100" \
	"poll_interval_ms = 20" "[custody]" "throat = shredder-throat" "pad = kiosk-pad" "witness_window_s = 60" "quiet_window_s = 2" \
	"motor_grace_ms = 500" "station_window_s = 1" "[gpio]" "debounce_ms = 5"
emu_start shredder && emu_start enrol || { echo "not ok 1 - emulators"; exit 1; }
ok "vaultd starts with the shredder reader, a shelf and the throat over Modbus TCP" vt_start
for _ in $(seq 50); do [ -S "$T/gpio.sock" ] && break; sleep 0.05; done
chmod 666 "$T/vaultd.sock" # the orderer connects as Unix user nobody

V() { "$VAULTCTL" "$@" >/dev/null; }
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
as_w1() { setpriv --reuid=daemon --regid=daemon --clear-groups "$@"; } # W1, a custodian
sim() { printf '%s\n' "$1" | socat -t 2 - "UNIX-CONNECT:$T/shelf.ctl" >/dev/null; }
throat_ev() { # the latest throat read of TAG
	vt_sql "SELECT ifnull(max(id),0) FROM sensor_event WHERE source='shredder-throat' AND kind='tag.arrived' AND instr(data,'$1')>0"
}
wait_throat() { # TAG, newer than id $2
	for _ in $(seq 100); do [ "$(throat_ev "$1")" -gt "$2" ] && return 0; sleep 0.05; done
	return 1
}
status() { vt_sql "SELECT status FROM medium WHERE id='$1'"; }
state() { vt_sql "SELECT state FROM destruction_order WHERE id='$1'"; }
pj() { vt_sql "SELECT json_extract(payload,'$2') FROM ledger WHERE kind='$1' ORDER BY seq DESC LIMIT 1"; }
badge() { # UID at the shredder reader: presented, then taken off
	present shredder "$1"; sleep 0.4; unpresent shredder
}
witnessed() { # ORDER: destroy start, then W1 and W2 badge
	local w; w=$(n_kind destruction.witnessed)
	V destroy start --order "$1"
	badge 04D10000000001; badge 04D10000000002
	wait_more destruction.witnessed "$w"
}
bin_ev() { # the latest bin-door sensor event, 1 open / 0 closed
	vt_sql "SELECT ifnull(max(id),0) FROM sensor_event WHERE source='gpio' AND kind='shredder_bin.$1'"
}
bin() { # 1 open / 0 closed: the bin door moves; waits for its sensor event
	local n; n=$(bin_ev "$1")
	gpio "set shredder_bin $1" >/dev/null
	for _ in $(seq 100); do [ "$(bin_ev "$1")" -gt "$n" ] && return 0; sleep 0.05; done
	return 1
}
cites() { vt_sql "SELECT cites FROM ledger WHERE kind='$1' ORDER BY seq DESC LIMIT 1"; }
order_entries() { vt_sql "SELECT count(*) FROM ledger WHERE kind GLOB 'destruction.*' AND json_extract(payload,'$.order')='$1'"; }

V unit add --id U1 --name "Survey Institute" --first-time no
person() { # ID ROLE CERT_ISSUED
	V person add --id "$1" --name "Person $1" --role "$2" --unit U1
	[ -n "$3" ] && V cert add --id "CERT-$1" --person "$1" --issued "$3"
	V training add --id "TR-$1" --person "$1" --date "$today"
}
person W1 custodian "$((year - 1))-01-10"
person W2 custodian "$((year - 1))-01-10"
person X1 custodian "$((year - 6))-01-10" # certificate expired
person SV supervisor "$((year - 1))-01-10"
V person update --id SV --unix-user nobody
V person update --id W1 --unix-user daemon
# The admin runs the shredder: certified by the supervisor (nobody records
# their own certificate or training).
as_nobody "$VAULTCTL" cert add --id CERT-admin --person admin --issued "$((year - 1))-01-10" >/dev/null
as_nobody "$VAULTCTL" training add --id TR-admin --person admin --date "$today" >/dev/null
for p in W1:04D10000000001 W2:04D10000000002 X1:04D10000000003 SV:04D10000000004; do
	enrol "${p%%:*}" "${p#*:}" || echo "# enrol ${p%%:*} failed: $(tail -1 "$T/enrol.log")"
done
is "four badges were personalised and registered" 4 "$(vt_sql "SELECT count(*) FROM badge")"
for i in $(seq 12); do
	V medium add --id M$i --tag "E2$(printf %022d "$i")" --title "Sheet $i" \
		--classification secret --home-shelf SH-1
done
# Orders: requested by SV (Unix user nobody), approved by admin.
for i in 1 2 3 4 6 7 8 9 10 11 12; do
	as_nobody "$VAULTCTL" destroy-order add --id O$i --medium M$i >/dev/null
	V destroy-order approve --id O$i
done
is "eleven destruction orders approved by someone other than their orderer" 11 \
	"$(vt_sql "SELECT count(*) FROM destruction_order WHERE state='approved' AND orderer='SV' AND approver='admin'")"

# 0. The bin door opened and closed with no destruction under way (emptying
# the bin): sensor events, nothing more. First the custody module's settle
# ([custody] inventory_settle_s, 3 s after the start) must have passed: it
# records a medium.removed for each medium in the vault on no shelf, which
# would otherwise land in the count below when the setup is quick.
start_us=$(vt_sql "SELECT max(ts_utc) FROM ledger WHERE kind='vaultd.start'")
while [ $(($(date +%s%6N) - ${start_us:-0})) -lt 3500000 ]; do sleep 0.1; done
n=$(vt_count)
ok "the bin door opens: a sensor event" bin 1
contains "destroy status shows it" '"bin":"open"' "$("$VAULTCTL" destroy status)"
ok "and closes again: a sensor event" bin 0
sleep 0.2
is "no ledger entry for the bin door while the station is idle" "$n" "$(vt_count)"
BIN0=$(bin_ev 0)

# 1. The happy path.
T1=E20000000000000000000001
sim "place 1 1 $T1"
for _ in $(seq 100); do [ "$(vt_sql "SELECT count(*) FROM sensor_event WHERE source='SH-1' AND instr(data,'$T1')>0")" -gt 0 ] && break; sleep 0.05; done
out=$("$VAULTCTL" destroy start --order O1); rc=$?
is "destroy start on an approved order is accepted" 0 "$rc"
contains "the station is armed for witnesses" '"stage":"armed"' "$out"
is "destruction.started is ledgered by the operator" admin "$(last_actors destruction.started)"
is "the medium is now at-destruction (legitimately off its shelf)" at-destruction "$(status M1)"
out=$("$VAULTCTL" destroy start --order O2); rc=$?
is "a second destruction while the station is busy is refused" 1 "$rc"
contains "with a named reason" DESTROY_STATION_BUSY "$out"
badge 04D10000000001
w=$(n_kind destruction.witnessed)
badge 04D10000000002
ok "two certified witnesses badging at the shredder: destruction.witnessed" wait_more destruction.witnessed "$w"
is "the witnessed entry names both" "W1,W2" "$(last_actors destruction.witnessed)"
wcites=$(vt_sql "SELECT cites FROM ledger WHERE kind='destruction.witnessed' ORDER BY seq DESC LIMIT 1")
is "and cites both badge reads at the shredder reader" "shredder badge.arrived|shredder badge.arrived" \
	"$(vt_sql "SELECT group_concat(source || ' ' || kind, '|') FROM sensor_event WHERE id IN (${wcites:-0})")"
gpio "set shredder_motor 1" >/dev/null; sleep 0.2
s=$(n_kind destruction.shredded)
sim "remove 1 $T1"; sim "place 2 1 $T1"
ok "the throat read while the motor runs: destruction.shredded" wait_more destruction.shredded "$s"
sim "remove 2 $T1"; sleep 0.2; gpio "set shredder_motor 0" >/dev/null
c=$(n_kind destruction.confirmed)
ok "no read during the quiet window: destruction.confirmed" wait_more destruction.confirmed "$c"
tid=$(throat_ev "$T1")
mid=$(vt_sql "SELECT max(id) FROM sensor_event WHERE source='gpio' AND kind='shredder_motor.1' AND id < $tid")
ev() { vt_sql "SELECT count(*) FROM ledger l, json_each(l.payload,'$.evidence') e WHERE l.kind='destruction.confirmed' AND json_extract(l.payload,'$.order')='O1' AND json_extract(e.value,'$.sensor_event')=$1 AND json_extract(e.value,'$.source')='$2' AND json_extract(e.value,'$.kind')='$3'"; }
is "the confirmation's evidence cites the throat read by sensor event id" 1 "$(ev "$tid" shredder-throat tag.arrived)"
is "and the motor-running sensor event" 1 "$(ev "${mid:-0}" gpio shredder_motor.1)"
ccites=$(vt_sql "SELECT cites FROM ledger WHERE kind='destruction.confirmed' ORDER BY seq DESC LIMIT 1")
contains "the entry's cites column lists the throat read" ",$tid," ",$ccites,"
contains "and the motor event" ",$mid," ",$ccites,"
is "the confirmation states the bin door closed" closed "$(pj destruction.confirmed '$.bin')"
is "and gives its close edge (before the destruction) as evidence" 1 "$(ev "$BIN0" gpio shredder_bin.0)"
contains "cited in the entry" ",$BIN0," ",$ccites,"
contains "what the sensors prove includes the bin door" \
	"the shredder's bin door was closed when the destruction started" "$(pj destruction.confirmed '$.proves')"
is "and what they do not prove does not say it was unwatched" 0 \
	"$(vt_sql "SELECT instr(json_extract(payload,'$.does_not_prove'),'bin') FROM ledger WHERE kind='destruction.confirmed' ORDER BY seq DESC LIMIT 1")"
is "witnesses in the payload" '["W1","W2"]' "$(pj destruction.confirmed '$.witnesses')"
is "the certificate number" DC-O1 "$(pj destruction.confirmed '$.certificate')"
is "the operator" admin "$(pj destruction.confirmed '$.operator')"
is "the classification" secret "$(pj destruction.confirmed '$.classification')"
is "the medium is destroyed" destroyed "$(status M1)"
is "the order is done" done "$(state O1)"
seq=$(vt_sql "SELECT seq FROM ledger WHERE kind='destruction.confirmed' ORDER BY seq DESC LIMIT 1")
hash=$(vt_sql "SELECT lower(hex(hash)) FROM ledger WHERE seq=$seq")
cert=$("$VAULTCTL" destroy certificate --order O1)
contains "the certificate prints the confirmed entry's seq" "seq $seq " "$cert"
contains "and its hash" "Entry hash:      $hash" "$cert"
contains "and the throat read as evidence" "#$tid" "$cert"
contains "and the witnesses" "Witnesses:       W1, W2" "$cert"
contains "and the bin door closed" "Bin door:        closed" "$cert"
contains "with its close edge as evidence" "#$BIN0 " "$cert"
out=$("$VAULTCTL" destroy certificate --order O2); rc=$?
is "no certificate for an order not destroyed (exit 1)" 1 "$rc"
contains "the destruction ledger lists the certificate" "DC-O1" "$("$VAULTCTL" ledger destruction --format csv)"

# 2. The motor never runs: alarm, not destroyed.
T2=E20000000000000000000002
V destroy start --order O2
badge 04D10000000001; badge 04D10000000002
wait_more destruction.witnessed 1
a=$(n_kind destruction.no_motor)
sim "place 2 1 $T2"
ok "a throat read with the motor stopped: destruction.no_motor" wait_more destruction.no_motor "$a" DESTRUCTION_NO_MOTOR
is "the medium is not destroyed: still at the shredder, where the throat reads it" at-destruction "$(status M2)"
is "the order stays approved for another attempt" approved "$(state O2)"
ok "a new attempt may start from there" V destroy start --order O2
a=$(n_kind destruction.aborted DESTRUCTION_CANCELLED)
ok "and the operator may end it before the throat read" V destroy abort --order O2
is "destruction.aborted; the medium stays where the sensors say: at the shredder" "1 at-destruction" \
	"$(($(n_kind destruction.aborted DESTRUCTION_CANCELLED) - a)) $(status M2)"
is "the entry says where it was last read" "shredder-throat|at-destruction" \
	"$(pj destruction.aborted '$.last_read')|$(pj destruction.aborted '$.medium_status')"
sim "remove 2 $T2"; sleep 0.3
# Aborted with the medium out of the throat and read nowhere: missing, not
# in-vault on trust (custody does not watch a medium that left its shelf while
# it was at the shredder), until a shelf reads it again (and it stays there).
V destroy start --order O2
V destroy abort --order O2
is "aborted with M2 read nowhere: missing" "missing|missing" \
	"$(status M2)|$(pj destruction.aborted '$.medium_status')"
f=$(n_kind medium.found)
sim "place 1 1 $T2"
ok "read on SH-1 again: medium.found" wait_more medium.found "$f"
is "and in the vault" in-vault "$(status M2)"

# 3. Witness rules and a single witness.
T3=E20000000000000000000003
V destroy start --order O3
r=$(n_kind destruction.witness_refused SELF_WITNESS)
badge 04D10000000004
ok "the orderer (SV) cannot witness their own order" wait_more destruction.witness_refused "$r" SELF_WITNESS
r=$(n_kind destruction.witness_refused CERT_EXPIRED)
badge 04D10000000003
ok "an expired certificate cannot witness" wait_more destruction.witness_refused "$r" CERT_EXPIRED
badge 04D10000000001
r=$(n_kind destruction.witness_refused WITNESS_SAME_PERSON)
badge 04D10000000001
ok "the same person twice is not two witnesses" wait_more destruction.witness_refused "$r" WITNESS_SAME_PERSON
gpio "set shredder_motor 1" >/dev/null; sleep 0.2
a=$(n_kind destruction.one_witness)
sim "place 2 1 $T3"
ok "the throat read with one witness: destruction.one_witness" wait_more destruction.one_witness "$a" DESTRUCTION_ONE_WITNESS
is "the alarm names the one witness" '["W1"]' "$(pj destruction.one_witness '$.witnesses')"
contains "and cites the throat read" ",$(throat_ev "$T3")," \
	",$(vt_sql "SELECT cites FROM ledger WHERE kind='destruction.one_witness' ORDER BY seq DESC LIMIT 1"),"
is "the medium is not destroyed" at-destruction "$(status M3)"
sim "remove 2 $T3"; gpio "set shredder_motor 0" >/dev/null; sleep 0.2

# 4. The tag read again within the quiet window.
T4=E20000000000000000000004
sim "place 1 1 $T4"; sleep 0.3
V destroy start --order O4
badge 04D10000000001; badge 04D10000000002
wait_more destruction.witnessed 2
gpio "set shredder_motor 1" >/dev/null; sleep 0.2
s=$(n_kind destruction.shredded)
sim "remove 1 $T4"; sim "place 2 1 $T4"
wait_more destruction.shredded "$s"
sim "remove 2 $T4"; sleep 0.2; f=$(n_kind destruction.failed)
sim "place 1 1 $T4"
ok "a read on the shelf during the quiet window: destruction.failed" wait_more destruction.failed "$f" DESTRUCTION_READ_AGAIN
contains "naming where it was read" "SH-1" "$(pj destruction.failed '$.detail')"
is "the medium is back in-vault (read on a storage shelf), not destroyed" in-vault "$(status M4)"
is "the order is not done" approved "$(state O4)"
gpio "set shredder_motor 0" >/dev/null

# 4b. A reader down during the quiet window proves nothing.
T9=E20000000000000000000009
fl=$(n_kind shelf.fault)
sim "silence 1 on"
ok "the storage shelf goes silent: shelf.fault" wait_more shelf.fault "$fl"
V destroy start --order O9
badge 04D10000000001; badge 04D10000000002
wait_more destruction.witnessed 3
gpio "set shredder_motor 1" >/dev/null; sleep 0.2
f=$(n_kind destruction.failed DESTRUCTION_READER_DOWN)
sim "place 2 1 $T9"; sleep 0.3; sim "remove 2 $T9"
ok "with a reader down, the quiet window ends in destruction.failed" \
	wait_more destruction.failed "$f" DESTRUCTION_READER_DOWN
is "the medium is missing (its last read was the throat, then nothing), not destroyed" missing "$(status M9)"
gpio "set shredder_motor 0" >/dev/null
sim "silence 1 off"

# 5. A tag nobody started a destruction for.
T5=E20000000000000000000005
u=$(n_kind destruction.unexpected)
sim "place 2 1 $T5"
ok "a registered medium at the throat with no order started: destruction.unexpected" \
	wait_more destruction.unexpected "$u" DESTRUCTION_UNEXPECTED
is "the alarm names the medium" M5 "$(vt_sql "SELECT medium FROM ledger WHERE kind='destruction.unexpected' ORDER BY seq DESC LIMIT 1")"
is "whose status is unchanged" in-vault "$(status M5)"
sim "remove 2 $T5"; sleep 0.2

# 6. Handover to an outside facility. The operator is one of its two persons:
# W1 (Unix user daemon) runs it; the order's orderer (SV) and approver (admin)
# may not, any more than they may be the second person.
handover() { # [RUNNER...]: destroy handover of O6 by the caller
	"$@" "$VAULTCTL" destroy handover --order O6 --facility "City Shredding Co." --certificate "CSC-2291"
}
sleep 1.2 # no badge at the shredder reader within station_window_s
out=$(handover as_w1); rc=$?
is "a handover without a second person is refused" 1 "$rc"
contains "named HANDOVER_NO_SECOND" HANDOVER_NO_SECOND "$out"
is "and ledgered" 1 "$(n_kind admin.refused HANDOVER_NO_SECOND)"
present shredder 04D10000000004; sleep 0.4
out=$(handover as_w1); rc=$?
is "the orderer cannot be the second person of a handover" 1 "$rc"
contains "(SELF_WITNESS)" SELF_WITNESS "$out"
unpresent shredder
present shredder 04D10000000002; sleep 0.4
r=$(n_kind admin.refused SELF_WITNESS)
out=$(handover); rc=$?
is "the order's approver (admin) cannot run its handover as operator" 1 "$rc"
contains "refused SELF_WITNESS" SELF_WITNESS "$out"
is "the refusal is ledgered with its reason" $((r + 1)) "$(n_kind admin.refused SELF_WITNESS)"
is "naming the approver as the caller" admin "$(last_actors admin.refused)"
contains "and as the operator" "the operator admin may not take part" "$(last_payload admin.refused)"
out=$(handover as_nobody); rc=$?
is "the order's orderer (SV) cannot run its handover as operator" 1 "$rc"
contains "refused SELF_WITNESS" SELF_WITNESS "$out"
is "also ledgered" "$((r + 2)) SV" "$(n_kind admin.refused SELF_WITNESS) $(last_actors admin.refused)"
is "neither refusal hands anything over" "0 in-vault approved" "$(order_entries O6) $(status M6) $(state O6)"
T6=E20000000000000000000006
r=$(n_kind admin.refused HANDOVER_TAG_UNREAD)
out=$(handover as_w1); rc=$?
is "a handover of a medium that no reader reads is refused" 1 "$rc"
contains "named HANDOVER_TAG_UNREAD, naming the tag and the pad" "$T6 is not read on kiosk-pad" "$out"
is "and ledgered" $((r + 1)) "$(n_kind admin.refused HANDOVER_TAG_UNREAD)"
sim "place 1 1 $T6"; sleep 0.4
out=$(handover as_w1); rc=$?
is "nor one whose tag is on a storage shelf, not on the pad" "1 $((r + 2))" "$rc $(n_kind admin.refused HANDOVER_TAG_UNREAD)"
sim "remove 1 $T6"; sim "place 3 1 $T6"
for _ in $(seq 100); do [ -n "$(vt_sql "SELECT id FROM sensor_event WHERE source='kiosk-pad' AND kind='tag.arrived' AND instr(data,'$T6')>0")" ] && break; sleep 0.05; done
padev=$(vt_sql "SELECT max(id) FROM sensor_event WHERE source='kiosk-pad' AND kind='tag.arrived' AND instr(data,'$T6')>0")
out=$(handover as_w1); rc=$?
is "with M6 on the pad, a handover by a third person with a second person's badge is recorded" 0 "$rc"
unpresent shredder
sim "remove 3 $T6"
is "destruction.handover names the operator and the second person" "W1,W2" "$(last_actors destruction.handover)"
is "both are its witnesses" '["W1","W2"]' "$(pj destruction.handover '$.witnesses')"
is "with the facility" "City Shredding Co." "$(pj destruction.handover '$.facility')"
is "and the facility's certificate" CSC-2291 "$(pj destruction.handover '$.certificate')"
is "the medium is handed-over, the order done" "handed-over done" "$(status M6) $(state O6)"
hcites=$(vt_sql "SELECT cites FROM ledger WHERE kind='destruction.handover'")
is "the handover cites the second person's badge read and M6's read on the pad" \
	"shredder badge.arrived|kiosk-pad tag.arrived $padev" \
	"$(vt_sql "SELECT group_concat(x, '|') FROM (SELECT source || ' ' || kind || CASE source WHEN 'kiosk-pad' THEN ' ' || id ELSE '' END AS x FROM sensor_event WHERE id IN (${hcites:-0}) ORDER BY id)")"
contains "its certificate prints from the ledger" "Facility:        City Shredding Co." \
	"$("$VAULTCTL" destroy certificate --order O6)"

# 6b. Cancelling an order: supervisor or admin, from requested or approved.
for i in 14 15; do
	V medium add --id M$i --tag "E2$(printf %022d "$i")" --title "Sheet $i" \
		--classification secret --home-shelf SH-1
	as_nobody "$VAULTCTL" destroy-order add --id O$i --medium M$i >/dev/null
done
V destroy-order approve --id O14 # O15 stays requested
out=$(as_w1 "$VAULTCTL" destroy-order cancel --id O14 --reason "kept" 2>&1); rc=$?
is "a custodian cannot cancel a destruction order" 1 "$rc"
contains "(ADMIN_ROLE_DENIED)" ADMIN_ROLE_DENIED "$out"
is "the order stays approved" approved "$(state O14)"
c=$(n_kind destruction.order_cancelled)
out=$(as_nobody "$VAULTCTL" destroy-order cancel --id O14 --reason "project extended: sheet kept"); rc=$?
is "a supervisor cancels an approved order" 0 "$rc"
is "destruction.order_cancelled is ledgered" $((c + 1)) "$(n_kind destruction.order_cancelled)"
is "by the supervisor, for the order's medium" "SV M14" \
	"$(last_actors destruction.order_cancelled) $(vt_sql "SELECT medium FROM ledger WHERE kind='destruction.order_cancelled' ORDER BY seq DESC LIMIT 1")"
is "with the order, what it was and the reason" "O14|approved|project extended: sheet kept" \
	"$(vt_sql "SELECT json_extract(payload,'$.order') || '|' || json_extract(payload,'$.was') || '|' || json_extract(payload,'$.reason') FROM ledger WHERE kind='destruction.order_cancelled' ORDER BY seq DESC LIMIT 1")"
is "the order is cancelled, its medium untouched" "cancelled in-vault" "$(state O14) $(status M14)"
r=$(n_kind admin.refused DESTROY_ORDER_STATE)
out=$("$VAULTCTL" destroy start --order O14); rc=$?
is "destroy start of a cancelled order is refused" 1 "$rc"
contains "named DESTROY_ORDER_STATE" DESTROY_ORDER_STATE "$out"
contains "saying it is cancelled" "O14 is cancelled" "$out"
present shredder 04D10000000002; sleep 0.4
out=$(as_w1 "$VAULTCTL" destroy handover --order O14 --facility "City Shredding Co." --certificate "CSC-2292"); rc=$?
unpresent shredder
is "destroy handover of a cancelled order is refused" 1 "$rc"
contains "named DESTROY_ORDER_STATE" DESTROY_ORDER_STATE "$out"
out=$("$VAULTCTL" destroy-order cancel --id O14 2>&1); rc=$?
is "an order cannot be cancelled twice" 1 "$rc"
contains "named DESTROY_ORDER_STATE" "DESTROY_ORDER_STATE" "$out"
is "the three refusals are ledgered" $((r + 3)) "$(n_kind admin.refused DESTROY_ORDER_STATE)"
is "nothing else is recorded for the order" "1 cancelled in-vault" "$(order_entries O14) $(state O14) $(status M14)"
out=$("$VAULTCTL" destroy-order approve --id O14 2>&1); rc=$?
is "nor approved again" 1 "$rc"
out=$("$VAULTCTL" destroy-order cancel --id O6 2>&1); rc=$?
is "an order done (handed over) cannot be cancelled" 1 "$rc"
contains "named DESTROY_ORDER_STATE" DESTROY_ORDER_STATE "$out"
ok "the admin cancels a requested order, without a reason" V destroy-order cancel --id O15
is "which is cancelled, its reason empty" "cancelled " \
	"$(state O15) $(vt_sql "SELECT json_extract(payload,'$.reason') FROM ledger WHERE kind='destruction.order_cancelled' ORDER BY seq DESC LIMIT 1")"
# Not while a destruction of the order is under way.
ok "a destruction of O2 starts" V destroy start --order O2
r=$(n_kind admin.refused DESTROY_ORDER_UNDER_WAY)
out=$("$VAULTCTL" destroy-order cancel --id O2 2>&1); rc=$?
is "cancelling an order under way at the station is refused" 1 "$rc"
contains "named DESTROY_ORDER_UNDER_WAY" DESTROY_ORDER_UNDER_WAY "$out"
is "and ledgered" $((r + 1)) "$(n_kind admin.refused DESTROY_ORDER_UNDER_WAY)"
contains "the destruction goes on" '"stage":"armed"' "$("$VAULTCTL" destroy status)"
is "the order stays approved" approved "$(state O2)"
ok "destroy abort ends it" V destroy abort --order O2
ok "after which the order can be cancelled" V destroy-order cancel --id O2 --reason "aborted"
is "O2 is cancelled, M2 in-vault" "cancelled in-vault" "$(state O2) $(status M2)"
# A medium left at the shredder by an alarm (M3, section 3) does not stay
# at-destruction once its order is gone: the throat no longer reads it, so it
# is missing until a shelf reads it again.
is "M3 was left at-destruction by the one-witness alarm" at-destruction "$(status M3)"
ok "its order O3 is cancelled" V destroy-order cancel --id O3 --reason "not shredded"
is "the medium is missing (read on no shelf), not at-destruction" missing "$(status M3)"
is "the cancel entry says so" missing "$(pj destruction.order_cancelled '$.medium_status')"
f=$(n_kind medium.found)
sim "place 1 1 E20000000000000000000003"
ok "read on its shelf again: medium.found" wait_more medium.found "$f"
is "and back in-vault" in-vault "$(status M3)"

# 7. vaultd killed after destruction.shredded: interrupted on restart.
T7=E20000000000000000000007
V destroy start --order O7
badge 04D10000000001; badge 04D10000000002
wait_more destruction.witnessed 4
gpio "set shredder_motor 1" >/dev/null; sleep 0.2
s=$(n_kind destruction.shredded)
sim "place 2 1 $T7"
wait_more destruction.shredded "$s"
sim "remove 2 $T7"; sleep 0.1
kill -9 "$VAULTD_PID"; wait "$VAULTD_PID" 2>/dev/null; VAULTD_PID=
ok "vaultd restarts after SIGKILL" vt_start
ok "the destruction under way ends as destruction.interrupted" wait_more destruction.interrupted 0 DESTRUCTION_INTERRUPTED
is "the medium is missing (the quiet window was not proven), not destroyed" missing "$(status M7)"
is "the order is not stuck: approved, not done" approved "$(state O7)"
contains "the station is idle" '"stage":"idle"' "$("$VAULTCTL" destroy status)"

# 8. vaultd killed before the throat read: aborted on restart.
V destroy start --order O8
kill -9 "$VAULTD_PID"; wait "$VAULTD_PID" 2>/dev/null; VAULTD_PID=
a=$(n_kind destruction.aborted DESTRUCTION_RESTART)
vt_start
ok "a destruction started before a SIGKILL ends as destruction.aborted (restart)" \
	wait_more destruction.aborted "$a" DESTRUCTION_RESTART
is "the medium is back in-vault" in-vault "$(status M8)"

# 9. The bin door open at destroy start: refused, nothing else changes.
for _ in $(seq 50); do [ -S "$T/gpio.sock" ] && break; sleep 0.05; done
ok "the bin door opens" bin 1
r=$(n_kind admin.refused DESTRUCTION_BIN_OPEN)
out=$("$VAULTCTL" destroy start --order O10); rc=$?
is "destroy start with the bin door open is refused" 1 "$rc"
contains "named DESTRUCTION_BIN_OPEN" DESTRUCTION_BIN_OPEN "$out"
is "the refusal is ledgered once" $((r + 1)) "$(n_kind admin.refused DESTRUCTION_BIN_OPEN)"
contains "naming the bin door's sensor event" "sensor event $(bin_ev 1)" "$(last_payload admin.refused)"
is "nothing else changes: no destruction entry, medium in-vault, order approved" "0 in-vault approved" \
	"$(order_entries O10) $(status M10) $(state O10)"
contains "the station stays idle" '"stage":"idle"' "$("$VAULTCTL" destroy status)"

# 10. The bin door opened in the quiet window: not confirmed.
T10=E2$(printf %022d 10)
bin 0
ok "with the bin door closed the destruction starts and is witnessed" witnessed O10
gpio "set shredder_motor 1" >/dev/null; sleep 0.2
s=$(n_kind destruction.shredded)
sim "place 2 1 $T10"
ok "the throat read with the motor running and the bin closed: destruction.shredded" \
	wait_more destruction.shredded "$s"
is "which records the bin door closed" closed "$(pj destruction.shredded '$.bin')"
sim "remove 2 $T10"; sleep 0.2
f=$(n_kind destruction.failed DESTRUCTION_BIN_OPENED)
bin 1
ok "the bin door opens in the quiet window: destruction.failed DESTRUCTION_BIN_OPENED" \
	wait_more destruction.failed "$f" DESTRUCTION_BIN_OPENED
contains "the alarm cites the bin door's sensor event" ",$(bin_ev 1)," ",$(cites destruction.failed),"
contains "and the throat read" ",$(throat_ev "$T10")," ",$(cites destruction.failed),"
is "the medium is missing (it may have been taken out of the bin), not destroyed" missing "$(status M10)"
is "the alarm says so" missing "$(vt_sql "SELECT json_extract(payload,'$.medium_status') FROM ledger WHERE kind='destruction.failed' AND json_extract(payload,'$.code')='DESTRUCTION_BIN_OPENED'")"
is "the order is not done" approved "$(state O10)"
sleep 2.2 # the quiet window would have ended by now
is "no destruction.confirmed for the order" 0 "$(vt_sql "SELECT count(*) FROM ledger WHERE kind='destruction.confirmed' AND json_extract(payload,'$.order')='O10'")"
out=$("$VAULTCTL" destroy certificate --order O10); rc=$?
is "and no certificate (exit 1)" 1 "$rc"
gpio "set shredder_motor 0" >/dev/null

# 11. The bin door open at the throat read, or closed just before it.
T11=E2$(printf %022d 11)
bin 0
witnessed O11
gpio "set shredder_motor 1" >/dev/null; sleep 0.2
bin 1
f=$(n_kind destruction.failed DESTRUCTION_BIN_OPEN)
sim "place 2 1 $T11"
ok "the throat read with the bin door open: destruction.failed DESTRUCTION_BIN_OPEN" \
	wait_more destruction.failed "$f" DESTRUCTION_BIN_OPEN
contains "citing the bin door's opening" ",$(bin_ev 1)," ",$(cites destruction.failed),"
is "nothing was recorded as shredded" 0 "$(vt_sql "SELECT count(*) FROM ledger WHERE kind='destruction.shredded' AND json_extract(payload,'$.order')='O11'")"
is "the medium stays at-destruction (the throat reads it), the order approved" "at-destruction approved" \
	"$(status M11) $(state O11)"
sim "remove 2 $T11"; sleep 0.2
bin 0
witnessed O11
bin 1; bin 0
f=$(n_kind destruction.failed DESTRUCTION_BIN_OPEN)
sim "place 2 1 $T11"
ok "closed again less than motor_grace_ms before the throat read: DESTRUCTION_BIN_OPEN" \
	wait_more destruction.failed "$f" DESTRUCTION_BIN_OPEN
contains "the detail says so" "closed within motor_grace_ms" "$(pj destruction.failed '$.detail')"
sim "remove 2 $T11"; gpio "set shredder_motor 0" >/dev/null; sleep 0.2

# 12. A site without a bin-door sensor: confirmed as before, the bin unwatched.
vt_stop
printf '%s\n' "[gpio]" "shredder_bin = none" >>"$T/vault.ini"
ok "vaultd starts with [gpio] shredder_bin = none" vt_start
for _ in $(seq 50); do [ -S "$T/gpio.sock" ] && break; sleep 0.05; done
contains "the GPIO sim has no bin-door line" "err line not configured" "$(gpio "set shredder_bin 1")"
contains "destroy status shows the bin unwatched" '"bin":"not watched"' "$("$VAULTCTL" destroy status)"
T12=E2$(printf %022d 12)
witnessed O12
gpio "set shredder_motor 1" >/dev/null; sleep 0.2
s=$(n_kind destruction.shredded)
sim "place 2 1 $T12"
wait_more destruction.shredded "$s"
c=$(n_kind destruction.confirmed)
sim "remove 2 $T12"; sleep 0.2; gpio "set shredder_motor 0" >/dev/null
ok "without the sensor the destruction is confirmed as before" wait_more destruction.confirmed "$c"
is "the medium is destroyed, the order done" "destroyed done" "$(status M12) $(state O12)"
is "the confirmation says the bin was not watched" "not watched" "$(pj destruction.confirmed '$.bin')"
contains "and what the sensors do not prove says so" "the bin was not watched" \
	"$(pj destruction.confirmed '$.does_not_prove')"
is "no bin-door event is evidence" 0 "$(vt_sql "SELECT count(*) FROM ledger l, json_each(l.payload,'$.evidence') e WHERE l.kind='destruction.confirmed' AND json_extract(l.payload,'$.order')='O12' AND json_extract(e.value,'$.kind') GLOB 'shredder_bin.*'")"
cert=$("$VAULTCTL" destroy certificate --order O12)
contains "the certificate prints the bin unwatched" "Bin door:        not watched" "$cert"
contains "and the statement" "the bin was not watched" "$cert"

# 13. The shredder reader probed during a destruction, with a budget of 2
# refusals a minute: the first two unknown cards are station.refused and
# destruction.witness_refused; from the third the reader is flooded and its
# refusals are counted once (station.refused.batch), not refused again as
# witnesses one by one.
V medium add --id M13 --tag "E2$(printf %022d 13)" --title "Sheet 13" --classification secret --home-shelf SH-1
chmod 666 "$T/vaultd.sock" # a restarted vaultd made its socket anew
as_nobody "$VAULTCTL" destroy-order add --id O13 --medium M13 >/dev/null
V destroy-order approve --id O13
vt_stop
printf '%s\n' "[reader]" "refusal_limit = 2" >>"$T/vault.ini"
ok "vaultd restarts with [reader] refusal_limit = 2" vt_start
ok "a destruction of O13 starts" V destroy start --order O13
w=$(n_kind destruction.witness_refused) sr=$(n_kind station.refused)
for u in 08D10001 08D10002 08D10003 08D10004 08D10005; do
	emu shredder "place iso14443a $u" >/dev/null; sleep 0.4; unpresent shredder
done
ok "and is aborted" V destroy abort --order O13
is "two refused alone at the station, then the shredder reader is flooded" "2 1" \
	"$(($(n_kind station.refused) - sr)) $(vt_sql "SELECT count(*) FROM ledger WHERE kind='alarm.reader_flood' AND json_extract(payload,'$.source')='shredder'")"
is "only those two are refused as witnesses" 2 "$(($(n_kind destruction.witness_refused) - w))"
vt_stop
is "the three counted are in the batch a clean stop ledgers" 3 \
	"$(vt_sql "SELECT sum(json_extract(payload,'$.refused')) FROM ledger WHERE kind='station.refused.batch' AND json_extract(payload,'$.source')='shredder'")"
n=$(vt_sql "SELECT count(*) FROM (SELECT json_extract(payload,'$.order') o, kind, max(seq) FROM ledger WHERE kind IN ('destruction.started','destruction.witnessed','destruction.shredded','destruction.confirmed','destruction.aborted','destruction.failed','destruction.no_motor','destruction.one_witness','destruction.interrupted','destruction.handover') GROUP BY o) WHERE kind IN ('destruction.started','destruction.witnessed','destruction.shredded')")
is "no destruction is left under way in the ledger" 0 "$n"
ok "the ledger verifies" "$VAULTCTL" verify
vt_done
