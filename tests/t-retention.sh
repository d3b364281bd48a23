# SPDX-License-Identifier: MIT
# Sensor events: the ones a ledger entry cites are evidence and kept for good;
# the others are deleted after [storage] sensor_retention_days, the round
# ledgered first as sensor.pruned. vaultd is restarted under libfaketime 100
# days later (its wall clock moved, the events' dates real). Cited events
# cannot be deleted, nor any event changed, even from outside vaultd; a
# database from before the table of cited events gets it filled from the
# ledger when it is opened.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-door.sh"
command -v socat >/dev/null || skip_all "socat is missing"
ft=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -1)
[ -n "$ft" ] || skip_all "libfaketime is missing: the clock cannot be moved 100 days"
grep -qa __asan_init "$VAULTD" && skip_all "libfaketime cannot wrap the clock of an ASan build"
vt_init "[storage]" "sensor_retention_days = 90" "[gpio]" "debounce_ms = 5"
ok "vaultd starts" vt_start
for _ in $(seq 50); do [ -S "$T/gpio.sock" ] && break; sleep 0.05; done
n_ev() { vt_sql "SELECT count(*) FROM sensor_event"; }
# Sensor events: the door opened with no unlock (door.forced cites door_a.1),
# the second contact, the tamper switch (alarm.tamper cites it), releases.
f=$(n_kind door.forced)
for l in door_a door_b; do gpio "set $l 1" >/dev/null; done
ok "the door opened without an unlock: door.forced" wait_more door.forced "$f"
t=$(n_kind alarm.tamper)
gpio "set tamper 1" >/dev/null
ok "the tamper switch: alarm.tamper" wait_more alarm.tamper "$t"
for l in door_a door_b tamper; do gpio "set $l 0" >/dev/null; done
sleep 0.3
total=$(n_ev)
cited=$(vt_sql "SELECT count(*) FROM sensor_event WHERE id IN (SELECT id FROM sensor_cited)")
ok "some events are cited, some not ($cited of $total)" test "$cited" -ge 2 -a "$total" -gt "$cited"
is "every id the ledger cites is in sensor_cited" 0 \
	"$(vt_sql "SELECT count(*) FROM ledger, json_each('[' || cites || ']') j WHERE cites <> '' AND CAST(j.value AS INTEGER) NOT IN (SELECT id FROM sensor_cited)")"
vt_stop
sleep 6 # past the first prune round of a normal start
is "a restart within 90 days prunes nothing" 0 "$(n_kind sensor.pruned)"

# ---- outside vaultd: cited rows are evidence, no row is changed --------------------
cid=$(vt_sql "SELECT min(id) FROM sensor_cited")
out=$(sqlite3 "$T/vault.db" "DELETE FROM sensor_event WHERE id=$cid" 2>&1)
contains "deleting a cited event by hand is refused" "a cited sensor event is evidence" "$out"
out=$(sqlite3 "$T/vault.db" "UPDATE sensor_event SET kind='door_a.0' WHERE id=$cid" 2>&1)
contains "changing any event is refused" "sensor events are not changed" "$out"
out=$(sqlite3 "$T/vault.db" "DELETE FROM sensor_cited WHERE id=$cid" 2>&1)
contains "and so is forgetting that it was cited" "the cited sensor events are evidence" "$out"

# ---- a database from before sensor_cited: filled from the ledger --------------------
sqlite3 "$T/vault.db" "DROP TRIGGER ledger_cites; DROP TRIGGER sensor_cited_no_delete;
	DROP TRIGGER sensor_event_no_update; DROP TRIGGER sensor_event_cited_no_delete;
	DROP TABLE sensor_cited; PRAGMA user_version=6;"
is "(the database is made as it was before)" "6|0" \
	"$(vt_sql "PRAGMA user_version")|$(vt_sql "SELECT count(*) FROM sqlite_master WHERE name='sensor_cited'")"

# ---- 100 days later ---------------------------------------------------------------
echo "+100d" >"$T/ft.rc"
ft_start() {
	LD_PRELOAD=$ft FAKETIME_TIMESTAMP_FILE="$T/ft.rc" FAKETIME_NO_CACHE=1 \
		FAKETIME_DONT_FAKE_MONOTONIC=1 vt_start
}
ok "vaultd starts 100 days later, upgrading the database" ft_start
is "the cited events were found in the ledger" "$cited" \
	"$(vt_sql "SELECT count(*) FROM sensor_event WHERE id IN (SELECT id FROM sensor_cited)")"
wait_pruned() { for _ in $(seq 200); do [ "$(n_kind sensor.pruned)" -ge 1 ] && return 0; sleep 0.05; done; return 1; }
ok "sensor.pruned is ledgered" wait_pruned
is "counting the uncited events past 90 days, naming the retention" "$((total - cited))|90" \
	"$(vt_sql "SELECT json_extract(payload,'$.count')||'|'||json_extract(payload,'$.retention_days') FROM ledger WHERE kind='sensor.pruned'")"
gone() { for _ in $(seq 100); do [ "$(n_ev)" -le "$cited" ] && return 0; sleep 0.05; done; return 1; }
ok "they are deleted" gone
is "the cited ones are all kept" "$cited|$cited" \
	"$(n_ev)|$(vt_sql "SELECT count(*) FROM sensor_event WHERE id IN (SELECT id FROM sensor_cited)")"
is "every event the ledger cites still exists" 0 \
	"$(vt_sql "SELECT count(*) FROM ledger, json_each('[' || cites || ']') j WHERE cites <> '' AND CAST(j.value AS INTEGER) > 0 AND CAST(j.value AS INTEGER) NOT IN (SELECT id FROM sensor_event)")"
ok "the log says so" grep -q "sensor events pruned" "$T/vaultd.log"
gpio "set door_b 1" >/dev/null; gpio "set door_b 0" >/dev/null; sleep 0.3
now=$(n_ev)
vt_stop
ok "restarted, still 100 days on" ft_start
sleep 6
is "new events are kept, and nothing more is pruned" "$now|1" "$(n_ev)|$(n_kind sensor.pruned)"
vt_stop
out=$("$VAULTD" -c <(sed 's/^sensor_retention_days = 90/sensor_retention_days = 3/' "$T/vault.ini") --check-config 2>&1); rc=$?
contains "a retention under 7 days is refused" "sensor_retention_days = 3: 0 (forever) or at least 7" "$out"
ok "the ledger verifies" "$VAULTCTL" verify
vt_done
