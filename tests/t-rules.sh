# SPDX-License-Identifier: MIT
# Rules of the directive end to end (their policy functions are unit-tested in
# test-policy): the vault closed on a holiday unless it is marked open (with
# years of past holidays on file); nav-map
# media only under an approval carrying the authority's reference; a request
# above [policy] onsite_threshold media waits for an on-site verification.
# vaultd with shelf-sim over Modbus TCP, the door's PN532 emulators, the GPIO
# sim; checkout at the kiosk pad through vaultctl as the staff member.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-door.sh"
. "$(dirname "$0")/lib-custody.sh"
shelf_start
T4=E2000000000000000000C004 # M4, nav-map, on SH-2
put 1 "$T1"; put 1 "$T2"; put 2 "$T3"; put 2 "$T4"
custody_site
V medium register --id M4 --tag "$T4" --title "Harbour chart" --dataset harbour \
	--category nav-map --classification secret --home-shelf SH-2 --project PR1
ok "the shelves' contents are read" wait_sev SH-2 arrived "$T4"

# ---- holidays -------------------------------------------------------------------
# Past years' holidays pile up (they cannot be deleted); the door reads the
# nearest from yesterday on, so 70 of them do not stop it.
for i in $(seq 70); do
	V holiday add --id "$(date -d "$((year - 2))-01-01 + $i days" +%F)" --name "Holiday $i"
done
V holiday add --id "$today" --name "National Day"
r=$(n_kind entry.refused)
present door 04C10000000001; sleep 0.3; type_keys "1357#"
ok "badge + PIN on a holiday: refused" wait_more entry.refused "$r"
contains "as SCHEDULE_HOLIDAY" '"code":"SCHEDULE_HOLIDAY"' "$(last_payload entry.refused)"
is "the door stays locked" 0 "$(lock_level)"
unpresent door
V holiday update --id "$today" --open yes
enter_c1
is "the holiday marked open: C1 enters" C1 "$(last_actors entry.confirmed)"

# ---- nav-map: the authority's approval reference -------------------------------
refuse_code() { vt_sql "SELECT json_extract(payload,'$.code') FROM ledger WHERE kind LIKE '%refused' ORDER BY seq DESC LIMIT 1"; }
as nobody approval add --id AP-NAV --unit U1 --person S1 --purpose "harbour works" \
	--scope M4 --project PR1 --valid-from "$today" --valid-to "$((year + 1))-12-31" >/dev/null
V approval approve --id AP-NAV
take 2 "$T4"; put_wait 10 kiosk-pad "$T4"
out=$(as nobody custody checkout --approval AP-NAV --media M4 2>&1)
contains "a nav-map medium under an approval without the reference: refused at checkout" \
	NAVMAP_AUTHORITY_REQUIRED "$out"
is "and ledgered with that code" NAVMAP_AUTHORITY_REQUIRED "$(refuse_code)"
is "M4 stays in the vault" in-vault "$(status_of M4)"
as nobody approval add --id AP-NAV2 --unit U1 --person S1 --purpose "harbour works" --scope M4 \
	--project PR1 --authority-ref "NASG-2026-117" --valid-from "$today" --valid-to "$((year + 1))-12-31" >/dev/null
V approval approve --id AP-NAV2
out=$(as nobody custody checkout --approval AP-NAV2 --media M4 2>&1)
contains "with the authority's reference: checked out" '"medium":"M4","ok":true' "$out"
is "checkout.confirmed under AP-NAV2" "M4|AP-NAV2|S1" \
	"$(vt_sql "SELECT medium||'|'||approval||'|'||actors FROM ledger WHERE kind='checkout.confirmed' ORDER BY seq DESC LIMIT 1")"
take 10 "$T4"

# ---- a large request waits for the on-site verification ---------------------------
as nobody approval add --id AP-BIG --unit U1 --person S1 --purpose "full resurvey" --scope M2 \
	--project PR1 --quantity 20 --valid-from "$today" --valid-to "$((year + 1))-12-31" >/dev/null
V approval approve --id AP-BIG
is "20 media (above onsite_threshold 10): approved, not active" approved \
	"$(vt_sql "SELECT state FROM approval WHERE id='AP-BIG'")"
take 1 "$T2"; put_wait 10 kiosk-pad "$T2"
out=$(as nobody custody checkout --approval AP-BIG --media M2 2>&1)
contains "a checkout under it is refused: not active" APPROVAL_NOT_ACTIVE "$out"
is "M2 stays in the vault" in-vault "$(status_of M2)"
V approval verify-onsite --id AP-BIG
is "the on-site verification recorded: active" active "$(vt_sql "SELECT state FROM approval WHERE id='AP-BIG'")"
out=$(as nobody custody checkout --approval AP-BIG --media M2 2>&1)
contains "now the checkout goes through" '"medium":"M2","ok":true' "$out"
ok "the ledger verifies" "$VAULTCTL" verify
vt_done
