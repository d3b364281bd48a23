# SPDX-License-Identifier: MIT
# The sensor events a ledger entry cites are part of what the ledger proves:
# the entry's payload carries "cites_digest", a digest of the cited events as they
# were when it was recorded (docs/ledger-format.md), so changing or deleting
# one later (by someone who first drops the triggers that forbid it) fails
# vaultctl verify, naming the entry. vaultd as a real process, the door's
# contacts and tamper switch through the GPIO sim.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-door.sh"
command -v socat >/dev/null || skip_all "socat is missing"
vt_init "[gpio]" "debounce_ms = 5"
ok "vaultd starts" vt_start
for _ in $(seq 50); do [ -S "$T/gpio.sock" ] && break; sleep 0.05; done
f=$(n_kind door.forced)
gpio "set door_a 1" >/dev/null; gpio "set door_b 1" >/dev/null
ok "the door opened without an unlock: door.forced" wait_more door.forced "$f"
t=$(n_kind alarm.tamper)
gpio "set tamper 1" >/dev/null
ok "the tamper switch: alarm.tamper" wait_more alarm.tamper "$t"
vt_stop
seq=$(vt_sql "SELECT seq FROM ledger WHERE kind='door.forced' ORDER BY seq DESC LIMIT 1")
ev=$(vt_sql "SELECT cites FROM ledger WHERE seq=$seq")
ok "door.forced carries the evidence digest of what it cites" \
	test "$(vt_sql "SELECT length(json_extract(payload,'$.cites_digest')) FROM ledger WHERE seq=$seq")" = 64
is "every entry that cites something carries one" 0 \
	"$(vt_sql "SELECT count(*) FROM ledger WHERE cites <> '' AND json_extract(payload,'$.cites_digest') IS NULL")"
ok "the ledger verifies" "$VAULTCTL" verify

# Someone with the database drops the triggers and rewrites the reading.
sqlite3 "$T/vault.db" "DROP TRIGGER sensor_event_no_update; DROP TRIGGER sensor_event_cited_no_delete"
sqlite3 "$T/vault.db" "UPDATE sensor_event SET ts_utc = ts_utc + 3600000000 WHERE id=$ev"
out=$("$VAULTCTL" verify 2>&1); rc=$?
is "a cited reading moved by an hour: verify fails (exit 3)" 3 "$rc"
contains "naming the entry and what it cites" "seq $seq: the sensor events it cites ($ev) were changed or deleted" "$out"
sqlite3 "$T/vault.db" "UPDATE sensor_event SET ts_utc = ts_utc - 3600000000 WHERE id=$ev"
ok "put back as it was: it verifies again" "$VAULTCTL" verify
sqlite3 "$T/vault.db" "UPDATE sensor_event SET kind='door_a.0' WHERE id=$ev"
out=$("$VAULTCTL" verify 2>&1); rc=$?
is "its kind changed: verify fails" 3 "$rc"
sqlite3 "$T/vault.db" "UPDATE sensor_event SET kind='door_a.1' WHERE id=$ev"
sqlite3 "$T/vault.db" "DELETE FROM sensor_event WHERE id=$ev"
out=$("$VAULTCTL" verify 2>&1); rc=$?
is "deleted: verify fails" 3 "$rc"
contains "naming the entry" "seq $seq: the sensor events it cites" "$out"
ok "vaultd starts on it" vt_start
"$VAULTCTL" ledger verify-now >/dev/null 2>&1
contains "and its own verification raises ledger.verify_failed, naming the entry" \
	"seq $seq: the sensor events it cites" "$(last_payload ledger.verify_failed)"
vt_done
