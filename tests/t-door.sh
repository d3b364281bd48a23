# SPDX-License-Identifier: MIT
# The vault door end to end: vaultd as a real process, badges read by libnfc +
# libfreefare from PN532 emulators on ptys, the keypad, lock and contacts
# through the GPIO sim from outside the process.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-door.sh"
command -v socat >/dev/null || skip_all "socat is missing"
today=$(TZ=Asia/Shanghai date +%F)
year=${today%%-*}
vt_init "[reader]" "door = pn532_uart:$T/door-pty" "exit = pn532_uart:$T/exit-pty" \
	"[door]" "unlock_s = 2" "held_s = 2" "pin_timeout_s = 4" "[gpio]" "debounce_ms = 5" \
	"[pin]" "lockout_after = 3" "lockout_seconds = 60"
emu_start door && emu_start exit && emu_start enrol || { echo "not ok 1 - emulators"; exit 1; }
ok "vaultd starts with both readers and the GPIO sim" vt_start
for _ in $(seq 50); do [ -S "$T/gpio.sock" ] && break; sleep 0.05; done
is "the lock is off from the start" 0 "$(lock_level)"

V() { "$VAULTCTL" "$@" >/dev/null; }
V unit add --id U1 --name "Survey Institute" --first-time no
V unit add --id U2 --name "Suspended Co" --first-time no
for r in custodian staff visitor; do V schedule add --id W-$r --role $r --days 1-7 --start 00:00 --end 24:00; done
person() { # ID ROLE UNIT CERT_ISSUED TRAINING_DATE PIN
	V person add --id "$1" --name "Person $1" --role "$2" --unit "$3"
	[ -n "$4" ] && V cert add --id "CERT-$1" --person "$1" --issued "$4"
	[ -n "$5" ] && V training add --id "TR-$1" --person "$1" --date "$5"
	printf '%s\n%s\n' "$6" "9${6}" | "$VAULTCTL" pin set --id "$1" --with-duress >/dev/null
}
person C1 custodian U1 "$((year - 1))-01-10" "$today" 1357
person C2 custodian U1 "$((year - 1))-01-10" "$today" 2468
person X1 custodian U1 "$((year - 6))-01-10" "$today" 1111      # certificate expired
person X2 custodian U1 "$((year - 1))-01-10" "$((year - 2))-01-01" 2222  # training overdue
person X3 custodian U2 "$((year - 1))-01-10" "$today" 3333      # unit suspended
person X4 technician U1 "$((year - 1))-01-10" "$today" 4444     # no schedule window
person X5 custodian U1 "$((year - 1))-01-10" "$today" 5555      # badge revoked
person VI visitor U1 "" "" 6666
V unit suspend --id U2 --reason "refused inspection"
for p in C1:04A10000000001 C2:04A10000000002 X1:04A10000000003 X2:04A10000000004 \
	X3:04A10000000005 X4:04A10000000006 X5:04A10000000007 VI:04A10000000008; do
	enrol "${p%%:*}" "${p#*:}" || echo "# enrol ${p%%:*} failed: $(tail -1 "$T/enrol.log")"
done
is "eight badges were personalised and registered" 8 "$(vt_sql "SELECT count(*) FROM badge")"
V badge revoke --id 04A10000000007

# 1. A certified custodian enters.
g=$(n_kind entry.granted)
present door 04A10000000001; sleep 0.3; type_keys "1357#"
ok "badge + PIN: entry granted" wait_more entry.granted "$g"
is "the grant names the custodian" C1 "$(last_actors entry.granted)"
is "the lock is energised only after the grant is ledgered" 1 "$(lock_level)"
c=$(n_kind entry.confirmed)
gpio "set door_a 1" >/dev/null; gpio "set door_b 1" >/dev/null
ok "the door contact opening confirms the entry" wait_more entry.confirmed "$c"
is "the lock is released as soon as the door opens" 0 "$(lock_level)"
cites=$(vt_sql "SELECT cites FROM ledger WHERE kind='entry.confirmed' ORDER BY seq DESC LIMIT 1")
is "entry.confirmed cites the door-contact sensor event" "door_a.1" \
	"$(vt_sql "SELECT kind FROM sensor_event WHERE id=${cites:-0}")"
is "the vault is recorded as opened by C1" C1 "$(last_actors vault.opened)"
gpio "set door_a 0" >/dev/null; gpio "set door_b 0" >/dev/null
unpresent door

# 2. Anti-passback: C1 is inside.
r=$(n_kind entry.refused)
present door 04A10000000001; sleep 0.3
ok "C1 badging in again while inside is refused" wait_more entry.refused "$r" ANTI_PASSBACK
unpresent door

# 3. Refusals by the policy and by the badge.
refused_for() { # DESCRIPTION UID PIN CODE
	local r
	r=$(n_kind entry.refused "$4")
	present door "$2"; sleep 0.3
	[ -n "$3" ] && type_keys "$3#"
	ok "$1 ($4)" wait_more entry.refused "$r" "$4"
	unpresent door
}
refused_for "an expired certificate is refused" 04A10000000003 1111 CERT_EXPIRED
refused_for "overdue training is refused" 04A10000000004 2222 TRAINING_EXPIRED
refused_for "a suspended unit's custodian is refused" 04A10000000005 3333 UNIT_SUSPENDED
refused_for "a role outside any schedule window is refused" 04A10000000006 4444 SCHEDULE_OUTSIDE
refused_for "a revoked badge is refused before the PIN" 04A10000000007 "" BADGE_REVOKED
r=$(n_kind entry.refused BADGE_AUTH_FAILED)
emu door "place clone 04A10000000002" >/dev/null; sleep 0.3
ok "a clone with C2's UID but no key is refused (BADGE_AUTH_FAILED)" wait_more entry.refused "$r" BADGE_AUTH_FAILED
unpresent door
is "no refusal ever energised the lock" 0 "$(lock_level)"
is "no refusal was granted" 1 "$(n_kind entry.granted)"
g=$(n_kind entry.granted)
present door 04A10000000008; sleep 0.3; type_keys "6666#"
ok "a visitor is admitted while a custodian (C1) is inside to escort" wait_more entry.granted "$g"
unpresent door

# 4. Wrong PIN x3 -> lockout, then even the right PIN is refused.
for i in 1 2 3; do
	r=$(n_kind entry.refused)
	present door 04A10000000002; sleep 0.3; type_keys "0000#"
	wait_more entry.refused "$r"; unpresent door
done
is "three wrong PINs: the third refusal is a lockout" "PIN_LOCKED" \
	"$(last_payload entry.refused | sed 's/.*"code":"\([A-Z_]*\)".*/\1/')"
r=$(n_kind entry.refused PIN_LOCKED)
present door 04A10000000002; sleep 0.3
ok "while locked out, the badge is refused before the PIN" wait_more entry.refused "$r" PIN_LOCKED
unpresent door

# 5. Unused unlock, forced door, held door, tamper, contacts disagreeing.
g=$(n_kind entry.granted); u=$(n_kind entry.unused)
gpio "set door_a 0" >/dev/null
"$VAULTCTL" -c "$T/vault.ini" log --kind exit >/dev/null
present exit 04A10000000001; sleep 0.3; unpresent exit
gpio "set door_a 1" >/dev/null; gpio "set door_b 1" >/dev/null; sleep 0.2
is "C1 leaves through the exit reader: exit.confirmed" C1 "$(last_actors exit.confirmed)"
is "and the vault is recorded as closed by C1" C1 "$(last_actors vault.closed)"
gpio "set door_a 0" >/dev/null; gpio "set door_b 0" >/dev/null; sleep 0.1
r=$(n_kind exit.refused ANTI_PASSBACK)
present exit 04A10000000001; sleep 0.3; unpresent exit
ok "an exit read by someone not inside is an anti-passback refusal" wait_more exit.refused "$r" ANTI_PASSBACK
g=$(n_kind entry.granted); u=$(n_kind entry.unused)
present door 04A10000000001; sleep 0.3; type_keys "1357#"
wait_more entry.granted "$g"; unpresent door
ok "an unlock nobody uses ends as entry.unused" wait_more entry.unused "$u"
is "and the lock is off again" 0 "$(lock_level)"
f=$(n_kind door.forced)
gpio "set door_a 1" >/dev/null; gpio "set door_b 1" >/dev/null
ok "the door opening without an unlock is door.forced" wait_more door.forced "$f"
is "the siren sounds" 1 "$(gpio "get siren" | awk '{print $2}')"
h=$(n_kind door.held)
ok "left open past held_s: door.held" wait_more door.held "$h"
gpio "set door_a 0" >/dev/null; gpio "set door_b 0" >/dev/null
t=$(n_kind alarm.tamper)
gpio "set tamper 1" >/dev/null
ok "the tamper switch raises alarm.tamper" wait_more alarm.tamper "$t"
gpio "set tamper 0" >/dev/null
cf=$(n_kind door.contacts_fault)
gpio "set door_b 1" >/dev/null
ok "contacts disagreeing past the window: door.contacts_fault" wait_more door.contacts_fault "$cf"
gpio "set door_b 0" >/dev/null

# 6. With nobody inside, a visitor alone is refused.
refused_for "a visitor with no custodian inside is refused" 04A10000000008 6666 VISITOR_UNESCORTED

# 7. Duress: the door opens, and a silent alarm is ledgered.
d=$(n_kind alarm.duress); g=$(n_kind entry.granted)
present door 04A10000000001; sleep 0.3; type_keys "91357#"
ok "the duress PIN opens the door" wait_more entry.granted "$g"
ok "and ledgers a silent duress alarm" wait_more alarm.duress "$d"
contains "the alarm is marked silent" '"silent":true' "$(last_payload alarm.duress)"
is "the door LEDs showed a normal accept (nothing visible outside)" 1 "$(gpio "get led_green" | awk '{print $2}')"
unpresent door
ok "the admin records the check of the closed vault" "$VAULTCTL" vault check --note "sealed, 3 shelves counted"
is "the open/close sheet has opened, closed and checked entries" "vault.checked|vault.closed|vault.opened" \
	"$(vt_sql "SELECT group_concat(kind, '|') FROM (SELECT DISTINCT kind FROM ledger WHERE kind LIKE 'vault.%' AND kind <> 'vaultd.start' ORDER BY kind)")"
# 8. A registry change while the PIN is typed counts: the decision never uses
# stale policy inputs (they are loaded at the badge, reloaded if the registry moved).
g=$(n_kind entry.granted)
present door 04A10000000004; sleep 0.3
V training add --id TR-X2-new --person X2 --date "$today"
type_keys "2222#"
ok "X2's training recorded between badge and PIN: granted" wait_more entry.granted "$g"
is "the grant names X2" X2 "$(last_actors entry.granted)"
unpresent door
# 8b. The escort leaving a visitor alone inside: the exit goes ahead, and an
# alarm names both; the visitor leaving after them raises none.
for _ in $(seq 60); do [ "$(lock_level)" = 0 ] && break; sleep 0.05; done # X2's unlock is over
through() { # READER UID PIN: badge (and PIN) and through the door, until KIND is ledgered
	local n
	n=$(n_kind "$4")
	if [ "$1" = door ]; then badge_pin "$2" "$3"; else present exit "$2"; sleep 0.3; fi
	unpresent "$1"
	gpio "set door_a 1" >/dev/null; gpio "set door_b 1" >/dev/null
	wait_more "$4" "$n"
	gpio "set door_a 0" >/dev/null; gpio "set door_b 0" >/dev/null; sleep 0.1
}
through door 04A10000000001 1357 entry.confirmed
through door 04A10000000008 6666 entry.confirmed
is "C1 and the visitor VI are inside" "C1,VI" \
	"$(vt_sql "SELECT json_extract(payload,'$.occupants') FROM ledger WHERE kind='entry.confirmed' ORDER BY seq DESC LIMIT 1")"
a=$(n_kind alarm.visitor_alone)
through exit 04A10000000001 "" exit.confirmed
is "C1, the escort, may leave" C1 "$(last_actors exit.confirmed)"
ok "leaving VI alone raises alarm.visitor_alone" wait_more alarm.visitor_alone "$a"
is "one alarm, naming the visitor and the escort" "$((a + 1))|VI,C1" \
	"$(n_kind alarm.visitor_alone)|$(last_actors alarm.visitor_alone)"
contains "with the reason VISITOR_LEFT_ALONE" '"code":"VISITOR_LEFT_ALONE"' \
	"$(last_payload alarm.visitor_alone)"
through exit 04A10000000008 "" exit.confirmed
is "the visitor leaves after them: closed by VI, no further alarm" "VI|$((a + 1))" \
	"$(last_actors vault.closed)|$(n_kind alarm.visitor_alone)"
# 9. The GPIO bank dies (the sim's fault injection: every read fails, as a
# dead chip's would): the sensors are blind, so vaultd ledgers it, drives the
# lock off and exits 1 for systemd to restart it; started again, it works.
wait_lock_off() { for _ in $(seq 60); do [ "$(lock_level)" = 0 ] && return 0; sleep 0.05; done; return 1; }
ok "the lock is off before the fault" wait_lock_off
is "the sim takes the fault" "ok" "$(gpio fail)"
gone() { for _ in $(seq 100); do kill -0 "$VAULTD_PID" 2>/dev/null || return 0; sleep 0.05; done; return 1; }
ok "vaultd stops on a dead GPIO bank" gone
kill -0 "$VAULTD_PID" 2>/dev/null && kill -9 "$VAULTD_PID" # (the test has failed)
wait "$VAULTD_PID"; rc=$?; VAULTD_PID=
is "with exit status 1 (systemd restarts it)" 1 "$rc"
is "gpio.fault is ledgered with its code, then vaultd.stop naming the fault" \
	"gpio.fault|GPIO_FAULT|vaultd.stop|GPIO_FAULT" \
	"$(vt_sql "SELECT group_concat(k, '|') FROM (SELECT kind||'|'||coalesce(json_extract(payload,'$.code'),json_extract(payload,'$.fault')) AS k FROM (SELECT * FROM ledger ORDER BY seq DESC LIMIT 2) ORDER BY seq)")"
contains "vaultd logged it as critical" "GPIO lines failed" "$(cat "$T/vaultd.log")"
ok "vaultd starts again" vt_start
for _ in $(seq 50); do [ -S "$T/gpio.sock" ] && break; sleep 0.05; done
ok "with the lock off, reading the lines again" wait_lock_off
contains "the fault is an open alarm for the supervisor" '"kind":"gpio.fault"' "$("$VAULTCTL" alert list)"
vt_stop
ok "the database verifies after the door scenario" "$VAULTCTL" verify
vt_done
