# SPDX-License-Identifier: MIT
# Supervisor reports through vaultctl on a small site built through vaultd:
# ledgers (CSV/JSON, BOM, quoting), alerts (bands, deadlines, --today),
# self-inspection (verified, and failing on a tampered copy), medium list/show,
# and bad input. Dates are relative to today in the site zone.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || skip_all "sqlite3 CLI missing"
[ -e /usr/share/zoneinfo/Asia/Shanghai ] || skip_all "tzdata (Asia/Shanghai) missing"
V=$VAULTCTL
today=$(TZ=Asia/Shanghai date +%F)
d() { TZ=Asia/Shanghai date -d "$today $1" +%F; } # d "+5 days"
json_ok() { [ "$(sqlite3 :memory: "select json_valid(readfile('$1'))")" = 1 ]; }
# One alert line (CSV, CR stripped) for CODE and SUBJECT.
alert() { tr -d '\r' <"$T/alerts.csv" | grep -E "^[a-z]+,$1,$2,"; }
csvcol() { tr -d '\r' | cut -d, -f"$1"; }

vt_init
vt_start || exit 1
# The socket file appears at bind(), a moment before listen(): wait for an answer.
for _ in $(seq 100); do "$VAULTCTL" whoami >/dev/null 2>&1 && break; sleep 0.05; done
q() { "$V" "$@" >/dev/null || echo "setup failed: $*" >&2; }
q unit add --id U1 --name "Provincial Survey Institute" --first-time no
q unit add --id U2 --name "Coastal Mapping Co." --first-time yes
q unit add --id U3 --name "Refusing Ltd" --first-time no
q unit suspend --id U3 --reason "refused inspection"
q person add --id P7 --name "Li Wei" --role custodian --unit U1
q person add --id P30 --name "Chen Jing" --role staff --unit U1
q person add --id PX --name "Zhao Lei" --role staff --unit U1
q person add --id PN --name "New Hire" --role staff --unit U1
q person add --id SV --name "Wang Fang" --role supervisor --unit U1 --unix-user nobody
q cert add --id CERT-7 --person P7 --issued "$(d '-5 years +5 days')"
q cert add --id CERT-30 --person P30 --issued "$(d '-5 years +20 days')"
q cert add --id CERT-X --person PX --issued "$(d '-5 years -3 days')"
q cert add --id CERT-N --person PN --issued "$(d '-10 days')"
q cert add --id CERT-SV --person SV --issued "$(d '-1 year')"
for p in P7 P30 SV; do q training add --id T-$p --person $p --date "$(d '-30 days')"; done
q training add --id T-OLD --person PX --date "$(d '-400 days')"
q project add --id PR-OLD --name "Ended survey" --unit U1 --start 2020-01-01 --end "$(d '-7 months')"
q project add --id PR-NOW --name "Coastline" --unit U2 --start "$(d '-1 month')" --end "$(d '+1 year')"
q medium add --id M1 --tag E20000000000000000000001 --title "Coast sheet, 1:50000" --dataset coast --classification secret --home-shelf SH-1 --project PR-NOW
q medium add --id M2 --tag E20000000000000000000002 --title "=HYPERLINK(\"x\")" --dataset coast --classification top-secret --home-shelf SH-1 --project PR-NOW
q medium add --id M3 --tag E20000000000000000000003 --title "Old survey disk" --dataset old --classification confidential --home-shelf SH-2 --project PR-OLD
q medium add --id M4 --tag E20000000000000000000004 --title "Nav map tile 7" --dataset nav-east --category nav-map --classification secret --home-shelf SH-2
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	as_admin_only=
	# The admin requests; SV (Unix user nobody) approves: nobody approves their own.
	chmod 666 "$T/vaultd.sock"
	sv() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$V" "$@" >/dev/null || echo "as SV failed: $*" >&2; }
	q approval add --id A-WAIT --unit U2 --person P30 --purpose "revision" --scope dataset:coast --project PR-NOW --valid-from "$today" --valid-to "$(d '+6 months')"
	sv approval approve --id A-WAIT
	q approval add --id A-PAST --unit U1 --person P7 --purpose "check" --scope M3 --valid-from "$(d '-2 months')" --valid-to "$(d '-1 day')"
	sv approval approve --id A-PAST
	q approval add --id A-REQ --unit U1 --person P7 --purpose "later" --scope M1 --valid-from "$today" --valid-to "$(d '+1 month')"
else
	as_admin_only=1
fi
vt_stop
before=$(md5sum <"$T/vault.db")

# ---- alerts ----
"$V" alerts --format csv >"$T/alerts.csv"; rc=$?
is "alerts exit 0" 0 "$rc"
is "alerts CSV header" "severity,code,subject,date,days_left,band,detail" "$(head -1 "$T/alerts.csv" | tr -d '\r')"
line=$(alert CERT_EXPIRING P7)
is "the certificate expiring in 5 days is listed in band 7" "$(d '+5 days'),5,7" "$(echo "$line" | cut -d, -f4-6)"
is "a 7-day certificate warning is a warning" warning "$(echo "$line" | cut -d, -f1)"
is "the certificate expiring in 20 days is in band 30" 30 "$(alert CERT_EXPIRING P30 | cut -d, -f6)"
is "the certificate that expired 3 days ago is an alarm" "alarm,CERT_EXPIRED,PX" "$(alert CERT_EXPIRED PX | cut -d, -f1-3)"
ok "training 400 days old is overdue" alert TRAINING_EXPIRED PX
ok "a new hire without training is listed" alert TRAINING_MISSING PN
ok "a person with current training is not listed" sh -c "! grep -q 'TRAINING_[A-Z]*,P7,' '$T/alerts.csv'"
contains "the suspended unit is listed with its reason" "refused inspection" "$(alert UNIT_SUSPENDED U3)"
is "media of a project ended 7 months ago are past their destruction deadline" "alarm" "$(alert DESTRUCTION_OVERDUE M3 | cut -d, -f1)"
ok "media of a running project have no deadline alert" sh -c "! grep -q 'DESTRUCTION_[A-Z]*,M1,' '$T/alerts.csv'"
is "alarms are listed first" alarm "$(sed -n 2p "$T/alerts.csv" | cut -d, -f1)"
if [ -z "$as_admin_only" ]; then
	ok "the approval of a first-time unit waits for on-site verification" alert APPROVAL_AWAITING_ONSITE A-WAIT
	ok "the approval active past valid_to is listed" alert APPROVAL_PAST_VALIDITY A-PAST
	ok "a merely requested approval is not an alert" sh -c "! grep -q ',A-REQ,' '$T/alerts.csv'"
else
	for _ in 1 2 3; do _n=$((_n + 1)); echo "ok $_n - approvals by another person # SKIP needs root (setpriv)"; done
fi
"$V" alerts --today "$(d "+1 year +6 months -20 days")" --format csv >"$T/alerts.csv"
is "pretending 20 days before the deadline: the running project's media are in band 30" \
	"DESTRUCTION_DUE,30" "$(alert DESTRUCTION_DUE M1 | cut -d, -f2,6)"
ok "pretending a year and a half later: P7's certificate has expired" alert CERT_EXPIRED P7
sed 's/^lang = en/lang = zh-CN/' "$T/vault.ini" >"$T/zh.ini"
out=$("$V" -c "$T/zh.ini" alerts --format csv | grep ',CERT_EXPIRING,P7,')
contains "with lang = zh-CN the alert text is Chinese" "证书即将到期：Li Wei，证书 CERT-7 将于 $(d '+5 days') 到期" "$out"
"$V" alerts --format json >"$T/alerts.json"
ok "alerts JSON parses" json_ok "$T/alerts.json"
out=$("$V" alerts)
contains "the table has a header" "SEVERITY" "$out"
contains "the table shows the certificate text" "certificate CERT-7 expires $(d '+5 days')" "$out"

# ---- ledgers ----
"$V" ledger custody >"$T/c.csv"
is "custody CSV without --bom starts with the header, no BOM" "id,tag" "$(head -c 6 "$T/c.csv")"
"$V" ledger custody --bom >"$T/cb.csv"
is "custody CSV with --bom starts with the UTF-8 BOM" "efbbbf" "$(head -c 3 "$T/cb.csv" | od -An -tx1 | tr -d ' \n')"
contains "a title with a comma is quoted" '"Coast sheet, 1:50000"' "$(cat "$T/c.csv")"
contains "a title that looks like a formula is quoted, guarded and its quotes doubled" \
	"\"'=HYPERLINK(\"\"x\"\")\"" "$(cat "$T/c.csv")"
is "CSV lines end in CRLF (RFC 4180)" "$(wc -l <"$T/c.csv")" "$(grep -c $'\r$' "$T/c.csv")"
is "custody ledger has one row per medium" 5 "$(wc -l <"$T/c.csv")"
is "custody: M3's deadline is its project's end + 6 months" "$(d '-1 month')" \
	"$(tr -d '\r' <"$T/c.csv" | grep '^M3,' | csvcol 12)"
is "custody: the seq is the ledger entry that wrote the row" \
	"$(vt_sql "SELECT seq FROM medium WHERE id='M4'")" "$(tr -d '\r' <"$T/c.csv" | grep '^M4,' | csvcol 13)"
"$V" ledger custody --format text >"$T/c.txt"
contains "the printed custody ledger names its page" "page 1 of 1" "$(cat "$T/c.txt")"
contains "the printed page ends with signature lines" "Supervisor: ____" "$(cat "$T/c.txt")"
is "the page hash is SHA-256 over a newline and the page's CSV rows" \
	"$({ printf '\n'; tail -n +2 "$T/c.csv"; } | sha256sum | cut -d' ' -f1)" \
	"$(sed -n 's/^page hash //p' "$T/c.txt")"
for l in custody checkout copy destruction; do
	"$V" ledger $l --format json >"$T/$l.json"
	ok "ledger $l JSON parses" json_ok "$T/$l.json"
done
is "no checkouts recorded yet: the checkout ledger is an empty array" "[]" "$(tr -d ' \n' <"$T/checkout.json")"
is "checkout CSV has only its header" "seq,time,kind,medium,person,approval,due,received_by,actors,hash" \
	"$("$V" ledger checkout | tr -d '\r')"

# ---- medium list / show ----
is "medium list --classification secret" 2 "$("$V" medium list --classification secret --format csv | tail -n +2 | wc -l)"
is "medium list --shelf SH-2" "M3 M4" "$("$V" medium list --shelf SH-2 --format csv | tail -n +2 | csvcol 1 | xargs)"
is "medium list --dataset coast --status in-vault" "M1 M2" \
	"$("$V" medium list --dataset coast --status in-vault --format csv | tail -n +2 | csvcol 1 | xargs)"
"$V" medium list --format json >"$T/ml.json"
ok "medium list JSON parses" json_ok "$T/ml.json"
out=$("$V" medium show --id M4)
contains "medium show prints the category" "nav-map" "$out"
contains "medium show lists the ledger entry that registered it" "registry.medium.add" "$out"
"$V" medium show --id M4 --format json >"$T/ms.json"
ok "medium show JSON parses" json_ok "$T/ms.json"

# ---- self-inspection ----
out=$("$V" self-inspection); rc=$?
is "self-inspection exits 0 on a sound ledger" 0 "$rc"
contains "it reports the ledger verified" "result: **verified**" "$out"
contains "it names the ledger tip seq" "tip: seq $(vt_sql 'SELECT max(seq) FROM ledger')," "$out"
contains "it lists the person with the expired certificate" "PX, Zhao Lei, CERT_EXPIRED" "$out"
contains "it lists media past their destruction deadline" "M3, in-vault" "$out"
contains "it lists the suspended unit with its reason" "U3, Refusing Ltd, refused inspection" "$out"
contains "it ends with signature lines" "Inspector: ____" "$out"
"$V" self-inspection --format json >"$T/si.json"
ok "self-inspection JSON parses" json_ok "$T/si.json"
is "reading reports changed nothing in the database" "$before" "$(md5sum <"$T/vault.db")"

cp "$T/vault.db" "$T/tampered.db"
sqlite3 "$T/tampered.db" "UPDATE person SET role='admin' WHERE id='PN'"
sed "s#$T/vault.db#$T/tampered.db#" "$T/vault.ini" >"$T/tampered.ini"
out=$("$V" -c "$T/tampered.ini" self-inspection); rc=$?
is "self-inspection of a tampered copy exits 3" 3 "$rc"
contains "and reports VERIFICATION FAILED" "VERIFICATION FAILED" "$out"
contains "naming the altered row" "PN" "$(echo "$out" | grep 'problem:')"

# ---- bad input and help ----
for args in "alerts --format xml" "alerts --today 2026-02-30" "ledger" "ledger bogus" \
	"ledger custody --format xml" "ledger custody --x" "self-inspection --format csv" \
	"medium list --status lost" "medium show" "medium show --id NOPE" "medium list extra"; do
	out=$("$V" $args 2>&1); rc=$?
	is "vaultctl $args: exit 2 with a one-line error" "2:1" "$rc:$(printf '%s\n' "$out" | wc -l)"
done
for verb in "alerts" "ledger" "self-inspection" "medium list" "medium show"; do
	ok "vaultctl $verb --help" "$V" $verb --help
done
vt_done
