# SPDX-License-Identifier: MIT
# The PIN lockout survives a restart of vaultd (rebuilt from the ledger): a
# locked badge stays locked until its lock time runs out as it would have, a
# wrong-PIN count goes on, a right PIN still clears it. A PIN that cannot be
# read from the database is DB_ERROR, not a wrong PIN: it never locks a badge.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-door.sh"
command -v socat >/dev/null || skip_all "socat is missing"
LOCK_S=8
vt_init "[reader]" "door = pn532_uart:$T/door-pty" "kiosk = pn532_uart:$T/kiosk-pty" \
	"[http]" "enabled = 1" "port = 0" "static_root = $VAULT_SRC/web" \
	"[door]" "unlock_s = 2" "held_s = 30" "pin_timeout_s = 4" "[gpio]" "debounce_ms = 5" \
	"[pin]" "lockout_after = 3" "lockout_seconds = $LOCK_S"
emu_start door && emu_start kiosk && emu_start enrol || { echo "not ok 1 - emulators"; exit 1; }
gpio_ready() { for _ in $(seq 50); do [ -S "$T/gpio.sock" ] && return 0; sleep 0.05; done; return 1; }
restart() { vt_stop && vt_start && gpio_ready; }
vt_start && gpio_ready || { echo "not ok 1 - vaultd"; exit 1; }
custodian_c1
today=$(TZ=Asia/Shanghai date +%F)
"$VAULTCTL" person add --id C2 --name "Person C2" --role custodian --unit U1 >/dev/null
"$VAULTCTL" cert add --id CERT-C2 --person C2 --issued "$((${today%%-*} - 1))-01-10" >/dev/null
"$VAULTCTL" training add --id TR-C2 --person C2 --date "$today" >/dev/null
printf '2468\n' | "$VAULTCTL" pin set --id C2 >/dev/null
enrol C2 04A10000000002 || echo "# enrol C2 failed: $(tail -1 "$T/enrol.log")"
is "two badges enrolled" 2 "$(vt_sql "SELECT count(*) FROM badge")"

last_code() { vt_sql "SELECT json_extract(payload,'$.code') FROM ledger WHERE kind='entry.refused' ORDER BY seq DESC LIMIT 1"; }
try_pin() { # UID PIN: one presentation, until its refusal or grant is ledgered
	local r g
	r=$(n_kind entry.refused); g=$(n_kind entry.granted)
	badge_pin "$1" "$2"
	for _ in $(seq 200); do
		[ "$(n_kind entry.refused)" -gt "$r" ] || [ "$(n_kind entry.granted)" -gt "$g" ] && break
		sleep 0.05
	done
	unpresent door
}

# 1. Two wrong PINs, a restart, the third: the count went on.
try_pin 04A10000000002 0000; try_pin 04A10000000002 0000
is "C2: two wrong PINs are PIN_WRONG" PIN_WRONG "$(last_code)"
ok "vaultd restarts" restart
try_pin 04A10000000002 0000
is "the third wrong PIN after the restart locks C2 out" PIN_LOCKED "$(last_code)"

# 2. Locked out, a restart: still locked, until the lock ends as it would have.
for _ in 1 2 3; do try_pin 04A10000000001 0000; done
is "C1: three wrong PINs lock the badge out" PIN_LOCKED "$(last_code)"
locked_at=$(vt_sql "SELECT ts_utc FROM ledger WHERE kind='entry.refused' ORDER BY seq DESC LIMIT 1")
sleep 3 # the restart comes well into the lock: it must not start it again
ok "vaultd restarts while C1 is locked out" restart
g=$(n_kind entry.granted); l=$(n_kind entry.refused PIN_LOCKED)
try_pin 04A10000000001 1357
is "after the restart, C1 with the right PIN is refused" "PIN_LOCKED|$g" "$(last_code)|$(n_kind entry.granted)"
is "the refusal is ledgered" $((l + 1)) "$(n_kind entry.refused PIN_LOCKED)"
is "the door stayed locked" 0 "$(lock_level)"
# when the lock started + LOCK_S + a margin: not LOCK_S after the restart
left=$(((locked_at + LOCK_S * 1000000 - $(date +%s%6N)) / 1000 + 700))
[ "$left" -gt 0 ] && sleep "$(printf '%d.%03d' $((left / 1000)) $((left % 1000)))"
try_pin 04A10000000001 1357
is "once the lock time from the lockout has run out, the right PIN is accepted" \
	"$((g + 1))|C1" "$(n_kind entry.granted)|$(last_actors entry.granted)"

# 3. A right PIN clears the count, after a restart too.
try_pin 04A10000000001 0000
try_pin 04A10000000001 1357
try_pin 04A10000000001 0000
ok "vaultd restarts" restart
try_pin 04A10000000001 0000
is "wrong, right, wrong, restart, wrong: not locked (the right PIN cleared the count)" \
	PIN_WRONG "$(last_code)"
try_pin 04A10000000001 1357 # clears C1's count

# 4. The PIN cannot be read (the pin table's column gone): DB_ERROR, not counted.
g=$(n_kind entry.granted); w=$(n_kind entry.refused PIN_WRONG); l=$(n_kind entry.refused PIN_LOCKED)
d=$(n_kind entry.refused DB_ERROR)
sqlite3 -cmd ".timeout 5000" "$T/vault.db" "ALTER TABLE pin RENAME COLUMN duress_hash TO dh_gone"
for _ in 1 2 3; do try_pin 04A10000000001 1357; done
is "three PINs typed while the PIN cannot be read: three DB_ERROR refusals" $((d + 3)) \
	"$(n_kind entry.refused DB_ERROR)"
contains "naming the badge" '"badge":"04A10000000001"' "$(last_payload entry.refused)"
is "none is a wrong PIN or a lockout, none a grant" "$w|$l|$g" \
	"$(n_kind entry.refused PIN_WRONG)|$(n_kind entry.refused PIN_LOCKED)|$(n_kind entry.granted)"
is "the door stayed locked" 0 "$(lock_level)"
contains "logged as an error" "PIN of C1 not read" "$(cat "$T/vaultd.log")"
sqlite3 -cmd ".timeout 5000" "$T/vault.db" "ALTER TABLE pin RENAME COLUMN dh_gone TO duress_hash"
try_pin 04A10000000001 1357
is "the PIN readable again: C1 is not locked out, the right PIN opens" "$((g + 1))" \
	"$(n_kind entry.granted)"

# 5. Locked out at the kiosk (the same table): still locked after a restart.
if command -v curl >/dev/null; then
	. "$(dirname "$0")/lib-web.sh"
	web_port
	ok "C2's badge at the kiosk" at_station kiosk 04A10000000002
	# The PIN cannot be read: DB_ERROR at the kiosk too, not counted.
	sqlite3 -cmd ".timeout 5000" "$T/vault.db" "ALTER TABLE pin RENAME COLUMN duress_hash TO dh_gone"
	codes=
	for _ in 1 2 3; do login kiosk 2468; codes="$codes $S:$(j '$.code')"; done
	sqlite3 -cmd ".timeout 5000" "$T/vault.db" "ALTER TABLE pin RENAME COLUMN dh_gone TO duress_hash"
	is "three kiosk sign-ins while the PIN cannot be read: DB_ERROR each (503), not a wrong PIN" \
		" 503:DB_ERROR 503:DB_ERROR 503:DB_ERROR" "$codes"
	codes=
	for p in 0000 1234 0001; do login kiosk $p; codes="$codes $(j '$.code')"; done
	is "three wrong PINs at the kiosk lock C2 out" " PIN_WRONG PIN_WRONG PIN_LOCKED" "$codes"
	unpresent kiosk
	listening=$(grep -c "http listening" "$T/vaultd.log")
	ok "vaultd restarts" restart
	for _ in $(seq 100); do
		[ "$(grep -c "http listening" "$T/vaultd.log")" -gt "$listening" ] && break; sleep 0.05
	done
	web_port
	at_station kiosk 04A10000000002
	login kiosk 2468
	is "after the restart, C2 is still refused at the kiosk with the right PIN" \
		"401 PIN_LOCKED" "$(reply "$S")"
	l=$(n_kind entry.refused PIN_LOCKED)
	try_pin 04A10000000002 2468
	is "and at the door" "$((l + 1))|C2" "$(n_kind entry.refused PIN_LOCKED)|$(last_actors entry.refused)"
else
	skip "curl is missing" 5
fi
vt_stop
ok "the ledger verifies" "$VAULTCTL" verify
vt_done
