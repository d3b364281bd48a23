# SPDX-License-Identifier: MIT
# The door loads a person's policy inputs at the badge, while the PIN is
# typed, and decides on them only if nothing they come from changed since: a
# unit suspended between badge and PIN refuses the entry. A PIN change (of
# anyone) is not such a change: under load several a second, it must not make
# every decision read the registry again (door stats "policy_loads"). A PIN is
# read when it is typed, so a PIN changed between badge and '#' is the one
# that counts.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-door.sh"
command -v socat >/dev/null || skip_all "socat is missing"
vt_init "[reader]" "door = pn532_uart:$T/door-pty" \
	"[door]" "unlock_s = 1" "pin_timeout_s = 20" "[gpio]" "debounce_ms = 5"
emu_start door && emu_start enrol || { echo "not ok 1 - emulators"; exit 1; }
gpio_ready() { for _ in $(seq 50); do [ -S "$T/gpio.sock" ] && return 0; sleep 0.05; done; return 1; }
vt_start && gpio_ready || { echo "not ok 1 - vaultd"; exit 1; }
custodian_c1
"$VAULTCTL" person add --id C2 --name "Person C2" --role custodian --unit U1 >/dev/null
printf '2468\n' | "$VAULTCTL" pin set --id C2 >/dev/null

loads() { "$VAULTCTL" door stats | sed -n 's/.*"policy_loads":\([0-9]*\).*/\1/p'; }
last_code() { vt_sql "SELECT json_extract(payload,'$.code') FROM ledger WHERE kind='entry.refused' ORDER BY seq DESC LIMIT 1"; }
# badge UID, wait until vaultd has loaded the policy for it (policy_loads grew)
badge() {
	local n0 n
	n0=$(loads)
	present door "$1"
	for _ in $(seq 100); do
		n=$(loads); [ "$n" -gt "$n0" ] && return 0; sleep 0.05
	done
	return 1
}
# PIN at the door, then wait for its grant or refusal
pin() {
	local r g
	r=$(n_kind entry.refused); g=$(n_kind entry.granted)
	type_keys "$1#"
	for _ in $(seq 200); do
		[ "$(n_kind entry.refused)" -gt "$r" ] || [ "$(n_kind entry.granted)" -gt "$g" ] && break
		sleep 0.05
	done
	unpresent door
	for _ in $(seq 60); do [ "$(lock_level)" = 0 ] && break; sleep 0.05; done
}

# 1. A PIN change of someone else between badge and PIN: granted, on the
#    inputs loaded at the badge.
ok "C1's badge loads C1's policy inputs" badge 04A10000000001
before=$(loads); g=$(n_kind entry.granted); p=$(n_kind registry.pin.set)
printf '8642\n' | "$VAULTCTL" pin set --id C2 >/dev/null
is "C2's PIN change is ledgered" $((p + 1)) "$(n_kind registry.pin.set)"
pin 1357
is "C1 is granted" $((g + 1)) "$(n_kind entry.granted)"
is "the decision did not load the policy again" "$before" "$(loads)"

# 2. C1's own PIN changed between badge and PIN: the new PIN counts.
ok "badge" badge 04A10000000001
printf '9753\n' | "$VAULTCTL" pin set --id C1 >/dev/null
pin 1357
is "the old PIN, typed after the change, is wrong" PIN_WRONG "$(last_code)"
ok "badge" badge 04A10000000001
before=$(loads); g=$(n_kind entry.granted)
printf '9753\n' | "$VAULTCTL" pin set --id C1 >/dev/null
pin 9753
is "the new PIN is granted" $((g + 1)) "$(n_kind entry.granted)"
is "still no second load" "$before" "$(loads)"

# 3. C1's unit suspended between badge and PIN: the decision reads the
#    registry again and refuses.
ok "badge" badge 04A10000000001
before=$(loads); g=$(n_kind entry.granted)
"$VAULTCTL" unit suspend --id U1 --reason "bench of the prefetch" >/dev/null
pin 9753
is "after the suspension, C1 is refused" "$g|UNIT_SUSPENDED" "$(n_kind entry.granted)|$(last_code)"
is "the decision loaded the policy again" $((before + 1)) "$(loads)"
is "the door stayed locked" 0 "$(lock_level)"
"$VAULTCTL" unit reinstate --id U1 >/dev/null

# 4. Reinstated: the next badge loads the new state, and C1 is granted.
ok "badge" badge 04A10000000001
g=$(n_kind entry.granted)
pin 9753
is "reinstated, C1 is granted again" $((g + 1)) "$(n_kind entry.granted)"
vt_stop
ok "the ledger verifies" "$VAULTCTL" verify
vt_done
