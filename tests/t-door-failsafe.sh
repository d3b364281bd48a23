# SPDX-License-Identifier: MIT
# The door fails secure, end to end (vaultd as a real process, the badge read
# by libnfc from a PN532 emulator, keypad and lines through the GPIO sim):
# - the database stops committing (tests/preload-fsync-fail.c: fdatasync and
#   fsync fail with EIO while a file exists): a grant that cannot be ledgered
#   does not unlock, and any failed ledger write (here an admin's change)
#   ends an unlock under way at once;
# - the fire input: ledgered (citing its sensor event) and listed as an
#   alarm; without [door] fire_release the door stays locked; with it the
#   door is held released for the whole fire, through a grant, its relock
#   and a ledger failure, and locks when the fire clears;
# - the exit button pressed while nobody is recorded inside: an alarm;
# - a badge re-keyed in the registry: the card with the old key is refused;
# - the power-fail input: power.fail, then a clean stop with the lock off;
# - the keep-alive output ([gpio] keepalive) toggles while the loop runs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-door.sh"
command -v socat >/dev/null || skip_all "socat is missing"
FAIL=$T/fsync-fail
config() { # FIRE_RELEASE
	vt_config "[reader]" "door = pn532_uart:$T/door-pty" \
		"[door]" "unlock_s = 3" "held_s = 30" "pin_timeout_s = 4" "fire_release = $1" \
		"[gpio]" "debounce_ms = 5" "keepalive = 11" "keepalive_ms = 50"
}
start() { LD_PRELOAD=$B/tests/fsync-fail.so VT_FSYNC_FAIL=$FAIL vt_start && gpio_ready; }
gpio_ready() { for _ in $(seq 50); do [ -S "$T/gpio.sock" ] && return 0; sleep 0.05; done; return 1; }
config 0
"$VAULTCTL" init --admin-user "$(id -un)" >/dev/null
emu_start door && emu_start enrol || { echo "not ok 1 - emulators"; exit 1; }
ok "vaultd starts (fsync failures injectable)" start

V() { "$VAULTCTL" "$@" >/dev/null; }
custodian_c1
log_has() { # TEXT: within 5 s
	for _ in $(seq 100); do grep -q "$1" "$T/vaultd.log" && return 0; sleep 0.05; done; return 1
}
lock_is() { # LEVEL: within 2 s
	for _ in $(seq 40); do [ "$(lock_level)" = "$1" ] && return 0; sleep 0.05; done; return 1
}
door_open() { gpio "set door_a $1" >/dev/null; gpio "set door_b $1" >/dev/null; }

# ---- 0. the keep-alive output toggles while the loop runs ----------------------------
watch_keepalive() { # SECONDS: the keep-alive levels pushed meanwhile, one per line
	{ echo watch; sleep "$1"; } | socat -t 0.2 - "UNIX-CONNECT:$T/gpio.sock" |
		sed -n 's/^out keepalive \([01]\)$/\1/p'
}
watch_keepalive 1 >"$T/ka"
n=$(wc -l <"$T/ka")
ok "the keep-alive output toggles every 50 ms ($n changes in 1 s)" test "$n" -ge 10 -a "$n" -le 25
is "alternating 0 and 1" 0 "$(uniq -d "$T/ka" | wc -l)"
kill -STOP "$VAULTD_PID"; sleep 0.5; kill -CONT "$VAULTD_PID"
ok "and again after the loop was stalled" test "$(watch_keepalive 0.5 | wc -l)" -ge 4

# ---- 1. the grant cannot be ledgered: no unlock ------------------------------------
g=$(n_kind entry.granted)
touch "$FAIL"
badge_pin 04A10000000001 1357
ok "a grant whose ledger commit fails is logged" log_has "grant for C1 not recorded: door stays locked"
sleep 0.5
is "the lock stayed off" 0 "$(lock_level)"
is "and no entry.granted is in the ledger" "$g" "$(n_kind entry.granted)"
unpresent door
rm -f "$FAIL"

# ---- 2. any failed ledger write ends an unlock under way ---------------------------
badge_pin 04A10000000001 1357
ok "the disk back: the next grant is ledgered" wait_more entry.granted "$g"
ok "and the lock energised" lock_is 1
touch "$FAIL"
out=$("$VAULTCTL" unit add --id U9 --name "During the fault" 2>&1); rc=$?
is "an admin's change during the fault is refused (exit 1)" 1 "$rc"
contains "with the database's code" DB_ERROR "$out"
is "and the unlock ended at once (unlock_s is 3 s)" 0 "$(lock_level)"
ok "the log says so" grep -q "the ledger failed: the unlock for C1 ends now" "$T/vaultd.log"
rm -f "$FAIL"
unpresent door
ok "the disk back: the change goes through" "$VAULTCTL" unit add --id U9 --name "After the fault"
is "once" 1 "$(vt_sql "SELECT count(*) FROM ledger WHERE kind='registry.unit.add' AND instr(payload,'U9')>0")"

# ---- 3. the exit button with nobody inside --------------------------------------
a=$(n_kind alarm.rex_unoccupied); o=$(n_kind door.opened_from_inside)
gpio "set rex 1" >/dev/null
ok "REX pressed with nobody recorded inside: alarm.rex_unoccupied" wait_more alarm.rex_unoccupied "$a"
cites=$(vt_sql "SELECT cites FROM ledger WHERE kind='alarm.rex_unoccupied' ORDER BY seq DESC LIMIT 1")
is "with its code, citing the REX line's event" "REX_UNOCCUPIED|rex.1" \
	"$(vt_sql "SELECT json_extract(payload,'$.code') FROM ledger WHERE kind='alarm.rex_unoccupied' ORDER BY seq DESC LIMIT 1")|$(vt_sql "SELECT kind FROM sensor_event WHERE id=${cites:-0}")"
gpio "set rex 0" >/dev/null
door_open 1
ok "the door opening after it is door.opened_from_inside" wait_more door.opened_from_inside "$o"
contains "by REX" '"by":"rex"' "$(last_payload door.opened_from_inside)"
door_open 0

# ---- 4. fire without fire_release: alarmed, the door stays locked -----------------
f=$(n_kind fire.alarm)
gpio "set fire 1" >/dev/null
ok "the fire input: fire.alarm" wait_more fire.alarm "$f"
cites=$(vt_sql "SELECT cites FROM ledger WHERE kind='fire.alarm' ORDER BY seq DESC LIMIT 1")
is "citing the fire line's sensor event, release false" "fire.1|0" \
	"$(vt_sql "SELECT kind FROM sensor_event WHERE id=${cites:-0}")|$(vt_sql "SELECT json_extract(payload,'$.release') FROM ledger WHERE kind='fire.alarm' ORDER BY seq DESC LIMIT 1")"
contains "listed as an alarm" '"kind":"fire.alarm","severity":"alarm"' "$("$VAULTCTL" alert list)"
sleep 0.3
is "the lock stays off" 0 "$(lock_level)"
c=$(n_kind fire.clear)
gpio "set fire 0" >/dev/null
ok "the fire clears: fire.clear" wait_more fire.clear "$c"
vt_stop

# ---- 5. fire with fire_release: released for the whole fire ------------------------
config 1
ok "vaultd restarts with fire_release = 1" start
gpio "set fire 1" >/dev/null
ok "the fire releases the door" lock_is 1
contains "fire.alarm says it released" '"release":true' "$(last_payload fire.alarm)"
o=$(n_kind door.opened_from_inside); fo=$(n_kind door.forced)
door_open 1
ok "the door opened during the fire: door.opened_from_inside" wait_more door.opened_from_inside "$o"
is "by the fire release, not door.forced" '"fire-release"|'"$fo" \
	"$(last_payload door.opened_from_inside | grep -o '"fire-release"')|$(n_kind door.forced)"
door_open 0
g=$(n_kind entry.granted); c=$(n_kind entry.confirmed)
badge_pin 04A10000000001 1357
ok "a custodian badges in during the fire: granted" wait_more entry.granted "$g"
door_open 1
ok "the door opens: entry.confirmed" wait_more entry.confirmed "$c"
is "the lock is not driven off by the entry's relock" 1 "$(lock_level)"
door_open 0
unpresent door
sleep 3.2
is "nor when the unlock would have ended" 1 "$(lock_level)"
a=$(n_kind alarm.rex_unoccupied)
gpio "set rex 1" >/dev/null; sleep 0.3; gpio "set rex 0" >/dev/null; sleep 0.2
is "REX with C1 inside raises no alarm" "$a" "$(n_kind alarm.rex_unoccupied)"
touch "$FAIL"
"$VAULTCTL" unit add --id U8 --name "During fire and fault" >/dev/null 2>&1
is "a ledger failure during the fire leaves it released" 1 "$(lock_level)"
rm -f "$FAIL"
c=$(n_kind fire.clear)
gpio "set fire 0" >/dev/null
ok "the fire clears: fire.clear" wait_more fire.clear "$c"
ok "and the door locks" lock_is 0
touch "$FAIL"
gpio "set fire 1" >/dev/null
ok "a fire whose alarm cannot be ledgered still releases the door" lock_is 1
ok "and the log says so" log_has "fire: released although fire.alarm could not be ledgered"
rm -f "$FAIL"
gpio "set fire 0" >/dev/null
ok "it clears: locked" lock_is 0

# ---- 6. a badge re-keyed in the registry: the card with the old key is refused --
V badge update --id 04A10000000001 --key-version 2
r=$(n_kind entry.refused)
present door 04A10000000001
ok "the card still on key version 1 is refused" wait_more entry.refused "$r"
contains "as BADGE_KEY_VERSION" '"code":"BADGE_KEY_VERSION"' "$(last_payload entry.refused)"
is "the door stays locked" 0 "$(lock_level)"
unpresent door

# ---- 7. power fail: ledgered, a clean stop with the lock off -----------------------
p=$(n_kind power.fail)
gpio "set powerfail 1" >/dev/null
ok "the power-fail input: power.fail" wait_more power.fail "$p"
stopped() { for _ in $(seq 100); do kill -0 "$VAULTD_PID" 2>/dev/null || return 0; sleep 0.05; done; return 1; }
ok "and vaultd stops" stopped
wait "$VAULTD_PID"; rc=$?; VAULTD_PID=
is "cleanly (exit 0)" 0 "$rc"
is "power.fail, then vaultd.stop, last in the ledger" "power.fail vaultd.stop" \
	"$(vt_sql "SELECT kind FROM ledger ORDER BY seq DESC LIMIT 2" | tac | paste -sd' ')"
ok "the ledger verifies" "$VAULTCTL" verify
emu_stop_all
vt_done
