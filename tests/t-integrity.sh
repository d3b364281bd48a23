# SPDX-License-Identifier: MIT
# On-box integrity: vaultd verifies its own ledger (once after start, on demand
# with `vaultctl ledger verify-now`, ledgering ledger.verified or the alarm
# ledger.verify_failed) and `vaultctl backup` takes a consistent, verified copy
# of the live database. The database is tampered with from outside, as an
# intruder with the file would.
. "$(dirname "$0")/lib.sh"
VT_WAL_RESERVE_MB=4 vt_init "[ledger]" "verify_at_start_s = 1"
ok "vaultd starts" vt_start
# The WAL reserve ([ledger] wal_reserve_mb): the log's first 4 MiB written at
# start, so that commits overwrite the file instead of extending it.
is "the -wal file is reserved at start: 4 MiB" 4194304 "$(stat -c %s "$T/vault.db-wal")"
contains "vaultd logs the reserve" "WAL reserve: 4 MiB" "$(cat "$T/vaultd.log")"
"$VAULTCTL" unit add --id U1 --name "Survey Bureau" >/dev/null
"$VAULTCTL" person add --id S1 --name "Zhang San" --role staff --unit U1 --unix-user nobody >/dev/null
"$VAULTCTL" person add --id SV --name "Wang Wu" --role supervisor --unit U1 --unix-user daemon >/dev/null

# Once shortly after start, on its own.
for _ in $(seq 100); do
	[ "$(vt_sql "SELECT count(*) FROM ledger WHERE kind='ledger.verified'")" -ge 1 ] && break
	sleep 0.1
done
is "a ledger.verified entry appears after start on its own" "start" \
	"$(vt_sql "SELECT json_extract(payload,'$.trigger') FROM ledger WHERE kind='ledger.verified' ORDER BY seq LIMIT 1")"
p=$(vt_sql "SELECT payload FROM ledger WHERE kind='ledger.verified' ORDER BY seq LIMIT 1")
contains "it says how many entries were read" '"entries":' "$p"
contains "and how long it took" '"ms":' "$p"

# On demand.
out=$("$VAULTCTL" ledger verify-now); rc=$?
is "verify-now on a clean ledger exits 0" 0 "$rc"
contains "and answers verified" "verified:" "$out"
last=$(vt_sql "SELECT seq||'|'||kind||'|'||json_extract(payload,'$.trigger') FROM ledger WHERE kind LIKE 'ledger.verif%' ORDER BY seq DESC LIMIT 1")
contains "the answer names the entry it ledgered" "ledger.verified at seq ${last%%|*}" "$out"
is "verify-now ledgers ledger.verified (trigger action)" "ledger.verified|action" "${last#*|}"
tip=$(vt_sql "SELECT json_extract(payload,'$.tip') FROM ledger WHERE seq=${last%%|*}")
is "the verified tip is the entry before the result" "$((${last%%|*} - 1))" "$tip"

# Roles: supervisor and admin only.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 666 "$T/vaultd.sock"
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$VAULTCTL" ledger verify-now 2>&1); rc=$?
	is "a staff member's verify-now is refused (exit 1)" 1 "$rc"
	contains "with the role refusal" "ADMIN_ROLE_DENIED" "$out"
	is "the refusal is ledgered, no run is" "admin.refused|S1" \
		"$(vt_sql "SELECT kind||'|'||actors FROM ledger ORDER BY seq DESC LIMIT 1")"
	out=$(setpriv --reuid=daemon --regid=daemon --clear-groups "$VAULTCTL" ledger verify-now 2>&1); rc=$?
	is "a supervisor's verify-now is answered verified" "0|verified" "$rc|${out%%:*}"
else
	skip "acting as other Unix users (setpriv) needs root" 4
fi

# backup while vaultd runs and entries are being added.
( for i in $(seq 40); do "$VAULTCTL" vault check --note "n$i" >/dev/null; done ) &
writer=$!
sleep 0.2
out=$("$VAULTCTL" backup --out "$T/copy.db"); rc=$?
wait "$writer"
is "backup while entries are added exits 0" 0 "$rc"
contains "it prints the copy's tip and verified" "registry rows checked: verified" "$out"
ctip=$(sqlite3 -readonly "$T/copy.db" "SELECT max(seq) FROM ledger")
contains "the printed tip is the copy's" "at tip seq $ctip, hash" "$out"
ok "the copy is taken during the writes (tip after the entries before)" \
	test "$ctip" -gt "$tip"
ok "its tip is at most the live tip" test "$ctip" -le "$(vt_count)"
is "the copy's tip hash is the live ledger's at that seq" \
	"$(vt_sql "SELECT hex(hash) FROM ledger WHERE seq=$ctip")" \
	"$(sqlite3 -readonly "$T/copy.db" "SELECT hex(hash) FROM ledger WHERE seq=$ctip")"
sed "s#$T/vault.db#$T/copy.db#" "$T/vault.ini" >"$T/copy.ini"
ok "the copy verifies with vaultctl verify" "$VAULTCTL" -c "$T/copy.ini" verify
is "the copy is one file in rollback mode (no -wal needed)" "delete" \
	"$(sqlite3 "$T/copy.db" "PRAGMA journal_mode")"
is "no temporary file is left" "" "$(ls "$T" | grep 'copy.db.tmp')"

sum=$(md5sum <"$T/copy.db")
out=$("$VAULTCTL" backup --out "$T/copy.db" 2>&1); rc=$?
is "backup onto an existing file is refused (exit 2)" 2 "$rc"
contains "saying it exists" "already exists" "$out"
is "the existing file is untouched" "$sum" "$(md5sum <"$T/copy.db")"
: >"$T/new.db.tmp"
out=$("$VAULTCTL" backup --out "$T/new.db" 2>&1); rc=$?
is "a FILE.tmp in the way is not written over (exit 4)" "4|0" "$rc|$(stat -c %s "$T/new.db.tmp")"
ok "and FILE is not created" test ! -e "$T/new.db"

is "the commits since (registry, a verification, backups) left it at 4 MiB" \
	4194304 "$(stat -c %s "$T/vault.db-wal")"

# Verification against a live vaultd reads one snapshot: with registry changes
# committed meanwhile, a chain read before one of them and a registry read
# after it would disagree and report a sound ledger as failed.
( for i in $(seq 80); do
	"$VAULTCTL" person add --id RP$i --name "Race $i" --role staff --unit U1 >/dev/null
done ) &
writer=$!
vbad=0 sbad=0 runs=0
while kill -0 "$writer" 2>/dev/null; do
	"$VAULTCTL" verify >"$T/race.out" 2>&1 || { vbad=$((vbad + 1)); cp "$T/race.out" "$T/race.verify"; }
	"$VAULTCTL" self-inspection >"$T/race.out" 2>&1 || { sbad=$((sbad + 1)); cp "$T/race.out" "$T/race.si"; }
	runs=$((runs + 1))
done
wait "$writer"
ok "several verifications ran during the registry changes ($runs)" test "$runs" -ge 3
is "vaultctl verify never failed a sound ledger during them ($(head -c 300 "$T/race.verify" 2>/dev/null))" 0 "$vbad"
is "self-inspection never failed a sound ledger during them ($(grep -m2 -i 'failed\|differs\|missing' "$T/race.si" 2>/dev/null))" 0 "$sbad"

# Tampering behind vaultd's back: a registry row changed.
sqlite3 "$T/vault.db" "UPDATE unit SET name='Somebody Else' WHERE id='U1'"
out=$("$VAULTCTL" ledger verify-now); rc=$?
is "verify-now on a tampered registry exits 3" 3 "$rc"
contains "and answers with the failure" "LEDGER_VERIFY_FAILED" "$out"
contains "naming the row" "registry row unit/U1" "$out"
fseq=$(vt_sql "SELECT max(seq) FROM ledger WHERE kind='ledger.verify_failed'")
is "the alarm ledger.verify_failed names the bad row" "LEDGER_VERIFY_FAILED|unit/U1" \
	"$(vt_sql "SELECT json_extract(payload,'$.code')||'|'||json_extract(payload,'$.bad_row') FROM ledger WHERE seq=$fseq")"
contains "with what the verifier said" "column name differs" \
	"$(vt_sql "SELECT json_extract(payload,'$.said') FROM ledger WHERE seq=$fseq")"
out=$("$VAULTCTL" alert list)
contains "alert list shows the alarm" "\"seq\":$fseq,\"time\"" "$out"
contains "as ledger.verify_failed" '"kind":"ledger.verify_failed","severity":"alarm","code":"LEDGER_VERIFY_FAILED"' "$out"
ok "vaultd keeps running" kill -0 "$VAULTD_PID"
ok "and keeps answering" "$VAULTCTL" whoami

# A ledger entry rewritten (the append-only trigger dropped first).
sqlite3 "$T/vault.db" "DROP TRIGGER ledger_no_update; UPDATE ledger SET actors='intruder' WHERE seq=5"
out=$("$VAULTCTL" ledger verify-now); rc=$?
is "verify-now on a rewritten entry exits 3" 3 "$rc"
contains "naming the first bad seq" "first bad seq 5" "$out"
is "the alarm carries first_bad_seq" 5 \
	"$(vt_sql "SELECT json_extract(payload,'$.first_bad_seq') FROM ledger WHERE kind='ledger.verify_failed' ORDER BY seq DESC LIMIT 1")"

out=$("$VAULTCTL" backup --out "$T/tampered.db"); rc=$?
is "the backup of the tampered database exits 3" 3 "$rc"
contains "its copy does not verify" "VERIFICATION FAILED" "$out"
ok "vaultd is still running" kill -0 "$VAULTD_PID"
vt_stop
ok "a clean stop gives the reserve back (no -wal file, or an empty one)" \
	test ! -s "$T/vault.db-wal"
is "vaultd stopped cleanly" "vaultd.stop" "$(vt_sql "SELECT kind FROM ledger ORDER BY seq DESC LIMIT 1")"
vt_done
