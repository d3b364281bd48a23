# SPDX-License-Identifier: MIT
# A flooding sensor (here the shredder's bin-door line flapping, through the
# GPIO sim; [storage] sensor_limit = 10 per sensor_window_s = 2): its first
# ten readings are stored one by one, the next raises alarm.sensor_flood, the
# rest are counted by kind into sensor.batch entries instead of a synced row
# each, until a quiet window ledgers sensor.flood_ended. Every reading is
# accounted for; the other lines (the door's contacts) keep their own budget.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-door.sh"
command -v socat >/dev/null || skip_all "socat is missing"
vt_init "[storage]" "sensor_limit = 10" "sensor_window_s = 2" "[gpio]" "debounce_ms = 0"
ok "vaultd starts" vt_start
for _ in $(seq 50); do [ -S "$T/gpio.sock" ] && break; sleep 0.05; done
is "without [gpio] keepalive the keep-alive line is not wired" 0 "$(gpio list | grep -c keepalive)"
stored() { vt_sql "SELECT count(*) FROM sensor_event WHERE kind GLOB 'shredder_bin.*'"; }
batched() { vt_sql "SELECT coalesce(sum(json_extract(payload,'$.events')),0) FROM ledger WHERE kind='sensor.batch'"; }
for i in $(seq 15); do gpio "set shredder_bin 1" >/dev/null; gpio "set shredder_bin 0" >/dev/null; done
ok "30 bin-door readings within 2 s: alarm.sensor_flood" wait_more alarm.sensor_flood 0
is "naming the source, the count and the window" "gpio/shredder_bin|10|2" \
	"$(vt_sql "SELECT json_extract(payload,'$.source')||'|'||json_extract(payload,'$.events')||'|'||json_extract(payload,'$.window_s') FROM ledger WHERE kind='alarm.sensor_flood'")"
contains "listed as an alarm" '"kind":"alarm.sensor_flood","severity":"alarm"' "$("$VAULTCTL" alert list)"
is "ten were stored one by one" 10 "$(stored)"
f=$(n_kind door.forced)
gpio "set door_a 1" >/dev/null; gpio "set door_b 1" >/dev/null
ok "the door contacts, their own budget, still work: door.forced" wait_more door.forced "$f"
cites=$(vt_sql "SELECT cites FROM ledger WHERE kind='door.forced' ORDER BY seq DESC LIMIT 1")
is "and cite their stored reading" "door_a.1" "$(vt_sql "SELECT kind FROM sensor_event WHERE id=${cites:-0}")"
gpio "set door_a 0" >/dev/null; gpio "set door_b 0" >/dev/null
wait_end() { for _ in $(seq 120); do [ "$(n_kind sensor.flood_ended)" -ge 1 ] && return 0; sleep 0.05; done; return 1; }
ok "a quiet window ends the flood: sensor.flood_ended" wait_end
is "the batch counts the other twenty, by kind" "20|10|10" \
	"$(vt_sql "SELECT sum(json_extract(payload,'$.events'))||'|'||sum(json_extract(payload,'$.kinds.\"shredder_bin.1\"'))||'|'||sum(json_extract(payload,'$.kinds.\"shredder_bin.0\"')) FROM ledger WHERE kind='sensor.batch'")"
is "every reading is accounted for: stored or counted" 30 $(($(stored) + $(batched)))
is "sensor.flood_ended says how many were counted" 20 \
	"$(vt_sql "SELECT json_extract(payload,'$.counted') FROM ledger WHERE kind='sensor.flood_ended'")"
gpio "set shredder_bin 1" >/dev/null; sleep 0.3
is "after it, a reading is stored one by one again" 11 "$(stored)"
# A door flapping open and shut with no unlock: door.forced every time; once
# its contacts' readings are counted, not stored, the entries cite nothing
# (never a reading that does not exist).
f=$(n_kind door.forced)
for i in $(seq 8); do
	gpio "set door_a 1" >/dev/null; gpio "set door_b 1" >/dev/null
	gpio "set door_a 0" >/dev/null; gpio "set door_b 0" >/dev/null
done
forced8() { for _ in $(seq 100); do [ "$(n_kind door.forced)" -ge $((f + 8)) ] && return 0; sleep 0.05; done; return 1; }
ok "eight forced openings: eight door.forced" forced8
is "the contacts' budget is flooded too" 1 \
	"$(vt_sql "SELECT count(*) FROM ledger WHERE kind='alarm.sensor_flood' AND json_extract(payload,'$.source')='gpio/door_a'")"
is "the openings whose reading was stored cite it; the others cite nothing" "0|0" \
	"$(vt_sql "SELECT count(*) FROM ledger WHERE kind='door.forced' AND cites <> '' AND CAST(cites AS INTEGER) NOT IN (SELECT id FROM sensor_event)")|$(vt_sql "SELECT count(*) FROM ledger WHERE ',' || cites || ',' LIKE '%,0,%'")"
ok "some cite nothing" test "$(vt_sql "SELECT count(*) FROM ledger WHERE kind='door.forced' AND cites = ''")" -ge 1
ok "the ledger verifies" "$VAULTCTL" verify
vt_done
