# SPDX-License-Identifier: MIT
# vaultd reading shelves configured in [bus.NAME] sections: three shelves on one
# RTU line (pty) and the kiosk pad over Modbus TCP, served by shelf-sim through
# the real libmodbus. Tags become sensor events; a silent shelf is a ledgered
# fault (contents kept) and its recovery is ledgered too.
. "$(dirname "$0")/lib.sh"
command -v socat >/dev/null || skip_all "socat is missing"
SIM=$B/shelf-sim
"$SIM" --tcp 0 --tcp-slaves 10:1 --rtu-link "$T/rtu" --slaves 1,2,3 --control "$T/shelf.ctl" \
	--scan-ms 10 --appear 1 --vanish 1 >"$T/sim.out" 2>"$T/sim.err" &
SIMPID=$!
trap 'vt_stop; kill $SIMPID 2>/dev/null; [ "${KEEP:-}" ] || rm -rf "$T"' EXIT
for _ in $(seq 100); do grep -q '^ready$' "$T/sim.out" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's/^tcp_port=//p' "$T/sim.out")
vt_init "[bus.shelves]" "kind = rtu" "device = $T/rtu" "baud = 115200" "rs485 = 1" \
	"shelves = 1:SH-1, 2:SH-2, 3:SH-3" "response_timeout_ms = 100" "poll_interval_ms = 20" \
	"[bus.kiosk]" "kind = tcp" "host = 127.0.0.1" "port = $port" "shelves = 10:kiosk-pad" \
	"response_timeout_ms = 100" "poll_interval_ms = 20"
ok "vaultd starts with an RTU bus of three shelves and a TCP kiosk pad" vt_start
sim() { printf '%s\n' "$1" | socat -t 2 - "UNIX-CONNECT:$T/shelf.ctl"; }
ev() { vt_sql "SELECT count(*) FROM sensor_event WHERE source='$1' AND kind='$2' AND instr(data,'$3')>0"; }
wait_ev() { for _ in $(seq 100); do [ "$(ev "$@")" -gt 0 ] && return 0; sleep 0.05; done; return 1; }
wait_kind() { for _ in $(seq 100); do [ "$(vt_sql "SELECT count(*) FROM ledger WHERE kind='$1'")" -gt "${2:-0}" ] && return 0; sleep 0.05; done; return 1; }
sim "place 2 1 E20000000000000000000002" >/dev/null
sim "place 10 1 E200000000000000000000AA" >/dev/null
ok "a tag placed on shelf 2 (RTU) is a tag.arrived sensor event" wait_ev SH-2 tag.arrived E20000000000000000000002
ok "a tag laid on the kiosk pad (TCP) is seen too" wait_ev kiosk-pad tag.arrived E200000000000000000000AA
sim "remove 2 E20000000000000000000002" >/dev/null
ok "its removal is a tag.departed event" wait_ev SH-2 tag.departed E20000000000000000000002
sim "place 3 1 E20000000000000000000003" >/dev/null
wait_ev SH-3 tag.arrived E20000000000000000000003
sim "silence 3 on" >/dev/null
ok "a silent shelf is a ledgered fault" wait_kind shelf.fault
contains "naming the shelf and the reason, contents kept" '"shelf":"SH-3","slave":3,"code":"SHELF_TIMEOUT"' \
	"$(vt_sql "SELECT payload FROM ledger WHERE kind='shelf.fault'")"
is "no departure is invented for the silent shelf's tag" 0 "$(ev SH-3 tag.departed E20000000000000000000003)"
sim "silence 3 off" >/dev/null
ok "its recovery is ledgered" wait_kind shelf.recovered
vt_stop
ok "the ledger verifies" "$VAULTCTL" verify
vt_config "[bus.bad]" "kind = rtu" "device = $T/rtu" "shelves = one:two"
out=$("$VAULTD" -c "$T/vault.ini" --check-config 2>&1); rc=$?
is "a malformed shelves list is a configuration error (exit 2)" 2 "$rc"
contains "naming the section" "[bus.bad] shelves" "$out"
vt_config "[bus.x]" "kind = carrier-pigeon"
out=$("$VAULTD" -c "$T/vault.ini" --check-config 2>&1); rc=$?
is "an unknown bus kind is a configuration error (exit 2)" 2 "$rc"
contains "with file:line" "vault.ini:" "$out"
vt_done
