# SPDX-License-Identifier: MIT
# More media in flight than custody can watch (512 flows at once): a shelf
# node reporting its tags gone, here 520 of them across nine full shelves.
# Every departure is still ledgered (medium.removed citing it); the first flow
# that does not fit raises alarm.custody_overflow, once for the episode, and
# each one beyond the limit is unaccounted for at once (CUSTODY_OVERFLOW, the
# medium missing until a shelf reads it again) instead of being forgotten. A
# return that cannot be watched is return.missing at once, and still confirmed
# when its tag comes home. Then a recovery query the database cannot answer
# (a corrupt ledger payload) stops vaultd at start instead of running blind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-door.sh"
. "$(dirname "$0")/lib-custody.sh"
LIMIT=512 N=520
SLAVES=(11 12 13 14 15 16 17 18 19) # SH-11 .. SH-19, 64 tags each
"$B/shelf-sim" --tcp 0 --tcp-slaves "1:1,2:1,10:1,$(IFS=,; echo "${SLAVES[*]}")" \
	--control "$T/shelf.ctl" --scan-ms 10 --appear 1 --vanish 1 >"$T/sim.out" 2>"$T/sim.err" &
SIMPID=$!
for _ in $(seq 100); do grep -q '^ready$' "$T/sim.out" 2>/dev/null && break; sleep 0.05; done
SIMPORT=$(sed -n 's/^tcp_port=//p' "$T/sim.out")
put 1 "$T1"; put 1 "$T2"; put 2 "$T3"
shelves="1:SH-1, 2:SH-2, 10:kiosk-pad"
for s in "${SLAVES[@]}"; do shelves+=", $s:SH-$s"; done
mapfile -t ini < <(custody_ini "[bus.vault]" "shelves = $shelves" "[custody]" \
	"removal_window_s = 600" "return_window_s = 600")
# No readers: the door is not part of this test (nobody is inside).
vt_init "${ini[@]}"
sed -i 's/^door = pn532_uart.*/door =/; s/^exit = pn532_uart.*/exit =/' "$T/vault.ini"
ok "vaultd starts with eleven shelves and the pad" vt_start
site_setup

# M1 checked out (its removal closed): nothing in flight before the flood.
take 1 "$T1"
put_wait 10 kiosk-pad "$T1"
ok "M1 is checked out" as nobody custody checkout --approval AP1 --media M1
take 10 "$T1"
# Past custody's settle (inventory_settle_s after the start): media registered
# from now on and not yet shelved get no removal for being on no shelf.
sleep 2

tag() { printf 'E20000000000000000B%05d' "$1"; }
# 520 media, 64 a shelf on SH-11.., registered on one admin connection.
for i in $(seq "$N"); do
	printf '{"action":"medium.add","args":{"id":"B%05d","tag":"%s","title":"Bulk %d",' \
		"$i" "$(tag "$i")" "$i"
	printf '"dataset":"bulk","classification":"confidential","home_shelf":"SH-%d",' \
		"${SLAVES[$(((i - 1) / 64))]}"
	printf '"project":"PR1"}}\n'
done | socat -t 120 - "UNIX-CONNECT:$T/vaultd.sock" >"$T/reg.out"
is "$N media registered" "$N" "$(vt_sql "SELECT count(*) FROM medium WHERE id GLOB 'B*'")"
sim_all() { # place|remove: every bulk tag, on one control connection
	local i
	for i in $(seq "$N"); do
		if [ "$1" = place ]; then
			printf 'place %d 1 %s\n' "${SLAVES[$(((i - 1) / 64))]}" "$(tag "$i")"
		else
			printf 'remove %d %s\n' "${SLAVES[$(((i - 1) / 64))]}" "$(tag "$i")"
		fi
	done | socat -t 10 - "UNIX-CONNECT:$T/shelf.ctl" | grep -vc '^ok'
}
wait_n() { # SQL N: until the count reaches N (60 s)
	for _ in $(seq 600); do [ "$(vt_sql "$1")" -ge "$2" ] && return 0; sleep 0.1; done
	return 1
}
is "the simulator holds every tag" 0 "$(sim_all place)"
ok "vaultd reads all $N on their shelves" wait_n \
	"SELECT count(*) FROM sensor_event WHERE kind='tag.arrived' AND source GLOB 'SH-1?'" "$N"
removed() { vt_sql "SELECT count(*) FROM ledger WHERE kind='medium.removed' AND medium GLOB 'B*'"; }
is "nothing removed yet" 0 "$(removed)"

# The shelves report all of them gone.
is "the simulator removes every tag" 0 "$(sim_all remove)"
wait_n "SELECT count(*) FROM ledger WHERE kind='medium.removed' AND medium GLOB 'B*'" "$N"
sleep 1
is "every departure is ledgered: $N medium.removed" "$N" "$(removed)"
is "each cites its departure" "$N" "$(vt_sql "SELECT count(*) FROM ledger l JOIN sensor_event s
	ON s.id = CAST(l.cites AS INTEGER) WHERE l.kind='medium.removed' AND l.medium GLOB 'B*'
	AND s.kind='tag.departed' AND instr(s.data, 'tag=' || (SELECT tag FROM medium WHERE id=l.medium)) > 0")"
is "one alarm.custody_overflow for the episode" 1 "$(n_kind alarm.custody_overflow)"
is "with its code, naming how many are in flight" "CUSTODY_OVERFLOW|$LIMIT|$LIMIT" \
	"$(vt_sql "SELECT json_extract(payload,'$.code')||'|'||json_extract(payload,'$.in_flight')||'|'||json_extract(payload,'$.limit') FROM ledger WHERE kind='alarm.custody_overflow'")"
# Straight on the socket: these replies are larger than vaultctl reads.
raw() { printf '{"action":"%s"}\n' "$1" | socat -t 10 - "UNIX-CONNECT:$T/vaultd.sock"; }
contains "listed as an alarm" '"kind":"alarm.custody_overflow","severity":"alarm"' "$(raw alert.list)"
watched=$(raw custody.status | grep -o '"occupants"' | wc -l)
is "$LIMIT removals are watched" "$LIMIT" "$watched"
over=$(vt_sql "SELECT count(*) FROM ledger WHERE kind='medium.unaccounted' AND medium GLOB 'B*' AND json_extract(payload,'$.code')='CUSTODY_OVERFLOW'")
is "the $((N - LIMIT)) beyond are unaccounted for at once (CUSTODY_OVERFLOW)" $((N - LIMIT)) "$over"
is "each after its medium.removed, citing the same departure" $((N - LIMIT)) \
	"$(vt_sql "SELECT count(*) FROM ledger u JOIN ledger r ON r.medium=u.medium AND r.kind='medium.removed'
		AND r.seq < u.seq AND r.cites = u.cites WHERE u.kind='medium.unaccounted' AND u.medium GLOB 'B*'")"
is "and missing in the register" $((N - LIMIT)) "$(vt_sql "SELECT count(*) FROM medium WHERE id GLOB 'B*' AND status='missing'")"
is "none is lost: watched + unaccounted = taken" "$N" $((watched + over))

# A return while the table is full.
put_wait 10 kiosk-pad "$T1"
ok "M1 is returned at the kiosk" as nobody custody return --media M1
is "return.missing at once (CUSTODY_OVERFLOW), after its return.pending" "CUSTODY_OVERFLOW|1" \
	"$(vt_sql "SELECT json_extract(m.payload,'$.code')||'|'||(json_extract(m.payload,'$.pending_seq')=p.seq) FROM ledger m, ledger p WHERE m.kind='return.missing' AND m.medium='M1' AND p.kind='return.pending' AND p.medium='M1'")"
is "still one overflow alarm (the same episode)" 1 "$(n_kind alarm.custody_overflow)"
take 10 "$T1"
c=$(n_kind return.confirmed)
put 1 "$T1"
ok "M1 home on SH-1: return.confirmed" wait_more return.confirmed "$c"
is "M1 is in the vault" in-vault "$(status_of M1)"
# An unaccounted medium read on its shelf again is found.
b=$(vt_sql "SELECT medium FROM ledger WHERE kind='medium.unaccounted' AND medium GLOB 'B*' LIMIT 1")
b=${b:-B$(printf %05d "$N")} # none unaccounted: the next case fails, the test goes on
i=$((10#${b#B}))
c=$(n_kind medium.found)
put "${SLAVES[$(((i - 1) / 64))]}" "$(tag "$i")"
ok "$b back on its shelf: medium.found" wait_more medium.found "$c"
is "$b is in the vault" in-vault "$(status_of "$b")"
ok "the ledger verifies" "$VAULTCTL" verify

# A corrupt payload in an open removal: the recovery query fails at start.
open=$(vt_sql "SELECT id FROM medium WHERE id GLOB 'B*' AND status='in-vault' AND id NOT IN
	(SELECT medium FROM ledger WHERE kind='medium.unaccounted') LIMIT 1")
is "$open's removal is being watched" 1 "$(raw custody.status | grep -c "\"medium\":\"$open\"")"
vt_stop
trig=$(vt_sql "SELECT sql FROM sqlite_master WHERE type='trigger' AND name='ledger_no_update'")
sqlite3 "$T/vault.db" "DROP TRIGGER ledger_no_update;
	UPDATE ledger SET payload='{not json' WHERE kind='medium.removed' AND medium='$open';
	$trig;"
timeout 15 "$VAULTD" -c "$T/vault.ini" 2>>"$T/vaultd.log"
rc=$?
is "vaultd exits 1 at start (no timeout)" 1 "$rc"
contains "logging what it could not recover" "cannot recover the open removals" "$(cat "$T/vaultd.log")"
vt_done
