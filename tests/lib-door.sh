# SPDX-License-Identifier: MIT
# Door test helpers: PN532 emulators (real libnfc path), the GPIO sim, and a
# site with enrolled badges. Sourced after lib.sh.
EMU=$B/pn532-emu
EMU_PIDS=""
emu_start() { # NAME: pty link $T/NAME-pty, control $T/NAME.ctl
	"$EMU" --link "$T/$1-pty" --control "$T/$1.ctl" >>"$T/emu-$1.log" 2>&1 &
	EMU_PIDS="$EMU_PIDS $!"
	eval "EMU_PID_$1=$!"
	for _ in $(seq 500); do [ -S "$T/$1.ctl" ] && [ -e "$T/$1-pty" ] && return 0; sleep 0.02; done
	return 1
}
emu_stop_all() { for p in $EMU_PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; EMU_PIDS=""; }
ctl() { printf '%s\n' "$2" | socat -t 2 - "UNIX-CONNECT:$1" 2>/dev/null; }
emu() { ctl "$T/$1.ctl" "$2"; }
gpio() { ctl "$T/gpio.sock" "$1"; }
trap 'vt_stop; emu_stop_all; [ "${KEEP:-}" ] || rm -rf "$T"' EXIT

# Count of ledger entries of a kind (optionally with a code in the payload).
n_kind() { vt_sql "SELECT count(*) FROM ledger WHERE kind='$1'${2:+ AND instr(payload,'\"$2\"')>0}"; }
# Wait until more than $2 entries of kind $1 exist (code $3 optional); 10 s.
wait_more() {
	for _ in $(seq 200); do
		[ "$(n_kind "$1" "${3:-}")" -gt "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
last_payload() { vt_sql "SELECT payload FROM ledger WHERE kind='$1' ORDER BY seq DESC LIMIT 1"; }
last_actors() { vt_sql "SELECT actors FROM ledger WHERE kind='$1' ORDER BY seq DESC LIMIT 1"; }

# Keypad: digits then '#', pressed and released on the matrix.
type_keys() {
	local s=$1 i c
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		gpio "press $c" >/dev/null
		sleep 0.06
		gpio release >/dev/null
		sleep 0.06
	done
}

# Enrol a badge for PERSON with UID on the enrolment emulator; remembers the
# card key in KEY_<UID> for presenting it at the door later.
enrol() { # PERSON UID
	emu enrol "place desfire-blank $2" >/dev/null
	"$VAULTCTL" badge issue --person "$1" --reader "pn532_uart:$T/enrol-pty" >>"$T/enrol.log" 2>&1 || return 1
	local k
	k=$(emu enrol "getkey 564c54 0")
	emu enrol remove >/dev/null
	eval "KEY_$2='${k#ok }'"
}
present() { # READER UID: the enrolled card, at the door or exit reader
	local v
	eval "v=\$KEY_$2"
	emu "$1" "place desfire $2 $v" >/dev/null
}
unpresent() { emu "$1" remove >/dev/null; sleep 0.15; }
badge_pin() { present door "$1"; sleep 0.3; type_keys "$2#"; } # UID PIN at the door
lock_level() { gpio "get lock" | awk '{print $2}'; }
# custodian_c1: unit U1, an all-week custodian schedule, and custodian C1
# (certified, trained, PIN 1357) with badge 04A10000000001 enrolled.
custodian_c1() {
	local today year
	today=$(TZ=Asia/Shanghai date +%F)
	year=${today%%-*}
	"$VAULTCTL" unit add --id U1 --name "Survey Institute" --first-time no >/dev/null
	"$VAULTCTL" schedule add --id W-c --role custodian --days 1-7 --start 00:00 --end 24:00 >/dev/null
	"$VAULTCTL" person add --id C1 --name "Person C1" --role custodian --unit U1 >/dev/null
	"$VAULTCTL" cert add --id CERT-C1 --person C1 --issued "$((year - 1))-01-10" >/dev/null
	"$VAULTCTL" training add --id TR-C1 --person C1 --date "$today" >/dev/null
	printf '1357\n' | "$VAULTCTL" pin set --id C1 >/dev/null
	enrol C1 04A10000000001 || echo "# enrol C1 failed: $(tail -1 "$T/enrol.log")"
}
