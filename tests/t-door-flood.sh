# SPDX-License-Identifier: MIT
# A reader probed with one refused card after another ([reader] refusal_limit
# = 3 in refusal_window_s = 6 here): the first three refusals are ledgered one
# by one, the fourth raises alarm.reader_flood and is counted, like the ones
# after it, into entry.refused.batch entries (by reason and badge) until a
# quiet window ledgers reader.flood_ended. Every presentation is accounted for
# in the ledger; a certified custodian still gets in during the flood; a clean
# stop ledgers the open batch before vaultd.stop. vaultd as a real process,
# cards read by libnfc from a PN532 emulator on a pty.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-door.sh"
command -v socat >/dev/null || skip_all "socat is missing"
vt_init "[reader]" "door = pn532_uart:$T/door-pty" "kiosk = pn532_uart:$T/kiosk-pty" \
	"refusal_limit = 3" "refusal_window_s = 6" \
	"[door]" "unlock_s = 1" "pin_timeout_s = 4" "[gpio]" "debounce_ms = 5"
emu_start door && emu_start kiosk && emu_start enrol || { echo "not ok 1 - emulators"; exit 1; }
ok "vaultd starts with the door and kiosk readers and the GPIO sim" vt_start
for _ in $(seq 50); do [ -S "$T/gpio.sock" ] && break; sleep 0.05; done

V() { "$VAULTCTL" "$@" >/dev/null; }
custodian_c1

stat() { # FIELD of the door reader's refusal budget (vaultctl door stats)
	sqlite3 :memory: "SELECT json_extract('$("$VAULTCTL" door stats)', '$.door.readers.door.$1')"
}
batched() { vt_sql "SELECT coalesce(sum(json_extract(payload,'$.refused')),0) FROM ledger WHERE kind='entry.refused.batch'"; }
# Refusals accounted for so far: ledgered alone, in batches, in the open batch.
accounted() { echo $(($(n_kind entry.refused) + $(batched) + $(stat batch))); }
probe() { # UID: a plain card the door cannot authenticate; waits until it is accounted for
	local a
	a=$(accounted)
	emu door "place iso14443a $1" >/dev/null
	for _ in $(seq 100); do [ "$(accounted)" -gt "$a" ] && break; sleep 0.05; done
	emu door remove >/dev/null
	sleep 0.15
}

# 1. Within the budget every refusal is its own entry.
for u in 08000001 08000002 08000003; do probe "$u"; done
is "three refused cards: three entry.refused entries" 3 "$(n_kind entry.refused)"
is "no flood alarm yet" 0 "$(n_kind alarm.reader_flood)"
is "the reader is not flooded" 0 "$(stat flooded)"

# 2. The fourth within the window floods the reader.
probe 08000004
is "the fourth refusal within 6 s raises alarm.reader_flood" 1 "$(n_kind alarm.reader_flood)"
is "the alarm names the reader, the count and the window" "door 3 6" \
	"$(vt_sql "SELECT json_extract(payload,'$.source')||' '||json_extract(payload,'$.refusals')||' '||json_extract(payload,'$.window_s') FROM ledger WHERE kind='alarm.reader_flood'")"
is "it is not ledgered alone" 3 "$(n_kind entry.refused)"
is "vaultctl door stats shows the reader flooded" 1 "$(stat flooded)"
for u in 08000005 08000005 08000006 08000007 08000005; do probe "$u"; done
is "five more are counted, not ledgered alone" "3 6" "$(n_kind entry.refused) $(stat counted)"
is "still one alarm" 1 "$(n_kind alarm.reader_flood)"
is "no refusal energised the lock" 0 "$(lock_level)"

# 3. A certified custodian still gets in while the reader is flooded.
g=$(n_kind entry.granted)
badge_pin 04A10000000001 1357
ok "C1 badge + PIN during the flood: entry granted" wait_more entry.granted "$g"
unpresent door

# 4. A quiet window ends the flood; every counted refusal is in a batch.
# A flood ends at the first tick (every 6 s) after 6 quiet seconds: 12 s at most.
wait_end() { # READER
	for _ in $(seq 400); do
		[ "$(vt_sql "SELECT count(*) FROM ledger WHERE kind='reader.flood_ended' AND json_extract(payload,'$.source')='$1'")" -ge 1 ] && return 0
		sleep 0.05
	done
	return 1
}
ok "a quiet window ledgers reader.flood_ended" wait_end door
is "the batches hold the six counted refusals" 6 "$(batched)"
is "reader.flood_ended says six were counted" 6 \
	"$(vt_sql "SELECT json_extract(payload,'$.counted') FROM ledger WHERE kind='reader.flood_ended'")"
reasons=$(vt_sql "SELECT group_concat(r.key||'='||r.value) FROM ledger, json_each(payload,'$.reasons') r WHERE kind='entry.refused.batch'")
code=$(vt_sql "SELECT json_extract(payload,'$.code') FROM ledger WHERE kind='entry.refused' ORDER BY seq LIMIT 1")
contains "the batches count them by reason (the same as the cards ledgered alone: $code)" "$code=" "$reasons"
is "and by badge (08000005 three times)" 3 \
	"$(vt_sql "SELECT sum(json_extract(payload,'$.badges.08000005')) FROM ledger WHERE kind='entry.refused.batch'")"
is "alarm, batches, end: in that order in the ledger" "alarm.reader_flood entry.refused.batch reader.flood_ended" \
	"$(vt_sql "SELECT group_concat(kind, ' ') FROM (SELECT kind FROM ledger WHERE kind IN ('alarm.reader_flood','entry.refused.batch','reader.flood_ended') GROUP BY kind ORDER BY min(seq))")"
is "every presentation is accounted for: 3 alone + 6 counted" 9 "$(accounted)"
probe 08000008
is "after the flood a refusal is ledgered alone again" 4 "$(n_kind entry.refused)"
is "vaultctl alerts lists it as an alarm" alarm \
	"$("$VAULTCTL" alerts --format csv | grep -m1 reader_flood | cut -d, -f1)"

# 5. A clean stop in a flood ledgers the open batch before vaultd.stop.
b=$(n_kind entry.refused.batch)
for u in 08000009 0800000A 0800000B 0800000C 0800000D; do probe "$u"; done
is "a second flood" 2 "$(n_kind alarm.reader_flood)"
open=$(stat batch)
ok "with refusals counted in its open batch ($open)" test "${open:-0}" -ge 1
vt_stop
is "the clean stop ledgered that batch" "$((b + 1)) $open" \
	"$(n_kind entry.refused.batch) $(vt_sql "SELECT json_extract(payload,'$.refused') FROM ledger WHERE kind='entry.refused.batch' ORDER BY seq DESC LIMIT 1")"
is "just before vaultd.stop" "entry.refused.batch vaultd.stop" \
	"$(vt_sql "SELECT group_concat(kind, ' ') FROM (SELECT * FROM (SELECT kind, seq FROM ledger ORDER BY seq DESC LIMIT 2) ORDER BY seq)")"
ok "vaultctl verify passes" "$VAULTCTL" verify

# 6. A station reader has its own budget: the kiosk, probed four times.
ok "vaultd restarts" vt_start
arrived() { vt_sql "SELECT count(*) FROM sensor_event WHERE source='kiosk' AND kind='badge.arrived'"; }
kiosk_floods() { vt_sql "SELECT count(*) FROM ledger WHERE kind='$1' AND json_extract(payload,'$.source')='kiosk'"; }
# Each presentation waits for its trace: a sensor event, or (the fourth) the alarm.
for u in 08000011 08000012 08000013 08000014; do
	a=$(arrived)
	emu kiosk "place iso14443a $u" >/dev/null
	for _ in $(seq 100); do
		[ "$(arrived)" -gt "$a" ] || [ "$(kiosk_floods alarm.reader_flood)" -gt 0 ] && break
		sleep 0.05
	done
	emu kiosk remove >/dev/null
	sleep 0.15
done
is "three station.refused at the kiosk, then alarm.reader_flood naming it" "3 1" \
	"$(vt_sql "SELECT count(*) FROM ledger WHERE kind='station.refused' AND json_extract(payload,'$.action')='kiosk'") $(kiosk_floods alarm.reader_flood)"
is "the counted presentation is not stored as a sensor event either" 3 "$(arrived)"
ok "the kiosk's flood ends in a quiet window" wait_end kiosk
is "its batch holds the fourth" 1 \
	"$(vt_sql "SELECT json_extract(payload,'$.refused') FROM ledger WHERE kind='station.refused.batch'")"
is "the door reader's floods are still the two above" 2 \
	"$(vt_sql "SELECT count(*) FROM ledger WHERE kind='alarm.reader_flood' AND json_extract(payload,'$.source')='door'")"
vt_stop

# 7. The budget's settings are checked.
vt_config "[reader]" "refusal_limit = 0"
out=$("$VAULTD" -c "$T/vault.ini" --check-config 2>&1); rc=$?
is "refusal_limit = 0 is a configuration error" 2 "$rc"
contains "naming the key" "[reader] refusal_limit" "$out"
vt_done
