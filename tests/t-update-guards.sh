# SPDX-License-Identifier: MIT
# An update cannot get around what an add or a verb enforces. Through
# vaultctl as four people (SO_PEERCRED): a custodian cannot change their own
# badge or take another's; nobody records or extends their own certificate
# or training; an approval or destruction order is not changed once approved
# (revoke or cancel, and request anew), and whoever changes a request becomes
# its author, who cannot approve it; a classification is never lowered and
# nav-map data is not recategorised (which would drop the authority's
# approval reference). Every refusal names its code, changes nothing and is
# ledgered.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "acting as other Unix users (setpriv) needs root"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) is missing"
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups "$VAULTCTL" "$@"; }
V() { "$VAULTCTL" "$@" >/dev/null; }
vt_init
vt_start || { echo "not ok 1 - vaultd starts"; exit 1; }
chmod 666 "$T/vaultd.sock"
today=$(TZ=Asia/Shanghai date +%F)
year=${today%%-*}
V unit add --id U1 --name "Survey Institute" --first-time no
V person add --id C1 --name "Li Wei" --role custodian --unit U1 --unix-user daemon
V person add --id SV1 --name "Wang Fang" --role supervisor --unit U1 --unix-user bin
V person add --id SV2 --name "Chen Jing" --role supervisor --unit U1 --unix-user sys
V person add --id S1 --name "Zhao Lei" --role staff --unit U1 --unix-user nobody
V project add --id PR1 --name Coast --unit U1 --start "$((year - 1))-01-01" --end "$((year + 1))-12-31"
V medium register --id M1 --tag E20000000000000000000001 --title "Sheet 1" --classification secret --home-shelf SH-1
V medium register --id M2 --tag E20000000000000000000002 --title "Sheet 2" --classification secret --home-shelf SH-1
V medium register --id M3 --tag E20000000000000000000003 --title "Chart 3" --classification secret \
	--category nav-map --home-shelf SH-1

row() { vt_sql "SELECT $2 FROM $1 WHERE id='$3'"; }

# ---- badges: changing one is enrolling it ----------------------------------------
V badge add --id 04C1000000000001 --person C1
V badge add --id 04510000000000A1 --person S1
refused "a custodian changes their own badge's key version" SELF_ENROL daemon \
	badge update --id 04C1000000000001 --key-version 2
is "the badge is as it was" "1|admin" "$(row badge "key_version||'|'||enrolled_by" 04C1000000000001)"
refused "a custodian takes another person's badge" SELF_ENROL daemon \
	badge update --id 04510000000000A1 --person C1
is "it still belongs to its holder" S1 "$(row badge person 04510000000000A1)"
refused "a custodian hands their own badge to someone else" SELF_ENROL daemon \
	badge update --id 04C1000000000001 --person S1
is "it is still theirs" C1 "$(row badge person 04C1000000000001)"
ok "a custodian re-enrols another person's badge (new key version)" \
	as daemon badge update --id 04510000000000A1 --key-version 2
is "recorded with the custodian as its enroller" "2|C1" "$(row badge "key_version||'|'||enrolled_by" 04510000000000A1)"

# ---- certificates and training: nobody vouches for themselves --------------------
refused "a supervisor records their own certificate" SELF_RECORD bin \
	cert add --id CERT-SV1 --person SV1 --issued "$today"
refused "a supervisor records their own training" SELF_RECORD bin \
	training add --id T-SV1 --person SV1 --date "$today"
is "neither was written" "0|0" "$(row certificate count\(*\) CERT-SV1)|$(row training count\(*\) T-SV1)"
ok "another supervisor records them" as sys cert add --id CERT-SV1 --person SV1 --issued "$((year - 4))-01-01"
V training add --id T-SV1 --person SV1 --date "$((year - 1))-01-01" # by the admin
exp=$(row certificate expires CERT-SV1)
refused "the supervisor extends their own certificate" SELF_RECORD bin \
	cert update --id CERT-SV1 --issued "$today"
refused "or refreshes their own training" SELF_RECORD bin \
	training update --id T-SV1 --date "$today"
is "both are as they were" "$exp|$((year - 1))-01-01" "$(row certificate expires CERT-SV1)|$(row training date T-SV1)"
refused "or hands their certificate to someone else" SELF_RECORD bin \
	cert update --id CERT-SV1 --person SV2
ok "the other supervisor may renew it" as sys cert update --id CERT-SV1 --issued "$today"

# ---- approvals: what was approved stays what was approved ------------------------
approval() { # ID USER [extra]
	local id=$1 u=$2; shift 2
	as "$u" approval add --id "$id" --unit U1 --person S1 --purpose "map revision" \
		--scope dataset:coast --project PR1 --valid-from "$year-01-01" --valid-to "$year-12-31" "$@" >/dev/null
}
approval AP1 bin
ok "SV2 approves SV1's request" as sys approval approve --id AP1
is "it is active" active "$(row approval state AP1)"
refused "its requester widens it once active" NOT_EDITABLE bin approval update --id AP1 --max-out 5
refused "its approver changes whom it is for" NOT_EDITABLE sys approval update --id AP1 --person SV2
refused "the admin extends its validity" NOT_EDITABLE root approval update --id AP1 --valid-to "$((year + 5))-12-31"
is "the approval is as approved" "S1|1|$year-12-31|SV1|SV2" \
	"$(row approval "person||'|'||max_out||'|'||valid_to||'|'||requester||'|'||approver" AP1)"
V approval revoke --id AP1
refused "a revoked approval cannot be brought back by an update" NOT_EDITABLE sys \
	approval update --id AP1 --purpose again
approval AP2 bin
ok "a request may be changed before approval (by SV2)" as sys approval update --id AP2 --max-out 3 --quantity 3
is "and SV2, who changed it, is now its requester" "3|SV2|requested" \
	"$(row approval "max_out||'|'||requester||'|'||state" AP2)"
refused "so SV2 cannot approve it" SELF_APPROVE sys approval approve --id AP2
ok "SV1 can" as bin approval approve --id AP2

# ---- destruction orders ----------------------------------------------------------
ok "a custodian orders M1 destroyed" as daemon destroy-order add --id O1 --medium M1
ok "SV1 approves the order" as bin destroy-order approve --id O1
refused "an approved order is not pointed at another medium" NOT_EDITABLE bin \
	destroy-order update --id O1 --medium M2
is "it still names M1" "M1|approved" "$(row destruction_order "medium||'|'||state" O1)"
ok "a custodian orders M2 destroyed" as daemon destroy-order add --id O2 --medium M2
ok "SV1 changes the request to M3" as bin destroy-order update --id O2 --medium M3
is "SV1 is now its orderer" "M3|SV1" "$(row destruction_order "medium||'|'||orderer" O2)"
refused "and cannot approve it" DESTROY_SELF_ORDER bin destroy-order approve --id O2

# ---- media: classification only upwards, nav-map stays nav-map -------------------
refused "a custodian lowers a medium's classification" CLASSIFICATION_LOWERED daemon \
	medium update --id M1 --classification confidential
is "it is still secret" secret "$(row medium classification M1)"
ok "raising it is allowed" as daemon medium update --id M1 --classification top-secret
refused "nor can the admin lower it" CLASSIFICATION_LOWERED root medium update --id M1 --classification secret
refused "nav-map data recategorised as a plain map" NAVMAP_CATEGORY_KEPT daemon \
	medium update --id M3 --category map
is "it is still nav-map" nav-map "$(row medium category M3)"
ok "other fields of a medium may change" as daemon medium update --id M3 --title "Chart 3 (rev. b)"

# ---- media: the fields that decide which approvals reach a medium ----------------
# (Re-tags and changes while out need shelves: tests/t-retag.sh.)
V project add --id PR2 --name Inland --unit U1 --start "$((year - 1))-01-01" --end "$((year + 1))-12-31"
ok "a medium without a project is bound to one" as daemon medium update --id M3 --project PR1
refused "its project is not changed afterwards" MEDIUM_PROJECT_KEPT daemon medium update --id M3 --project PR2
refused "nor cleared (which would drop its destruction deadline)" MEDIUM_PROJECT_KEPT root \
	medium update --id M3 --project ""
is "it is still PR1's" PR1 "$(row medium project M3)"
refused "a medium moved into a dataset an active approval names" MEDIUM_SCOPE_APPROVED daemon \
	medium update --id M3 --dataset coast
is "its dataset is as it was" "" "$(row medium dataset M3)"
ok "a dataset no open approval names is fine" as daemon medium update --id M3 --dataset coa
is "(coa is not coast)" coa "$(row medium dataset M3)"

# ---- tags and badge ids: hex, one row per physical tag ----------------------------
ok "a tag given in lower case" as daemon medium register --id M5 --tag e2000000000000000000000a \
	--title "Sheet 5" --classification secret --home-shelf SH-1
is "is stored as it is read, upper case" E2000000000000000000000A "$(row medium tag M5)"
refused "the same tag in the other case for another medium" TAG_TAKEN daemon \
	medium register --id M6 --tag E2000000000000000000000a --title "Sheet 6" \
	--classification secret --home-shelf SH-1
refused "a tag that is not hex" TAG_INVALID daemon medium register --id M6 --tag E2-00-01 \
	--title "Sheet 6" --classification secret --home-shelf SH-1
refused "a tag that is not a 96-bit EPC (no shelf could read it)" TAG_INVALID daemon \
	medium register --id M6 --tag E2000001 --title "Sheet 6" --classification secret --home-shelf SH-1
refused "a tag of all zeros" TAG_INVALID daemon \
	medium register --id M6 --tag 000000000000000000000000 --title "Sheet 6" --classification secret --home-shelf SH-1
refused "a re-tag to a tag of 26 digits" TAG_INVALID daemon medium update --id M5 --tag E200000000000000000000000B
is "neither was registered" 0 "$(row medium count\(*\) M6)"
refused "a badge id differing from another only in case" ALREADY_EXISTS root \
	badge add --id 04c1000000000001 --person S1
refused "a badge id that is not hex" INVALID_VALUE root badge add --id NOT-A-UID --person S1

# ---- certificates: never longer than the directive's validity ---------------------
refused "a certificate expiring 6 years after issue" CERT_TOO_LONG bin \
	cert add --id CERT-S1 --person S1 --issued "$((year - 1))-03-01" --expires "$((year + 5))-03-02"
ok "5 years to the day is the limit" as bin \
	cert add --id CERT-S1 --person S1 --issued "$((year - 1))-03-01" --expires "$((year + 4))-03-01"
refused "nor extended by an update" CERT_TOO_LONG sys cert update --id CERT-S1 --expires "$((year + 6))-01-01"

# ---- approvals: quantity (what the on-site rule counts) is at least max_out -------
refused "an approval letting out more at once than it requests in all" INVALID_VALUE nobody \
	approval add --id AP9 --unit U1 --person S1 --purpose "map revision" --scope dataset:coast \
	--project PR1 --valid-from "$year-01-01" --valid-to "$year-12-31" --max-out 20
is "it was not recorded" 0 "$(row approval count\(*\) AP9)"

# ---- schedules: a row the door could not read is refused when written -------------
refused "weekdays as names" INVALID_VALUE root schedule add --id W1 --role staff --days mon-fri
refused "a start time that is not HH:MM" INVALID_VALUE root \
	schedule add --id W1 --role staff --days 1-5 --start 8am --end 17:00
refused "an empty window" INVALID_VALUE root schedule add --id W1 --role staff --days 1-5 \
	--start 09:00 --end 09:00
ok "an overnight window" "$VAULTCTL" schedule add --id W1 --role custodian --days 1-5 --start 22:00 --end 06:00

ok "the ledger verifies" "$VAULTCTL" verify
vt_done
