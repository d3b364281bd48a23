#!/bin/bash
# SPDX-License-Identifier: MIT
# A realistic demo site, created through vaultctl against a RUNNING vaultd:
#   VAULT_CONFIG=/path/vault.ini tools/demo-site.sh NAME
# NAME (letters, digits, -) prefixes every id, so several sites can share a vault.
# It creates units (one first-time, one suspended), 22 persons of every role
# (expired, expiring and missing certificates, missing and overdue training),
# projects (one ended 5+ months ago and closed, one whose media are past their
# destruction deadline), 210 media (survey sheets, nav-map data, imagery, and
# copies registered as media with their parent's dataset), approvals in every
# state, inspections, destruction orders, badges, schedules and holidays. Dates
# are relative to today in the site's time zone.
#
# Approving needs a second person: run as root, the supervisor <NAME>-V01 is mapped
# to Unix user `nobody` and acts through setpriv (the socket is made mode 666 and
# its directory must be searchable by nobody). Otherwise approvals stay requested.
set -eu
NAME=${1:-}
if ! [[ "$NAME" =~ ^[A-Za-z0-9][A-Za-z0-9-]{0,15}$ ]]; then
	echo "usage: VAULT_CONFIG=vault.ini $0 NAME   (NAME: 1-16 letters, digits, -)" >&2
	exit 2
fi
: "${VAULT_CONFIG:?set VAULT_CONFIG to the vault configuration (vaultd must be running)}"
B=${B:-build}
VC=${VAULTCTL:-$B/vaultctl}
[ -x "$VC" ] || { echo "demo-site: $VC not built (make)" >&2; exit 2; }
ini() { # value of key $1 in the configuration
	sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\(.*[^[:space:]]\)[[:space:]]*$/\1/p" \
		"$VAULT_CONFIG" | head -1
}
TZNAME=$(ini timezone)
TZNAME=${TZNAME:-Asia/Shanghai}
SOCK=$(ini socket)
DB=$(ini database)
today=$(TZ=$TZNAME date +%F)
d() { TZ=$TZNAME date -d "$today $1" +%F; } # d "-5 years +20 days"
N=$NAME
calls=0
ctl() { # a change that must succeed
	calls=$((calls + 1))
	"$VC" "$@" >/dev/null || { echo "demo-site: failed: vaultctl $*" >&2; exit 1; }
}
shared() { # vault-wide rows (schedules, holidays): may exist from another site
	calls=$((calls + 1))
	"$VC" "$@" >/dev/null 2>&1 || true
}

# ---- the second person (supervisor) -------------------------------------
SV=$N-V01
as_sv=
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	as_sv=1
	[ -n "$SOCK" ] && chmod 666 "$SOCK"
	# The unique Unix-user mapping: take nobody over from another site's supervisor.
	if [ -n "$DB" ] && command -v sqlite3 >/dev/null; then
		old=$(sqlite3 -readonly "$DB" "SELECT id FROM person WHERE unix_user='nobody'" 2>/dev/null || true)
		[ -n "$old" ] && ctl person update --id "$old" --unix-user ""
	fi
fi
sv() {
	calls=$((calls + 1))
	[ -n "$as_sv" ] || return 0
	setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$VC" "$@" >/dev/null ||
		{ echo "demo-site: failed as $SV: vaultctl $*" >&2; exit 1; }
}

# ---- units ------------------------------------------------------------------
ctl unit add --id $N-U1 --name "Provincial Surveying and Mapping Institute" --first-time no
ctl unit add --id $N-U2 --name "Municipal Planning Bureau" --first-time no
ctl unit add --id $N-U3 --name "Coastal Navigation Data Co." --first-time yes
ctl unit add --id $N-U4 --name "Geotechnical Survey Ltd." --first-time no
ctl unit suspend --id $N-U4 --reason "refused the annual inspection"
ctl inspection add --id $N-INS-1 --unit $N-U1 --date "$(d '-3 months')" --result pass --notes "ledgers complete"
ctl inspection add --id $N-INS-2 --unit $N-U2 --date "$(d '-5 months')" --result pass
ctl inspection add --id $N-INS-3 --unit $N-U4 --date "$(d '-20 days')" --result refused --notes "inspectors turned away"

# ---- persons: id | name | role | unit | certificate issued | last training ----
people=(
	"C01|Li Wei|custodian|U1|-2 years|-60 days"
	"C02|Chen Jing|custodian|U1|-5 years +20 days|-100 days"
	"C03|Wu Hao|custodian|U1|-3 years|-200 days"
	"C04|Zhou Min|custodian|U1|-5 years +6 days|-20 days"
	"S01|Zhang Min|staff|U3|-1 year|-30 days"
	"S02|Wang Qiang|staff|U1|-5 years -40 days|-90 days"
	"S03|Liu Yang|staff|U1|-4 years|none"
	"S04|Yang Xue|staff|U2|-2 years|-400 days"
	"S05|Huang Lei|staff|U2|-1 year|-10 days"
	"S06|Zhao Na|staff|U3|-6 months|-6 months"
	"S07|Sun Tao|staff|U4|-3 years|-50 days"
	"S08|Xu Fang|staff|U2|-5 years +25 days|-340 days"
	"S09|Ma Jun|staff|U1|none|none"
	"S10|Feng Rui|staff|U1|-3 months|-3 months"
	"S11|Deng Chao|staff|U3|-2 months|none"
	"V01|Guo Hua|supervisor|U1|-1 year|-40 days"
	"V02|He Ping|supervisor|U1|-5 years -2 days|-70 days"
	"V03|Lin Yu|supervisor|U2|-2 years|-15 days"
	"A01|Luo Bin|admin|U1|-1 year|-35 days"
	"T01|Gao Feng|technician|U1|-2 years|-120 days"
	"T02|Zheng Kai|technician|U1|-5 years -100 days|-380 days"
	"X01|Song Li|visitor|U2|none|none"
	"X02|Tang Yi|visitor|U3|none|none"
)
for p in "${people[@]}"; do
	IFS='|' read -r id name role unit cert train <<<"$p"
	user=""
	[ "$id" = V01 ] && [ -n "$as_sv" ] && user=nobody
	ctl person add --id $N-$id --name "$name" --role $role --unit $N-$unit --unix-user "$user"
	[ "$cert" = none ] || ctl cert add --id $N-CERT-$id --person $N-$id --issued "$(d "$cert")"
	if [ "$train" != none ]; then
		kind=annual
		[ "$train" = "$cert" ] && kind=initial
		ctl training add --id $N-TR-$id --person $N-$id --date "$(d "$train")" --kind $kind
	fi
done
for id in C01 C02 C03 C04 S01 S05 S10; do
	uid=$(printf '%s' "$N-$id" | md5sum | cut -c1-12 | tr a-f A-F)
	ctl badge add --id 04$uid --person $N-$id
done

# ---- schedules and holidays (vault-wide) -----------------------------------
shared schedule add --id SCH-CUSTODIAN --role custodian --days 1-6 --start 07:30 --end 19:00
shared schedule add --id SCH-STAFF --role staff --days 1-5 --start 08:30 --end 17:30
shared schedule add --id SCH-TECH --role technician --days 1-5 --start 09:00 --end 17:00
shared schedule add --id SCH-SUPERVISOR --role supervisor --days 1-5 --start 08:00 --end 18:00
y=${today%%-*}
for h in "$((y + 1))-01-01|New Year's Day|0" "$((y + 1))-02-17|Spring Festival|0" \
	"$((y + 1))-02-18|Spring Festival|0" "$((y + 1))-04-05|Qingming|0" \
	"$((y + 1))-05-01|Labour Day|0" "$((y + 1))-10-01|National Day|0" \
	"$((y + 1))-10-02|National Day|0" "$((y + 1))-10-08|National Day (working day)|1"; do
	IFS='|' read -r date hname open <<<"$h"
	shared holiday add --id "$date" --name "$hname" --open $open
done

# ---- projects ---------------------------------------------------------------
ctl project add --id $N-PR-COAST --name "Coastline revision 1:50000" --unit $N-U3 --start "$(d '-2 months')" --end "$(d '+10 months')"
ctl project add --id $N-PR-CITY --name "City master plan base maps" --unit $N-U2 --start "$(d '-1 year')" --end "$(d '+2 months')"
ctl project add --id $N-PR-NAV --name "Eastern navigation map update" --unit $N-U1 --start "$(d '-3 months')" --end "$(d '+1 year')"
ctl project add --id $N-PR-OLD --name "Land survey 2024" --unit $N-U1 --start "$(d '-2 years')" --end "$(d '-5 months -10 days')"
ctl project close --id $N-PR-OLD
ctl project add --id $N-PR-PAST --name "Archive digitisation" --unit $N-U1 --start "$(d '-3 years')" --end "$(d '-8 months')"

# ---- media ------------------------------------------------------------------
tagn=0
medium() { # id title dataset category classification shelf project
	tagn=$((tagn + 1))
	local tag
	tag=E280$(printf '%s' "$N" | md5sum | cut -c1-8 | tr a-f A-F)$(printf '%012X' $tagn)
	ctl medium register --id "$1" --tag "$tag" --title "$2" --dataset "$3" --category "$4" \
		--classification "$5" --home-shelf "$6" --project "$7"
}
for i in $(seq 1 60); do
	medium $N-COAST-$(printf %03d $i) "Coastline sheet $i, 1:50000 ($([ $((i % 3)) = 0 ] && echo paper || echo HDD))" \
		coast-50k survey secret SH-A$(((i - 1) / 15 + 1)) $N-PR-COAST
done
for i in $(seq 1 40); do
	medium $N-CITY-$(printf %03d $i) "City base map block $i, 1:2000" city-2k map confidential SH-B$(((i - 1) / 20 + 1)) $N-PR-CITY
done
for i in $(seq 1 40); do
	cls=secret
	[ $((i % 4)) = 0 ] && cls=top-secret
	medium $N-NAV-$(printf %03d $i) "Navigation e-map tile E$i (USB)" nav-east nav-map $cls SH-C1 $N-PR-NAV
done
for i in $(seq 1 30); do
	medium $N-OLD-$(printf %03d $i) "Land survey 2024 disc $i" old-survey survey confidential SH-D1 $N-PR-OLD
done
for i in $(seq 1 10); do
	medium $N-ARC-$(printf %03d $i) "Archive scan box $i" archive-1990 imagery top-secret SH-D2 $N-PR-PAST
done
# Copies: until vaultd has a copy action, registered as media carrying their
# parent's dataset, classification and project.
for i in $(seq 1 10); do
	p=$(printf %03d $i)
	medium $N-COAST-$p-C1 "Working copy of coastline sheet $i" coast-50k survey secret SH-E1 $N-PR-COAST
	medium $N-NAV-$p-C1 "Copy of navigation tile E$i" nav-east nav-map $([ $((i % 4)) = 0 ] && echo top-secret || echo secret) SH-E1 $N-PR-NAV
	medium $N-CITY-$p-S1 "Scan of city block $i" city-2k imagery confidential SH-E2 $N-PR-CITY
done

# ---- approvals (requested by the admin running this; decided by the supervisor) --
appr() { # id unit person scope project from to [extra...]
	local id=$1 unit=$2 person=$3 scope=$4 project=$5 from=$6 to=$7
	shift 7
	ctl approval add --id $N-$id --unit $N-$unit --person $N-$person --purpose "$id work" \
		--scope "$scope" --project $N-$project --valid-from "$from" --valid-to "$to" "$@"
}
appr AP-COAST-1 U3 S01 dataset:coast-50k PR-COAST "$today" "$(d '+6 months')" --max-out 3 --quantity 5
sv approval approve --id $N-AP-COAST-1 # first-time unit: waits for on-site verification
appr AP-COAST-2 U3 S06 dataset:coast-50k PR-COAST "$(d '-1 month')" "$(d '+5 months')" --max-out 2 --quantity 4
sv approval verify-onsite --id $N-AP-COAST-2
sv approval approve --id $N-AP-COAST-2 # verified first: active
appr AP-NAV U1 S10 dataset:nav-east PR-NAV "$(d '-1 month')" "$(d '+6 months')" --authority-ref "NMA-$y-117" --max-out 2 --quantity 2
sv approval approve --id $N-AP-NAV
appr AP-CITY U2 S05 dataset:city-2k PR-CITY "$(d '-2 months')" "$(d '+2 months')" --max-out 5 --quantity 10
sv approval approve --id $N-AP-CITY
appr AP-BIG U2 S05 dataset:city-2k PR-CITY "$today" "$(d '+2 months')" --max-out 10 --quantity 40
sv approval approve --id $N-AP-BIG # above the quantity threshold: waits for on-site
appr AP-REV U1 S02 $N-OLD-001,$N-OLD-002 PR-OLD "$(d '-6 months')" "$(d '+1 month')"
sv approval approve --id $N-AP-REV
sv approval revoke --id $N-AP-REV
appr AP-REQ U2 S04 dataset:city-2k PR-CITY "$today" "$(d '+1 month')"
appr AP-STALE U1 C01 dataset:old-survey PR-OLD "$(d '-8 months')" "$(d '-10 days')"
sv approval approve --id $N-AP-STALE # still active past valid_to
appr AP-SUSP U4 S07 dataset:coast-50k PR-COAST "$today" "$(d '+1 month')"

# ---- destruction orders for the closed project's media ------------------------
for i in 1 2 3 4 5; do
	ctl destroy-order add --id $N-DO-$i --medium $N-OLD-$(printf %03d $i)
	[ $i -le 3 ] && sv destroy-order approve --id $N-DO-$i
done

media=$("$VC" medium list --format csv | tail -n +2 | grep -c "^$N-" || true)
echo "demo site $N: ${#people[@]} persons, $media media, $calls vaultctl calls$([ -n "$as_sv" ] || echo ' (not root: approvals left requested)')"
