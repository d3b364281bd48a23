# SPDX-License-Identifier: MIT
# Inventory reconciliation against shelf-sim through the real libmodbus: three
# shelves on an RTU line, the kiosk pad over TCP. Media placed, one misplaced,
# one missing, an unknown tag, a silent shelf (its media unverified, never
# missing); the signed report checked with openssl against the genesis key;
# alarms; a missing medium read back; `vaultctl verify`.
. "$(dirname "$0")/lib.sh"
command -v socat >/dev/null || skip_all "socat is missing"
command -v openssl >/dev/null || skip_all "openssl is missing"
command -v xxd >/dev/null || skip_all "xxd is missing"
SIM=$B/shelf-sim
"$SIM" --tcp 0 --tcp-slaves 10:1 --rtu-link "$T/rtu" --slaves 1,2,3 --control "$T/shelf.ctl" \
	--scan-ms 10 --appear 1 --vanish 1 >"$T/sim.out" 2>"$T/sim.err" &
SIMPID=$!
trap 'vt_stop; kill $SIMPID 2>/dev/null; [ "${KEEP:-}" ] || rm -rf "$T"' EXIT
for _ in $(seq 100); do grep -q '^ready$' "$T/sim.out" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's/^tcp_port=//p' "$T/sim.out")
vt_init "[bus.shelves]" "kind = rtu" "device = $T/rtu" "baud = 115200" \
	"shelves = 1:SH-1, 2:SH-2, 3:SH-3" "response_timeout_ms = 100" "poll_interval_ms = 20" \
	"[bus.kiosk]" "kind = tcp" "host = 127.0.0.1" "port = $port" "shelves = 10:kiosk-pad" \
	"response_timeout_ms = 100" "poll_interval_ms = 20" \
	"[custody]" "inventory_every_h = 1" "inventory_settle_s = 5"
ok "vaultd starts with three shelves and the kiosk pad" vt_start
sim() { printf '%s\n' "$1" | socat -t 2 - "UNIX-CONNECT:$T/shelf.ctl"; }
q() { "$VAULTCTL" "$@" >>"$T/ctl.log" 2>&1; }
ev() { vt_sql "SELECT count(*) FROM sensor_event WHERE source='$1' AND kind='$2' AND instr(data,'$3')>0"; }
wait_ev() { for _ in $(seq 100); do [ "$(ev "$@")" -gt 0 ] && return 0; sleep 0.05; done; return 1; }
wait_kind() { for _ in $(seq 100); do [ "$(vt_sql "SELECT count(*) FROM ledger WHERE kind='$1'")" -gt "${2:-0}" ] && return 0; sleep 0.05; done; return 1; }
TG=E2000000000000000000
q unit add --id U1 --name "Survey Institute" --first-time no
for m in 1:SH-1 2:SH-1 3:SH-2 4:SH-3 5:SH-3 6:SH-2; do
	q medium add --id "M${m%%:*}" --tag "${TG}000${m%%:*}" --title "Sheet ${m%%:*}" \
		--classification secret --home-shelf "${m#*:}"
done
is "six media registered" 6 "$(vt_sql "SELECT count(*) FROM medium")"
sim "place 1 1 ${TG}0001" >/dev/null # M1 on its home shelf
sim "place 2 1 ${TG}0002" >/dev/null # M2 (home SH-1) on SH-2: misplaced
sim "place 2 2 ${TG}0006" >/dev/null # M6 at home
sim "place 2 3 ${TG}00FF" >/dev/null # a tag nobody registered
sim "place 3 1 ${TG}0004" >/dev/null # M4 at home on SH-3, which then goes silent
sim "place 10 1 ${TG}0005" >/dev/null # M5 (home SH-3) on the kiosk pad: no shelf
# M3 (home SH-2) is nowhere.
ok "the tags are read" wait_ev SH-3 tag.arrived ${TG}0004
wait_ev SH-2 tag.arrived ${TG}00FF
wait_ev kiosk-pad tag.arrived ${TG}0005
sim "silence 3 on" >/dev/null
ok "SH-3 goes silent (a ledgered fault)" wait_kind shelf.fault

out=$("$VAULTCTL" inventory run 2>&1); rc=$?
is "inventory run replies when the sweep is done (exit 0)" 0 "$rc"
seq=$(vt_sql "SELECT max(seq) FROM ledger WHERE kind='inventory.reconciled'")
contains "the reply names the ledger entry" "\"seq\":$seq" "$out"
P() { vt_sql "SELECT json_extract(payload,'$1') FROM ledger WHERE seq=$seq"; }
is "counts: 2 present, 1 missing, 1 misplaced, 1 unexpected, 2 unverified" \
	'{"present":2,"missing":1,"misplaced":1,"unexpected":1,"unverified":2}' "$(P '$.counts')"
is "the shelves read afresh" '["SH-1","SH-2"]' "$(P '$.shelves.read')"
is "the silent shelf is named as not read" '[{"shelf":"SH-3","state":"fault"}]' "$(P '$.shelves.unread')"
R() { vt_sql "SELECT json_extract(json_extract(payload,'$.report'),'$1') FROM ledger WHERE seq=$seq"; }
is "present: M1 and M6" "M1 M6" "$(R '$.present' | grep -o '"medium":"M[0-9]"' | cut -d'"' -f4 | xargs)"
is "missing: M3, expected on SH-2" "M3|SH-2" "$(R '$.missing[0].medium')|$(R '$.missing[0].expected_shelf')"
is "misplaced: M2, expected SH-1, seen on SH-2" "M2|SH-1|SH-2" \
	"$(R '$.misplaced[0].medium')|$(R '$.misplaced[0].expected_shelf')|$(R '$.misplaced[0].seen_shelf')"
m2ev=$(vt_sql "SELECT id FROM sensor_event WHERE source='SH-2' AND kind='tag.arrived' AND instr(data,'${TG}0002')>0 ORDER BY id DESC LIMIT 1")
is "the misplaced read cites its sensor event" "$m2ev" "$(R '$.misplaced[0].sensor_event')"
is "unexpected: the unknown tag on SH-2" "${TG}00FF|SH-2|INVENTORY_UNKNOWN_TAG" \
	"$(R '$.unexpected[0].tag')|$(R '$.unexpected[0].seen_shelf')|$(R '$.unexpected[0].code')"
is "unverified: M4 and M5 (home SH-3, silent) — never missing" "M4 M5" \
	"$(R '$.unverified' | grep -o '"medium":"M[0-9]"' | cut -d'"' -f4 | xargs)"
is "M4 keeps its last-known shelf" "SH-3" "$(R '$.unverified[0].last_known_shelf')"
is "the kiosk pad is not part of the sweep (M5 lies there)" 0 "$(R '$' | grep -c kiosk-pad)"

# The signature, checked independently: openssl, the genesis public key.
P '$.report' | tr -d '\n' >"$T/report.json"
is "sha256 of the report is in the entry" "$(P '$.sha256')" "$(sha256sum <"$T/report.json" | cut -d' ' -f1)"
pk=$(vt_sql "SELECT json_extract(payload,'$.checkpoint_pubkey') FROM ledger WHERE seq=1")
printf '302a300506032b6570032100%s' "$pk" | xxd -r -p >"$T/pk.der"
openssl pkey -pubin -inform DER -in "$T/pk.der" -out "$T/pk.pem" 2>>"$T/ok.log"
P '$.sig' | xxd -r -p >"$T/sig.bin"
ok "the report's Ed25519 signature verifies with the genesis key (openssl)" \
	openssl pkeyutl -verify -pubin -inkey "$T/pk.pem" -rawin -in "$T/report.json" -sigfile "$T/sig.bin"
printf ' ' >>"$T/report.json"
out=$(openssl pkeyutl -verify -pubin -inkey "$T/pk.pem" -rawin -in "$T/report.json" -sigfile "$T/sig.bin" 2>&1)
is "and a changed report does not" 1 "$?"
out=$("$VAULTCTL" inventory report --seq "$seq")
contains "vaultctl inventory report verifies hash and signature" '"hash_ok":true,"signature_ok":true' "$out"

# Alarms, one per medium, and the missing medium's status.
A() { vt_sql "SELECT medium||'|'||json_extract(payload,'$.code')||'|'||json_extract(payload,'$.inventory') FROM ledger WHERE kind='$1' ORDER BY seq"; }
is "inventory.missing for M3" "M3|INVENTORY_MISSING|$seq" "$(A inventory.missing)"
is "inventory.misplaced for M2" "M2|INVENTORY_MISPLACED|$seq" "$(A inventory.misplaced)"
is "inventory.unexpected for the unknown tag" "|INVENTORY_UNKNOWN_TAG|$seq" "$(A inventory.unexpected)"
is "the unexpected alarm cites the read" "$(R '$.unexpected[0].sensor_event')" \
	"$(vt_sql "SELECT cites FROM ledger WHERE kind='inventory.unexpected'")"
is "no alarm for the unverified media" 0 "$(vt_sql "SELECT count(*) FROM ledger WHERE kind LIKE 'inventory.%' AND medium IN ('M4','M5')")"
is "M3 is now registered missing" missing "$(vt_sql "SELECT status FROM medium WHERE id='M3'")"
is "... by the alarm entry" "$(vt_sql "SELECT seq FROM ledger WHERE kind='inventory.missing'")" \
	"$(vt_sql "SELECT seq FROM medium WHERE id='M3'")"

# M3 turns up at home, SH-3 answers again: a second sweep.
sim "silence 3 off" >/dev/null
wait_kind shelf.recovered
sim "place 2 4 ${TG}0003" >/dev/null
wait_ev SH-2 tag.arrived ${TG}0003
out=$("$VAULTCTL" inventory run 2>&1)
seq=$(vt_sql "SELECT max(seq) FROM ledger WHERE kind='inventory.reconciled'")
is "second sweep: all shelves read" '["SH-1","SH-2","SH-3"]' "$(P '$.shelves.read')"
is "second sweep: 4 present (M1 M3 M4 M6), M5 missing, M2 misplaced" \
	'{"present":4,"missing":1,"misplaced":1,"unexpected":1,"unverified":0}' "$(P '$.counts')"
# Its arrival on the shelf (custody: medium.found) or the sweep (inventory.found)
# puts it back, whichever comes first.
is "M3 found again: back in-vault" "in-vault|found" \
	"$(vt_sql "SELECT status||'|'||(SELECT substr(kind, instr(kind,'.')+1) FROM ledger WHERE seq=medium.seq) FROM medium WHERE id='M3'")"

# The schedule counts from the last sweep: a restart does not run one.
before=$(vt_sql "SELECT count(*) FROM ledger WHERE kind='inventory.reconciled'")
vt_stop
vt_start
out=$("$VAULTCTL" inventory status)
contains "inventory status names the last sweep" "\"last_seq\":$seq" "$out"
sleep 1
is "no sweep right after a restart (next due in an hour)" "$before" \
	"$(vt_sql "SELECT count(*) FROM ledger WHERE kind='inventory.reconciled'")"
vt_stop

# The sweep coming due: vaultd restarted with its wall clock (libfaketime; the
# monotonic clock its timers run on stays real) 3 s before the hour since the
# last sweep is up. It sweeps once when the hour is up, as "schedule".
ft=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -1)
if grep -qa __asan_init "$VAULTD"; then
	skip "libfaketime cannot wrap the clock of an ASan build (both intercept clock_gettime)" 5
elif [ -n "$ft" ]; then
	n_rec() { vt_sql "SELECT count(*) FROM ledger WHERE kind='inventory.reconciled'"; }
	last_us=$(vt_sql "SELECT ts_utc FROM ledger WHERE seq=$seq")
	due_s=$((last_us / 1000000 + 3600))
	LD_PRELOAD=$ft FAKETIME="+$((due_s - $(date +%s) - 3))" FAKETIME_DONT_FAKE_MONOTONIC=1 \
		vt_start
	contains "restarted 3 s before the hour is up, it names the sweep due" \
		"\"next_due\":\"$(date -u -d "@$due_s" +%FT%T)" "$("$VAULTCTL" inventory status)"
	is "and has not swept yet" "$before" "$(n_rec)"
	wait_due() { for _ in $(seq 200); do [ "$(n_rec)" -gt "$before" ] && return 0; sleep 0.05; done; return 1; }
	ok "when the hour is up it sweeps on its own" wait_due
	sweep=$(vt_sql "SELECT seq FROM ledger WHERE kind='inventory.reconciled' ORDER BY seq DESC LIMIT 1")
	is "once, as the schedule (no person), not before it was due" "$((before + 1))|schedule||1" \
		"$(n_rec)|$(vt_sql "SELECT json_extract(payload,'\$.trigger') FROM ledger WHERE seq=$sweep")|$(vt_sql "SELECT actors FROM ledger WHERE seq=$sweep")|$(vt_sql "SELECT ts_utc >= $due_s * 1000000 FROM ledger WHERE seq=$sweep")"
	contains "the next one is due an hour after it" \
		"\"next_due\":\"$(date -u -d "@$(($(vt_sql "SELECT ts_utc FROM ledger WHERE seq=$sweep") / 1000000 + 3600))" +%FT%T)" \
		"$("$VAULTCTL" inventory status)"
	vt_stop
else
	skip "libfaketime is missing: the sweep coming due is not tested" 5
fi
ok "the ledger verifies (hashes, registry replay)" "$VAULTCTL" verify
vt_done
