# SPDX-License-Identifier: MIT
# A medium's tag, dataset and project while it is in use, end to end with
# vaultd, shelf-sim and the door: a re-tag (a damaged tag replaced) needs the
# new tag read on the medium's home shelf and the old one read nowhere, so a
# decoy carrying the old tag cannot stand in for the medium; the update cites
# that read. A checked-out medium's dataset and tag do not change. Every
# refusal names its code, changes nothing and is ledgered.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-door.sh"
. "$(dirname "$0")/lib-custody.sh"
TN=E2000000000000000000C0AA # M1's new tag
shelf_start
put 1 "$T1"; put 1 "$T2"; put 2 "$T3"
custody_site
ok "the shelves' contents are read (M1 on SH-1)" wait_sev SH-1 arrived "$T1"
enter_c1

tag_of() { vt_sql "SELECT tag FROM medium WHERE id='$1'"; }

# ---- re-tag -----------------------------------------------------------------------
refused "M1 re-tagged to a tag no antenna reads" RETAG_NEW_TAG_UNREAD daemon medium update --id M1 --tag "$TN"
put_wait 2 SH-2 "$TN"
refused "the new tag read on another shelf than M1's home" RETAG_NEW_TAG_UNREAD daemon \
	medium update --id M1 --tag "$TN"
take 2 "$TN"
put_wait 1 SH-1 "$TN"
out=$(as daemon medium update --id M1 --tag "$TN" 2>&1)
contains "the old tag still read on SH-1: refused, naming where" "$T1 is read on SH-1" "$out"
is "M1 keeps its tag" "$T1" "$(tag_of M1)"
r=$(n_kind medium.removed) p=$(n_kind medium.replaced)
take 1 "$T1"
wait_more medium.removed "$r" >/dev/null # C1 inside: attributed, not an alarm
ok "with the old tag gone and the new one on SH-1, C1 re-tags M1" as daemon medium update --id M1 --tag "$TN"
is "the registry follows the object" "$TN" "$(tag_of M1)"
is "the update cites the new tag's read on SH-1" "$(sev SH-1 arrived "$TN")" \
	"$(vt_sql "SELECT cites FROM ledger WHERE kind='registry.medium.update' ORDER BY seq DESC LIMIT 1")"
ok "the old tag's removal ends as medium.replaced, not unaccounted" wait_more medium.replaced "$p"
is "re-tagged, citing the new tag's arrival and the old tag's departure" \
	"1|$(sev SH-1 arrived "$TN"),$(sev SH-1 departed "$T1")|0" \
	"$(vt_sql "SELECT json_extract(payload,'$.retagged')||'|'||cites FROM ledger WHERE kind='medium.replaced' ORDER BY seq DESC LIMIT 1")|$(n_kind medium.unaccounted)"
refused "another medium given M1's new tag" TAG_TAKEN daemon medium update --id M2 --tag "$TN"
is "M2 keeps its tag" "$T2" "$(tag_of M2)"

# ---- a checked-out medium ---------------------------------------------------------
put_wait 10 kiosk-pad "$T2"
take 1 "$T2"
c=$(n_kind checkout.confirmed)
as nobody custody checkout --approval AP1 --media M2 >/dev/null
ok "S1 checks M2 out" wait_more checkout.confirmed "$c"
is "M2 is checked out" checked-out "$(status_of M2)"
refused "a checked-out medium moved to another dataset" MEDIUM_NOT_IN_VAULT daemon \
	medium update --id M2 --dataset inland
refused "or re-tagged" MEDIUM_NOT_IN_VAULT daemon medium update --id M2 --tag E2000000000000000000C0BB
is "M2 is as it was" "coast|$T2" "$(vt_sql "SELECT ifnull(dataset,'')||'|'||tag FROM medium WHERE id='M2'")"
ok "other fields may still change" as daemon medium update --id M2 --title "Coast sheet 2 (rev. b)"

# ---- a read from a shelf in fault -------------------------------------------------
# M4's tag was never read; its new tag is on SH-2 when SH-2 falls silent.
TM=E2000000000000000000C0AB # M4's new tag
V medium register --id M4 --tag E2000000000000000000C004 --title "Coast sheet 4" --dataset coast \
	--classification secret --home-shelf SH-2
put_wait 2 SH-2 "$TM"
ok "SH-2 falls silent: a ledgered shelf fault" shelf_silent 2 SH-2 on
refused "M4 re-tagged to a tag SH-2 read before its fault" RETAG_NEW_TAG_UNREAD daemon \
	medium update --id M4 --tag "$TM"
contains "the refusal names the fault" \
	"SH-2 is not answering (shelf fault): its last read of $TM does not count" "$LAST_OUT"
is "M4 keeps its tag" E2000000000000000000C004 "$(tag_of M4)"
ok "SH-2 answers again" shelf_silent 2 SH-2 off
ok "once SH-2 answers again, C1 re-tags M4" as daemon medium update --id M4 --tag "$TM"
is "M4 carries its new tag" "$TM" "$(tag_of M4)"

ok "the ledger verifies" "$VAULTCTL" verify
vt_done
