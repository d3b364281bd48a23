# SPDX-License-Identifier: MIT
# Registry verbs through vaultd with the policy applied: approvals (separation of
# duties, on-site verification), certificate expiry, project close deadlines,
# copies (classification never lowered; the sensor-confirmed rest in t-copy.sh),
# destruction orders.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "acting as other Unix users (setpriv) needs root"
vt_init
vt_start || exit 1
chmod 666 "$T/vaultd.sock"
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups "$VAULTCTL" "$@"; }
V() { "$VAULTCTL" "$@" >/dev/null; }
today=$(TZ=Asia/Shanghai date +%F)
year=${today%%-*}
V unit add --id U1 --name "Survey Institute" --first-time no
V unit add --id U2 --name "New Mapping Co" --first-time yes
V person add --id C1 --name "Li Wei" --role custodian --unit U1 --unix-user nobody
V person add --id SV --name "Wang Fang" --role supervisor --unit U1 --unix-user daemon
V person add --id S2 --name "Zhao Lei" --role staff --unit U2
V cert add --id CERT-C1 --person C1 --issued 2024-02-29
is "a certificate without an expiry date expires cert_years after issue (leap day clamps)" \
	"2029-02-28" "$(vt_sql "SELECT expires FROM certificate WHERE id='CERT-C1'")"
V training add --id T-C1 --person C1 --date "$today"
V project add --id PR1 --name "Coast" --unit U1 --start "$((year - 1))-01-01" --end "$((year + 1))-06-30"
V medium register --id M-TS --tag E20000000000000000000001 --title "Control points" --dataset coast \
	--classification top-secret --home-shelf SH1 --project PR1
V medium register --id M-S --tag E20000000000000000000002 --title "Coast sheet" --dataset coast \
	--classification secret --home-shelf SH1 --project PR1
V medium register --id M-C --tag E20000000000000000000003 --title "Index" --dataset coast --category nav-map \
	--classification confidential --home-shelf SH2 --project PR1

ok "a custodian requests an approval for the dataset" as nobody approval add --id AP1 --unit U1 \
	--person C1 --purpose "revision" --scope dataset:coast --project PR1 --max-out 2 --quantity 2 \
	--valid-from "$((year - 1))-01-01" --valid-to "$((year + 1))-12-31" --authority-ref NMA-7
out=$(as nobody approval approve --id AP1 2>&1)
contains "a custodian cannot approve (role table)" "ADMIN_ROLE_DENIED" "$out"
ok "the admin approves someone else's request" "$VAULTCTL" approval approve --id AP1
is "an established unit's approval is active at once" "active" "$(vt_sql "SELECT state FROM approval WHERE id='AP1'")"

V approval add --id AP2 --unit U2 --person S2 --purpose "first look" --scope M-C \
	--valid-from "$today" --valid-to "$today"
out=$("$VAULTCTL" approval approve --id AP2 2>&1)
contains "nobody approves their own request (policy)" "SELF_APPROVE" "$out"
ok "a supervisor approves the admin's request" as daemon approval approve --id AP2
is "a first-time unit's approval waits for on-site verification" "approved" \
	"$(vt_sql "SELECT state FROM approval WHERE id='AP2'")"
ok "on-site verification recorded" as daemon approval verify-onsite --id AP2
is "then it is active" "active" "$(vt_sql "SELECT state FROM approval WHERE id='AP2'")"
V unit suspend --id U2 --reason "refused inspection"
V approval add --id AP3 --unit U2 --person S2 --purpose "more" --scope M-C --valid-from "$today" --valid-to "$today"
out=$(as daemon approval approve --id AP3 2>&1)
contains "a suspended unit's request cannot be approved" "UNIT_SUSPENDED" "$out"
is "the suspension is ledgered with its reason" "refused inspection" \
	"$(vt_sql "SELECT status_reason FROM unit WHERE id='U2'")"

out=$(as nobody copy --id CP1 --parents M-TS,M-S --tag E20000000000000000000010 --title "Working copy" \
	--approval AP1 --home-shelf SH3 --kind copy 2>&1)
contains "a copy whose tag no reader reads is refused (copies are sensor-confirmed: tests/t-copy.sh)" \
	"COPY_TAG_UNREAD" "$out"
is "and nothing is registered" "0|0" \
	"$(vt_sql "SELECT (SELECT count(*) FROM medium WHERE id='CP1')||'|'||(SELECT count(*) FROM lineage WHERE child='CP1')")"
out=$(as nobody copy --id CP2 --parents M-S --tag E20000000000000000000011 --title "Lower" --approval AP1 \
	--home-shelf SH3 --classification confidential 2>&1)
contains "a copy may not be classified lower than its parent" "COPY_CLASS_LOWERED" "$out"
out=$("$VAULTCTL" copy --id CP4 --parents M-S --tag E20000000000000000000013 --title X --approval AP1 --home-shelf SH3 2>&1)
contains "someone without a certificate cannot register copies" "CERT_MISSING" "$out"

out=$(as daemon project close --id PR1)
contains "closing the project sets the destruction deadline end + 6 months" "deadline: $((year + 1))-12-30" "$out"
is "every medium of the project got it" 3 \
	"$(vt_sql "SELECT count(*) FROM medium WHERE project='PR1' AND deadline='$((year + 1))-12-30'")"

ok "a custodian requests destruction of a medium" as nobody destroy-order add --id D1 --medium M-C
out=$(as nobody destroy-order approve --id D1 2>&1)
contains "the requester cannot approve their own destruction order" "ADMIN_ROLE_DENIED" "$out"
V destroy-order add --id D2 --medium M-S
out=$("$VAULTCTL" destroy-order approve --id D2 2>&1)
contains "nor can an admin approve their own order" "DESTROY_SELF_ORDER" "$out"
ok "a supervisor approves the custodian's order" as daemon destroy-order approve --id D1
is "the order is approved by the supervisor" "approved|SV" \
	"$(vt_sql "SELECT state||'|'||approver FROM destruction_order WHERE id='D1'")"
ok "unit inspect records an inspection" "$VAULTCTL" unit inspect --id INS-1 --unit U2 --date "$today" --result refused --notes "refused entry to inspectors"
is "the inspection is in the registry" "U2|refused" "$(vt_sql "SELECT unit||'|'||result FROM inspection WHERE id='INS-1'")"
ok "approval request is the staff-facing name of approval add" as nobody approval request --id AP9 --unit U1 \
	--person C1 --purpose "second look" --scope M-S --valid-from "$today" --valid-to "$today"
ok "the database verifies" "$VAULTCTL" verify
vt_done
