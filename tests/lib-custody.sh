# SPDX-License-Identifier: MIT
# Custody test site: shelf-sim serving two storage shelves (SH-1, SH-2) and the
# kiosk pad over Modbus TCP, the door with its readers, a custodian C1 (Unix
# user daemon) and staff S1 (nobody) and S2 (no Unix user), media of dataset
# "coast" on SH-1/SH-2 and an active approval AP1 for S1 (one medium out at
# once, AP1_QUANTITY in all: 1 unless set). Sourced after lib.sh
# and lib-door.sh. Needs root (vaultctl as other Unix users through setpriv).
[ "$(id -u)" = 0 ] || skip_all "acting as other Unix users (setpriv) needs root"
command -v socat >/dev/null || skip_all "socat is missing"
SIMPID=
trap 'vt_stop; emu_stop_all; [ -n "$SIMPID" ] && kill $SIMPID 2>/dev/null; [ "${KEEP:-}" ] || rm -rf "$T"' EXIT
today=$(TZ=Asia/Shanghai date +%F)
year=${today%%-*}
T1=E2000000000000000000C001 # M1 on SH-1
T2=E2000000000000000000C002 # M2 on SH-1
T3=E2000000000000000000C003 # M3 on SH-2
TX=E2000000000000000000CFFF # not registered

shelf_start() {
	"$B/shelf-sim" --tcp 0 --tcp-slaves 1:1,2:1,10:1 --control "$T/shelf.ctl" --scan-ms 10 \
		--appear 1 --vanish 1 >"$T/sim.out" 2>"$T/sim.err" &
	SIMPID=$!
	for _ in $(seq 100); do grep -q '^ready$' "$T/sim.out" 2>/dev/null && break; sleep 0.05; done
	SIMPORT=$(sed -n 's/^tcp_port=//p' "$T/sim.out")
}
sim() { printf '%s\n' "$1" | socat -t 2 - "UNIX-CONNECT:$T/shelf.ctl" >/dev/null; }
# slave ids: 1 = SH-1, 2 = SH-2, 10 = kiosk-pad
put() { sim "place $1 1 $2"; }
take() { sim "remove $1 $2"; }
custody_ini() { # extra lines
	printf '%s\n' "[bus.vault]" "kind = tcp" "host = 127.0.0.1" "port = $SIMPORT" \
		"shelves = 1:SH-1, 2:SH-2, 10:kiosk-pad" "response_timeout_ms = 100" \
		"poll_interval_ms = 20" "[reader]" "door = pn532_uart:$T/door-pty" \
		"exit = pn532_uart:$T/exit-pty" "[door]" "unlock_s = 2" "held_s = 60" \
		"[gpio]" "debounce_ms = 5" "[custody]" "removal_window_s = 4" \
		"return_window_s = 3" "inventory_settle_s = 1" "$@"
}
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups "$VAULTCTL" "$@"; }
V() { "$VAULTCTL" "$@" >/dev/null; }
site_setup() {
	chmod 666 "$T/vaultd.sock"
	V unit add --id U1 --name "Survey Institute" --first-time no
	for r in custodian staff; do V schedule add --id W-$r --role $r --days 1-7 --start 00:00 --end 24:00; done
	local p
	for p in C1:custodian:daemon S1:staff:nobody S2:staff:; do
		set -- ${p//:/ }
		V person add --id "$1" --name "Person $1" --role "$2" --unit U1 ${3:+--unix-user $3}
		V cert add --id "CERT-$1" --person "$1" --issued "$((year - 1))-01-10"
		V training add --id "TR-$1" --person "$1" --date "$today"
	done
	printf '1357\n' | "$VAULTCTL" pin set --id C1 >/dev/null
	V project add --id PR1 --name Coast --unit U1 --start "$((year - 1))-01-01" --end "$((year + 1))-06-30"
	V medium register --id M1 --tag "$T1" --title "Coast sheet 1" --dataset coast \
		--classification secret --home-shelf SH-1 --project PR1
	V medium register --id M2 --tag "$T2" --title "Coast sheet 2" --dataset coast \
		--classification secret --home-shelf SH-1 --project PR1
	V medium register --id M3 --tag "$T3" --title "Control points" --dataset coast \
		--classification confidential --home-shelf SH-2 --project PR1
	as nobody approval add --id AP1 --unit U1 --person S1 --purpose "coast revision" --scope dataset:coast \
		--project PR1 --max-out 1 --quantity "${AP1_QUANTITY:-1}" \
		--valid-from "$((year - 1))-01-01" --valid-to "$((year + 1))-12-31" >/dev/null
	V approval approve --id AP1
	[ "$(vt_sql "SELECT state FROM approval WHERE id='AP1'")" = active ] || echo "# AP1 not active"
}
# The sensor event a tag's latest arrival (or departure) on a shelf was stored as.
sev() { vt_sql "SELECT max(id) FROM sensor_event WHERE source='$1' AND kind='tag.$2' AND instr(data,'tag=$3')>0"; }
wait_sev() { for _ in $(seq 100); do [ -n "$(sev "$@")" ] && return 0; sleep 0.05; done; return 1; }
# Put a tag on slave $1 (shelf name $2) and wait for vaultd to store its arrival.
put_wait() {
	local before
	before=$(sev "$2" arrived "$3")
	put "$1" "$3"
	for _ in $(seq 100); do [ "$(sev "$2" arrived "$3")" != "$before" ] && return 0; sleep 0.05; done
	return 1
}
shelf_n() { vt_sql "SELECT count(*) FROM ledger WHERE kind='shelf.$1' AND json_extract(payload,'$.shelf')='$2'"; }
# shelf_silent SLAVE SHELF on|off: silence (or revive) a shelf-sim slave and wait
# until vaultd ledgers that shelf's fault (or recovery); fails if it does not.
shelf_silent() {
	local kind=fault n
	[ "$3" = off ] && kind=recovered
	n=$(shelf_n "$kind" "$2")
	sim "silence $1 $3"
	for _ in $(seq 200); do [ "$(shelf_n "$kind" "$2")" -gt "$n" ] && return 0; sleep 0.05; done
	return 1
}
status_of() { vt_sql "SELECT status FROM medium WHERE id='$1'"; }
# Enter the vault as C1 (badge + PIN, door contacts), leaving C1 inside.
enter_c1() {
	local c
	c=$(n_kind entry.confirmed)
	present door 04C10000000001; sleep 0.3; type_keys "1357#"
	for _ in $(seq 100); do [ "$(lock_level)" = 1 ] && break; sleep 0.05; done
	gpio "set door_a 1" >/dev/null; gpio "set door_b 1" >/dev/null
	wait_more entry.confirmed "$c"
	gpio "set door_a 0" >/dev/null; gpio "set door_b 0" >/dev/null
	unpresent door
}
# custody_site [extra ini lines]: the site above with vaultd running, its door
# emulators started and C1's badge (04C10000000001) enrolled.
custody_site() {
	local ini
	mapfile -t ini < <(custody_ini "$@")
	vt_init "${ini[@]}"
	emu_start door && emu_start exit && emu_start enrol || { echo "not ok 1 - emulators"; exit 1; }
	ok "vaultd starts with the shelves, the pad and the door" vt_start
	site_setup
	enrol C1 04C10000000001 || echo "# enrol C1 failed: $(tail -1 "$T/enrol.log")"
}
