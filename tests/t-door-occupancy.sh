# SPDX-License-Identifier: MIT
# Correcting occupancy: a person who left by the REX button (or free egress, or
# with the exit reader down) stays "inside" and anti-passback keeps them out.
# A supervisor records that they left (`vaultctl occupancy clear`, with a
# note): occupancy.cleared, replayed after a restart; the vault closes when
# nobody is left; anyone else is refused with a reason, ledgered.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-door.sh"
command -v socat >/dev/null || skip_all "socat is missing"
command -v setpriv >/dev/null || skip_all "setpriv is missing"
[ "$(id -u)" = 0 ] || skip_all "needs root (runs vaultctl as other Unix users)"
vt_init "[reader]" "door = pn532_uart:$T/door-pty" "exit = pn532_uart:$T/exit-pty" \
	"[door]" "unlock_s = 2" "held_s = 60" "[gpio]" "debounce_ms = 5"
emu_start door && emu_start exit && emu_start enrol || { echo "not ok 1 - emulators"; exit 1; }
gpio_ready() { for _ in $(seq 50); do [ -S "$T/gpio.sock" ] && return 0; sleep 0.05; done; return 1; }
vt_start && gpio_ready || { echo "not ok 1 - vaultd"; exit 1; }
chmod 666 "$T/vaultd.sock"
restart() { vt_stop; vt_start && gpio_ready && chmod 666 "$T/vaultd.sock"; }
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups "$VAULTCTL" "$@"; }
custodian_c1
today=$(TZ=Asia/Shanghai date +%F)
"$VAULTCTL" person add --id C2 --name "Person C2" --role custodian --unit U1 --unix-user nobody >/dev/null
"$VAULTCTL" cert add --id CERT-C2 --person C2 --issued "$((${today%%-*} - 1))-01-10" >/dev/null
"$VAULTCTL" training add --id TR-C2 --person C2 --date "$today" >/dev/null
printf '2468\n' | "$VAULTCTL" pin set --id C2 >/dev/null
enrol C2 04A10000000002 || echo "# enrol C2 failed"
"$VAULTCTL" person add --id SV --name "Supervisor" --role supervisor --unit U1 --unix-user daemon >/dev/null

occupants() { "$VAULTCTL" door stats | sed -n 's/.*"occupants":"\([^"]*\)".*/\1/p'; }
enter() { # UID PIN: granted, door opened and closed
	local g c
	g=$(n_kind entry.granted); c=$(n_kind entry.confirmed)
	present door "$1"; sleep 0.3; type_keys "$2#"
	wait_more entry.granted "$g" || return 1
	gpio "set door_a 1" >/dev/null; gpio "set door_b 1" >/dev/null
	wait_more entry.confirmed "$c" || return 1
	gpio "set door_a 0" >/dev/null; gpio "set door_b 0" >/dev/null
	unpresent door; sleep 0.2
}

# 1. C1 enters, leaves by the REX button: still recorded inside.
ok "C1 enters" enter 04A10000000001 1357
o=$(n_kind door.opened_from_inside)
gpio "set rex 1" >/dev/null; sleep 0.1; gpio "set rex 0" >/dev/null
gpio "set door_a 1" >/dev/null; gpio "set door_b 1" >/dev/null
ok "C1 leaves by the REX button" wait_more door.opened_from_inside "$o"
gpio "set door_a 0" >/dev/null; gpio "set door_b 0" >/dev/null; sleep 0.2
is "C1 is still recorded inside" C1 "$(occupants)"
r=$(n_kind entry.refused ANTI_PASSBACK)
present door 04A10000000001; sleep 0.3
ok "so C1's badge at the door is refused (anti-passback)" wait_more entry.refused "$r" ANTI_PASSBACK
unpresent door

# 2. Refusals: the wrong role, no note, nobody of that name inside, both or neither.
refused "a custodian" ADMIN_ROLE_DENIED nobody occupancy clear --person C1 --note "left by REX"
refused "without a note" INVALID_VALUE daemon occupancy clear --person C1
refused "a person not inside" NOT_FOUND daemon occupancy clear --person C2 --note "left by REX"
refused "--person and --all" INVALID_VALUE daemon occupancy clear --person C1 --all yes --note x
is "C1 is still inside after the refusals" C1 "$(occupants)"

# 3. The supervisor's correction.
c=$(n_kind vault.closed)
out=$(as daemon occupancy clear --person C1 --note "left by the REX button at 10:02" 2>&1)
is "the supervisor clears C1" 0 "$?"
is "occupancy.cleared names the supervisor, C1, the note and who is left" \
	"SV|C1|left by the REX button at 10:02|" \
	"$(vt_sql "SELECT actors||'|'||json_extract(payload,'$.cleared')||'|'||json_extract(payload,'$.note')||'|'||json_extract(payload,'$.occupants') FROM ledger WHERE kind='occupancy.cleared' ORDER BY seq DESC LIMIT 1")"
is "nobody is inside" "" "$(occupants)"
is "the vault is recorded closed, by the supervisor's correction" "$((c + 1))|SV|correction" \
	"$(n_kind vault.closed)|$(vt_sql "SELECT json_extract(payload,'$.closed_by')||'|'||json_extract(payload,'$.by') FROM ledger WHERE kind='vault.closed' ORDER BY seq DESC LIMIT 1")"
ok "C1 can enter again" enter 04A10000000001 1357

# 4. Two inside, one cleared, a restart: recovery replays the correction.
ok "C2 enters" enter 04A10000000002 2468
is "C1 and C2 are inside" "C1,C2" "$(occupants)"
ok "the supervisor clears C2" as daemon occupancy clear --person C2 --note "reader down, left at 11:00"
is "C1 is left inside" C1 "$(occupants)"
is "the vault is not closed by it" 0 "$(vt_sql "SELECT count(*) FROM ledger WHERE kind='vault.closed' AND seq > (SELECT max(seq) FROM ledger WHERE kind='occupancy.cleared')")"
ok "vaultd restarts" restart
is "after the restart, occupancy is C1 alone" C1 "$(occupants)"
is "occupancy.restored says so" C1 "$(last_actors occupancy.restored)"

# 5. Everyone at once.
ok "the supervisor clears everyone" as daemon occupancy clear --all yes --note "end of day, vault checked"
is "nobody is inside" "" "$(occupants)"
refused "clearing an empty vault" NOT_FOUND daemon occupancy clear --all yes --note x
ok "vaultd restarts" restart
is "after the restart, nobody is inside" "" "$(occupants)"
vt_stop
ok "the ledger verifies" "$VAULTCTL" verify
vt_done
