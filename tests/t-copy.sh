# SPDX-License-Identifier: MIT
# Copy and scan registration, sensor-confirmed, end to end with vaultd,
# shelf-sim and the door: a copy enters the register only when its tag is read
# on its home shelf, and copy.registered cites that read. A copy's tag must be
# valid and nobody else's. Its classification is the highest of its parents',
# it inherits dataset, category and project, and from then on custody tracks it
# like any medium. Every refusal names its code, changes nothing and is
# ledgered.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-door.sh"
. "$(dirname "$0")/lib-custody.sh"
TS=E2000000000000000000C0A5 # M-TS: top-secret nav-map sheet on SH-1
TC=E2000000000000000000C0C1 # CP1
TD=E2000000000000000000C0D1 # CP2 (given in lower case)
TE=E2000000000000000000C0E1 # CP3, a copy of a medium S1 holds
shelf_start
put 1 "$T1"; put 1 "$T2"; put 2 "$T3"; put 1 "$TS"
custody_site
V medium register --id M-TS --tag "$TS" --title "Harbour chart" --dataset coast --category nav-map \
	--classification top-secret --home-shelf SH-1 --project PR1
# Copying a nav-map chart needs the authority's reference on the approval.
as nobody approval add --id AP2 --unit U1 --person S1 --purpose "harbour charts" --scope dataset:coast \
	--project PR1 --max-out 2 --quantity 2 --valid-from "$((year - 1))-01-01" \
	--valid-to "$((year + 1))-12-31" --authority-ref NMA-7 >/dev/null
V approval approve --id AP2
ok "the shelves' contents are read (M1 on SH-1)" wait_sev SH-1 arrived "$T1"
enter_c1

CA=(--approval AP1 --title "Working copy")
exists() { vt_sql "SELECT count(*) FROM medium WHERE id='$1'"; }

refused "a copy whose tag no antenna reads" COPY_TAG_UNREAD nobody \
	copy --approval AP2 --title "Scan" --id CP1 --parents M-TS,M1 --tag "$TC" --home-shelf SH-2 --kind scan
contains "the refusal names the tag and the shelf" "$TC is not read on SH-2" "$LAST_OUT"
put_wait 1 SH-1 "$TC"
refused "the copy's tag read on another shelf than its home" COPY_TAG_UNREAD nobody \
	copy --approval AP2 --title "Scan" --id CP1 --parents M-TS,M1 --tag "$TC" --home-shelf SH-2 --kind scan
is "nothing was registered" "0|0" "$(exists CP1)|$(vt_sql "SELECT count(*) FROM lineage WHERE child='CP1'")"
refused "a copy given another medium's tag" TAG_TAKEN nobody \
	copy "${CA[@]}" --id CP1 --parents M1 --tag "$T2" --home-shelf SH-1
refused "a copy with a tag that is not hex" TAG_INVALID nobody \
	copy "${CA[@]}" --id CP1 --parents M1 --tag E2-00 --home-shelf SH-1
# A home shelf is one custody watches: a configured storage shelf.
refused "a copy homed on the kiosk pad" HOME_SHELF_INVALID nobody \
	copy "${CA[@]}" --id CP1 --parents M1 --tag "$TC" --home-shelf kiosk-pad
contains "the refusal names the pad" "home shelf 'kiosk-pad' is the kiosk pad" "$LAST_OUT"
refused "a copy homed on a shelf vaultd does not read" HOME_SHELF_INVALID nobody \
	copy "${CA[@]}" --id CP1 --parents M1 --tag "$TC" --home-shelf SH-9
contains "the refusal names the shelf and the storage shelves" \
	"home shelf 'SH-9' is not a configured storage shelf (SH-1, SH-2)" "$LAST_OUT"
is "nothing was registered under either home shelf" "0|0" "$(exists CP1)|$(vt_sql "SELECT count(*) FROM lineage WHERE child='CP1'")"
refused "a medium registered with the kiosk pad as its home" HOME_SHELF_INVALID daemon \
	medium register --id M9 --tag E2000000000000000000C0F9 --title "Sheet 9" --dataset coast \
	--classification secret --home-shelf kiosk-pad
is "M9 is not registered" 0 "$(exists M9)"
refused "M1's home moved to a shelf vaultd does not read" HOME_SHELF_INVALID daemon \
	medium update --id M1 --home-shelf SH-9
is "M1 keeps its home shelf" SH-1 "$(vt_sql "SELECT home_shelf FROM medium WHERE id='M1'")"
take 1 "$TC"
put_wait 2 SH-2 "$TC"
out=$(as nobody copy --approval AP2 --title "Scan" --id CP1 --parents M-TS,M1 --tag "$TC" --home-shelf SH-2 --kind scan 2>&1)
contains "with its tag on SH-2, the scan of a top-secret and a secret parent is registered, top-secret" \
	"classification: top-secret" "$out"
is "copy.registered cites the tag's arrival on SH-2" "copy.registered|AP2|S1|$(sev SH-2 arrived "$TC")" \
	"$(vt_sql "SELECT kind||'|'||approval||'|'||actors||'|'||cites FROM ledger WHERE medium='CP1'")"
is "it is in the vault on its home shelf, nav-map like its chart parent, in the parents' dataset and project" \
	"in-vault|SH-2|nav-map|top-secret|coast|PR1|$TC" \
	"$(vt_sql "SELECT status||'|'||home_shelf||'|'||category||'|'||classification||'|'||dataset||'|'||project||'|'||tag FROM medium WHERE id='CP1'")"
is "lineage links the scan to both parents" "M-TS,M1|scan" \
	"$(vt_sql "SELECT group_concat(parent)||'|'||min(kind) FROM (SELECT parent, kind FROM lineage WHERE child='CP1' ORDER BY parent)")"

put_wait 2 SH-2 "$TD"
lower=$(printf '%s' "$TD" | tr 'A-F' 'a-f')
ok "a tag given in lower case is found on the shelf" as nobody copy "${CA[@]}" --id CP2 --parents M1 --tag "$lower" --home-shelf SH-2
is "and stored as read, upper-case" "$TD" "$(vt_sql "SELECT tag FROM medium WHERE id='CP2'")"

# A copy of a medium S1 holds: made outside, brought in and shelved.
put_wait 10 kiosk-pad "$T2"
take 1 "$T2"
c=$(n_kind checkout.confirmed)
as nobody custody checkout --approval AP1 --media M2 >/dev/null
ok "S1 checks M2 out" wait_more checkout.confirmed "$c"
refused "a copy of the held M2 before its tag is shelved" COPY_TAG_UNREAD nobody \
	copy "${CA[@]}" --id CP3 --parents M2 --tag "$TE" --home-shelf SH-1
put_wait 1 SH-1 "$TE"
ok "once shelved on SH-1, the copy of the held M2 is registered" as nobody copy "${CA[@]}" --id CP3 --parents M2 --tag "$TE" --home-shelf SH-1
is "it cites that read" "$(sev SH-1 arrived "$TE")" "$(vt_sql "SELECT cites FROM ledger WHERE medium='CP3' AND kind='copy.registered'")"

# A read from a shelf in fault does not count: SH-1 falls silent with CP4's tag on it.
TF=E2000000000000000000C0F1 # CP4
put_wait 1 SH-1 "$TF"
ok "SH-1 falls silent: a ledgered shelf fault" shelf_silent 1 SH-1 on
refused "a copy whose tag SH-1 read before its fault" COPY_TAG_UNREAD nobody \
	copy "${CA[@]}" --id CP4 --parents M1 --tag "$TF" --home-shelf SH-1
contains "the refusal names the fault" \
	"SH-1 is not answering (shelf fault): its last read of $TF does not count" "$LAST_OUT"
is "CP4 is not registered" 0 "$(exists CP4)"
ok "SH-1 answers again: a ledgered recovery" shelf_silent 1 SH-1 off
ok "with SH-1 answering, CP4 is registered" as nobody copy "${CA[@]}" --id CP4 --parents M1 --tag "$TF" --home-shelf SH-1

# A parent raised takes its copies with it, and their copies: CP5 is a copy of CP4.
TG=E2000000000000000000C0A6 # CP5
put_wait 2 SH-2 "$TG"
ok "a copy of the copy CP4 is registered" as nobody copy "${CA[@]}" --id CP5 --parents CP4 --tag "$TG" --home-shelf SH-2
cls() { vt_sql "SELECT group_concat(classification, '|') FROM (SELECT classification FROM medium WHERE id IN ($1) ORDER BY id)"; }
is "before: M1's copies CP2, CP4 and CP5 are secret, CP1 top-secret, CP3 (of M2) secret" \
	"top-secret|secret|secret|secret|secret" "$(cls "'CP1','CP2','CP3','CP4','CP5'")"
ok "M1 is raised to top-secret" "$VAULTCTL" medium update --id M1 --classification top-secret
is "its copies, and the copy of its copy, are raised with it; CP3 is not M1's" \
	"top-secret|top-secret|secret|top-secret|top-secret" "$(cls "'CP1','CP2','CP3','CP4','CP5'")"
is "in the same entry, which names them" '["CP2","CP4","CP5"]' \
	"$(vt_sql "SELECT json_extract(payload,'$.raised_copies') FROM ledger WHERE kind='registry.medium.update' AND medium='M1' ORDER BY seq DESC LIMIT 1")"

# From then on custody tracks the copy.
r=$(n_kind medium.removed)
take 2 "$TC"
ok "taking CP1 off SH-2 opens a removal for it" wait_more medium.removed "$r"
is "the removal names CP1" CP1 "$(vt_sql "SELECT medium FROM ledger WHERE kind='medium.removed' ORDER BY seq DESC LIMIT 1")"
put 2 "$TC"

out=$("$VAULTCTL" project close --id PR1)
is "closing the project gives the copies its destruction deadline too" \
	"$((year + 1))-12-30|$((year + 1))-12-30|$((year + 1))-12-30" \
	"$(vt_sql "SELECT group_concat(deadline, '|') FROM (SELECT deadline FROM medium WHERE id IN ('CP1','CP2','CP3') ORDER BY id)")"
ok "the ledger verifies (the registry replayed from it matches: the raised copies too)" "$VAULTCTL" verify
vt_done
