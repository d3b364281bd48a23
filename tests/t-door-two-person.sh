# SPDX-License-Identifier: MIT
# Two-person rule, two-person integrity, a badge mid-PIN, a flood of key taps,
# and restart after SIGKILL with the door unlocked (lock off first, occupancy
# restored, the interrupted flow turned into a ledger entry).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-door.sh"
command -v socat >/dev/null || skip_all "socat is missing"
today=$(TZ=Asia/Shanghai date +%F)
year=${today%%-*}
vt_init "[reader]" "door = pn532_uart:$T/door-pty" "exit = pn532_uart:$T/exit-pty" \
	"[door]" "two_person = 1" "two_person_window_s = 4" "unlock_s = 3" "held_s = 30" \
	"pin_timeout_s = 4" "[gpio]" "debounce_ms = 5"
emu_start door && emu_start exit && emu_start enrol || { echo "not ok 1 - emulators"; exit 1; }
vt_start || { echo "not ok 1 - vaultd"; exit 1; }
for _ in $(seq 50); do [ -S "$T/gpio.sock" ] && break; sleep 0.05; done
V() { "$VAULTCTL" "$@" >/dev/null; }
V unit add --id U1 --name "Survey Institute" --first-time no
for r in custodian visitor; do V schedule add --id W-$r --role $r --days 1-7 --start 00:00 --end 24:00; done
person() {
	V person add --id "$1" --name "Person $1" --role "$2" --unit U1
	[ "$2" = visitor ] || { V cert add --id "CERT-$1" --person "$1" --issued "$((year - 1))-01-10"
		V training add --id "TR-$1" --person "$1" --date "$today"; }
	echo "$3" | "$VAULTCTL" pin set --id "$1" >/dev/null
}
person C1 custodian 1357; person C2 custodian 2468; person C3 custodian 3690; person VI visitor 6666
enrol C1 04B10000000001; enrol C2 04B10000000002; enrol C3 04B10000000003; enrol VI 04B10000000004
is "four badges enrolled" 4 "$(vt_sql "SELECT count(*) FROM badge")"

f=$(n_kind entry.first); g=$(n_kind entry.granted)
badge_pin 04B10000000001 1357; unpresent door
ok "the first custodian is recorded as waiting for a second" wait_more entry.first "$f"
is "and the door stays locked" 0 "$(lock_level)"
badge_pin 04B10000000002 2468; unpresent door
ok "a second custodian within the window opens the door" wait_more entry.granted "$g"
is "the grant names both custodians" "C1,C2" "$(last_actors entry.granted)"
contains "and says it was a two-person opening" '"two_person":true' "$(last_payload entry.granted)"
c=$(n_kind entry.confirmed)
gpio "set door_a 1" >/dev/null; gpio "set door_b 1" >/dev/null
wait_more entry.confirmed "$c"
is "both are inside" "C1,C2" "$(vt_sql "SELECT json_extract(payload,'$.occupants') FROM ledger WHERE kind='entry.confirmed' ORDER BY seq DESC LIMIT 1")"
gpio "set door_a 0" >/dev/null; gpio "set door_b 0" >/dev/null; sleep 0.1

a=$(n_kind alarm.two_person_alone)
present exit 04B10000000002; sleep 0.3; unpresent exit
gpio "set door_a 1" >/dev/null; gpio "set door_b 1" >/dev/null
ok "C2 leaving C1 alone raises the two-person integrity alarm" wait_more alarm.two_person_alone "$a"
is "naming the person left alone" C1 "$(last_actors alarm.two_person_alone)"
gpio "set door_a 0" >/dev/null; gpio "set door_b 0" >/dev/null; sleep 0.1
present exit 04B10000000001; sleep 0.3; unpresent exit
gpio "set door_a 1" >/dev/null; gpio "set door_b 1" >/dev/null; sleep 0.3
gpio "set door_a 0" >/dev/null; gpio "set door_b 0" >/dev/null; sleep 0.1
is "C1 leaves; the vault is closed by C1" C1 "$(last_actors vault.closed)"

r=$(n_kind entry.refused TWO_PERSON_TIMEOUT); g=$(n_kind entry.granted)
badge_pin 04B10000000001 1357; unpresent door
ok "a second custodian who never comes: TWO_PERSON_TIMEOUT" wait_more entry.refused "$r" TWO_PERSON_TIMEOUT
is "no grant" "$g" "$(n_kind entry.granted)"

f=$(n_kind entry.first); r=$(n_kind entry.refused TWO_PERSON_VISITOR)
badge_pin 04B10000000001 1357; unpresent door; wait_more entry.first "$f"
badge_pin 04B10000000004 6666; unpresent door
ok "a visitor as the second person is refused" wait_more entry.refused "$r" TWO_PERSON_VISITOR
r=$(n_kind entry.refused TWO_PERSON_SAME)
badge_pin 04B10000000001 1357; unpresent door
ok "the same custodian twice is not two persons" wait_more entry.refused "$r" TWO_PERSON_SAME
is "none of it unlocked the door" "$g" "$(n_kind entry.granted)"
sleep 4.2 # let the pending first custodian time out

# A badge mid-PIN: refused; the first presentation continues.
f=$(n_kind entry.first); r=$(n_kind entry.refused BADGE_MID_PIN)
present door 04B10000000002; sleep 0.3; unpresent door
present door 04B10000000003; sleep 0.3
ok "a second badge while one waits for its PIN is refused" wait_more entry.refused "$r" BADGE_MID_PIN
unpresent door
type_keys "2468#"
ok "the first presentation completes with its own PIN" wait_more entry.first "$f"
is "for the first badge's holder" C2 "$(last_actors entry.first)"
sleep 4.2

# A flood of taps and bounces with no badge: nothing opens, vaultd survives.
for i in $(seq 40); do gpio "key $((i % 10)) 5" >/dev/null; done
type_keys "1357#1357#"
sleep 0.3
is "a flood of key taps without a badge unlocks nothing" "$g" "$(n_kind entry.granted)"
ok "vaultd is still alive" kill -0 "$VAULTD_PID"

# Restart with the door unlocked.
badge_pin 04B10000000001 1357; unpresent door; sleep 0.3
badge_pin 04B10000000003 3690; unpresent door
wait_more entry.granted "$g"
is "the door is unlocked" 1 "$(lock_level)"
acked=$(vt_sql "SELECT max(seq) FROM ledger")
kill -KILL "$VAULTD_PID"; wait "$VAULTD_PID" 2>/dev/null; VAULTD_PID=
rm -f "$T/gpio.sock"
vt_start
for _ in $(seq 50); do [ -S "$T/gpio.sock" ] && break; sleep 0.05; done
is "after SIGKILL the new vaultd holds the lock off" 0 "$(lock_level)"
ok "nothing acknowledged is missing" test "$(vt_sql "SELECT count(*) FROM ledger WHERE seq <= $acked")" -eq "$acked"
is "the interrupted unlock is ledgered" "C1,C3" "$(last_actors entry.interrupted)"
# occupancy survives a restart too
g=$(n_kind entry.granted)
badge_pin 04B10000000001 1357; unpresent door; sleep 0.3
badge_pin 04B10000000003 3690; unpresent door
wait_more entry.granted "$g"
c=$(n_kind entry.confirmed)
gpio "set door_a 1" >/dev/null; gpio "set door_b 1" >/dev/null; wait_more entry.confirmed "$c"
gpio "set door_a 0" >/dev/null; gpio "set door_b 0" >/dev/null; sleep 0.1
vt_stop; rm -f "$T/gpio.sock"; vt_start
for _ in $(seq 50); do [ -S "$T/gpio.sock" ] && break; sleep 0.05; done
is "occupancy is restored from the ledger after a restart" "C1,C3" "$(last_actors occupancy.restored)"
r=$(n_kind entry.refused ANTI_PASSBACK)
present door 04B10000000001; sleep 0.3; unpresent door
ok "and anti-passback still knows C1 is inside" wait_more entry.refused "$r" ANTI_PASSBACK
vt_stop
ok "the ledger verifies" "$VAULTCTL" verify
vt_done
