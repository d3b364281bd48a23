# SPDX-License-Identifier: MIT
# Custody end to end: vaultd with shelves and the kiosk pad read over Modbus TCP
# from shelf-sim, the door through PN532 emulators and the GPIO sim. Removal
# attribution, checkout, return, wrong shelf, never back, off-path reads, and
# unaccounted media, each asserted on the ledger entries and the sensor events
# they cite.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-door.sh"
. "$(dirname "$0")/lib-custody.sh"
shelf_start
put 1 "$T1"; put 1 "$T2"; put 2 "$T3"
custody_site
ok "the shelves' contents are read (M1 on SH-1)" wait_sev SH-1 arrived "$T1"

# 0. Nobody is inside, yet M3 leaves SH-2: an alarm at once, not after the window.
r=$(n_kind medium.removed)
take 2 "$T3"
ok "M3 leaving SH-2 with nobody inside: medium.removed" wait_more medium.removed "$r"
contains "which says nobody is inside" '"note":"nobody is inside the vault"' "$(last_payload medium.removed)"
is "and alarm.removal_unoccupied at once, for M3, citing the departure" \
	"M3|REMOVAL_UNOCCUPIED|SH-2|$(sev SH-2 departed "$T3")" \
	"$(vt_sql "SELECT medium||'|'||json_extract(payload,'$.code')||'|'||json_extract(payload,'$.shelf')||'|'||cites FROM ledger WHERE kind='alarm.removal_unoccupied'")"
contains "listed as an alarm" '"kind":"alarm.removal_unoccupied","severity":"alarm"' "$("$VAULTCTL" alert list)"
p=$(n_kind medium.replaced)
put 2 "$T3"
ok "put back: medium.replaced closes the removal" wait_more medium.replaced "$p"
enter_c1
is "C1 is inside the vault" 1 "$(n_kind entry.confirmed)"

# 1. A removal while C1 is inside is attributed to C1.
r=$(n_kind medium.removed)
take 1 "$T1"
ok "M1 leaving SH-1 is ledgered as medium.removed" wait_more medium.removed "$r"
is "attributed to the occupant" "C1" "$(last_actors medium.removed)"
dep=$(sev SH-1 departed "$T1")
is "citing the departure sensor event" "$dep" \
	"$(vt_sql "SELECT cites FROM ledger WHERE kind='medium.removed' ORDER BY seq DESC LIMIT 1")"

# 2. Checkout at the kiosk: S1 under AP1 with M1 on the pad.
put_wait 10 kiosk-pad "$T1"
padev=$(sev kiosk-pad arrived "$T1")
out=$(as nobody custody checkout --approval AP1)
contains "S1 checks out what is on the pad" '"medium":"M1","ok":true' "$out"
is "checkout.confirmed names medium, approval and borrower" "M1|AP1|S1" \
	"$(vt_sql "SELECT medium||'|'||approval||'|'||actors FROM ledger WHERE kind='checkout.confirmed'")"
is "it cites the pad read and the shelf removal" "$dep,$padev" \
	"$(vt_sql "SELECT cites FROM ledger WHERE kind='checkout.confirmed'")"
is "the pad read and the removal are sensor events of M1's tag" "tag.departed SH-1|tag.arrived kiosk-pad" \
	"$(vt_sql "SELECT group_concat(kind||' '||source,'|') FROM (SELECT kind, source FROM sensor_event WHERE id IN ($dep,$padev) AND instr(data,'$T1')>0 ORDER BY id)")"
due=$(vt_sql "SELECT json_extract(payload,'\$.due') FROM ledger WHERE kind='checkout.confirmed'")
contains "with a due date" "$((year))" "$due"
is "the register says checked out to S1 until the due date" "checked-out|S1|AP1|$due" \
	"$(vt_sql "SELECT status||'|'||borrower||'|'||approval||'|'||due FROM medium WHERE id='M1'")"
take 10 "$T1"

# 3. Refusals: max_out reached, a medium not on the pad, a person without approval.
take 1 "$T2"; put_wait 10 kiosk-pad "$T2"
rf=$(n_kind checkout.refused)
out=$(as nobody custody checkout --approval AP1 --media M2); rc=$?
is "a second medium beyond max_out 1 is refused (exit 1)" 1 "$rc"
contains "with its reason" '"code":"APPROVAL_MAX_OUT"' "$out"
ok "the refusal is ledgered" wait_more checkout.refused "$rf" APPROVAL_MAX_OUT
is "M2 stays in the vault" in-vault "$(status_of M2)"
out=$(as nobody custody checkout --approval AP1 --media M3)
contains "a medium not on the pad is refused" '"code":"NOT_ON_PAD"' "$out"
out=$(as daemon custody checkout --approval AP1)
contains "C1 cannot use S1's approval" '"code":"APPROVAL_OTHER_PERSON"' "$out"
V unit suspend --id U1 --reason "failed to rectify"
out=$(as nobody custody checkout --approval AP1 --media M2)
contains "a suspended unit's staff get nothing" '"code":"UNIT_SUSPENDED"' "$out"
V unit reinstate --id U1
# M2 goes back to its shelf within the window: no alarm.
take 10 "$T2"; put_wait 1 SH-1 "$T2"
ok "put back on its shelf in time: medium.replaced closes the removal" wait_more medium.replaced 0
is "with no alarm" 0 "$(n_kind medium.unaccounted)"

out=$(as nobody custody checkout --approval AP1)
contains "nothing registered on the pad: PAD_EMPTY" '"code":"PAD_EMPTY"' "$out"
is "every refusal was ledgered with its code" \
	"APPROVAL_MAX_OUT NOT_ON_PAD APPROVAL_OTHER_PERSON UNIT_SUSPENDED PAD_EMPTY" \
	"$(vt_sql "SELECT group_concat(json_extract(payload,'\$.code'),' ') FROM (SELECT payload FROM ledger WHERE kind='checkout.refused' ORDER BY seq)")"
# 4. Moved to another shelf.
m=$(n_kind medium.moved)
take 2 "$T3"; sleep 0.3; put 1 "$T3"
ok "M3 moved from SH-2 to SH-1 is ledgered" wait_more medium.moved "$m"
contains "from and to, not its home" '"from":"SH-2","to":"SH-1"' "$(last_payload medium.moved)"
take 1 "$T3"; put 2 "$T3"
# 5. Unaccounted: M2 leaves its shelf and is neither checked out nor put back.
sleep 0.5
u=$(n_kind medium.unaccounted)
take 1 "$T2"
ok "after the window M2 is medium.unaccounted" wait_more medium.unaccounted "$u" MEDIUM_UNACCOUNTED
is "attributed to the occupant at the removal" C1 "$(last_actors medium.unaccounted)"
is "and the register marks it missing" missing "$(status_of M2)"
f=$(n_kind medium.found)
put 1 "$T2"
ok "read on a shelf again: medium.found" wait_more medium.found "$f"
is "back in the vault" in-vault "$(status_of M2)"

# 6. Off-path: M1 (checked out to S1) put straight on a shelf without the kiosk.
o=$(n_kind medium.off_path)
put 1 "$T1"
ok "a checked-out medium read on a shelf is medium.off_path" wait_more medium.off_path "$o" MEDIUM_OFF_PATH
contains "naming where and whose" '"read_at":"SH-1","status":"checked-out","person":"S1"' "$(last_payload medium.off_path)"
take 1 "$T1"

# 7. Return: only the borrower (or a custodian on their behalf).
put_wait 10 kiosk-pad "$T1"
out=$(as daemon custody return --media M1 2>&1)
contains "a custodian may receive on the borrower's behalf" '"ok":true' "$out"
contains "recorded as received_by" '"received_by":"C1"' "$(last_payload return.pending)"
is "return.pending for S1's medium" "M1|pending-return" "$(vt_sql "SELECT medium FROM ledger WHERE kind='return.pending'")|$(status_of M1)"
take 10 "$T1"
w=$(n_kind return.wrong_shelf)
put 2 "$T1"
ok "put on SH-2 instead of its home SH-1: a warning" wait_more return.wrong_shelf "$w" RETURN_WRONG_SHELF
is "still pending" pending-return "$(status_of M1)"
take 2 "$T1"
c=$(n_kind return.confirmed)
put 1 "$T1"
ok "read on its home shelf: return.confirmed" wait_more return.confirmed "$c"
is "it cites the home-shelf arrival" "1" \
	"$(vt_sql "SELECT instr(','||cites||',', ',$(sev SH-1 arrived "$T1"),')>0 FROM ledger WHERE kind='return.confirmed'")"
is "the register has it back with no borrower" "in-vault||" \
	"$(vt_sql "SELECT status||'|'||borrower||'|'||due FROM medium WHERE id='M1'")"

# 8. AP1 requested one medium (quantity 1): with nothing out, M1 may go out again
# but no other medium may.
take 1 "$T2"; put_wait 10 kiosk-pad "$T2"
rf=$(n_kind checkout.refused APPROVAL_QUANTITY_USED)
out=$(as nobody custody checkout --approval AP1 --media M2)
contains "a second medium under AP1 (quantity 1), nothing out: refused" '"code":"APPROVAL_QUANTITY_USED"' "$out"
ok "the refusal is ledgered" wait_more checkout.refused "$rf" APPROVAL_QUANTITY_USED
is "M2 stays in the vault" in-vault "$(status_of M2)"
take 10 "$T2"; put_wait 1 SH-1 "$T2"

# 9. Someone else cannot return; a return never reaching its shelf is an alarm.
take 1 "$T1"; put_wait 10 kiosk-pad "$T1"
ok "M1 again under AP1: the same medium counts once" as nobody custody checkout --approval AP1 --media M1
out=$(as nobody custody return --media M3)
contains "returning a medium that is not out is refused" '"code":"RETURN_NOT_OUT"' "$out"
V person update --id S2 --unix-user sys
out=$(as sys custody return --media M1)
contains "another staff member cannot return S1's medium" '"code":"RETURN_NOT_BORROWER"' "$out"
mis=$(n_kind return.missing)
out=$(as nobody custody return --media M1)
contains "the borrower returns it" '"ok":true' "$out"
take 10 "$T1"
ok "never reaching its home shelf: return.missing" wait_more return.missing "$mis" RETURN_MISSING
is "naming the borrower" S1 "$(last_actors return.missing)"
vt_stop
ok "vaultd restarts with M1's return still pending" vt_start
sleep 4 # past what a re-armed window would have left (return_window_s 3)
is "the restart does not raise return.missing again" "$((mis + 1))" "$(n_kind return.missing)"
r=$(n_kind return.confirmed)
put_wait 1 SH-1 "$T1"
ok "M1 read on its home shelf later still confirms the return" wait_more return.confirmed "$r"
is "M1 is in the vault" in-vault "$(status_of M1)"
vt_stop
ok "the ledger verifies (chain, checkpoints, registry replay)" "$VAULTCTL" verify
out=$("$VAULTCTL" ledger checkout --format csv)
contains "the checkout ledger lists the checkout" "checkout.confirmed" "$out"
contains "and the confirmed return" "return.confirmed" "$out"
vt_done
